"""A full disk under the firm folder while a backlog of mailed forms waits in the real shared
mailbox (issue 10, item 2): no mail is marked handled or moved without its forms recorded; the
pass stops with one line for the administrator; once there is space every form is recorded
once and answered once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.mail import settings as mail_settings
from silu_sheets.mail.idle import cycle
from silu_sheets.mail.mailbox import ImapMailbox
from silu_sheets.pipeline import Gateway
from tests.conftest import SALES
from tests.mail import eml
from tests.mail.conftest import FORMS, PASSWORD_ENV
from tests.small_disk import cannot_mount, fill, small_disk

pytestmark = [
    pytest.mark.mail,
    pytest.mark.skipif(bool(cannot_mount()), reason=cannot_mount() or ""),
]


def inquiry(n: int) -> bytes:
    header = {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"}
    return fill_form(
        "inquiry", header | {"questions": f"问题 {n}"}, [{"product_code": "P-M8", "quantity": n}]
    )


def poll(gw: Gateway, settings) -> object:
    box = ImapMailbox(settings.imap)
    try:
        return cycle(gw, settings, box, settle_seconds=0)
    finally:
        box.close()


@pytest.mark.parametrize("leave", [0, 60_000, 200_000])
def test_a_full_disk_during_a_mailed_backlog_loses_nothing(
    servers, seeded_folder: Path, tmp_path: Path, monkeypatch, leave: int
) -> None:
    from tests.mail import loopback

    monkeypatch.setenv(PASSWORD_ENV, loopback.PASSWORD)
    servers.dovecot.empty()
    servers.relay.reset()
    mails = 12
    for n in range(1, mails + 1):
        servers.dovecot.deliver(FORMS, eml.with_form(SALES, FORMS, inquiry(n), f"q{n}.xlsx"))
    with small_disk(tmp_path / "disk", size="16m") as disk:
        shutil.copytree(seeded_folder, disk / "firm")
        path = disk / "firm" / firm_folder.SETTINGS
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "rate_limit_per_hour = 60", "rate_limit_per_hour = 1000"
            )
            + servers.settings_toml(FORMS, PASSWORD_ENV),
            encoding="utf-8",
        )
        folder = firm_folder.open_firm(disk / "firm")
        settings = mail_settings.load(folder)
        gw = Gateway.open(folder)
        db = gw.ledger.db
        db.execute("UPDATE outbox SET status = 'sent'")  # the masters' replies went long ago
        filler = fill(disk, leave=leave)

        report = poll(gw, settings)

        assert "the server's disk is full" in report.stopped
        handled = db.execute("SELECT count(*) FROM handled_messages").fetchone()[0]
        recorded = db.execute("SELECT count(*) FROM documents WHERE kind = 'inquiry'").fetchone()[0]
        # a mail counts as handled only with its forms recorded (a form recorded before its
        # mail was marked is skipped by the next pass); nothing refused for the disk
        assert handled <= recorded < mails
        assert db.execute("SELECT count(*) FROM rejections").fetchone()[0] == 0
        assert len(loopback.read_mailbox(servers.dovecot.imap_port, FORMS, "Rejected")) == 0
        left = len(loopback.read_mailbox(servers.dovecot.imap_port, FORMS))
        assert left >= mails - handled

        filler.unlink()
        again = poll(gw, settings)

        assert again.stopped == ""
        assert (
            db.execute("SELECT count(*) FROM documents WHERE kind = 'inquiry'").fetchone()[0]
            == mails
        )
        assert (
            db.execute("SELECT count(*) FROM sources WHERE sender = ?", [SALES]).fetchone()[0]
            == mails
        )
        assert loopback.read_mailbox(servers.dovecot.imap_port, FORMS) == []
        assert len(loopback.read_mailbox(servers.dovecot.imap_port, FORMS, "Processed")) == mails
        replies = loopback.wait_for_mail(servers.dovecot.imap_port, SALES, mails, 20)
        assert len(replies) == mails
        gw.ledger.close()
