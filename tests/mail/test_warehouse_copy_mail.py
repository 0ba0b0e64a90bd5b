"""End to end: a salesperson mails a shipment notice; the warehouse keeper finds a price-free
copy (and its pre-filled issue slip) in the keeper's own mailbox, read over IMAP."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import SALES, WAREHOUSE_A, WAREHOUSE_B
from tests.mail import eml
from tests.mail.conftest import FORMS, MailFirm

pytestmark = pytest.mark.mail

LINES = [
    {"product_code": "P-M8", "quantity": 300, "unit_price": "1.15"},
    {"product_code": "P-W10", "quantity": 1200, "unit_price": "0.15"},
]


def test_the_warehouse_keeper_gets_a_price_free_copy_in_his_own_mailbox(
    mail_firm: MailFirm, quiet_masters, send
) -> None:
    pytest.importorskip("silu_sheets.warehouse_copy")
    order = send(
        "order",
        {
            "order_date": "2026-11-21",
            "customer_code": "C001",
            "offer_type": "虚盘",
            "decision": "accepted",
        },
        LINES,
    )
    assert order.accepted, order.as_dict("en")
    contract = send(
        "contract",
        {
            "contract_date": "2026-11-22",
            "order_no": order.docno,
            "customer_code": "C001",
            "delivery_date": "2026-12-10",
            "payment_days": 30,
        },
        LINES,
    )
    assert contract.accepted, contract.as_dict("en")
    mail_firm.gw.ledger.db.execute("UPDATE outbox SET status = 'sent' WHERE status = 'queued'")
    mail_firm.gw.ledger.db.commit()
    from silu_sheets.api import fill_form

    notice = fill_form(
        "shipment_notice",
        {"notice_date": "2026-11-23", "contract_no": contract.docno},
        [dict(line, warehouse="WH-A") for line in LINES],
    )
    mail_firm.mail(eml.with_form(SALES, FORMS, notice, "发货单-华东.xlsx"))

    [outcome] = mail_firm.poll().outcomes

    assert outcome.accepted, outcome.as_dict("en")
    [copy] = mail_firm.inbox(WAREHOUSE_A, count=1)
    assert outcome.docno in copy["Subject"]
    assert mail_firm.inbox(WAREHOUSE_B) == []
    texts = [copy.get_body(("plain",)).get_content(), copy.get_body(("html",)).get_content()]
    files = {a.get_filename(): a.get_content() for a in copy.iter_attachments()}
    assert files, "the keeper gets the pre-filled issue slip"
    for data in files.values():
        wb = openpyxl.load_workbook(io.BytesIO(data))
        texts += [
            str(c.value)
            for ws in wb.worksheets
            for row in ws.iter_rows()
            for c in row
            if c.value is not None
        ]
    everything = "\n".join(texts)
    for price in ("1.15", "0.15", "345", "180", "525"):
        assert price not in everything, price
    [confirmation] = mail_firm.inbox(SALES, count=1)
    assert outcome.docno in confirmation["Subject"]
