"""Open items: what every document still owes, kept in the ledger table ``open_items`` in the
same transaction as each document, read through ``silu_sheets.open_items``. Everything goes
through the real pipeline with real forms and a real SQLite file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from conftest import FINANCE, SALES, SERVICE, WAREHOUSE_A
from fulfilment_flow import m8, notice, ok, signed_contract, slip, w10

from silu_sheets.ledger.store import Ledger
from silu_sheets.open_items import OpenItem, open_items, rebuild

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session


def items(gw, docno: str, obligation: str | None = None) -> list[tuple]:
    """``[(obligation, line, remaining, due_on), …]`` of one document, as people read them."""
    found = open_items(
        gw.ledger.view, docno=docno, obligations=[obligation] if obligation else None
    )
    return sorted(
        (
            i.obligation,
            i.line_no,
            None if i.remaining is None else str(i.remaining),
            i.due_on.isoformat() if i.due_on else None,
        )
        for i in found
    )


def table(gw) -> list[tuple]:
    return gw.ledger.db.execute(
        "SELECT docno, obligation, line_no, remaining FROM open_items ORDER BY docno, obligation, line_no"
    ).fetchall()


# --- pre-sales ------------------------------------------------------------------------------------
def test_inquiry_follow_up_date_is_due_until_a_follow_up_moves_then_closes_it(gw, send, masters):
    inq = ok(
        send(
            "inquiry",
            {
                "inquiry_date": "2026-11-20",
                "customer_code": "C001",
                "channel": "电话 phone",
                "next_follow_up": "2026-11-25",
            },  # fmt: skip
        )
    )
    [item] = open_items(gw.ledger.view, owner=SALES)
    assert (item.docno, item.obligation, item.role, item.measure) == (
        inq,
        "follow_up_due",
        "sales",
        "flag",
    )
    assert (item.due_on, item.since, item.customer_code) == (
        dt.date(2026, 11, 25),
        dt.date(2026, 11, 20),
        "C001",
    )
    assert (item.days_late(dt.date(2026, 11, 28)), item.days_late(dt.date(2026, 11, 24))) == (3, 0)
    follow = {
        "inquiry_no": inq,
        "follow_up_date": "2026-11-25",
        "content": "电话",
        "result": "继续跟进",
    }
    ok(send("follow_up", follow | {"next_follow_up": "2026-12-02"}))
    assert items(gw, inq) == [("follow_up_due", None, None, "2026-12-02")]
    moved = ok(send("follow_up", follow | {"follow_up_date": "2026-12-02"}))
    assert items(gw, inq) == [("inquiry_no_date", None, None, None)]
    ok(send("follow_up", follow | {"follow_up_date": "2026-12-03", "result": "失败 lost",
                                   "close_reason": "价格"}))  # fmt: skip
    assert items(gw, inq) == []
    # cancelling the follow-up that closed it is not possible while... the last one is; cancel
    # the middle one instead: the inquiry stays closed
    cancel = send("follow_up", {"docno": moved, "action": "cancel", "cancel_reason": "记错"})
    assert cancel.accepted, cancel.as_dict("en")
    assert items(gw, inq) == []


def test_quote_sample_and_order_decision(gw, send, masters):
    inq = ok(send("inquiry", {"inquiry_date": "2026-11-20", "customer_code": "C001",
                              "channel": "电话 phone"}))  # fmt: skip
    quote = ok(
        send(
            "quote",
            {
                "quote_date": "2026-11-21",
                "valid_until": "2026-12-21",
                "customer_code": "C001",
                "inquiry_no": inq,
            },  # fmt: skip
            [{"product_code": "P-M8", "quantity": 100, "unit_price": "1.15"}],
        )
    )
    sample = ok(
        send(
            "sample",
            {"send_date": "2026-11-21", "customer_code": "C001", "inquiry_no": inq},
            [{"product_code": "P-M8", "quantity": 5}],
        )  # fmt: skip
    )
    assert items(gw, quote) == [("quote_validity", None, None, "2026-12-21")]
    assert items(gw, sample) == [("sample_feedback", None, None, None)]
    ok(send("follow_up", {"inquiry_no": inq, "follow_up_date": "2026-11-23", "content": "样品反馈好",
                          "result": "继续跟进"}))  # fmt: skip
    assert items(gw, sample) == []
    order = ok(
        send(
            "order",
            {
                "order_date": "2026-11-24",
                "customer_code": "C001",
                "quote_no": quote,
                "offer_type": "实盘",
                "valid_until": "2026-11-30",
            },  # fmt: skip
            [{"product_code": "P-M8", "quantity": 100, "unit_price": "1.15"}],
        )
    )
    assert items(gw, quote) == []  # ordered
    assert items(gw, order) == [
        ("firm_offer_validity", None, None, "2026-11-30"),
        ("order_decision", None, None, "2026-11-30"),
    ]


# --- fulfilment -----------------------------------------------------------------------------------
def test_contract_notice_slip_draw_down_and_cancel(gw, send, masters):
    con = signed_contract(send)
    assert items(gw, con) == [
        ("contract_to_notice", 1, "300", "2026-12-10"),
        ("contract_to_notice", 2, "1200", "2026-12-10"),
    ]
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007"), w10(1200)]))
    assert items(gw, con) == [("contract_to_notice", 1, "200", "2026-12-10")]
    assert items(gw, sn, "notice_to_issue") == [
        ("notice_to_issue", 1, "100", "2026-11-23"),
        ("notice_to_issue", 2, "1200", "2026-11-23"),
    ]
    [line1] = open_items(
        gw.ledger.view, docno=sn, obligations=["notice_to_issue"], warehouse="WH-A"
    )
    assert (line1.role, line1.lot, line1.product_code, line1.currency) == (
        "warehouse",
        "L2026-007",
        "P-M8",
        None,
    )
    assert items(gw, sn, "notice_owed") == []  # nothing issued, nothing owed yet
    iss = ok(
        slip(
            send,
            sn,
            "WH-A",
            [{"notice_line": 1, "product_code": "P-M8", "lot": "L2026-007", "quantity": 60}],
        )  # fmt: skip
    )
    assert items(gw, sn) == [
        ("notice_owed", None, "69", "2026-12-24"),  # 60 × 1.15, issued 11-24 + 30 days
        ("notice_to_issue", 1, "40", "2026-11-23"),
        ("notice_to_issue", 2, "1200", "2026-11-23"),
    ]
    # the slip cancelled: the notice is owed nothing and all of line 1 is to issue again
    cancel = send(
        "issue_slip",
        {"docno": iss, "action": "cancel", "cancel_reason": "错单"},
        sender=WAREHOUSE_A,
    )
    assert cancel.accepted, cancel.as_dict("en")
    assert items(gw, sn) == [
        ("notice_to_issue", 1, "100", "2026-11-23"),
        ("notice_to_issue", 2, "1200", "2026-11-23"),
    ]
    # the notice cancelled: its items go, and the contract's lines are open in full again
    dropped = send(
        "shipment_notice", {"docno": sn, "action": "cancel", "cancel_reason": "客户改期"}
    )
    assert dropped.accepted, dropped.as_dict("en")
    assert items(gw, sn) == []
    assert items(gw, con) == [
        ("contract_to_notice", 1, "300", "2026-12-10"),
        ("contract_to_notice", 2, "1200", "2026-12-10"),
    ]


def test_notice_owed_shrinks_with_payments_and_goes_when_paid(gw, send, masters):
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007")]))
    ok(slip(send, sn, "WH-A", [{"notice_line": 1, "product_code": "P-M8", "lot": "L2026-007",
                               "quantity": 100}]))  # fmt: skip
    assert items(gw, sn) == [("notice_owed", None, "115", "2026-12-24")]

    def pay(amount: str) -> str:
        return ok(
            send(
                "payment",
                {
                    "payment_date": "2026-11-28",
                    "customer_code": "C001",
                    "payment_type": "receivable",
                    "amount": amount,
                },  # fmt: skip
                [{"notice_no": sn, "applied": amount}],
                sender=FINANCE,
            )
        )

    first = pay("15.50")
    [owed] = open_items(gw.ledger.view, role="finance")
    assert (owed.remaining, owed.total, owed.currency, owed.owner, owed.salesperson) == (
        D("99.5"),
        D("115"),
        "CNY",
        SALES,
        SALES,
    )
    pay("99.50")
    assert items(gw, sn) == []
    # a payment cancelled: what it paid is owed again
    assert send(
        "payment", {"docno": first, "action": "cancel", "cancel_reason": "退票"}, sender=FINANCE
    ).accepted
    assert items(gw, sn) == [("notice_owed", None, "15.5", "2026-12-24")]


def test_warehouse_rows_never_carry_an_amount(gw, send, masters):
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007")]))
    ok(slip(send, sn, "WH-A", [{"notice_line": 1, "product_code": "P-M8", "lot": "L2026-007",
                               "quantity": 30}]))  # fmt: skip
    rows = open_items(gw.ledger.view, role="warehouse")
    assert rows and all(r.measure == "quantity" and r.currency is None for r in rows)
    assert {r.measure for r in open_items(gw.ledger.view)} == {"quantity", "amount"}
    # the table itself refuses such a row, whoever writes it
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        gw.ledger.db.execute(
            "INSERT INTO open_items (docno, kind, line_no, obligation, role, measure, remaining) "
            "VALUES ('X', 'shipment_notice', 0, 'notice_owed', 'warehouse', 'amount', '1')"
        )


def test_a_ledger_made_before_the_table_gets_it_filled(gw, send, masters, firm):
    con = signed_contract(send)
    before = table(gw)
    assert before
    gw.ledger.db.execute("DROP TABLE open_items")
    gw.ledger.db.execute("DELETE FROM schema_migrations WHERE version = 5")
    gw.ledger.close()
    again = Ledger(firm.ledger_path)
    try:
        assert (
            again.db.execute(
                "SELECT docno, obligation, line_no, remaining FROM open_items "
                "ORDER BY docno, obligation, line_no"
            ).fetchall()
            == before
        )
        with again.transaction() as writer:
            assert rebuild(writer) == len(before)
    finally:
        again.close()
    assert con


def test_open_item_reads_back_exactly():
    item = OpenItem("SN-1", "shipment_notice", 2, "notice_to_issue", "warehouse", "quantity",
                    remaining=D("12.500"), total=D("30"), due_on=dt.date(2026, 1, 2))  # fmt: skip
    row = item.row()
    assert (row["remaining"], row["line_no"], row["due_on"]) == ("12.5", 2, "2026-01-02")
    assert OpenItem.from_row(row) == OpenItem(
        "SN-1", "shipment_notice", 2, "notice_to_issue", "warehouse", "quantity",
        remaining=D("12.5"), total=D("30"), due_on=dt.date(2026, 1, 2),
    )  # fmt: skip


def test_status_reads_what_is_left_from_open_items(gw, send, masters):
    from silu_sheets.status import document_status

    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007")]))
    # what status shows as left is the ledger's open item, not a second computation
    gw.ledger.db.execute(
        "UPDATE open_items SET remaining = '7' WHERE docno = ? AND line_no = 1", [con]
    )
    gw.ledger.db.execute("UPDATE open_items SET remaining = '9' WHERE docno = ?", [sn])
    assert (
        document_status(gw.ledger.view, con)["sections"]["contract"]["progress"][0][
            "left_to_notice"
        ]
        == "7"
    )
    assert (
        document_status(gw.ledger.view, sn)["sections"]["shipment_notice"]["progress"][0]["left"]
        == "9"
    )


# --- returns and service --------------------------------------------------------------------------
def issued_notice(gw, send) -> str:
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007")]))
    ok(slip(send, sn, "WH-A", [{"notice_line": 1, "product_code": "P-M8", "lot": "L2026-007",
                               "quantity": 100}]))  # fmt: skip
    return sn


def sales_return(send, sn: str, quantity: int, **more) -> dict:
    return {
        "return_date": "2026-11-26", "notice_no": sn, "reason": "螺纹不良",
        "request_person": "李娜", "money_person": "王强", "goods_person": "赵磊",
        "goods_disposition": "退回", "money_disposition": "退款", "requested_amount": "11.5",
    } | more  # fmt: skip


def test_return_agreement_refund_and_goods_to_receive(gw, send, masters):
    sn = issued_notice(gw, send)
    ok(
        send(
            "payment",
            {
                "payment_date": "2026-11-25",
                "customer_code": "C001",
                "payment_type": "receivable",
                "amount": "115",
            },  # fmt: skip
            [{"notice_no": sn, "applied": "115"}],
            sender=FINANCE,
        )
    )
    line = [{"product_code": "P-M8", "quantity": 10, "warehouse": "WH-A", "lot": "L2026-007"}]
    ret = ok(send("sales_return", sales_return(send, sn, 10), line))
    assert items(gw, ret) == [
        ("return_agreement", None, None, None),
        ("return_to_receive", 1, "10", None),
    ]
    [goods] = open_items(gw.ledger.view, role="warehouse", warehouse="WH-A")
    assert (goods.docno, goods.lot, goods.currency) == (ret, "L2026-007", None)
    agreed = sales_return(send, sn, 10, docno=ret, agreed_amount="11.5")
    ok(send("sales_return", agreed, line, sender="wang.qiang@firm.test"))
    assert items(gw, ret) == [
        ("refund_owed", None, "11.5", None),
        ("return_to_receive", 1, "10", None),
    ]
    ok(
        send(
            "return_inbound",
            {"inbound_date": "2026-11-27", "return_no": ret, "warehouse": "WH-A"},
            [{"return_line": 1, "product_code": "P-M8", "lot": "L2026-007", "quantity": 4}],
            sender=WAREHOUSE_A,
        )
    )
    assert items(gw, ret, "return_to_receive") == [("return_to_receive", 1, "6", None)]
    ok(
        send(
            "payment",
            {
                "payment_date": "2026-11-28",
                "customer_code": "C001",
                "payment_type": "refund",
                "amount": "11.5",
                "sales_return_no": ret,
            },  # fmt: skip
            sender=FINANCE,
        )
    )
    assert items(gw, ret) == [("return_to_receive", 1, "6", None)]


def test_replacement_owed_is_drawn_down_by_the_replacement_notice(gw, send, masters):
    sn = issued_notice(gw, send)
    header = sales_return(send, sn, 5, goods_disposition="换货", money_disposition="不退款",
                          requested_amount=None)  # fmt: skip
    ret = ok(send("sales_return", header, [{"product_code": "P-M8", "quantity": 5}]))
    assert items(gw, ret, "replacement_owed") == [("replacement_owed", 1, "5", None)]
    con = gw.ledger.view.document(sn)["header"]["contract_no"]
    ok(notice(send, con, [m8(3, "WH-A", "L2026-007", price="0")], replaces_return=ret))
    assert items(gw, ret, "replacement_owed") == [("replacement_owed", 1, "2", None)]


def test_service_next_action_until_closed(gw, send, masters):
    values = {"service_date": "2026-11-26", "customer_code": "C001", "request": "螺栓生锈",
              "status": "处理中", "next_action": "2026-11-30"}  # fmt: skip
    srv = ok(send("service", values, sender=SERVICE))
    [item] = open_items(gw.ledger.view, role="service")
    assert (item.docno, item.owner, item.due_on) == (srv, SERVICE, dt.date(2026, 11, 30))
    ok(send("service", values | {"docno": srv, "status": "已完成"}, sender=SERVICE))
    assert items(gw, srv) == []


def test_contract_payment_days_amended_move_the_notice_due_date(gw, send, masters):
    from fulfilment_flow import contract

    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007")]))
    ok(slip(send, sn, "WH-A", [{"notice_line": 1, "product_code": "P-M8", "lot": "L2026-007",
                               "quantity": 100}]))  # fmt: skip
    assert items(gw, sn) == [("notice_owed", None, "115", "2026-12-24")]
    order_no = gw.ledger.view.document(con)["header"]["order_no"]
    ok(contract(send, order_no, docno=con, payment_days=60))
    assert items(gw, sn) == [("notice_owed", None, "115", "2027-01-23")]
