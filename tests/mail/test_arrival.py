"""The hourly rate limit counts mails by when they reached our server, not when silu got to
them (issue 10, item 12): after an outage, a person's mails that arrived hours apart are all
answered; a real flood is still set aside. Against the real Dovecot: the mails are saved into
the shared box as the firm's MX stamped them (``Received``) while silu was down."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from email.utils import format_datetime

import pytest

from silu_sheets.api import fill_form
from tests.conftest import SALES
from tests.mail import eml
from tests.mail.conftest import FORMS, MailFirm

pytestmark = pytest.mark.mail


def stamped(raw: bytes, hours_ago: float) -> bytes:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
    received = (
        f"Received: from client.firm.test by mx.firm.test with ESMTPSA; {format_datetime(when)}\r\n"
    )
    return received.encode() + raw


def inquiry(n: int) -> bytes:
    header = {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"}
    return fill_form(
        "inquiry", header | {"questions": f"问题 {n}"}, [{"product_code": "P-M8", "quantity": n}]
    )


def test_mails_that_waited_out_an_outage_are_not_set_aside(
    mail_firm: MailFirm, quiet_masters
) -> None:
    mail_firm.settings = replace(mail_firm.settings, rate_limit_per_hour=2)
    save = mail_firm.servers.dovecot.doveadm
    # five mails, two hours apart, while the gateway was down
    for n, hours_ago in enumerate((10, 8, 6, 4, 2), start=1):
        raw = stamped(eml.with_form(SALES, FORMS, inquiry(n), f"q{n}.xlsx"), hours_ago)
        save("save", "-u", FORMS, "-m", "INBOX", input=raw)
    # then three within a minute: a flood, the third set aside
    for n in (6, 7, 8):
        raw = stamped(eml.with_form(SALES, FORMS, inquiry(n), f"q{n}.xlsx"), 0.2)
        save("save", "-u", FORMS, "-m", "INBOX", input=raw)

    report = mail_firm.poll()

    assert [h.reason for h in report.handled] == ["processed"] * 7 + ["rate-limited"]
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 7
