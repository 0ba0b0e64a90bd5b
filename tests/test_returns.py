"""Sales returns and return inbound slips: quantities against what was issued and returned,
money negotiated then agreed, refunds, replacements, and the warehouse's price-free copy."""

from __future__ import annotations

import email
import email.policy
import io
import json
import zipfile
from decimal import Decimal

import pytest
from conftest import FINANCE, MANAGER, SALES, SALES_EN, WAREHOUSE_A, WAREHOUSE_B, codes
from money_seed import seed_notice

from silu_sheets import money

D = Decimal
PRICE_M8, PRICE_W10 = "7.31", "0.93"


@pytest.fixture
def notice(gw, masters):
    """C001's notice: line 1 P-M8 100 @ 7.31 (WH-A, lot L2026-007), 60 issued; line 2 P-W10
    50 @ 0.93 from WH-B, all issued."""
    return seed_notice(
        gw,
        "C001",
        [
            {
                "product_code": "P-M8",
                "quantity": 100,
                "unit_price": PRICE_M8,
                "warehouse": "WH-A",
                "lot": "L2026-007",
            },
            {"product_code": "P-W10", "quantity": 50, "unit_price": PRICE_W10, "warehouse": "WH-B"},
        ],
        issued=[60, 50],
    )


def ret(
    send,
    notice_no,
    lines,
    sender=SALES,
    goods="return",
    money_way="refund",
    requested="100",
    **more,
):
    header = {
        "return_date": "2026-11-26",
        "notice_no": notice_no,
        "reason": "螺纹不良",
        "request_person": "李娜",
        "money_person": "王强",
        "goods_person": "赵磊",
        "goods_disposition": goods,
        "money_disposition": money_way,
        "requested_amount": requested,
        **more,
    }
    return send("sales_return", header, lines, sender=sender)


def inbound(send, return_no, warehouse, lines, sender=WAREHOUSE_A, **more):
    header = {"inbound_date": "2026-11-27", "return_no": return_no, "warehouse": warehouse, **more}
    return send("return_inbound", header, lines, sender=sender)


def refund(send, return_no, amount, customer="C001"):
    return send(
        "payment",
        {
            "payment_date": "2026-11-28",
            "customer_code": customer,
            "payment_type": "refund",
            "amount": amount,
            "sales_return_no": return_no,
        },
        sender=FINANCE,
    )


# --- quantities ---------------------------------------------------------------------------------
def test_return_within_issued_then_refused_beyond_what_is_left(gw, send, notice):
    first = ret(send, notice, [{"product_code": "P-M8", "quantity": 40}])
    assert first.accepted, first.as_dict("en")
    stored = gw.ledger.view.row("SELECT * FROM sales_return_lines WHERE docno = ?", [first.docno])
    assert (stored["notice_line"], stored["unit_price"]) == (
        1,
        PRICE_M8,
    )  # defaults from the notice
    second = ret(send, notice, [{"product_code": "P-M8", "quantity": 25}])
    assert codes(second) == [("C22", "return-exceeds-issued")]
    assert second.problems[0].values["left"] == D(20)
    assert "还可退 20" in second.as_dict("zh")["problems"][0]["message"]
    assert ret(send, notice, [{"product_code": "P-M8", "quantity": 20}]).accepted


def test_two_lines_on_same_notice_line_add_up(send, notice):
    outcome = ret(
        send,
        notice,
        [
            {"notice_line": 1, "product_code": "P-M8", "quantity": 50},
            {"notice_line": 1, "product_code": "P-M8", "quantity": 11},
        ],
    )
    assert codes(outcome) == [("C23", "return-exceeds-issued")]
    assert outcome.problems[0].values["left"] == D(10)


def test_nothing_issued_refused(gw, send, masters):
    unissued = seed_notice(
        gw, "C001", [{"product_code": "P-W10", "quantity": 5, "unit_price": "1"}], issued=[0]
    )
    outcome = ret(send, unissued, [{"product_code": "P-W10", "quantity": 1}])
    assert codes(outcome) == [("B8", "return-nothing-issued")]


