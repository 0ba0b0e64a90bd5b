"""``silu send`` killed mid-send, then started again, against the real SMTP server and Dovecot
(issue 10, item 12): a reply claimed by the dead process is sent at once on restart (no
ten-minute wait), exactly once when the kill came before the server's 250; only a kill after
the 250 and before the row was marked can make it arrive twice."""

from __future__ import annotations

import pytest

from silu_sheets.api import fill_form
from silu_sheets.pipeline import ingest
from tests.conftest import SALES
from tests.mail.conftest import MailFirm

pytestmark = pytest.mark.mail


@pytest.mark.parametrize(("step", "at_most"), [("smtp-send", 1), ("after-250", 2)])
def test_a_killed_sender_leaves_nothing_waiting_and_sends_twice_only_after_250(
    mail_firm: MailFirm, quiet_masters, step: str, at_most: int
) -> None:
    header = {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"}
    for n in (1, 2, 3):
        form = fill_form("inquiry", header, [{"product_code": "P-M8", "quantity": n}])
        assert ingest(mail_firm.gw, form, f"q{n}.xlsx", SALES).accepted

    assert mail_firm.silu("send", crash_at=f"{step}:2") == -9
    assert mail_firm.silu("send") == 0  # straight away: nothing waits for a stale-claim sweep

    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status != 'sent'") == 0
    replies = mail_firm.inbox(SALES, count=3)
    subjects = [str(m["Subject"]) for m in replies]
    assert len(set(subjects)) == 3
    assert 3 <= len(replies) <= 3 + (at_most - 1)
    # the dead sender's lock file is cleared, and the live one's when it ended: none pile up
    assert not list((mail_firm.folder.mail_dir / ".senders").glob("*"))
