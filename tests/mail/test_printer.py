"""The printer process of a backlog (``silu_sheets/mail/printer.py``), against the real Dovecot
and SMTP server: it attaches each quote's printed copy while the pass goes on; killed, its
replies wait ``printing`` and the next pass sends them with their copy, once; and it never
outlives the pass, however the pass ends."""

from __future__ import annotations

import subprocess
import time

import pytest

from silu_sheets.api import fill_form
from silu_sheets.mail import idle
from tests.conftest import SALES
from tests.mail import eml
from tests.mail.conftest import FORMS, MailFirm

pytestmark = pytest.mark.mail

HEADER = {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"}


def quote(n: int) -> bytes:
    return fill_form(
        "quote", HEADER, [{"product_code": "P-M8", "quantity": n, "unit_price": "1.2"}]
    )


def printed(reply) -> list[str]:
    return [
        name
        for a in reply.iter_attachments()
        if (name := a.get_filename() or "").startswith("报价单-")
    ]


def printers(root) -> list[str]:
    """The printer processes still running for the firm at ``root``."""
    listing = subprocess.run(
        ["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in listing.splitlines() if "mail.printer" in line and str(root) in line]


def test_a_backlog_s_quotes_get_their_printed_copy_from_the_printer_once(
    mail_firm: MailFirm, quiet_masters, monkeypatch
) -> None:
    monkeypatch.setattr(idle, "BACKLOG", 2)  # three mails make a backlog here
    for n in (1, 2, 3):
        mail_firm.mail(eml.with_form(SALES, FORMS, quote(n), f"q{n}.xlsx"))
    assert len(mail_firm.shared()) == 3

    report = mail_firm.poll()

    assert [o.accepted for o in report.outcomes] == [True, True, True]
    replies = mail_firm.inbox(SALES, count=3)
    assert sorted(name for r in replies for name in printed(r)) == [
        f"报价单-QUO-2026-0000{n}.xlsx" for n in (1, 2, 3)
    ]
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'printing'") == 0
    assert printers(mail_firm.folder.root) == []


def test_a_printer_killed_leaves_its_replies_waiting_and_the_next_pass_sends_them_printed(
    mail_firm: MailFirm, quiet_masters, monkeypatch
) -> None:
    monkeypatch.setattr(idle, "BACKLOG", 1)
    mail_firm.mail(eml.with_form(SALES, FORMS, quote(1), "q1.xlsx"))
    assert len(mail_firm.shared()) == 1
    monkeypatch.setenv("SILU_CRASH_AT", "printer-store")  # the printer inherits it, not the pass

    report = mail_firm.poll()

    assert [o.accepted for o in report.outcomes] == [True]
    assert report.sent.sent == []
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'printing'") == 1
    assert mail_firm.shared() == []  # the mail itself is done

    monkeypatch.delenv("SILU_CRASH_AT")
    mail_firm.poll()
    (reply,) = mail_firm.inbox(SALES, count=1)
    assert printed(reply) == ["报价单-QUO-2026-00001.xlsx"]
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'printing'") == 0


def test_the_printer_stops_by_itself_when_silu_poll_is_killed(
    mail_firm: MailFirm, quiet_masters
) -> None:
    mail_firm.trust_unauthenticated()
    for n in range(idle.BACKLOG):  # a backlog for the command as it is installed
        raw = eml.with_form(SALES, FORMS, quote(n + 1), f"q{n}.xlsx")
        mail_firm.servers.dovecot.deliver(FORMS, raw, sender=SALES)

    assert mail_firm.silu("poll", crash_at="in-transaction:3") == -9

    deadline = time.monotonic() + 10
    while printers(mail_firm.folder.root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert printers(mail_firm.folder.root) == []
    assert mail_firm.silu("poll") == 0  # what the killed pass left: recorded once, answered
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'quote'") == idle.BACKLOG
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'printing'") == 0
    assert len(mail_firm.inbox(SALES, count=idle.BACKLOG)) == idle.BACKLOG
