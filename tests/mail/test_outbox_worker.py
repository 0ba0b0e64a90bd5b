"""The outbox worker of a backlog (``silu_sheets/mail/worker.py``), against the real Dovecot
and SMTP server: it attaches each quote's printed copy and sends the replies while the pass goes
on, the pass's process sending none; a temporary SMTP failure there is retried later, its report
reaching the pass's; killed, its replies wait ``printing`` and the next pass sends them with
their copy, once; and it never outlives the pass, however the pass ends."""

from __future__ import annotations

import subprocess
import time

import pytest

from silu_sheets.api import fill_form
from silu_sheets.mail import idle
from silu_sheets.mail.smtp import send_queued
from tests.conftest import SALES
from tests.mail import eml
from tests.mail.conftest import FORMS, MailFirm
from tests.mail.test_imap_gateway import inquiry

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


def workers(root) -> list[str]:
    """The outbox workers still running for the firm at ``root``."""
    listing = subprocess.run(
        ["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in listing.splitlines() if "mail.worker" in line and str(root) in line]


def test_a_backlog_s_quotes_get_their_printed_copy_from_the_outbox_worker_once(
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
    assert workers(mail_firm.folder.root) == []


def worker_pids(monkeypatch) -> list[int]:
    """The process ids of the outbox workers the passes start from now on."""
    pids: list[int] = []

    class Watched(idle.OutboxWorker):
        def start(self) -> None:
            super().start()
            assert self.process is not None
            pids.append(self.process.pid)

    monkeypatch.setattr(idle, "OutboxWorker", Watched)
    return pids


def senders(mail_firm: MailFirm) -> list[tuple[str, int]]:
    """Each new reply's status and the process that claimed it for sending (its token is
    host-pid-time)."""
    rows = mail_firm.gw.ledger.db.execute(
        "SELECT status, claimed_by FROM outbox WHERE id > ? ORDER BY id",
        [mail_firm.baseline_outbox],
    ).fetchall()
    return [(status, int((token or "-0-").rsplit("-", 2)[1])) for status, token in rows]


def test_a_backlog_s_replies_are_sent_by_the_outbox_worker_not_by_the_pass(
    mail_firm: MailFirm, quiet_masters, monkeypatch
) -> None:
    monkeypatch.setattr(idle, "BACKLOG", 2)
    pids = worker_pids(monkeypatch)
    mail_firm.mail(eml.with_form(SALES, FORMS, quote(1), "q1.xlsx"))
    mail_firm.mail(eml.with_form(SALES, FORMS, inquiry(), "i.xlsx"))  # no printed copy
    mail_firm.mail(eml.with_form(SALES, FORMS, quote(2), "q2.xlsx"))
    assert len(mail_firm.shared()) == 3

    report = mail_firm.poll()

    assert [o.accepted for o in report.outcomes] == [True, True, True]
    [worker] = pids
    assert senders(mail_firm) == [("sent", worker)] * 3
    ids = [mail_firm.baseline_outbox + n for n in (1, 2, 3)]
    assert sorted(report.sent.sent) == ids  # its report reached the pass's
    assert report.sent.retrying == report.sent.failed == []
    replies = mail_firm.inbox(SALES, count=3)
    assert sorted(name for r in replies for name in printed(r)) == [
        "报价单-QUO-2026-00001.xlsx",
        "报价单-QUO-2026-00002.xlsx",
    ]
    time.sleep(0.3)
    assert len(mail_firm.inbox(SALES)) == 3  # each once


def test_smtp_failures_in_the_outbox_worker_are_retried_later(
    mail_firm: MailFirm, quiet_masters, monkeypatch
) -> None:
    monkeypatch.setattr(idle, "BACKLOG", 2)
    pids = worker_pids(monkeypatch)
    for n in (1, 2, 3):
        mail_firm.mail(eml.with_form(SALES, FORMS, quote(n), f"q{n}.xlsx"))
    assert len(mail_firm.shared()) == 3
    mail_firm.servers.relay.temporary_failures = 3  # 451 to the first three tries

    report = mail_firm.poll()

    [worker] = pids
    ids = [mail_firm.baseline_outbox + n for n in (1, 2, 3)]
    assert report.sent.sent == report.sent.failed == []
    assert sorted(report.sent.retrying) == ids
    rows = mail_firm.gw.ledger.db.execute(
        "SELECT status, attempts, last_error LIKE '451 %' FROM outbox WHERE id > ? ORDER BY id",
        [mail_firm.baseline_outbox],
    ).fetchall()
    assert rows == [("queued", 1, 1)] * 3
    assert ("queued", worker) in senders(mail_firm)  # the worker met the failures
    assert mail_firm.inbox(SALES) == []

    time.sleep(0.4)  # retry_first_seconds = 0.3 in the test servers' settings
    assert sorted(send_queued(mail_firm.gw, mail_firm.settings).sent) == ids
    replies = mail_firm.inbox(SALES, count=3)
    assert sorted(name for r in replies for name in printed(r)) == [
        f"报价单-QUO-2026-0000{n}.xlsx" for n in (1, 2, 3)
    ]
    time.sleep(0.3)
    assert len(mail_firm.inbox(SALES)) == 3


def test_an_outbox_worker_killed_leaves_its_replies_waiting_and_the_next_pass_sends_them_printed(
    mail_firm: MailFirm, quiet_masters, monkeypatch
) -> None:
    monkeypatch.setattr(idle, "BACKLOG", 1)
    mail_firm.mail(eml.with_form(SALES, FORMS, quote(1), "q1.xlsx"))
    assert len(mail_firm.shared()) == 1
    monkeypatch.setenv("SILU_CRASH_AT", "printer-store")  # the worker inherits it, not the pass

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


def test_the_outbox_worker_stops_by_itself_when_silu_poll_is_killed(
    mail_firm: MailFirm, quiet_masters
) -> None:
    settings = mail_firm.folder.root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("trust_unauthenticated = false", "trust_unauthenticated = true"), "utf-8"
    )
    for n in range(idle.BACKLOG):  # a backlog for the command as it is installed
        raw = eml.with_form(SALES, FORMS, quote(n + 1), f"q{n}.xlsx")
        mail_firm.servers.dovecot.deliver(FORMS, raw, sender=SALES)

    assert mail_firm.silu("poll", crash_at="in-transaction:3") == -9

    deadline = time.monotonic() + 10
    while workers(mail_firm.folder.root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers(mail_firm.folder.root) == []
    assert mail_firm.silu("poll") == 0  # what the killed pass left: recorded once, answered
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'quote'") == idle.BACKLOG
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'printing'") == 0
    assert len(mail_firm.inbox(SALES, count=idle.BACKLOG)) == idle.BACKLOG
