"""Money in the ledger: what a shipment notice owes, a customer's balance (结余款), what a return
still has to refund — all derived from append-only ``money_movements`` rows, never stored.

Accounts (the ``account`` column):

* ``notice``: paid or credited against one shipment notice. A notice owes its issued quantity ×
  notice price less the sum of its ``notice`` rows (payments applied, balance applied, agreed
  return credits).
* ``balance``: the customer's balance per currency; its sum is the balance.
* ``refundable``: an agreed return's money finance still has to pay out (refund payments draw
  it down).

An amended or cancelled document writes ``reversal`` rows that cancel its earlier rows before
it books anew, so nothing is ever updated or deleted. Every query goes through an index:
``money_by_notice``, ``money_by_customer``, ``money_by_docno``, ``money_by_return``,
``stock_by_against``, ``links_by_target``, ``documents_by_customer``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from silu_sheets.amounts import money_text

if TYPE_CHECKING:
    from silu_sheets.document import Context
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

from silu_sheets.fulfilment import ISSUE_MOVEMENTS, ZERO, dec, issued_on_line, lines_of

__all__ = ["ISSUE_MOVEMENTS", "ZERO", "dec"]  # one query layer: quantities come from fulfilment


def _sum(view: LedgerView, sql: str, params: list) -> Decimal:
    return sum((dec(r[0]) for r in view.db.execute(sql, params).fetchall()), ZERO)


# --- shipment notices -----------------------------------------------------------------------
def notice(view: LedgerView, notice_no: str) -> dict | None:
    """A recorded shipment notice's header row (``shipment_notice`` table), or ``None``."""
    return view.row("SELECT * FROM shipment_notice WHERE docno = ?", [notice_no])


def notice_lines(view: LedgerView, notice_no: str) -> list[dict]:
    """The current lines of a notice, in line order."""
    return lines_of(view, "shipment_notice", notice_no)


def issued(view: LedgerView, notice_no: str, line_no: int) -> Decimal:
    """Quantity the warehouse issued against one notice line."""
    return issued_on_line(view, notice_no, line_no)


def issued_by_warehouse(
    view: LedgerView, notice_no: str, line_no: int
) -> dict[tuple[str, str], Decimal]:
    """Issued quantity of a notice line per (warehouse, lot)."""
    found: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for r in view.rows(
        "SELECT warehouse, lot, quantity FROM stock_movements WHERE against = ? AND against_line = ? "
        "AND movement IN ('issue', 'reversal')",
        [notice_no, line_no],
    ):
        found[(r["warehouse"], r["lot"])] -= dec(r["quantity"])
    return {k: v for k, v in found.items() if v}


def notice_gross(view: LedgerView, notice_no: str) -> Decimal:
    """What the goods issued against a notice are worth at the notice's prices."""
    return sum(
        (
            issued(view, notice_no, line["line_no"]) * dec(line["unit_price"])
            for line in notice_lines(view, notice_no)
        ),
        ZERO,
    )


def notice_settled(view: LedgerView, notice_no: str, excluding: str | None = None) -> Decimal:
    """Paid plus credited against a notice (optionally leaving out one document's rows)."""
    rows = view.rows(
        "SELECT amount, docno FROM money_movements WHERE notice_no = ? AND account = 'notice'",
        [notice_no],
    )
    return sum((dec(r["amount"]) for r in rows if r["docno"] != excluding), ZERO)


def notice_owed(view: LedgerView, notice_no: str, excluding: str | None = None) -> Decimal:
    """Issued quantity × notice price, less agreed return credits, less what was applied."""
    return notice_gross(view, notice_no) - notice_settled(view, notice_no, excluding)


def paid_beyond(view: LedgerView, notice_no: str, prices: dict[int, Decimal]) -> Decimal:
    """For an amendment of a notice: how much more was already paid or credited against it than
    its issued goods would be worth at the new line prices (``{line_no: price}``); zero when the
    amendment keeps every payment within what the notice owes. The shipment notice's check may
    refuse an amendment with a positive answer."""
    worth = sum((issued(view, notice_no, n) * p for n, p in prices.items()), ZERO)
    return max(notice_settled(view, notice_no) - worth, ZERO)


def notice_currency(found: dict, default: str) -> str:
    return (found.get("currency") or default).upper()


