"""Replies over SMTP the way a firm's real server wants them: STARTTLS or TLS from the first
byte, certificate verified (a private CA via ``ca_file``), AUTH with the password from the
environment — and never a password in the ledger, the log or the mail."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from silu_sheets.mail.settings import SmtpSettings
from silu_sheets.mail.smtp import send_queued
from tests.conftest import SALES
from tests.mail import eml, loopback
from tests.mail.conftest import FORMS, MailFirm
from tests.mail.test_imap_gateway import inquiry

pytestmark = [
    pytest.mark.mail,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

SMTP_PASSWORD = "s3cret-smtp-pw"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple:
    return loopback.self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_replies_go_out_over_tls_with_auth(
    mail_firm: MailFirm, quiet_masters, certificate, monkeypatch, security, caplog
) -> None:
    cert, key = certificate
    monkeypatch.setenv("SILU_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    server = loopback.SecureSmtp(
        mail_firm.servers.relay, cert, key, FORMS, SMTP_PASSWORD, implicit_tls=security == "tls"
    ).start()
    try:
        smtp = SmtpSettings(
            host="127.0.0.1",
            port=server.port,
            security=security,
            user=FORMS,
            password_env="SILU_TEST_SMTP_PASSWORD",
            timeout=5,
            ca_file=str(cert),
            retry_first_seconds=0.1,
        )
        mail_firm.settings = replace(mail_firm.settings, smtp=smtp)
        mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(), "a.xlsx"))

        # without the firm's CA the certificate is not trusted: nothing is sent, nothing lost
        caplog.set_level(logging.DEBUG)
        untrusted = replace(mail_firm.settings, smtp=replace(smtp, ca_file=""))
        from silu_sheets.mail.idle import cycle
        from silu_sheets.mail.mailbox import ImapMailbox

        box = ImapMailbox(untrusted.imap)
        try:
            report = cycle(mail_firm.gw, untrusted, box, settle_seconds=0)
        finally:
            box.close()
        assert report.sent.sent == [] and len(report.sent.retrying) == 1
        error = mail_firm.gw.ledger.db.execute(
            "SELECT last_error FROM outbox WHERE status = 'queued'"
        ).fetchone()[0]
        assert "CERTIFICATE_VERIFY_FAILED" in error

        # a wrong password: refused at AUTH, retried later, never failed silently
        monkeypatch.setenv("SILU_TEST_SMTP_PASSWORD", "wrong")
        import time

        time.sleep(0.25)
        assert len(send_queued(mail_firm.gw, mail_firm.settings).retrying) == 1
        assert server.logins == []

        monkeypatch.setenv("SILU_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
        time.sleep(0.5)
        assert len(send_queued(mail_firm.gw, mail_firm.settings).sent) == 1
        assert server.logins == [FORMS]
        [reply] = mail_firm.inbox(SALES, count=1)
        assert reply["Subject"] == "已登记 客户咨询单 INQ-2026-00001"
    finally:
        server.stop()
    stored = (
        mail_firm.gw.ledger.db.execute(
            "SELECT group_concat(coalesce(last_error, '')) FROM outbox"
        ).fetchone()[0]
        or ""
    )
    assert SMTP_PASSWORD not in stored and SMTP_PASSWORD not in caplog.text
    assert SMTP_PASSWORD.encode() not in reply.as_bytes()


def test_a_renewed_firm_ca_is_trusted_without_a_restart(tmp_path) -> None:
    """The TLS context is built once per CA file, and again when the file changes."""
    import os
    import shutil

    from silu_sheets.mail.settings import tls_context

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    first, _ = loopback.self_signed_certificate(tmp_path / "a")
    renewed, _ = loopback.self_signed_certificate(tmp_path / "b")
    ca_file = tmp_path / "firm-ca.pem"
    shutil.copy(first, ca_file)
    context = tls_context(str(ca_file))
    assert tls_context(str(ca_file)) is context
    serials = {c["serialNumber"] for c in context.get_ca_certs()}

    shutil.copy(renewed, ca_file)
    os.utime(ca_file, ns=(0, os.stat(ca_file).st_mtime_ns + 1_000_000))
    again = tls_context(str(ca_file))
    assert again is not context
    assert {c["serialNumber"] for c in again.get_ca_certs()} != serials
