"""Mail fixtures: one real Dovecot (IMAP + LMTP) and one real SMTP server (aiosmtpd relaying into
Dovecot) per test session, on free loopback ports; each test gets a fresh firm pointed at them
and empty mailboxes.

In CI (SILU_CI=1) these tests must run: a missing Dovecot is an error there, never a skip."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from silu_sheets import firm as firm_folder
from silu_sheets.mail import settings as mail_settings
from silu_sheets.mail.idle import CycleReport, cycle
from silu_sheets.mail.mailbox import ImapMailbox
from silu_sheets.pipeline import Gateway
from tests.conftest import (
    ADMIN,
    FINANCE,
    MANAGER,
    SALES,
    SALES_EN,
    SERVICE,
    WAREHOUSE_A,
    WAREHOUSE_B,
)
from tests.mail import loopback

FORMS = "forms@firm.test"
ROSTER = [SALES, SALES_EN, MANAGER, WAREHOUSE_A, WAREHOUSE_B, FINANCE, SERVICE, ADMIN]
PASSWORD_ENV = "SILU_TEST_IMAP_PASSWORD"
#: the installed command, beside this interpreter
SILU = str(Path(sys.executable).with_name("silu"))


@pytest.fixture(scope="session")
def servers() -> Iterator[loopback.MailServers]:
    if not loopback.dovecot_available():
        if os.environ.get("SILU_CI"):
            pytest.fail(
                "Dovecot is missing in CI: scripts/test-deps must install dovecot-imapd dovecot-lmtpd"
            )
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)")
    started = loopback.start([*ROSTER, FORMS])
    yield started
    started.stop()


@dataclass
class MailFirm:
    """A firm whose silu.toml points at the test servers, with helpers to act as its staff."""

    folder: firm_folder.FirmFolder
    gw: Gateway
    settings: mail_settings.MailSettings
    servers: loopback.MailServers
    baseline_outbox: int = 0

    def mail(self, raw: bytes, sender: str = SALES) -> None:
        """A person sends a mail to the shared address through the firm's SMTP server."""
        self.servers.smtp.send(sender, [FORMS], raw)

    def deliver(self, raw: bytes) -> None:
        """The MX delivers straight into the shared mailbox (no SMTP checks on the way)."""
        self.servers.dovecot.deliver(FORMS, raw)

    def poll(self, **kw) -> CycleReport:
        assert self.settings.imap is not None
        mailbox = ImapMailbox(self.settings.imap)
        try:
            return cycle(self.gw, self.settings, mailbox, settle_seconds=0, **kw)
        finally:
            mailbox.close()

    def inbox(
        self, user: str, count: int = 0, folder: str = "INBOX", timeout: float = 10
    ) -> list[EmailMessage]:
        """A person's mailbox as their mail client shows it (waiting up to ``timeout`` for ``count``)."""
        port = self.servers.dovecot.imap_port
        raw = (
            loopback.wait_for_mail(port, user, count, timeout, folder)
            if count
            else loopback.read_mailbox(port, user, folder)
        )
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raw]  # type: ignore[misc]

    def shared(self, folder: str = "INBOX") -> list[bytes]:
        return loopback.read_mailbox(self.servers.dovecot.imap_port, FORMS, folder)

    def count(self, sql: str, *params) -> int:
        return self.gw.ledger.db.execute(sql, params).fetchone()[0]

    def trust_unauthenticated(self) -> None:
        """Mail without Authentication-Results is trusted by ``silu`` commands run in their
        own process (they read silu.toml; the loopback servers add no such header)."""
        path = self.folder.root / firm_folder.SETTINGS
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("trust_unauthenticated = false", "trust_unauthenticated = true"), "utf-8"
        )

    def silu(self, command: str, crash_at: str = "") -> int:
        """``silu --firm … command`` in its own process, SIGKILLed at the crash point
        ``crash_at`` if given (``silu_sheets/crashpoints.py``); its exit status (-9 killed)."""
        env = {**os.environ, PASSWORD_ENV: loopback.PASSWORD}
        env.pop("SILU_CRASH_AT", None)
        if crash_at:
            env["SILU_CRASH_AT"] = crash_at
        done = subprocess.run(
            [SILU, "--firm", str(self.folder.root), command],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert "Traceback" not in done.stderr
        return done.returncode


@pytest.fixture
def mail_firm(
    firm: firm_folder.FirmFolder, servers: loopback.MailServers, monkeypatch
) -> Iterator[MailFirm]:
    monkeypatch.setenv(PASSWORD_ENV, loopback.PASSWORD)
    servers.dovecot.empty()
    servers.relay.reset()
    path = firm.root / firm_folder.SETTINGS
    path.write_text(path.read_text() + servers.settings_toml(FORMS, PASSWORD_ENV), encoding="utf-8")
    folder = firm_folder.open_firm(firm.root)
    gw = Gateway.open(folder)
    yield MailFirm(folder, gw, mail_settings.load(folder), servers)
    gw.ledger.close()


@pytest.fixture
def quiet_masters(mail_firm: MailFirm, masters) -> None:
    """Master data recorded by the administrator beforehand; its confirmations count as delivered
    long ago, so a test sees only the mail it causes."""
    db = mail_firm.gw.ledger.db
    db.execute("UPDATE outbox SET status = 'sent', sent_at = created_at WHERE status = 'queued'")
    db.commit()
    mail_firm.baseline_outbox = db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