def customer_notices(view: LedgerView, customer_code: str) -> list[dict]:
    """A customer's active notices, oldest first (notice date, then number)."""
    return view.rows(
        "SELECT n.* FROM documents d JOIN shipment_notice n ON n.docno = d.docno "
        "WHERE d.customer_code = ? AND d.kind = 'shipment_notice' AND d.status = 'active' "
        "ORDER BY n.notice_date, n.docno",
        [customer_code],
    )


# --- balances ---------------------------------------------------------------------------------
def balance(
    view: LedgerView, customer_code: str, currency: str, excluding: str | None = None
) -> Decimal:
    """The customer's balance (结余款) in ``currency``: the sum of its balance movements."""
    rows = view.rows(
        "SELECT amount, docno FROM money_movements WHERE customer_code = ? AND currency = ? AND account = 'balance'",
        [customer_code, currency.upper()],
    )
    return sum((dec(r["amount"]) for r in rows if r["docno"] != excluding), ZERO)


def balances(view: LedgerView, customer_code: str | None = None) -> list[dict]:
    """Per customer and currency: balance, owed on notices, refunds still due. All customers
    when ``customer_code`` is ``None``."""
    codes = (
        [customer_code]
        if customer_code
        else [r["code"] for r in view.rows("SELECT code FROM customers ORDER BY code")]
    )
    out = []
    for code in codes:
        per: dict[str, dict[str, Decimal]] = defaultdict(
            lambda: {"balance": ZERO, "owed": ZERO, "refund_due": ZERO}
        )
        for r in view.rows(
            "SELECT currency, account, amount FROM money_movements WHERE customer_code = ? "
            "AND account IN ('balance', 'refundable')",
            [code],
        ):
            key = "balance" if r["account"] == "balance" else "refund_due"
            per[r["currency"]][key] += dec(r["amount"])
        for n in customer_notices(view, code):
            cur = notice_currency(n, "CNY")
            per[cur]["owed"] += notice_owed(view, n["docno"])
        for cur, figures in sorted(per.items()):
            if any(figures.values()):
                out.append({"customer_code": code, "currency": cur, **figures})
    return out


def refundable(view: LedgerView, return_no: str, excluding: str | None = None) -> Decimal:
    """What an agreed return still has to refund: agreed money not credited to the notice's
    unpaid amount, less refunds already paid."""
    rows = view.rows(
        "SELECT amount, docno FROM money_movements WHERE return_no = ? AND account = 'refundable'",
        [return_no],
    )
    return sum((dec(r["amount"]) for r in rows if r["docno"] != excluding), ZERO)


def refunded(view: LedgerView, return_no: str, excluding: str | None = None) -> Decimal:
    """Refunds finance paid for a return (refund payments' rows, net of their reversals)."""
    rows = view.rows(
        "SELECT amount, docno FROM money_movements WHERE return_no = ? AND account = 'refundable'",
        [return_no],
    )
    return -sum((dec(r["amount"]) for r in rows if r["docno"] not in (return_no, excluding)), ZERO)


def effects_of(view: LedgerView, docno: str) -> dict[tuple[str, str], Decimal]:
    """A document's current net effect on balances, per (customer, currency)."""
    found: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for r in view.rows(
        "SELECT customer_code, currency, amount FROM money_movements WHERE docno = ? AND account = 'balance'",
        [docno],
    ):
        found[(r["customer_code"], r["currency"])] += dec(r["amount"])
    return dict(found)


def balance_shortfalls(
    view: LedgerView, docno: str | None, new_effects: dict[tuple[str, str], Decimal]
) -> list[tuple[str, str, Decimal]]:
    """Where replacing ``docno``'s balance effects by ``new_effects`` would leave a balance below
    zero: (customer, currency, the balance there would be without this document)."""
    old = effects_of(view, docno) if docno else {}
    short = []
    for key in sorted(set(old) | set(new_effects)):
        without = balance(view, key[0], key[1], excluding=docno)
        if without + new_effects.get(key, ZERO) < 0:
            short.append((key[0], key[1], without))
    return short


# --- writing ------------------------------------------------------------------------------------
def move(
    writer: LedgerWriter,
    *,
    customer_code: str,
    currency: str,
    account: str,
    movement: str,
    amount: Decimal,
    docno: str,
    line_no: int | None = None,
    notice_no: str | None = None,
    return_no: str | None = None,
    moved_on: Any = None,
) -> None:
    """Append one money movement (never updated, never deleted)."""
    from silu_sheets.ledger.store import now, to_json_value

    writer.insert(
        "money_movements",
        {
            "customer_code": customer_code,
            "currency": currency.upper(),
            "account": account,
            "movement": movement,
            "amount": format(amount, "f"),
            "docno": docno,
            "line_no": line_no,
            "notice_no": notice_no,
            "return_no": return_no,
            "moved_on": to_json_value(moved_on),
            "moved_at": now(),
        },
    )


