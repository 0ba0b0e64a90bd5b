"""What each mailed form asks the ledger goes through an index: in a ledger of years, a query
that reads a whole table of sources, revisions, refusals or handled mails costs every form a
little more than the last (a backlog of 300 quotes read every revision ~300 times). And a
form's rows are written without a savepoint, which copies each page it changes to a temporary
file (~130 KB a 20-line quote)."""

from __future__ import annotations

import re
from dataclasses import replace

from silu_sheets.api import fill_form
from silu_sheets.mail import maildir
from silu_sheets.mail import settings as mail_settings
from silu_sheets.mail.gateway import run_pass
from silu_sheets.mail.maildir import MaildirInbox
from silu_sheets.mail.smtp import send_queued
from silu_sheets.pipeline import Gateway
from tests.conftest import SALES
from tests.mail import eml

FORMS = "forms@firm.test"
#: master data: a firm has a few hundred of each, read whole by design
SMALL = {"warehouses", "products", "customers", "lots", "numbers", "schema_migrations"}


def quote(n: int) -> bytes:
    return fill_form(
        "quote",
        {"quote_date": "2026-11-20", "valid_until": "2026-12-31", "customer_code": "C001"},
        [{"product_code": "P-M8", "quantity": 10 + n, "unit_price": "1.10"}],
    )


def test_a_mailed_form_reads_no_growing_table_whole(seeded_firm) -> None:
    gw = Gateway.open(seeded_firm)
    settings = replace(mail_settings.load(seeded_firm), rate_limit_per_hour=1000)
    inbox = seeded_firm.mail_dir / "inbox"
    for n in range(2):  # the second finds rows of the first to skip past
        maildir.deliver(inbox, eml.with_form(SALES, FORMS, quote(n), f"报价-{n}.xlsx"))
    maildir.deliver(inbox, eml.with_form(SALES, FORMS, quote(0), "报价-again.xlsx"))  # sent twice
    statements: list[str] = []
    gw.ledger.db.set_trace_callback(statements.append)
    report = run_pass(gw, MaildirInbox(settings.inbox_dir), settings)
    send_queued(gw, settings)
    gw.ledger.db.set_trace_callback(None)
    assert len(report.handled) == 3

    whole: dict[str, str] = {}
    for sql in set(statements):
        if not re.match(r"\s*(SELECT|UPDATE|DELETE|WITH)\b", sql, re.I):
            continue
        for row in gw.ledger.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall():
            scanned = re.match(r"SCAN (\w+)", row[3])
            if scanned and scanned[1] not in SMALL and "pragma" not in scanned[1]:
                whole[sql] = row[3]
            if row[3].endswith("(sender=?)"):  # every mail the sender ever sent
                whole[sql] = row[3]
            if _walks_sent_replies(sql, row[3]):
                whole[sql] = row[3]
    gw.ledger.close()
    assert whole == {}, "\n".join(f"{plan}: {sql}" for sql, plan in whole.items())
    # a savepoint makes SQLite copy every page written under it to a temporary file: a form's
    # rows are written in its check's transaction itself
    assert not [sql for sql in statements if sql.startswith("SAVEPOINT")]


def _walks_sent_replies(sql: str, plan: str) -> bool:
    """Whether a query for replies in one state (printing, held, queued, sending) finds them
    by some other column: the outbox keeps every reply ever sent, so it walks those too
    (``held_for IS NULL`` by its own index is every sent reply of no mail)."""
    searched = re.match(r"SEARCH outbox USING (?:COVERING )?INDEX \w+ \((.*)\)", plan)
    return bool(searched) and "status" in sql and "status=" not in searched[1]