def test_product_not_on_notice_and_line_mismatch(send, notice):
    outcome = ret(send, notice, [{"product_code": "P-X", "quantity": 1}])
    assert ("B22", "return-product-not-on-notice") in codes(outcome)
    outcome = ret(send, notice, [{"notice_line": 2, "product_code": "P-M8", "quantity": 1}])
    assert codes(outcome) == [("B22", "return-product-mismatch")]
    outcome = ret(send, notice, [{"notice_line": 7, "product_code": "P-M8", "quantity": 1}])
    assert codes(outcome) == [("A22", "return-notice-line-unknown")]


def test_ambiguous_product_needs_the_line(gw, send, masters):
    twice = seed_notice(
        gw,
        "C001",
        [
            {"product_code": "P-W10", "quantity": 5, "unit_price": "1"},
            {"product_code": "P-W10", "quantity": 5, "unit_price": "2"},
        ],
    )
    outcome = ret(send, twice, [{"product_code": "P-W10", "quantity": 1}])
    assert codes(outcome) == [("A22", "return-line-ambiguous")]
    assert ret(send, twice, [{"notice_line": 2, "product_code": "P-W10", "quantity": 1}]).accepted


# --- dispositions and money -------------------------------------------------------------------
def test_none_only_with_replacement(send, notice):
    outcome = ret(
        send, notice, [{"product_code": "P-M8", "quantity": 1}], money_way="none", requested=None
    )
    assert codes(outcome) == [("B15", "return-none-needs-replace")]
    outcome = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 1}],
        goods="replace",
        money_way="none",
        requested=None,
    )
    assert outcome.accepted, outcome.as_dict("en")


def test_requested_amount_needed_and_agreed_only_by_amendment(send, notice):
    outcome = ret(send, notice, [{"product_code": "P-M8", "quantity": 1}], requested=None)
    assert codes(outcome) == [("B16", "return-requested-needed")]
    outcome = ret(send, notice, [{"product_code": "P-M8", "quantity": 1}], agreed_amount="5")
    assert codes(outcome) == [("B17", "return-agreed-needs-amendment")]


def test_nothing_credited_before_agreement_then_agreed_credit_lowers_notice(gw, send, notice):
    view = gw.ledger.view
    owed = money.notice_owed(view, notice)
    assert owed == D("60") * D(PRICE_M8) + D(50) * D(PRICE_W10)
    first = ret(send, notice, [{"product_code": "P-M8", "quantity": 10}], requested="80")
    assert money.notice_owed(view, notice) == owed
    assert view.rows("SELECT * FROM money_movements") == []
    too_much = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}],
        requested="80",
        agreed_amount="73.11",
        docno=first.docno,
    )
    assert codes(too_much) == [("B17", "return-agreed-above-value")]
    assert too_much.problems[0].values["value"].amount == D("73.10")
    assert "商定金额 73.11 超过退货货值 73.10" in too_much.as_dict("zh")["problems"][0]["message"]
    assert "Agree at most 73.10." in too_much.as_dict("en")["problems"][0]["message"]
    agreed = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}],
        requested="80",
        agreed_amount="70",
        docno=first.docno,
    )
    assert agreed.accepted, agreed.as_dict("en")
    assert money.notice_owed(view, notice) == owed - D(70)
    assert (
        money.refundable(view, first.docno) == 0
    )  # the notice was unpaid: its debt is lowered instead


def test_unit_price_set_only_by_managing_side(gw, send, notice):
    line = [{"product_code": "P-M8", "quantity": 10, "unit_price": "5"}]
    outcome = ret(send, notice, line)
    assert codes(outcome) == [("D22", "return-price-needs-manager")]
    by_manager = ret(send, notice, line, sender=MANAGER)
    assert by_manager.accepted, by_manager.as_dict("en")
    over = ret(send, notice, line, sender=MANAGER, agreed_amount="50.01", docno=by_manager.docno)
    assert over.problems[0].values["value"].amount == D(50)
    assert ret(
        send, notice, line, sender=MANAGER, agreed_amount="50", docno=by_manager.docno
    ).accepted


def pay_all(send, notice_no, amount):
    out = send(
        "payment",
        {
            "payment_date": "2026-11-25",
            "customer_code": "C001",
            "payment_type": "receivable",
            "amount": amount,
        },
        [{"notice_no": notice_no, "applied": amount}],
        sender=FINANCE,
    )
    assert out.accepted, out.as_dict("en")