def reverse(writer: LedgerWriter, docno: str, moved_on: Any = None) -> None:
    """Cancel every money effect ``docno`` still has, with opposite rows (amend, cancel)."""
    net: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for r in writer.view.rows("SELECT * FROM money_movements WHERE docno = ? ORDER BY id", [docno]):
        key = (
            r["customer_code"],
            r["currency"],
            r["account"],
            r["notice_no"],
            r["return_no"],
            r["line_no"],
        )
        net[key] += dec(r["amount"])
    for (customer, currency, account, notice_no, return_no, line_no), amount in net.items():
        if amount:
            move(
                writer,
                customer_code=customer,
                currency=currency,
                account=account,
                movement="reversal",
                amount=-amount,
                docno=docno,
                line_no=line_no,
                notice_no=notice_no,
                return_no=return_no,
                moved_on=moved_on,
            )


def auto_apply(
    writer: LedgerWriter, customer_code: str, ctx: Context, trigger: str = ""
) -> list[dict]:
    """Apply the customer's balance to its notices, oldest first, never above what a notice
    owes nor above the balance. Returns what was applied: [{notice_no, currency, amount}].

    Called after goods are issued when silu.toml has ``[payments] auto_apply_balance = true``;
    the movements carry the issue slip's number (``trigger``) as their document."""
    view = writer.view
    applied = []
    for n in customer_notices(view, customer_code):
        currency = notice_currency(n, ctx.firm.currency)
        left = balance(view, customer_code, currency)
        if left <= 0:
            continue
        owed = notice_owed(view, n["docno"])
        amount = min(owed, left)
        if amount <= 0:
            continue
        for account, sign in (("balance", -1), ("notice", 1)):
            move(
                writer,
                customer_code=customer_code,
                currency=currency,
                account=account,
                movement="auto_applied",
                amount=sign * amount,
                docno=trigger or n["docno"],
                notice_no=n["docno"],
                moved_on=ctx.today,
            )
        applied.append({"notice_no": n["docno"], "currency": currency, "amount": amount})
    return applied


# --- returns -----------------------------------------------------------------------------------
def returns_of_notice(view: LedgerView, notice_no: str) -> list[str]:
    """Active sales returns written against a notice (through the indexed links table)."""
    return [
        r["docno"]
        for r in view.rows(
            "SELECT DISTINCT l.docno FROM links l JOIN documents d ON d.docno = l.docno "
            "WHERE l.target = ? AND l.field = 'notice_no' AND d.kind = 'sales_return' AND d.status = 'active' "
            "ORDER BY l.docno",
            [notice_no],
        )
    ]


def returned(
    view: LedgerView, notice_no: str, line_no: int, excluding: str | None = None
) -> Decimal:
    """Quantity of a notice line already written on active returns (leaving one out)."""
    total = ZERO
    for docno in returns_of_notice(view, notice_no):
        if docno == excluding:
            continue
        for r in view.rows(
            "SELECT quantity FROM sales_return_lines WHERE docno = ? AND notice_line = ?",
            [docno, line_no],
        ):
            total += dec(r["quantity"])
    return total


def received(
    view: LedgerView, return_no: str, line_no: int, excluding: str | None = None
) -> Decimal:
    """Quantity the warehouses received back against one return line (return inbound slips)."""
    rows = view.rows(
        "SELECT quantity, docno FROM stock_movements WHERE against = ? AND against_line = ? "
        "AND movement IN ('return_inbound', 'reversal')",
        [return_no, line_no],
    )
    return sum((dec(r["quantity"]) for r in rows if r["docno"] != excluding), ZERO)


def replacement_notices(view: LedgerView, return_no: str) -> list[str]:
    """Active shipment notices that name the return as the one they replace."""
    return [
        r["docno"]
        for r in view.rows(
            "SELECT DISTINCT l.docno FROM links l JOIN documents d ON d.docno = l.docno "
            "WHERE l.target = ? AND l.field = 'replaces_return' AND d.status = 'active' ORDER BY l.docno",
            [return_no],
        )
    ]


