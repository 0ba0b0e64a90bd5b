"""Pre-sales rules (DOMAIN.md "Pre-sales" and "Across all documents"), each from both sides.

Masters, inquiry, follow-up, quote, sample, amendment, cancellation, who may send what, and
numbering — through real filled workbooks, the real pipeline and a real SQLite ledger.
Refusals are asserted in the compact ``[(cell, code), …]`` form, plus the values recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from conftest import (
    ADMIN,
    MANAGER,
    SALES,
    SALES_EN,
    WAREHOUSE_A,
    codes,
)

from silu_sheets.kinds import KINDS
from silu_sheets.status import document_status, render_status

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session

NOT_DATA = {"sources", "rejections", "outbox", "outbox_bodies", "schema_migrations"}


def rows(gw, table: str, order: str = "rowid") -> list[dict]:
    return gw.ledger.view.rows(f"SELECT * FROM [{table}] ORDER BY {order}")


def dump(gw) -> dict[str, list]:
    """Every table except those a refusal is allowed to touch."""
    names = [
        r[0] for r in gw.ledger.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {
        n: gw.ledger.db.execute(f"SELECT * FROM [{n}] ORDER BY rowid").fetchall()
        for n in sorted(names)
        if n not in NOT_DATA and not n.startswith("sqlite_")
    }


@pytest.fixture
def year(firm) -> int:
    """Numbers carry the firm's calendar year (its time zone, Asia/Shanghai by default)."""
    return firm.today().year