def test_refund_after_paid_notice_never_above_agreed_not_refunded(gw, send, notice):
    view = gw.ledger.view
    pay_all(send, notice, money.notice_owed(view, notice))
    first = ret(send, notice, [{"product_code": "P-M8", "quantity": 10}], requested="73.10")
    early = refund(send, first.docno, "10")
    assert codes(early) == [("B14", "refund-not-agreed")]
    assert ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}],
        requested="73.10",
        agreed_amount="60",
        docno=first.docno,
    ).accepted
    assert money.refundable(view, first.docno) == D(60)
    too_much = refund(send, first.docno, "60.5")
    assert codes(too_much) == [("B10", "refund-above-due")]
    assert too_much.problems[0].values["due"].amount == D(60)
    assert refund(send, first.docno, "45").accepted
    again = refund(send, first.docno, "20")
    assert again.problems[0].values["due"].amount == D(15)
    assert money.refunded(view, first.docno) == D(45)
    lower = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}],
        requested="73.10",
        agreed_amount="40",
        docno=first.docno,
    )
    assert codes(lower) == [("B17", "return-agreed-below-refunded")]
    assert lower.problems[0].values["refunded"].amount == D(45)


def test_balance_disposition_after_payment_goes_to_balance(gw, send, notice):
    view = gw.ledger.view
    pay_all(send, notice, money.notice_owed(view, notice))
    first = ret(
        send,
        notice,
        [{"product_code": "P-W10", "quantity": 10}],
        money_way="balance",
        requested="9.30",
    )
    assert money.balance(view, "C001", "CNY") == 0
    assert ret(
        send,
        notice,
        [{"product_code": "P-W10", "quantity": 10}],
        money_way="balance",
        requested="9.30",
        agreed_amount="9",
        docno=first.docno,
    ).accepted
    assert money.balance(view, "C001", "CNY") == D(9)
    wrong = refund(send, first.docno, "1")
    assert codes(wrong) == [("B14", "refund-not-refund-disposition")]
    # the credit was used: the return cannot be cancelled nor its credit lowered below what was used
    use = send(
        "payment",
        {
            "payment_date": "2026-11-28",
            "customer_code": "C001",
            "payment_type": "advance",
            "amount": 1,
        },
        sender=FINANCE,
    )
    assert use.accepted
    other = seed_notice(gw, "C001", [{"product_code": "P-W10", "quantity": 20, "unit_price": "1"}])
    assert send(
        "payment",
        {"payment_date": "2026-11-28", "customer_code": "C001", "payment_type": "apply_balance"},
        [{"notice_no": other, "applied": "10"}],
        sender=FINANCE,
    ).accepted
    cancel = ret(
        send,
        notice,
        [{"product_code": "P-W10", "quantity": 10}],
        money_way="balance",
        requested="9.30",
        agreed_amount="9",
        docno=first.docno,
        action="cancel",
        cancel_reason="客户撤回",
    )
    assert codes(cancel) == [("B5", "return-balance-used")]
    assert cancel.problems[0].values["left"].amount == D(-9)
    lower = ret(
        send,
        notice,
        [{"product_code": "P-W10", "quantity": 10}],
        money_way="balance",
        requested="9.30",
        agreed_amount="5",
        docno=first.docno,
    )
    assert codes(lower) == [("B17", "return-balance-used")]
    assert lower.problems[0].values["left"].amount == D(-4)


def test_customer_accounts_agree(gw, send, notice):
    """Closing of the statement = what notices owe − balance − refunds due, whatever happened."""
    view = gw.ledger.view
    pay_all(send, notice, money.notice_owed(view, notice) - 100)
    r = ret(send, notice, [{"product_code": "P-M8", "quantity": 10}], requested="73.10")
    assert ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}],
        requested="73.10",
        agreed_amount="73.10",
        docno=r.docno,
    ).accepted
    assert money.refundable(view, r.docno) == D(0)  # 73.10 of the 100 still owed was simply not due
    more = ret(send, notice, [{"product_code": "P-M8", "quantity": 20}], requested="146.20")
    assert ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 20}],
        requested="146.20",
        agreed_amount="146.20",
        docno=more.docno,
    ).accepted
    assert money.refundable(view, more.docno) == D("119.30")  # 146.20 − the 26.90 still owed
    assert refund(send, more.docno, "30").accepted
    figures = money.balances(view, "C001")[0]
    st = money.statement(view, "C001", "CNY")
    assert st["closing"] == figures["owed"] - figures["balance"] - figures["refund_due"]
    assert st["shipments"] == D("60") * D(PRICE_M8) + D(50) * D(PRICE_W10)


