"""``silu serve`` against the real Dovecot: answers within seconds through IMAP IDLE, survives a
dropped connection by reconnecting, and polls where the server offers no IDLE."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from silu_sheets.mail import idle
from silu_sheets.mail.mailbox import ImapMailbox
from silu_sheets.pipeline import Gateway
from tests.conftest import SALES
from tests.mail import eml, loopback
from tests.mail.conftest import FORMS, MailFirm
from tests.mail.test_imap_gateway import inquiry

pytestmark = pytest.mark.mail


class Serving:
    def __init__(self, mail_firm: MailFirm, settings=None):
        self.stop = threading.Event()
        self.cycles = 0
        self.thread = threading.Thread(
            target=self._run, args=(mail_firm, settings or mail_firm.settings), daemon=True
        )

    def _run(self, mail_firm: MailFirm, settings) -> None:
        gw = Gateway.open(mail_firm.folder)  # a process of its own would open its own ledger too
        try:
            idle.serve(gw, settings, stop=self.stop, on_cycle=self._count, settle_seconds=0)
        finally:
            gw.ledger.close()

    def _count(self, report) -> None:
        self.cycles += 1

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while self.cycles == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # inside IDLE now
        return self

    def counted(self, passes: int, timeout: float = 10) -> bool:
        """Whether ``passes`` passes have ended: a reply may leave before the pass that
        handled its mail has counted itself."""
        deadline = time.monotonic() + timeout
        while self.cycles < passes and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.cycles >= passes

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def test_serve_answers_within_seconds_through_idle(mail_firm: MailFirm, quiet_masters) -> None:
    with Serving(mail_firm):
        # the poll interval is 60 s: a reply within 10 s can only have come through IDLE
        mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(), "a.xlsx"))
        [reply] = mail_firm.inbox(SALES, count=1, timeout=10)
    assert reply["Subject"] == "已登记 客户咨询单 INQ-2026-00001"


def test_serve_reconnects_after_the_connection_drops(mail_firm: MailFirm, quiet_masters) -> None:
    proxy = loopback.CuttingProxy(mail_firm.servers.dovecot.imap_port)
    settings = replace(mail_firm.settings, imap=replace(mail_firm.settings.imap, port=proxy.port))
    try:
        with Serving(mail_firm, settings) as serving:
            before = serving.cycles
            proxy.drop_all()  # the session dies while in IDLE
            mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(), "a.xlsx"))
            [reply] = mail_firm.inbox(SALES, count=1, timeout=15)
            assert serving.counted(before + 1)
    finally:
        proxy.close()
    assert reply["Subject"] == "已登记 客户咨询单 INQ-2026-00001"
    assert mail_firm.count("SELECT count(*) FROM sources WHERE channel = 'mail'") == 1


def test_serve_polls_where_the_server_has_no_idle(
    mail_firm: MailFirm, quiet_masters, monkeypatch
) -> None:
    monkeypatch.setattr(ImapMailbox, "can_idle", property(lambda self: False))
    settings = replace(mail_firm.settings, imap=replace(mail_firm.settings.imap, poll_seconds=0.3))
    with Serving(mail_firm, settings) as serving:
        mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(), "a.xlsx"))
        [reply] = mail_firm.inbox(SALES, count=1, timeout=10)
        assert serving.counted(2)
    assert reply["Subject"] == "已登记 客户咨询单 INQ-2026-00001"
