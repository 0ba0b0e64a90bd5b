"""Pre-filled next forms carry what is already known along the chain (issue 15): the inquiry's
products go to the quote (at list price) and to a sample dispatch, the quote's lines and prices to
the order, and the customer's usual payment terms to the contract. Each form is read back from
the confirmation mail with the product's own reader, as silu would read it when sent back."""

from __future__ import annotations

import email
import io
from decimal import Decimal
from email import policy

from conftest import ADMIN, CUSTOMERS
from fulfilment_flow import ok

from silu_sheets.workbook import reader


def attached_files(gw, docno: str) -> dict:
    """The files a document's confirmation carries: name -> bytes."""
    (row,) = gw.ledger.view.rows(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE docno = ? AND purpose = 'confirmation'",
        [docno],
    )
    mail = email.message_from_bytes(row["message"], policy=policy.default)
    return {part.get_filename(): part.get_content() for part in mail.iter_attachments()}


def attached_forms(gw, docno: str) -> dict:
    """The forms a document's confirmation carries, read back: kind -> document."""
    (row,) = gw.ledger.view.rows(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE docno = ? AND purpose = 'confirmation'",
        [docno],
    )
    mail = email.message_from_bytes(row["message"], policy=policy.default)
    forms = {}
    for part in mail.iter_attachments():
        read = reader.read(part.get_content())
        if read.document is not None:
            forms[read.document.kind.key] = read.document
    return forms


def lines_of(doc, *keys: str) -> list[tuple]:
    return [tuple(line[k] for k in keys) for line in doc.lines]


def test_an_inquiry_offers_a_quote_and_a_sample_with_its_products(gw, send, masters):
    inquiry = ok(
        send(
            "inquiry",
            {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话 phone"},
            [{"product_code": "P-M8", "quantity": 100}, {"product_name": "没有编号的货"}],
        )
    )
    forms = attached_forms(gw, inquiry)
    assert set(forms) == {"follow_up", "quote", "sample"}
    quote, sample = forms["quote"], forms["sample"]
    assert quote["inquiry_no"] == sample["inquiry_no"] == inquiry
    assert quote["customer_code"] == sample["customer_code"] == "C001"
    assert lines_of(quote, "product_code", "quantity", "unit_price") == [
        ("P-M8", Decimal(100), Decimal("1.20"))  # the product's list price
    ]
    assert lines_of(sample, "product_code", "quantity") == [("P-M8", Decimal(100))]
    # the list price is written as a number, not as text Excel flags with a green corner
    from openpyxl import load_workbook

    from silu_sheets.kinds import KINDS

    kind = KINDS["quote"]
    [data] = [v for k, v in attached_files(gw, inquiry).items() if k.startswith("quote-")]
    cell = kind.layout.line_cell("unit_price", kind.layout.first_line_row)
    assert load_workbook(io.BytesIO(data))[kind.sheet][cell].value == 1.2


def test_a_quote_gives_the_order_its_lines_and_prices_as_they_are(gw, send, masters):
    lines = [
        {"product_code": "P-M8", "quantity": 10, "unit_price": "2.00"},
        {"product_code": "P-M8", "quantity": 5, "unit_price": "1.80"},
    ]
    quote = ok(
        send(
            "quote",
            {"quote_date": "2026-11-25", "valid_until": "2026-12-25", "customer_code": "C001"},
            lines,
        )
    )
    order = attached_forms(gw, quote)["order"]
    assert order["quote_no"] == quote and order["customer_code"] == "C001"
    assert lines_of(order, "product_code", "quantity", "unit_price") == [
        ("P-M8", Decimal(10), Decimal("2.00")),
        ("P-M8", Decimal(5), Decimal("1.80")),
    ]


def test_the_contract_takes_the_customers_payment_terms(gw, send, masters):
    customers = [dict(c, payment_days=45) if c["code"] == "C001" else c for c in CUSTOMERS]
    ok_master = send("customers", {}, customers, sender=ADMIN)
    assert ok_master.accepted, ok_master.as_dict("en")
    order = ok(
        send(
            "order",
            {
                "order_date": "2026-11-21",
                "customer_code": "C001",
                "offer_type": "虚盘",
                "decision": "accepted",
            },
            [{"product_code": "P-M8", "quantity": 10, "unit_price": "2.00"}],
        )
    )
    assert attached_forms(gw, order)["contract"]["payment_days"] == 45
