"""Who is believed, against the real Dovecot: a forged sender never gets in, two different mails
that share a Message-ID are both answered, passwords never cross the network in clear, and
``silu poll`` says a refused login in one line (issue 10, items 4, 5, 6, 12)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.firm import FirmError
from silu_sheets.mail import settings as mail_settings
from tests.conftest import SALES
from tests.mail import eml
from tests.mail.conftest import FORMS, PASSWORD_ENV, MailFirm

pytestmark = pytest.mark.mail

SILU = str(Path(sys.executable).with_name("silu"))
STAMP = "Authentication-Results: {}\r\n"


def inquiry(questions: str = "交期？") -> bytes:
    header = {
        "inquiry_date": "2026-11-20",
        "customer_code": "C001",
        "channel": "电话",
        "questions": questions,
    }
    return fill_form("inquiry", header, [{"product_code": "P-M8", "quantity": 500}])


def silu(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [SILU, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_a_forged_pass_below_our_servers_failing_stamp_is_not_believed(
    mail_firm: MailFirm, quiet_masters
) -> None:
    """RFC 8601 section 5: our server adds its stamp on top; a stamp under our server's name
    further down was written by the sender and counts for nothing."""
    mail_firm.settings = replace(mail_firm.settings, authserv_id="mx.firm.test")
    ours = STAMP.format("mx.firm.test; spf=fail smtp.mailfrom=firm.test; dmarc=fail")
    forged = STAMP.format("mx.firm.test; spf=pass smtp.mailfrom=firm.test; dmarc=pass")
    mail_firm.deliver((ours + forged).encode() + eml.with_form(SALES, FORMS, inquiry(), "f.xlsx"))

    report = mail_firm.poll()

    assert [(h.reason, h.folder) for h in report.handled] == [("not authenticated", "Rejected")]
    assert mail_firm.count("SELECT count(*) FROM sources WHERE channel = 'mail'") == 0
    # the real salesperson is never told "recorded" for what someone else sent in her name
    assert mail_firm.inbox(SALES) == []


def test_two_different_mails_with_one_message_id_are_both_handled(
    mail_firm: MailFirm, quiet_masters
) -> None:
    first = eml.with_form(SALES, FORMS, inquiry("交期？"), "a.xlsx", message_id="<same@client>")
    second = eml.with_form(SALES, FORMS, inquiry("价格？"), "b.xlsx", message_id="<same@client>")
    mail_firm.mail(first)
    mail_firm.mail(second)

    report = mail_firm.poll()

    assert [h.reason for h in report.handled] == ["processed", "processed"]
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 2
    assert len(mail_firm.inbox(SALES, count=2)) == 2
    assert len(mail_firm.shared("Processed")) == 2
    # and the very same mail delivered again is still the same mail: recorded once
    mail_firm.deliver(second)
    assert [h.reason for h in mail_firm.poll().handled] == ["already handled"]
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 2


def test_security_none_is_refused_for_a_host_that_is_not_this_machine(firm) -> None:
    path = firm.root / firm_folder.SETTINGS
    base = path.read_text(encoding="utf-8")
    for host in ("imap.firm.test", "10.0.0.5", "127.0.0.1.evil.test"):
        path.write_text(
            base + f'\n[mail.imap]\nhost = "{host}"\nsecurity = "none"\nuser = "f@firm.test"\n',
            encoding="utf-8",
        )
        with pytest.raises(FirmError, match="in clear"):
            mail_settings.load(firm_folder.open_firm(firm.root))
    for host in ("127.0.0.1", "::1", "localhost"):
        path.write_text(
            base + f'\n[mail.smtp]\nhost = "{host}"\nsecurity = "none"\n', encoding="utf-8"
        )
        assert mail_settings.load(firm_folder.open_firm(firm.root)).smtp is not None


def _imap_firm(tmp_path: Path, servers, *init_args: str) -> Path:
    root = tmp_path / "newfirm"
    done = silu("init", str(root), *init_args)
    assert done.returncode == 0, done.stderr
    path = root / firm_folder.SETTINGS
    path.write_text(
        path.read_text(encoding="utf-8") + servers.settings_toml(FORMS, PASSWORD_ENV),
        encoding="utf-8",
    )
    return root


def test_poll_on_a_real_mailbox_refuses_to_start_without_a_decision_on_forged_senders(
    tmp_path: Path, servers
) -> None:
    from tests.mail import loopback

    env = {PASSWORD_ENV: loopback.PASSWORD}
    undecided = _imap_firm(tmp_path / "a", servers)
    done = silu("--firm", str(undecided), "poll", env=env)
    assert done.returncode == 1
    assert "authserv_id" in done.stderr and "trust_unauthenticated" in done.stderr
    assert "Traceback" not in done.stderr

    trusting = _imap_firm(tmp_path / "b", servers, "--trust-unauthenticated")
    done = silu("--firm", str(trusting), "poll", env=env)
    assert done.returncode == 0, done.stderr
    assert "WARNING" in done.stderr and "forge" in done.stderr

    checked = _imap_firm(tmp_path / "c", servers, "--authserv-id", "mx.firm.test")
    done = silu("--firm", str(checked), "poll", env=env)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr
    assert 'authserv_id = "mx.firm.test"' in (checked / "silu.toml").read_text(encoding="utf-8")


def test_init_points_operators_to_the_mail_guide_not_a_source_file(tmp_path: Path) -> None:
    text = firm_folder.init(tmp_path / "f").root.joinpath("silu.toml").read_text(encoding="utf-8")
    assert "docs/MAIL.md" in text and ".py" not in text
    assert (Path(__file__).resolve().parents[2] / "docs" / "MAIL.md").exists()


def test_a_wrong_imap_password_is_one_clear_line(tmp_path: Path, servers) -> None:
    root = _imap_firm(tmp_path, servers, "--authserv-id", "mx.firm.test")
    done = silu("--firm", str(root), "poll", env={PASSWORD_ENV: "not-the-password"})
    assert done.returncode == 1
    assert "refused the login of forms@firm.test" in done.stderr
    assert "MailboxLoginError" not in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