# --- replacement ----------------------------------------------------------------------------------
def test_replacement_open_until_a_notice_names_the_return(gw, send, notice):
    r = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 5}],
        goods="replace",
        money_way="none",
        requested=None,
    )
    view = gw.ledger.view
    assert [s["docno"] for s in money.open_replacements(view)] == [r.docno]
    seed_notice(
        gw,
        "C001",
        [
            {
                "product_code": "P-M8",
                "quantity": 5,
                "unit_price": "0",
                "warehouse": "WH-A",
                "lot": "L2026-007",
            }
        ],
        issued=[0],
        replaces_return=r.docno,
    )
    assert money.open_replacements(view) == []
    assert money.return_state(view, r.docno)["replacement_open"] is False


# --- the warehouse copy -------------------------------------------------------------------------
def every_part(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def test_warehouse_copies_carry_no_price_amount_or_balance(gw, send, notice):
    pay_all(send, notice, "271.83")  # a paid amount exists that must not leak either
    r = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}, {"product_code": "P-W10", "quantity": 4}],
        requested="123.45",
    )
    assert r.accepted
    mails = gw.ledger.view.rows(
        "SELECT recipient, message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE purpose = 'warehouse_copy' AND docno = ? ORDER BY recipient",
        [r.docno],
    )
    assert sorted(m["recipient"] for m in mails) == sorted([WAREHOUSE_A, WAREHOUSE_B])
    forbidden = [PRICE_M8, PRICE_W10, "123.45", "73.1", "3.72", "271.83", "213.27"]
    for m in mails:
        msg = email.message_from_bytes(m["message"], policy=email.policy.default)
        files = [part.get_content() for part in msg.iter_attachments()]
        assert len(files) == 1
        texts = [
            msg["Subject"],
            msg.get_body(("plain",)).get_content(),
            msg.get_body(("html",)).get_content(),
            every_part(files[0]),
        ]
        for text in texts:
            for figure in forbidden:
                assert figure not in text, (m["recipient"], figure)
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(files[0]))
        ws = wb["退货入库单"]
        assert ws["B8"].value == r.docno
        warehouse = "WH-A" if m["recipient"] == WAREHOUSE_A else "WH-B"
        assert ws["B9"].value == warehouse
        product = "P-M8" if warehouse == "WH-A" else "P-W10"
        assert ws["B15"].value == product
        assert D(str(ws["D15"].value)) == (D(10) if product == "P-M8" else D(4))


# --- return inbound slips -------------------------------------------------------------------------
@pytest.fixture
def returned(send, notice):
    r = ret(
        send,
        notice,
        [
            {"product_code": "P-M8", "quantity": 10, "warehouse": "WH-A"},
            {"product_code": "P-W10", "quantity": 6},
        ],
    )
    assert r.accepted
    return r.docno


def test_inbound_only_by_staff_of_the_warehouse(send, returned):
    outcome = inbound(
        send,
        returned,
        "WH-A",
        [{"return_line": 1, "product_code": "P-M8", "quantity": 1}],
        sender=WAREHOUSE_B,
    )
    assert codes(outcome) == [("B9", "inbound-not-your-warehouse")]
    outcome = inbound(
        send, returned, "WH-Z", [{"return_line": 1, "product_code": "P-M8", "quantity": 1}]
    )
    assert ("B9", "warehouse-unknown") in codes(outcome)


def test_inbound_into_the_warehouse_sales_named(send, returned):
    outcome = inbound(
        send,
        returned,
        "WH-B",
        [{"return_line": 1, "product_code": "P-M8", "quantity": 1, "lot": "L2026-007"}],
        sender=WAREHOUSE_B,
    )
    assert codes(outcome) == [("B9", "inbound-wrong-warehouse")]
    assert outcome.problems[0].values["named"] == "WH-A"


