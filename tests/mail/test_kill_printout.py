"""``silu poll`` killed after a quote's commit and before its printed copy is attached, against
the real Dovecot and SMTP server: the mail stays in the inbox, the next pass skips the recorded
form, attaches the printed quote to the waiting reply and sends it, once."""

from __future__ import annotations

import pytest

from silu_sheets.api import fill_form
from tests.conftest import SALES
from tests.mail import eml
from tests.mail.conftest import FORMS, MailFirm

pytestmark = pytest.mark.mail


def test_a_poll_killed_before_the_printed_quote_is_attached_sends_it_once_with_it(
    mail_firm: MailFirm, quiet_masters
) -> None:
    mail_firm.trust_unauthenticated()
    header = {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"}
    lines = [{"product_code": "P-M8", "quantity": 3, "unit_price": "1.2"}]
    mail_firm.mail(eml.with_form(SALES, FORMS, fill_form("quote", header, lines), "q.xlsx"))

    assert mail_firm.silu("poll", crash_at="printout-pending") == -9
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'quote'") == 1
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'printing'") == 1
    assert len(mail_firm.shared()) == 1  # not moved: the pass did not finish

    assert mail_firm.silu("poll") == 0
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'quote'") == 1
    (reply,) = mail_firm.inbox(SALES, count=1)
    names = [a.get_filename() for a in reply.iter_attachments()]
    assert "报价单-QUO-2026-00001.xlsx" in names, names
    assert mail_firm.shared() == []
    assert len(mail_firm.inbox(SALES, count=1)) == 1  # once


def test_two_quotes_in_one_mail_come_back_in_one_reply_with_both_printed_copies(
    mail_firm: MailFirm, quiet_masters
) -> None:
    """The copies are attached in the mail's release write, where the sender's replies are
    merged: the merged reply carries both."""
    header = {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"}
    forms = [
        eml.part(
            fill_form(
                "quote", header, [{"product_code": "P-M8", "quantity": n, "unit_price": "1.2"}]
            ),
            eml.name_raw(f"q{n}.xlsx"),
        )
        for n in (1, 2)
    ]
    mail_firm.mail(eml.mail(SALES, FORMS, "two quotes", forms))

    report = mail_firm.poll()

    assert [o.accepted for o in report.outcomes] == [True, True]
    (reply,) = mail_firm.inbox(SALES, count=1)
    names = [a.get_filename() for a in reply.iter_attachments()]
    assert "报价单-QUO-2026-00001.xlsx" in names, names
    assert "报价单-QUO-2026-00002.xlsx" in names, names
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'printing'") == 0