def return_state(view: LedgerView, return_no: str) -> dict | None:
    """A return's progress: per line returned / received; money requested, agreed, credited,
    refunded, still to refund; and whether a replacement is still owed (an open obligation)."""
    from silu_sheets.open_items import remaining_by_line

    header = view.row("SELECT * FROM sales_return WHERE docno = ?", [return_no])
    if header is None:
        return None
    lines = []
    for line in view.rows(
        "SELECT * FROM sales_return_lines WHERE docno = ? ORDER BY line_no", [return_no]
    ):
        lines.append(
            {
                "line_no": line["line_no"],
                "notice_line": line["notice_line"],
                "product_code": line["product_code"],
                "quantity": dec(line["quantity"]),
                "unit_price": dec(line["unit_price"]),
                "warehouse": line["warehouse"],
                "received": received(view, return_no, line["line_no"]),
            }
        )
    replaced_by = replacement_notices(view, return_no)
    credited = _sum(
        view,
        "SELECT amount FROM money_movements WHERE return_no = ? AND docno = ? AND account IN ('notice', 'balance')",
        [return_no, return_no],
    )
    return {
        "docno": return_no,
        "status": header["status"],
        "notice_no": header["notice_no"],
        "customer_code": header["customer_code"],
        "currency": header["currency"],
        "goods_disposition": header["goods_disposition"],
        "money_disposition": header["money_disposition"],
        "requested_amount": header["requested_amount"],
        "agreed_amount": header["agreed_amount"],
        "credited": credited,
        "refunded": refunded(view, return_no),
        "refund_due": refundable(view, return_no),
        "lines": lines,
        "replaced_by": replaced_by,
        # what is still to be replaced is an open item (silu_sheets/open_items.py)
        "replacement_open": bool(remaining_by_line(view, return_no, "replacement_owed")),
        "to_receive": remaining_by_line(view, return_no, "return_to_receive"),
    }


def open_replacements(view: LedgerView) -> list[dict]:
    """Returns with goods still to be replaced (open items ``replacement_owed``)."""
    from silu_sheets.open_items import open_items

    owed = sorted({i.docno for i in open_items(view, obligations=["replacement_owed"])})
    states = [return_state(view, docno) for docno in owed]
    return [s for s in states if s]


# --- statement ---------------------------------------------------------------------------------
class StatementLine(NamedTuple):
    date: str
    docno: str
    what: str  # shipment, payment, advance, refund, return
    charge: Decimal  # what the customer owes more
    credit: Decimal  # what the customer owes less
    note: str = ""