def test_inbound_batches_and_warehouses_never_above_return(gw, send, returned):
    view = gw.ledger.view
    before_a = view.on_hand("WH-A", "P-M8", "L2026-007")
    first = inbound(
        send, returned, "WH-A", [{"return_line": 1, "product_code": "P-M8", "quantity": 4}]
    )
    assert first.accepted, first.as_dict("en")
    assert (
        view.on_hand("WH-A", "P-M8", "L2026-007") == before_a + 4
    )  # lot taken from the notice line
    too_many = inbound(send, returned, "WH-A", [{"product_code": "P-M8", "quantity": 7}])
    assert codes(too_many) == [("D15", "inbound-exceeds-return")]
    assert too_many.problems[0].values["left"] == D(6)
    w10_a, w10_b = view.on_hand("WH-A", "P-W10", ""), view.on_hand("WH-B", "P-W10", "")
    assert inbound(send, returned, "WH-A", [{"product_code": "P-W10", "quantity": 2}]).accepted
    assert inbound(
        send, returned, "WH-B", [{"product_code": "P-W10", "quantity": 4}], sender=WAREHOUSE_B
    ).accepted
    assert (view.on_hand("WH-A", "P-W10", ""), view.on_hand("WH-B", "P-W10", "")) == (
        w10_a + 2,
        w10_b + 4,
    )
    full = inbound(
        send, returned, "WH-B", [{"product_code": "P-W10", "quantity": 1}], sender=WAREHOUSE_B
    )
    assert full.problems[0].values["left"] == D(0)
    assert money.received(view, returned, 2) == D(6)


def test_inbound_lot_must_follow_and_damaged_within(send, returned):
    outcome = inbound(
        send,
        returned,
        "WH-A",
        [
            {
                "return_line": 1,
                "product_code": "P-M8",
                "quantity": 2,
                "lot": "L2026-019",
                "damaged_quantity": 3,
            }
        ],
    )
    assert sorted(codes(outcome)) == [
        ("C15", "inbound-wrong-lot"),
        ("E15", "inbound-damaged-above-quantity"),
    ]


def test_return_cannot_drop_below_received_nor_be_cancelled_with_slips(send, notice, returned):
    assert inbound(
        send, returned, "WH-A", [{"return_line": 1, "product_code": "P-M8", "quantity": 8}]
    ).accepted
    lower = ret(
        send,
        notice,
        [
            {"product_code": "P-M8", "quantity": 7, "warehouse": "WH-A"},
            {"product_code": "P-W10", "quantity": 6},
        ],
        docno=returned,
    )
    assert codes(lower) == [("C22", "return-below-received")]
    assert lower.problems[0].values["received"] == D(8)
    cancel = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}],
        docno=returned,
        action="cancel",
        cancel_reason="录错",
    )
    assert codes(cancel) == [("B5", "cancel-has-dependents")]


def test_cancel_inbound_takes_stock_back(gw, send, returned):
    view = gw.ledger.view
    before = view.on_hand("WH-A", "P-M8", "L2026-007")
    slip = inbound(
        send, returned, "WH-A", [{"return_line": 1, "product_code": "P-M8", "quantity": 3}]
    )
    cancel = inbound(
        send,
        returned,
        "WH-A",
        [{"return_line": 1, "product_code": "P-M8", "quantity": 3}],
        docno=slip.docno,
        action="cancel",
        cancel_reason="记错",
    )
    assert cancel.accepted, cancel.as_dict("en")
    assert view.on_hand("WH-A", "P-M8", "L2026-007") == before
    assert money.received(view, returned, 1) == 0