def inquiry_form(**over) -> dict:
    return {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话 phone"} | over


def follow_up_form(inquiry_no: str, **over) -> dict:
    return {
        "inquiry_no": inquiry_no,
        "follow_up_date": "2026-11-22",
        "content": "电话沟通交期",
        "result": "继续跟进",
    } | over


def quote_form(**over) -> dict:
    return {"quote_date": "2026-11-25", "valid_until": "2026-12-25", "customer_code": "C001"} | over


QUOTE_LINES = [{"product_code": "P-M8", "quantity": 5000, "unit_price": "1.15"}]
SAMPLE_LINES = [{"product_code": "P-M8", "quantity": 20}]


@pytest.fixture
def inquiry(send, masters) -> str:
    """An open inquiry of customer C001 by li.na."""
    outcome = send("inquiry", inquiry_form(), [{"product_code": "P-M8", "quantity": 100}])
    assert outcome.accepted, outcome.as_dict("en")
    return outcome.docno


# --- masters ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["customers", "products", "warehouses"])
def test_master_code_repeated_in_one_workbook_is_refused(send, kind):
    line = {"code": "X1", "name": "甲", "unit": "个"}
    outcome = send(kind, {}, [line, {**line, "name": "乙"}], sender=ADMIN)
    assert codes(outcome) == [("A7", "master-code-repeated")]
    assert outcome.problems[0].values == {"code": "X1", "first": 1}


def test_master_codes_once_each_are_recorded(send, gw, masters):
    assert [(r["code"], r["name"]) for r in rows(gw, "customers", "code")] == [
        ("C001", "华东机电有限公司"),
        ("C002", "Acme GmbH"),
    ]
    products = {r["code"]: r for r in rows(gw, "products")}
    assert (products["P-M8"]["lot_tracked"], products["P-M8"]["shelf_life_days"]) == (1, 720)
    assert (products["P-W10"]["lot_tracked"], products["P-W10"]["list_price"]) == (0, "0.15")
    assert [r["code"] for r in rows(gw, "warehouses", "code")] == ["WH-A", "WH-B"]


def test_customer_name_used_by_another_code_is_refused(send, gw, masters):
    outcome = send("customers", {}, [{"code": "C009", "name": "华东机电 有限公司"}], sender=ADMIN)
    assert codes(outcome) == [("B6", "customer-name-taken")]
    assert outcome.problems[0].values["code"] == "C001"
    assert gw.ledger.view.customer("C009") is None


def test_one_name_under_two_codes_in_one_workbook_is_refused(send, gw, masters):
    lines = [{"code": "C010", "name": "甲公司"}, {"code": "C011", "name": "甲 公司"}]
    outcome = send("customers", {}, lines, sender=ADMIN)
    assert codes(outcome) == [("B7", "customer-name-taken")]
    assert outcome.problems[0].values == {"name": "甲 公司", "code": "C010"}
    assert gw.ledger.view.customer("C010") is None


def test_customer_sent_again_under_its_own_code_is_updated(send, gw, masters):
    outcome = send(
        "customers",
        {},
        [{"code": "C001", "name": "华东机电有限公司", "phone": "021-6666 0000"}],
        sender=ADMIN,
    )
    assert outcome.accepted, outcome.as_dict("en")
    assert gw.ledger.view.customer("C001")["phone"] == "021-6666 0000"
    assert gw.ledger.view.customer("C001")["phone_digits"] == "02166660000"


def stock(**over) -> dict:
    return {"warehouse": "WH-A", "product_code": "P-W10", "quantity": 10} | over


def test_opening_stock_unknown_warehouse_and_product_are_refused(send, gw, masters):
    before = dump(gw)
    outcome = send(
        "opening_stock",
        {"as_of": "2026-11-01"},
        [stock(warehouse="WH-Z"), stock(product_code="P-NOPE")],
        sender=ADMIN,
    )
    assert codes(outcome) == [("A7", "warehouse-unknown"), ("B8", "product-unknown")]
    assert outcome.problems[0].values["known"] == "WH-A, WH-B"
    assert dump(gw) == before


def test_opening_stock_lot_required_only_for_lot_tracked_products(send, gw, masters):
    refused = send(
        "opening_stock", {"as_of": "2026-11-01"}, [stock(product_code="P-M8")], sender=ADMIN
    )
    assert codes(refused) == [("C7", "lot-required")]
    accepted = send(
        "opening_stock",
        {"as_of": "2026-11-01"},
        [stock(warehouse="WH-B", quantity=7)],
        sender=ADMIN,
    )
    assert accepted.accepted, accepted.as_dict("en")
    assert gw.ledger.view.on_hand("WH-B", "P-W10", None) == Decimal(7)


def test_opening_stock_repeated_line_is_refused(send, masters):
    line = stock(product_code="P-M8", lot="L-NEW", quantity=5)
    outcome = send("opening_stock", {"as_of": "2026-11-01"}, [line, line], sender=ADMIN)
    assert codes(outcome) == [("C8", "stock-line-repeated")]
    assert outcome.problems[0].values["first"] == 1


def test_opening_stock_same_lot_in_two_warehouses_is_accepted(send, gw, masters):
    line = {"product_code": "P-M8", "lot": "L2026-007", "quantity": 4, "expiry_date": "2027-03-01"}
    outcome = send(
        "opening_stock", {"as_of": "2026-11-01"}, [{"warehouse": "WH-B", **line}], sender=ADMIN
    )
    assert outcome.accepted, outcome.as_dict("en")
    assert gw.ledger.view.on_hand("WH-B", "P-M8", "L2026-007") == Decimal(4)


def test_opening_stock_lot_with_a_different_expiry_is_refused(send, masters):
    line = stock(product_code="P-M8", lot="L2026-007", quantity=120, expiry_date="2027-04-01")
    outcome = send("opening_stock", {"as_of": "2026-11-01"}, [line], sender=ADMIN)
    assert codes(outcome) == [("F7", "lot-expiry-differs")]
    assert outcome.problems[0].values["recorded"] == "2027-03-01"


def test_one_lot_with_two_expiries_in_one_workbook_is_refused(send, masters):
    lines = [
        stock(product_code="P-M8", lot="L-NEW", expiry_date="2027-01-01"),
        stock(warehouse="WH-B", product_code="P-M8", lot="L-NEW", expiry_date="2027-02-01"),
    ]
    outcome = send("opening_stock", {"as_of": "2026-11-01"}, lines, sender=ADMIN)
    assert codes(outcome) == [("F8", "lot-expiry-differs-in-form")]
    assert outcome.problems[0].values == {
        "lot": "L-NEW",
        "earlier": dt.date(2027, 1, 1),
        "first": 1,
        "given": dt.date(2027, 2, 1),
    }
    lines[1]["expiry_date"] = "2027-01-01"
    assert send("opening_stock", {"as_of": "2026-11-01"}, lines, sender=ADMIN).accepted


def test_opening_stock_expiry_before_production_is_refused(send, masters):
    line = stock(
        product_code="P-M8", lot="L-NEW", production_date="2026-06-01", expiry_date="2026-05-01"
    )
    outcome = send("opening_stock", {"as_of": "2026-11-01"}, [line], sender=ADMIN)
    assert codes(outcome) == [("F7", "expiry-before-production")]


def test_opening_stock_expiry_derived_from_shelf_life(send, gw, masters):
    """P-M8 keeps 720 days: a lot given only its production date expires 720 days later, and
    sending that lot later with another expiry is refused."""
    line = stock(product_code="P-M8", lot="L-NEW", production_date="2026-06-01", quantity=3)
    outcome = send("opening_stock", {"as_of": "2026-11-01"}, [line], sender=ADMIN)
    assert outcome.accepted, outcome.as_dict("en")
    expected = (dt.date(2026, 6, 1) + dt.timedelta(days=720)).isoformat()
    assert gw.ledger.view.lot("P-M8", "L-NEW")["expiry_date"] == expected == "2028-05-21"
    again = send(
        "opening_stock",
        {"as_of": "2026-11-01"},
        [{**line, "expiry_date": "2028-06-01"}],
        sender=ADMIN,
    )
    assert codes(again) == [("F7", "lot-expiry-differs")]
    same = send(
        "opening_stock", {"as_of": "2026-11-01"}, [{**line, "expiry_date": expected}], sender=ADMIN
    )
    assert same.accepted, same.as_dict("en")


def test_opening_stock_sent_again_sets_the_quantity_anew(send, gw, masters):
    """Re-sending a count replaces it (the difference is a movement); it never adds up."""
    view = gw.ledger.view
    assert view.on_hand("WH-A", "P-M8", "L2026-007") == Decimal(120)
    line = stock(product_code="P-M8", lot="L2026-007", quantity="100", expiry_date="2027-03-01")
    outcome = send("opening_stock", {"as_of": "2026-11-02"}, [line], sender=ADMIN)
    assert outcome.accepted, outcome.as_dict("en")
    assert view.on_hand("WH-A", "P-M8", "L2026-007") == Decimal("100")
    moves = [
        r["quantity"]
        for r in rows(gw, "stock_movements")
        if (r["warehouse"], r["product_code"], r["lot"]) == ("WH-A", "P-M8", "L2026-007")
    ]
    assert moves == ["120", "-20"]
    # the same count once more moves nothing
    again = send("opening_stock", {"as_of": "2026-11-02"}, [line], sender=ADMIN)
    assert again.accepted
    assert len(rows(gw, "stock_movements")) == 6
    assert view.on_hand("WH-A", "P-W10", None) == Decimal(1000)


def test_opening_stock_never_set_below_what_has_already_left(send, gw, masters):
    """30 of lot L2026-007 have been issued since the count: the count may be corrected down to
    30 (leaving none), never below, since stock never goes negative."""
    with gw.ledger.transaction() as writer:
        writer.move_stock("WH-A", "P-M8", "L2026-007", Decimal(-30), "issue", "ISS-2026-00001", 1)
    line = stock(product_code="P-M8", lot="L2026-007", quantity=20, expiry_date="2027-03-01")
    refused = send("opening_stock", {"as_of": "2026-11-01"}, [line], sender=ADMIN)
    assert codes(refused) == [("D7", "stock-would-go-negative")]
    assert refused.problems[0].values["minimum"] == Decimal(30)
    assert gw.ledger.view.on_hand("WH-A", "P-M8", "L2026-007") == Decimal(90)
    accepted = send(
        "opening_stock", {"as_of": "2026-11-01"}, [{**line, "quantity": 30}], sender=ADMIN
    )
    assert accepted.accepted, accepted.as_dict("en")
    assert gw.ledger.view.on_hand("WH-A", "P-M8", "L2026-007") == Decimal(0)


# --- inquiry ---------------------------------------------------------------------------------
def test_inquiry_new_customer_is_created_with_a_c_code(send, gw, masters, year):
    first = send(
        "inquiry",
        inquiry_form(
            customer_code=None,
            customer_name="宁波海通贸易",
            phone="0574-8888 6666",
            contact_person="刘总",
        ),
    )
    assert first.accepted, first.as_dict("en")
    assert first.problems == []
    second = send(
        "inquiry", inquiry_form(customer_code=None, customer_name="杭州新风", channel="展会")
    )
    assert second.accepted
    view = gw.ledger.view
    assert view.document(first.docno)["customer_code"] == "C00001"
    assert view.document(second.docno)["customer_code"] == "C00002"
    customer = view.customer("C00001")
    assert (
        customer["name"],
        customer["phone_digits"],
        customer["contact_person"],
        customer["salesperson"],
    ) == (
        "宁波海通贸易",
        "057488886666",
        "刘总",
        SALES,
    )
    assert rows(gw, "inquiry")[0]["customer_code"] == "C00001"


def test_inquiry_new_customer_with_the_name_of_a_known_one_is_refused(send, gw, masters):
    outcome = send("inquiry", inquiry_form(customer_code=None, customer_name="华东机电 有限公司"))
    assert codes(outcome) == [("B9", "customer-likely-duplicate-name")]
    assert outcome.problems[0].values == {"code": "C001", "name": "华东机电有限公司"}
    assert len(rows(gw, "customers")) == 2


def test_inquiry_new_customer_with_a_known_phone_is_recorded_with_a_warning(send, gw, masters):
    outcome = send(
        "inquiry",
        inquiry_form(customer_code=None, customer_name="华东机电上海分公司", phone="021 5555 1234"),
    )
    assert outcome.accepted, outcome.as_dict("en")
    assert codes(outcome) == [("B11", "customer-likely-duplicate-phone")]
    assert outcome.problems[0].severity == "warning"
    assert outcome.problems[0].values == {
        "code": "C001",
        "name": "华东机电有限公司",
        "new_code": "C00001",
    }
    assert gw.ledger.view.customer("C00001")["name"] == "华东机电上海分公司"


def test_inquiry_codes_typed_full_width_are_the_codes(send, gw, masters):
    outcome = send(
        "inquiry",
        inquiry_form(customer_code="Ｃ００１"),
        [{"product_code": "Ｐ－Ｍ８", "quantity": "１２"}],
    )
    assert outcome.accepted, outcome.as_dict("en")
    assert gw.ledger.view.document(outcome.docno)["customer_code"] == "C001"
    assert rows(gw, "inquiry_lines")[0]["product_code"] == "P-M8"


def test_inquiry_customer_code_unknown_is_refused(send, masters):
    assert codes(send("inquiry", inquiry_form(customer_code="C404"))) == [
        ("B8", "customer-unknown")
    ]


def test_inquiry_needs_a_customer_code_or_name(send, masters):
    assert codes(send("inquiry", inquiry_form(customer_code=None))) == [("B8", "customer-needed")]


def test_inquiry_for_another_salesperson_only_by_a_manager(send, gw, masters):
    refused = send("inquiry", inquiry_form(salesperson=SALES_EN), sender=SALES)
    assert codes(refused) == [("B14", "salesperson-not-self")]
    unknown = send("inquiry", inquiry_form(salesperson="nobody@firm.test"), sender=MANAGER)
    assert codes(unknown) == [("B14", "salesperson-unknown")]
    accepted = send("inquiry", inquiry_form(salesperson=SALES_EN), sender=MANAGER)
    assert accepted.accepted, accepted.as_dict("en")
    assert gw.ledger.view.document(accepted.docno)["owner"] == SALES_EN
    own = send("inquiry", inquiry_form(salesperson=SALES), sender=SALES)
    assert own.accepted
    assert gw.ledger.view.document(own.docno)["owner"] == SALES


def test_inquiry_next_follow_up_not_before_the_inquiry_date(send, gw, masters):
    refused = send("inquiry", inquiry_form(next_follow_up="2026-11-19"))
    assert codes(refused) == [("B17", "date-before")]
    assert refused.problems[0].message("en") == (
        "Next follow-up date 2026-11-19 is before Inquiry date 2026-11-20; it must be on or after it."
    )
    same_day = send("inquiry", inquiry_form(next_follow_up="2026-11-20"))
    assert same_day.accepted
    assert gw.ledger.view.inquiry_state(same_day.docno)["next_follow_up"] == "2026-11-20"


def test_inquiry_unknown_product_is_refused_known_or_unnamed_accepted(send, gw, masters):
    refused = send(
        "inquiry", inquiry_form(), [{"product_code": "P-M8"}, {"product_code": "P-NOPE"}]
    )
    assert codes(refused) == [("A22", "product-unknown")]
    accepted = send(
        "inquiry",
        inquiry_form(),
        [{"product_code": "P-M8", "quantity": "１２"}, {"product_name": "新型垫片"}],
    )
    assert accepted.accepted
    lines = rows(gw, "inquiry_lines")
    assert [(r["line_no"], r["product_code"], r["product_name"], r["quantity"]) for r in lines] == [
        (1, "P-M8", None, "12"),
        (2, None, "新型垫片", None),
    ]


# --- follow-up -------------------------------------------------------------------------------
def test_follow_up_without_inquiry_number_is_refused(send, masters):
    assert codes(send("follow_up", follow_up_form(None))) == [("B7", "required-missing")]


def test_follow_up_of_unknown_inquiry_is_refused(send, masters, year):
    outcome = send("follow_up", follow_up_form(f"INQ-{year}-00999"))
    assert codes(outcome) == [("B7", "doc-unknown")]


def test_follow_up_of_a_quote_number_is_refused(send, inquiry):
    quote = send("quote", quote_form(), QUOTE_LINES)
    assert quote.accepted
    outcome = send("follow_up", follow_up_form(quote.docno))
    assert codes(outcome) == [("B7", "doc-wrong-kind")]
    assert outcome.problems[0].message("en").startswith(f"{quote.docno} is a Sales quote")


def test_follow_up_of_a_cancelled_inquiry_is_refused(send, inquiry):
    cancel = send(
        "inquiry", inquiry_form(docno=inquiry, action="作废", cancel_reason="客户重复登记")
    )
    assert cancel.accepted, cancel.as_dict("en")
    assert codes(send("follow_up", follow_up_form(inquiry))) == [("B7", "doc-cancelled")]


def test_follow_up_of_an_open_inquiry_is_recorded_and_sets_the_next_date(send, gw, inquiry):
    outcome = send("follow_up", follow_up_form(inquiry, next_follow_up="2026-12-01"))
    assert outcome.accepted, outcome.as_dict("en")
    state = gw.ledger.view.inquiry_state(inquiry)
    assert (state["status"], state["follow_ups"], state["next_follow_up"]) == (
        "open",
        1,
        "2026-12-01",
    )
    row = rows(gw, "follow_up")[0]
    assert (row["inquiry_no"], row["customer_code"], row["salesperson"], row["result"]) == (
        inquiry,
        "C001",
        SALES,
        "continue",
    )


@pytest.mark.parametrize("result", ["won", "lost"])
def test_follow_up_of_a_closed_inquiry_is_refused(send, gw, inquiry, result):
    closing = send("follow_up", follow_up_form(inquiry, result=result, close_reason="客户决定"))
    assert closing.accepted, closing.as_dict("en")
    state = gw.ledger.view.inquiry_state(inquiry)
    assert (state["status"], state["closed_by"], state["next_follow_up"]) == (
        result,
        closing.docno,
        None,
    )
    outcome = send("follow_up", follow_up_form(inquiry, follow_up_date="2026-11-23"))
    assert codes(outcome) == [("B7", "inquiry-closed")]
    assert outcome.problems[0].values["date"] == "2026-11-22"
    # the closing follow-up itself may still be amended
    amend = send(
        "follow_up",
        follow_up_form(inquiry, docno=closing.docno, result=result, close_reason="价格原因"),
    )
    assert amend.accepted, amend.as_dict("en")


def test_cancelling_the_closing_follow_up_reopens_the_inquiry(send, gw, inquiry):
    """Open, won or lost is derived from the active follow-ups, never stored."""
    form = follow_up_form(inquiry, result="lost", close_reason="价格太高")
    closing = send("follow_up", form)
    assert gw.ledger.view.inquiry_state(inquiry)["status"] == "lost"
    shown = render_status(document_status(gw.ledger.view, inquiry), "zh").splitlines()
    assert shown[0] == f"客户咨询单 {inquiry}：已结束（失败）"
    assert not any(line.startswith("下一步") for line in shown)  # nothing left to follow up
    undo = send(
        "follow_up",
        {**form, "docno": closing.docno, "action": "作废", "cancel_reason": "客户回心转意"},
    )
    assert undo.accepted, undo.as_dict("en")
    assert gw.ledger.view.inquiry_state(inquiry)["status"] == "open"
    shown = render_status(document_status(gw.ledger.view, inquiry), "en").splitlines()
    assert shown[0] == f"Customer inquiry {inquiry}: being followed up"
    assert "open" not in shown[0]
    assert send("follow_up", follow_up_form(inquiry, follow_up_date="2026-11-24")).accepted


def test_follow_up_by_another_salesperson_refused_by_a_manager_accepted(send, gw, inquiry):
    refused = send("follow_up", follow_up_form(inquiry), sender=SALES_EN)
    assert codes(refused) == [("B7", "follow-up-not-owner")]
    assert refused.problems[0].values["owner"] == SALES
    accepted = send("follow_up", follow_up_form(inquiry), sender=MANAGER)
    assert accepted.accepted, accepted.as_dict("en")
    row = rows(gw, "follow_up")[0]
    assert (row["salesperson"], row["recorded_by"]) == (SALES, MANAGER)


@pytest.mark.parametrize("result", ["成交", "失败 lost"])
def test_won_or_lost_needs_a_reason(send, gw, inquiry, result):
    outcome = send("follow_up", follow_up_form(inquiry, result=result))
    assert codes(outcome) == [("B12", "close-reason-needed")]
    assert gw.ledger.view.inquiry_state(inquiry)["status"] == "open"


def test_next_follow_up_not_before_the_follow_up_date(send, inquiry):
    refused = send("follow_up", follow_up_form(inquiry, next_follow_up="2026-11-21"))
    assert codes(refused) == [("B13", "date-before")]
    assert send("follow_up", follow_up_form(inquiry, next_follow_up="2026-11-22")).accepted


def test_follow_up_before_the_inquiry_date_is_refused(send, inquiry):
    refused = send("follow_up", follow_up_form(inquiry, follow_up_date="2026-11-19"))
    assert codes(refused) == [("B8", "follow-up-before-inquiry")]
    assert refused.problems[0].values == {
        "date": dt.date(2026, 11, 19),
        "inquiry_date": "2026-11-20",
    }
    assert send("follow_up", follow_up_form(inquiry, follow_up_date="2026-11-20")).accepted


# --- quote -----------------------------------------------------------------------------------
def test_quote_validity_before_its_date_is_refused_same_day_accepted(send, gw, masters):
    refused = send("quote", quote_form(valid_until="2026-11-24"), QUOTE_LINES)
    assert codes(refused) == [("B8", "date-before")]
    accepted = send("quote", quote_form(valid_until="2026-11-25"), QUOTE_LINES)
    assert accepted.accepted, accepted.as_dict("en")
    row = rows(gw, "quote")[0]
    assert (row["quote_date"], row["valid_until"], row["customer_code"]) == (
        "2026-11-25",
        "2026-11-25",
        "C001",
    )
    assert [
        (r["product_code"], r["quantity"], r["unit_price"]) for r in rows(gw, "quote_lines")
    ] == [("P-M8", "5000", "1.15")]


def test_quote_linked_to_an_inquiry_of_another_customer_is_refused(send, gw, inquiry):
    refused = send(
        "quote", quote_form(customer_code="C002", inquiry_no=inquiry), QUOTE_LINES, sender=SALES
    )
    assert codes(refused) == [("B10", "customer-mismatch")]
    assert refused.problems[0].values == {"docno": inquiry, "expected": "C001", "actual": "C002"}
    linked = send("quote", quote_form(inquiry_no=inquiry), QUOTE_LINES)
    assert linked.accepted
    assert [d["docno"] for d in gw.ledger.view.dependents(inquiry)] == [linked.docno]


def test_quote_linked_to_an_unknown_inquiry_is_refused(send, masters, year):
    outcome = send("quote", quote_form(inquiry_no=f"INQ-{year}-00077"), QUOTE_LINES)
    assert codes(outcome) == [("B10", "doc-unknown")]


def test_quote_for_an_unknown_customer_is_refused(send, masters):
    assert codes(send("quote", quote_form(customer_code="C404"), QUOTE_LINES)) == [
        ("B9", "customer-unknown")
    ]


def test_quote_currency_must_be_a_three_letter_code(send, gw, masters):
    refused = send("quote", quote_form(currency="RMB元"), QUOTE_LINES)
    assert codes(refused) == [("B11", "currency-malformed")]
    accepted = send("quote", quote_form(currency="USD"), QUOTE_LINES)
    assert accepted.accepted
    assert rows(gw, "quote")[0]["currency"] == "USD"


def test_quote_standing_alone_is_accepted(send, gw, masters):
    outcome = send("quote", quote_form(), QUOTE_LINES)
    assert outcome.accepted and outcome.problems == []
    assert rows(gw, "links") == []


# --- sample ----------------------------------------------------------------------------------
def test_sample_linked_to_an_inquiry_of_another_customer_is_refused(send, gw, inquiry):
    refused = send(
        "sample",
        {"send_date": "2026-11-26", "customer_code": "C002", "inquiry_no": inquiry},
        SAMPLE_LINES,
    )
    assert codes(refused) == [("B9", "customer-mismatch")]
    linked = send(
        "sample",
        {"send_date": "2026-11-26", "customer_code": "C001", "inquiry_no": inquiry},
        SAMPLE_LINES,
    )
    assert linked.accepted, linked.as_dict("en")
    assert [(r["docno"], r["field"], r["target"]) for r in rows(gw, "links")] == [
        (linked.docno, "inquiry_no", inquiry)
    ]


def test_sample_standing_alone_is_accepted(send, gw, masters):
    outcome = send(
        "sample",
        {"send_date": "2026-11-26", "customer_code": "C002", "carrier": "DHL"},
        SAMPLE_LINES,
    )
    assert outcome.accepted and outcome.problems == []
    assert [(r["product_code"], r["quantity"]) for r in rows(gw, "sample_lines")] == [
        ("P-M8", "20")
    ]


def test_sample_of_an_unknown_product_or_customer_is_refused(send, masters):
    outcome = send(
        "sample",
        {"send_date": "2026-11-26", "customer_code": "C404"},
        [{"product_code": "P-X", "quantity": 1}],
    )
    assert codes(outcome) == [("B8", "customer-unknown"), ("A18", "product-unknown")]


# --- amendment -------------------------------------------------------------------------------
def test_same_number_sent_again_is_a_new_revision_every_one_kept(send, gw, inquiry):
    outcome = send(
        "inquiry", inquiry_form(docno=inquiry, questions="改为询问 M10"), filename="咨询-改.xlsx"
    )
    assert (outcome.accepted, outcome.docno, outcome.action) == (True, inquiry, "amend")
    view = gw.ledger.view
    revisions = view.revisions(inquiry)
    assert [(r["revision"], r["action"], r["attachment_name"]) for r in revisions] == [
        (1, "record", "inquiry.xlsx"),
        (2, "amend", "咨询-改.xlsx"),
    ]
    assert revisions[0]["attachment_sha256"] != revisions[1]["attachment_sha256"]
    assert all(r["sender"] == SALES for r in revisions)
    first = gw.ledger.db.execute(
        "SELECT data FROM revisions WHERE docno = ? AND revision = 1", [inquiry]
    )
    assert json.loads(first.fetchone()[0])["header"].get("questions") is None
    assert view.document(inquiry)["revision"] == 2
    assert rows(gw, "inquiry")[0]["questions"] == "改为询问 M10"
    assert len(rows(gw, "inquiry")) == 1


def test_amendment_by_another_salesperson_refused_by_a_manager_accepted(send, gw, inquiry):
    refused = send("inquiry", inquiry_form(docno=inquiry, questions="x"), sender=SALES_EN)
    assert codes(refused) == [("B4", "amend-not-owner")]
    accepted = send("inquiry", inquiry_form(docno=inquiry, questions="主管补充"), sender=MANAGER)
    assert accepted.accepted, accepted.as_dict("en")
    assert gw.ledger.view.document(inquiry)["owner"] == SALES


def test_amending_an_unknown_number_is_refused(send, masters, year):
    outcome = send("inquiry", inquiry_form(docno=f"INQ-{year}-00500"))
    assert codes(outcome) == [("B4", "doc-unknown")]


def test_amending_to_another_customer_refused_when_a_quote_links(send, gw, inquiry):
    free = send("inquiry", inquiry_form(docno=inquiry, customer_code="C002"))
    assert free.accepted, "without dependents the customer may still be corrected"
    back = send("inquiry", inquiry_form(docno=inquiry, customer_code="C001"))
    assert back.accepted
    assert send("quote", quote_form(inquiry_no=inquiry), QUOTE_LINES).accepted
    refused = send("inquiry", inquiry_form(docno=inquiry, customer_code="C002"))
    assert codes(refused) == [("B8", "amend-customer-has-dependents")]
    assert gw.ledger.view.document(inquiry)["customer_code"] == "C001"


def test_amending_a_new_customer_inquiry_keeps_its_customer(send, gw, masters):
    """The form sent again as it was (code still empty, name filled) is the same customer, not a
    second one, and not a duplicate of itself."""
    form = inquiry_form(customer_code=None, customer_name="宁波海通贸易", phone="0574-8888 6666")
    first = send("inquiry", form)
    assert first.accepted
    again = send("inquiry", {**form, "docno": first.docno, "questions": "追加问题"})
    assert again.accepted, again.as_dict("en")
    assert again.problems == []
    assert [r["code"] for r in rows(gw, "customers", "code")] == ["C00001", "C001", "C002"]
    assert gw.ledger.view.document(first.docno)["customer_code"] == "C00001"
    assert rows(gw, "inquiry")[0]["customer_code"] == "C00001"
    # a corrected spelling keeps the customer too; naming a customer on file is refused as usual
    spelled = send(
        "inquiry", {**form, "docno": first.docno, "customer_name": "宁波海通贸易有限公司"}
    )
    assert spelled.accepted and spelled.problems == []
    assert gw.ledger.view.document(first.docno)["customer_code"] == "C00001"
    assert gw.ledger.view.next_customer_code() == "C00002"
    other = send("inquiry", {**form, "docno": first.docno, "customer_name": "华东机电有限公司"})
    assert codes(other) == [("B9", "customer-likely-duplicate-name")]


# --- cancellation ----------------------------------------------------------------------------
def test_cancellation_is_explicit_and_keeps_the_number(send, gw, inquiry, year):
    outcome = send(
        "inquiry", inquiry_form(docno=inquiry, action="cancel", cancel_reason="客户重复")
    )
    assert (outcome.accepted, outcome.action) == (True, "cancel")
    doc = gw.ledger.view.document(inquiry)
    assert (doc["status"], doc["revision"]) == ("cancelled", 2)
    assert rows(gw, "inquiry")[0]["status"] == "cancelled"
    # the number is never given again
    nxt = send("inquiry", inquiry_form())
    assert nxt.docno == f"INQ-{year}-00002"


def test_cancellation_with_only_number_and_reason(send, gw, inquiry):
    """A person cancelling writes the number, chooses cancel and gives a reason; the rest of the
    form may stay empty, and the recorded values stay as they were."""
    outcome = send(
        "inquiry", {"docno": inquiry, "action": "作废 cancel", "cancel_reason": "录错了"}
    )
    assert outcome.accepted, outcome.as_dict("en")
    row = rows(gw, "inquiry")[0]
    assert (row["status"], row["customer_code"], row["inquiry_date"]) == (
        "cancelled",
        "C001",
        "2026-11-20",
    )


def test_cancellation_needs_a_reason(send, gw, inquiry):
    outcome = send("inquiry", inquiry_form(docno=inquiry, action="cancel"))
    assert codes(outcome) == [("B6", "cancel-needs-reason")]
    assert gw.ledger.view.document(inquiry)["status"] == "active"


def test_cancellation_needs_a_number(send, masters):
    outcome = send("inquiry", inquiry_form(action="cancel", cancel_reason="x"))
    assert codes(outcome) == [("B4", "cancel-needs-number")]


@pytest.mark.parametrize("later", ["follow_up", "quote"])
def test_cancellation_refused_while_a_later_document_links(send, gw, inquiry, later):
    linked = (
        send("follow_up", follow_up_form(inquiry))
        if later == "follow_up"
        else send("quote", quote_form(inquiry_no=inquiry), QUOTE_LINES)
    )
    assert linked.accepted
    refused = send("inquiry", inquiry_form(docno=inquiry, action="cancel", cancel_reason="重复"))
    assert codes(refused) == [("B5", "cancel-has-dependents")]
    assert refused.problems[0].values["dependents"] == [linked.docno]
    # once the later document is cancelled, the inquiry may go
    form = follow_up_form(inquiry) if later == "follow_up" else quote_form(inquiry_no=inquiry)
    undo = send(
        later,
        {**form, "docno": linked.docno, "action": "cancel", "cancel_reason": "撤回"},
        QUOTE_LINES,
    )
    assert undo.accepted, undo.as_dict("en")
    assert send(
        "inquiry", inquiry_form(docno=inquiry, action="cancel", cancel_reason="重复")
    ).accepted


def test_a_cancelled_number_cannot_be_referred_to_or_amended(send, inquiry):
    assert send(
        "inquiry", inquiry_form(docno=inquiry, action="cancel", cancel_reason="重复")
    ).accepted
    assert codes(send("inquiry", inquiry_form(docno=inquiry))) == [("B4", "doc-cancelled")]
    assert codes(send("quote", quote_form(inquiry_no=inquiry), QUOTE_LINES)) == [
        ("B10", "doc-cancelled")
    ]
    sample = send(
        "sample",
        {"send_date": "2026-11-26", "customer_code": "C001", "inquiry_no": inquiry},
        SAMPLE_LINES,
    )
    assert codes(sample) == [("B9", "doc-cancelled")]


# --- who may send what -----------------------------------------------------------------------
def test_unknown_sender_nothing_recorded_no_reply(send, gw, masters):
    before = {t: rows(gw, t) for t in ("sources", "rejections", "outbox", "outbox_messages")}
    outcome = send("inquiry", inquiry_form(), sender="stranger@example.com")
    assert codes(outcome) == [(None, "sender-unknown")]
    assert {
        t: rows(gw, t) for t in ("sources", "rejections", "outbox", "outbox_messages")
    } == before
    assert rows(gw, "inquiry") == []


def test_warehouse_sending_an_inquiry_is_refused_and_nothing_recorded(send, gw, masters):
    before = dump(gw)
    outcome = send("inquiry", inquiry_form(), sender=WAREHOUSE_A)
    assert codes(outcome) == [(None, "sender-not-allowed")]
    assert "出库单" in outcome.problems[0].message("zh")
    assert dump(gw) == before
    (reply,) = rows(gw, "outbox")[-1:]
    assert (reply["recipient"], reply["purpose"]) == (WAREHOUSE_A, "rejection")


def test_salesperson_may_not_send_masters(send, gw):
    outcome = send("products", {}, [{"code": "P-1", "name": "x", "unit": "个"}], sender=SALES)
    assert codes(outcome) == [(None, "sender-not-allowed")]
    assert gw.ledger.view.product("P-1") is None


# --- every problem at once; nothing partial ----------------------------------------------------
def test_every_problem_at_once_in_sheet_order(send, masters):
    outcome = send(
        "inquiry",
        inquiry_form(customer_code="C404", channel="飞鸽传书", next_follow_up="2026-11-01"),
        [{"product_code": "P-NOPE"}],
    )
    assert codes(outcome) == [
        ("B8", "customer-unknown"),
        ("B13", "choice-unknown"),
        ("B17", "date-before"),
        ("A21", "product-unknown"),
    ]


def test_a_refused_form_changes_nothing_in_the_ledger(send, gw, inquiry):
    assert send("follow_up", follow_up_form(inquiry)).accepted
    before = dump(gw)
    counts = {t: len(rows(gw, t)) for t in ("sources", "rejections", "outbox", "outbox_messages")}
    refused = send(
        "quote",
        quote_form(customer_code="C002", inquiry_no=inquiry, valid_until="2026-01-01"),
        [{"product_code": "P-M8", "quantity": "-5", "unit_price": "1.123456"}],
    )
    assert not refused.accepted and len(refused.problems) == 4
    assert dump(gw) == before
    assert {
        t: len(rows(gw, t)) for t in ("sources", "rejections", "outbox", "outbox_messages")
    } == {k: v + 1 for k, v in counts.items()}
    rejection = rows(gw, "rejections")[-1]
    assert rejection["kind"] == "quote"
    assert [p["code"] for p in json.loads(rejection["problems"])] == [c for _, c in codes(refused)]


# --- numbering -------------------------------------------------------------------------------
def test_numbers_per_kind_and_year_from_one(send, gw, masters, year):
    numbers = [send("inquiry", inquiry_form()).docno for _ in range(3)]
    assert numbers == [f"INQ-{year}-0000{i}" for i in (1, 2, 3)]
    assert send("quote", quote_form(), QUOTE_LINES).docno == f"QUO-{year}-00001"
    assert (
        send("sample", {"send_date": "2026-11-26", "customer_code": "C001"}, SAMPLE_LINES).docno
        == f"SMP-{year}-00001"
    )
    fu = send("follow_up", follow_up_form(numbers[0])).docno
    assert fu == f"FUP-{year}-00001"
    # a refusal consumes no number
    assert not send("inquiry", inquiry_form(customer_code="C404")).accepted
    assert send("inquiry", inquiry_form()).docno == f"INQ-{year}-00004"


def test_number_year_is_the_callers_calendar_year(gw):
    """The year in a number is the year of the firm's calendar day passed in, and each year
    counts from 1 again."""
    with gw.ledger.transaction() as writer:
        assert writer.next_number(KINDS["inquiry"], 2027) == "INQ-2027-00001"
        assert writer.next_number(KINDS["inquiry"], 2027) == "INQ-2027-00002"
        assert writer.next_number(KINDS["inquiry"], 2028) == "INQ-2028-00001"


def test_firm_calendar_day_follows_its_time_zone(firm):
    """Today is the firm's calendar day (Asia/Shanghai by default), not the machine's."""
    from zoneinfo import ZoneInfo

    assert firm.firm.timezone == "Asia/Shanghai"
    assert firm.today() == dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
