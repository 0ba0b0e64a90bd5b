"""``silu send`` killed mid-send, then started again, against the real SMTP server and Dovecot
(issue 10, item 12): a reply claimed by the dead process is sent at once on restart (no
ten-minute wait), exactly once when the kill came before the server's 250; only a kill after
the 250 and before the row was marked can make it arrive twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from silu_sheets.api import fill_form
from silu_sheets.pipeline import ingest
from tests.conftest import SALES
from tests.mail import loopback
from tests.mail.conftest import PASSWORD_ENV, MailFirm

pytestmark = pytest.mark.mail

SILU = str(Path(sys.executable).with_name("silu"))


def send(mail_firm: MailFirm, crash_at: str = "") -> int:
    env = {**os.environ, PASSWORD_ENV: loopback.PASSWORD}
    env.pop("SILU_CRASH_AT", None)
    if crash_at:
        env["SILU_CRASH_AT"] = crash_at
    done = subprocess.run(
        [SILU, "--firm", str(mail_firm.folder.root), "send"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return done.returncode


@pytest.mark.parametrize(("step", "at_most"), [("smtp-send", 1), ("after-250", 2)])
def test_a_killed_sender_leaves_nothing_waiting_and_sends_twice_only_after_250(
    mail_firm: MailFirm, quiet_masters, step: str, at_most: int
) -> None:
    header = {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"}
    for n in (1, 2, 3):
        form = fill_form("inquiry", header, [{"product_code": "P-M8", "quantity": n}])
        assert ingest(mail_firm.gw, form, f"q{n}.xlsx", SALES).accepted

    assert send(mail_firm, crash_at=f"{step}:2") == -9
    assert send(mail_firm) == 0  # straight away: nothing waits for a stale-claim sweep

    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status != 'sent'") == 0
    replies = mail_firm.inbox(SALES, count=3)
    subjects = [str(m["Subject"]) for m in replies]
    assert len(set(subjects)) == 3
    assert 3 <= len(replies) <= 3 + (at_most - 1)
    # the dead sender's lock file is cleared, and the live one's when it ended: none pile up
    assert not list((mail_firm.folder.mail_dir / ".senders").glob("*"))