def test_status_shows_replacement_owed_and_hides_money_from_the_warehouse(gw, send, notice):
    from click.testing import CliRunner

    from silu_sheets.cli import main

    r = ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 5}],
        goods="replace",
        money_way="none",
        requested=None,
    )
    paid = ret(send, notice, [{"product_code": "P-W10", "quantity": 3}], requested="2.79")
    assert ret(
        send,
        notice,
        [{"product_code": "P-W10", "quantity": 3}],
        requested="2.79",
        agreed_amount="2.61",
        docno=paid.docno,
    ).accepted
    runner = CliRunner()
    root = str(gw.firm.root)
    shown = runner.invoke(main, ["--firm", root, "status", r.docno])
    assert shown.exit_code == 0, shown.output
    assert "换货待发：还没有发货单注明此退货" in shown.output  # the firm's language, zh
    shown_en = runner.invoke(main, ["--firm", root, "status", r.docno, "--as", SALES_EN])
    assert "replacement still owed: no shipment notice names this return yet" in shown_en.output
    as_json = json.loads(
        runner.invoke(main, ["--firm", root, "status", paid.docno, "--json"]).output
    )
    section = as_json["sections"]["sales_return"]
    assert section["money"]["agreed"] == "2.61" and section["replacement_open"] is False
    keeper = runner.invoke(
        main, ["--firm", root, "status", paid.docno, "--json", "--as", WAREHOUSE_A]
    ).output
    assert (
        "2.61" not in keeper
        and "2.79" not in keeper
        and PRICE_W10 not in keeper
        and "money" not in json.loads(keeper)["sections"]["sales_return"]
    )


def test_nothing_a_keeper_receives_about_returns_carries_money(gw, send, notice):
    """Every message (and every part of every attached file) sent to warehouse staff about a
    return or an inbound slip: no price, requested, agreed, paid or balance figure."""
    pay_all(send, notice, "271.83")
    r = ret(send, notice, [{"product_code": "P-M8", "quantity": 10}], requested="66.66")
    assert ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 10}],
        requested="66.66",
        agreed_amount="55.55",
        docno=r.docno,
    ).accepted
    slip = inbound(send, r.docno, "WH-A", [{"product_code": "P-M8", "quantity": 3}])
    assert slip.accepted
    refused = inbound(send, r.docno, "WH-A", [{"product_code": "P-M8", "quantity": 30}])
    assert codes(refused) == [("D15", "inbound-exceeds-return")]
    mails = gw.ledger.view.rows(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE recipient IN (?, ?) AND (docno IN (?, ?) OR docno IS NULL)",
        [WAREHOUSE_A, WAREHOUSE_B, r.docno, slip.docno],
    )
    assert (
        len(mails) == 3
    )  # the return's copy (the agreed amount sends none), the slip's confirmation, the refusal
    for m in mails:
        msg = email.message_from_bytes(m["message"], policy=email.policy.default)
        texts = [
            msg["Subject"],
            msg.get_body(("plain",)).get_content(),
            msg.get_body(("html",)).get_content(),
        ]
        texts += [every_part(part.get_content()) for part in msg.iter_attachments()]
        for text in texts:
            for figure in (PRICE_M8, PRICE_W10, "66.66", "55.55", "271.83", "73.1"):
                assert figure not in text


def test_return_names_the_notice_customer_currency_and_three_persons(send, notice):
    line = [{"product_code": "P-M8", "quantity": 1}]
    assert codes(ret(send, notice, line, customer_code="C002")) == [("B8", "customer-mismatch")]
    assert codes(ret(send, notice, line, currency="USD")) == [("B18", "currency-mismatch")]
    missing = ret(send, notice, line, request_person=None, money_person=None, goods_person=None)
    assert codes(missing) == [
        ("B11", "required-missing"),
        ("B12", "required-missing"),
        ("B13", "required-missing"),
    ]
    assert codes(ret(send, "SN-2026-09999", line)) == [("B8", "doc-unknown")]


def test_inbound_against_cancelled_or_unknown_return_refused(send, notice):
    r = ret(send, notice, [{"product_code": "P-M8", "quantity": 2}])
    assert ret(
        send,
        notice,
        [{"product_code": "P-M8", "quantity": 2}],
        docno=r.docno,
        action="cancel",
        cancel_reason="客户撤回",
    ).accepted
    assert codes(inbound(send, r.docno, "WH-A", [{"product_code": "P-M8", "quantity": 1}])) == [
        ("B8", "doc-cancelled")
    ]
    assert codes(
        inbound(send, "RET-2026-09999", "WH-A", [{"product_code": "P-M8", "quantity": 1}])
    ) == [("B8", "doc-unknown")]
