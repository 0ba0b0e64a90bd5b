"""What money does when goods leave: with ``[payments] auto_apply_balance = true`` in silu.toml,
an issue slip's booking applies the customer's balance to its notices (oldest first), and the
notice's salesperson and finance are told by mail. Warehouse staff are never told: it is money."""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets import money
from silu_sheets.amounts import money_text
from silu_sheets.replies import Reply, as_mail, render

if TYPE_CHECKING:
    from silu_sheets.document import Context, Document
    from silu_sheets.ledger.store import LedgerWriter
    from silu_sheets.pipeline import Gateway


def auto_apply_enabled(settings: dict) -> bool:
    return bool(settings.get("payments", {}).get("auto_apply_balance", False))


def after_issue(
    gw: Gateway, ctx: Context, doc: Document, docno: str, writer: LedgerWriter
) -> list[dict]:
    """Apply the balance of the slip's customer when the firm wants it; queue the notes. An
    amended or cancelled slip first gives back to the balance what its issue applied."""
    if doc.docno:
        money.reverse(writer, docno, ctx.today)
    if doc.cancelling or not auto_apply_enabled(gw.firm.settings) or not doc["notice_no"]:
        return []
    notice = writer.view.document(doc["notice_no"])
    if notice is None or not notice["customer_code"]:
        return []
    applied = money.auto_apply(writer, notice["customer_code"], ctx, trigger=docno)
    if not applied:
        return applied
    recipients = {notice["owner"]} | {s.address for s in gw.roster.with_role("finance")}
    for address in sorted(recipients):
        person = gw.roster.find(address)
        if person is None or not gw.roster.sees_prices(person):
            continue
        lines = [
            (
                a["notice_no"],
                money_text(a["amount"], a["currency"]),
                a["currency"],
                money_text(money.notice_owed(writer.view, a["notice_no"]), a["currency"]),
            )
            for a in applied
        ]
        currency = applied[0]["currency"]
        subject, text, html = render(
            "balance_applied",
            person.language,
            {
                "person": person.name,
                "customer": notice["customer_code"],
                "slip": docno,
                "lines": lines,
                "balance": money_text(
                    money.balance(writer.view, notice["customer_code"], currency), currency
                ),
                "currency": currency,
            },
        )
        reply = Reply(address, subject, text, html, "balance_applied", docno)
        msg = as_mail(reply, gw.firm.firm.mailbox, gw.firm.firm.name, auto="auto-generated")
        writer.queue_mail(address, subject, "balance_applied", msg, docno)
    return applied