def statement(
    view: LedgerView,
    customer_code: str,
    currency: str,
    since: str | None = None,
    until: str | None = None,
) -> dict:
    """A customer's account in one currency: goods issued (at notice prices) as charges; money
    received, agreed return money as credits; refunds paid as charges. Positive closing means the
    customer owes the firm; negative means the firm holds the customer's money (balance or refund
    due). Lines dated before ``since`` make the opening balance."""
    cur = currency.upper()
    entries: list[StatementLine] = []
    for n in customer_notices(view, customer_code):
        if notice_currency(n, cur) != cur:
            continue
        prices = {
            line["line_no"]: dec(line["unit_price"]) for line in notice_lines(view, n["docno"])
        }
        per_slip: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line_no, price in prices.items():
            for r in view.rows(
                "SELECT docno, quantity FROM stock_movements WHERE against = ? AND against_line = ? "
                "AND movement IN ('issue', 'reversal')",
                [n["docno"], line_no],
            ):
                per_slip[r["docno"]] -= dec(r["quantity"]) * price
        for slip, value in sorted(per_slip.items()):
            if value:
                slip_row = view.row("SELECT * FROM documents WHERE docno = ?", [slip])
                day = _slip_date(view, slip) or (n["notice_date"] or "")
                entries.append(
                    StatementLine(
                        day, n["docno"], "shipment", value, ZERO, f"{slip}" if slip_row else ""
                    )
                )
    for d in view.rows(
        "SELECT d.docno, d.kind FROM documents d WHERE d.customer_code = ? AND d.status = 'active' "
        "AND d.kind IN ('payment', 'sales_return') ORDER BY d.docno",
        [customer_code],
    ):
        if d["kind"] == "payment":
            p = view.row("SELECT * FROM payment WHERE docno = ?", [d["docno"]])
            if (
                not p
                or (p["currency"] or cur).upper() != cur
                or p["payment_type"] == "apply_balance"
            ):
                continue
            amount = dec(p["amount"])
            if p["payment_type"] == "refund":
                entries.append(
                    StatementLine(
                        p["payment_date"],
                        d["docno"],
                        "refund",
                        amount,
                        ZERO,
                        p["sales_return_no"] or "",
                    )
                )
            else:
                entries.append(
                    StatementLine(
                        p["payment_date"],
                        d["docno"],
                        p["payment_type"],
                        ZERO,
                        amount,
                        p["note"] or "",
                    )
                )
        else:
            ret = view.row("SELECT * FROM sales_return WHERE docno = ?", [d["docno"]])
            if (
                not ret
                or (ret["currency"] or cur).upper() != cur
                or ret["agreed_amount"] in (None, "")
            ):
                continue
            if dec(ret["agreed_amount"]):
                entries.append(
                    StatementLine(
                        ret["return_date"],
                        d["docno"],
                        "return",
                        ZERO,
                        dec(ret["agreed_amount"]),
                        ret["notice_no"],
                    )
                )
    entries += _balance_applied(view, customer_code, cur)
    # a same-day return comes after the shipment it returns, money after the goods it pays for
    entries.sort(key=lambda e: (e.date, STATEMENT_ORDER.get(e.what, 9), e.docno))
    opening = sum((e.charge - e.credit for e in entries if since and e.date < since), ZERO)
    shown = [
        e for e in entries if not (since and e.date < since) and not (until and e.date > until)
    ]
    closing = opening + sum((e.charge - e.credit for e in shown), ZERO)
    return {
        "customer_code": customer_code,
        "currency": cur,
        "since": since,
        "until": until,
        "opening": opening,
        "lines": shown,
        "shipments": sum((e.charge for e in shown if e.what == "shipment"), ZERO),
        "payments": sum((e.credit for e in shown if e.what in ("receivable", "advance")), ZERO),
        "returns": sum((e.credit for e in shown if e.what == "return"), ZERO),
        "refunds": sum((e.charge for e in shown if e.what == "refund"), ZERO),
        "closing": closing,
        "balance": balance(view, customer_code, cur),
    }


STATEMENT_ORDER = {"shipment": 0, "receivable": 1, "advance": 1, "apply_balance": 2, "return": 3}


def _balance_applied(view: LedgerView, customer_code: str, currency: str) -> list[StatementLine]:
    """The customer's balance applied to notices (by a payment form or automatically): neither
    a charge nor a credit on the account, a move inside it, shown so the customer sees where
    the balance went (the amount in the note)."""
    net: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    day: dict[tuple[str, str], str] = {}
    applying = {
        r["docno"]
        for r in view.rows(
            "SELECT DISTINCT docno FROM money_movements WHERE customer_code = ? AND currency = ? "
            "AND account = 'notice' AND movement IN ('balance_applied', 'auto_applied')",
            [customer_code, currency],
        )
    }
    for docno in sorted(applying):
        for r in view.rows(
            "SELECT * FROM money_movements WHERE docno = ? AND account = 'notice' ORDER BY id",
            [docno],
        ):
            key = (docno, r["notice_no"] or "")
            net[key] += dec(r["amount"])
            day.setdefault(key, r["moved_on"] or r["moved_at"][:10])
    return [
        StatementLine(
            day[key],
            key[0],
            "apply_balance",
            ZERO,
            ZERO,
            f"{key[1]}: {money_text(amount, currency)}",
        )
        for key, amount in net.items()
        if amount
    ]


def _slip_date(view: LedgerView, slip: str) -> str | None:
    try:
        row = view.row("SELECT issue_date FROM issue_slip WHERE docno = ?", [slip])
    except Exception:  # noqa: BLE001 - the issue slip table may lack the column in an old ledger
        return None
    return row["issue_date"] if row else None


def customer_currencies(view: LedgerView, customer_code: str, default: str) -> list[str]:
    """Currencies the customer has dealt in (money movements and notices), default first."""
    found = {
        r["currency"]
        for r in view.rows(
            "SELECT DISTINCT currency FROM money_movements WHERE customer_code = ?", [customer_code]
        )
    }
    found |= {notice_currency(n, default) for n in customer_notices(view, customer_code)}
    return sorted(found or {default}, key=lambda c: (c != default, c))
