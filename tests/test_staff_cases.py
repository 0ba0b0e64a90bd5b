"""Business cases run the way the firm's staff run them (issue 11): real forms through the real
pipeline, the replies and the ``silu`` command read as a person reads them. Each test failed
before its fix."""

from __future__ import annotations

import email
import email.policy
import io
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from conftest import ADMIN, FINANCE, MANAGER, SALES, WAREHOUSE_A, codes
from fulfilment_flow import m8, notice, ok, signed_contract, slip
from openpyxl import load_workbook

from silu_sheets import cli
from silu_sheets.kinds import KINDS

D = Decimal


def mails(gw, purpose=None, recipient=None):
    rows = gw.ledger.db.execute(
        "SELECT recipient, purpose, message FROM outbox JOIN outbox_messages ON outbox_id = id ORDER BY id"
    ).fetchall()
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for to, why, raw in rows
        if (purpose is None or why == purpose) and (recipient is None or to == recipient)
    ]


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def reply_text(gw, outcome, index=0) -> str:
    raw = gw.ledger.view.row(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE id = ?",
        [outcome.outbox_ids[index]],
    )["message"]
    return text_of(email.message_from_bytes(raw, policy=email.policy.default))


#: the printed customer copies a quote's, a contract's and an issue slip's confirmations carry
PRINTED = ("报价单-", "销售合同-", "送货单-")


def forms_attached(msg) -> list:
    return [a for a in msg.iter_attachments() if not a.get_filename().startswith(PRINTED)]


def attached_rows(msg) -> list[tuple]:
    [part] = forms_attached(msg)
    ws = load_workbook(io.BytesIO(part.get_content())).worksheets[0]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def silu(firm, *args: str):
    return CliRunner().invoke(cli.main, ["--firm", str(firm.root), *args])


@pytest.fixture
def issued(send, masters):
    """C001's contract, a notice P-M8 30 from WH-A lot L2026-007, 20 issued."""
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(30, "WH-A", "L2026-007")]))
    iss = ok(slip(send, sn, "WH-A", [{"product_code": "P-M8", "quantity": 20, "lot": "L2026-007"}]))
    return con, sn, iss


# --- 8. status of an issue slip; every "someone was told" is true ----------------------------------
def test_status_of_an_issue_slip_in_words(firm, gw, issued):
    _, sn, iss = issued
    done = silu(firm, "status", iss)
    assert done.exit_code == 0, done.output
    assert "L2026-007" in done.output and "20" in done.output and sn in done.output


def test_a_failing_command_does_not_claim_the_administrator_was_told(gw, masters):
    from silu_sheets.mail import commands

    person = gw.roster.find(SALES)
    commands._HANDLERS["STATUS"], real = (
        lambda *a: 1 / 0,  # a fault inside the lookup
        commands._HANDLERS["STATUS"],
    )
    try:
        reply = commands.answer(gw, person, "STATUS", "SN-2026-00001")
    finally:
        commands._HANDLERS["STATUS"] = real
    assert "已收到通知" not in reply.text and "管理员" in reply.text
    assert ADMIN in reply.text


def test_a_form_the_system_fails_on_tells_the_administrator_for_real(
    gw, send, masters, monkeypatch
):
    from silu_sheets.kinds import HOOKS

    faulty = HOOKS["quote"]._replace(check=lambda *a: 1 / 0)  # a fault in the rules
    monkeypatch.setitem(HOOKS, "quote", faulty)
    outcome = send("quote", {"quote_date": "2026-11-20", "customer_code": "C001"})
    assert codes(outcome) == [(None, "internal-fault")]
    assert "管理员已收到通知" in reply_text(gw, outcome)
    [told] = mails(gw, "internal-fault", ADMIN)
    assert "quote.xlsx" in text_of(told) and SALES in text_of(told)


# --- 9. an over-issue names the lots there, the one asked for included -----------------------------
def test_over_issue_lists_the_lot_it_holds(gw, send, masters):
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(200, "WH-A")]))
    refused = slip(
        send, sn, "WH-A", [{"product_code": "P-M8", "quantity": 150, "lot": "L2026-019"}]
    )
    assert codes(refused) == [("D15", "issue-exceeds-stock")]
    message = refused.as_dict("zh")["problems"][0]["message"]
    assert "现有该产品批号：无" not in message
    assert "L2026-019（到期 2027-05-10，库存 35）" in message
    assert "L2026-007（到期 2027-03-01，库存 120）" in message


# --- 10. a settled customer is said to be settled ---------------------------------------------------
def pay_in_full(send, sn, amount="23"):
    """C001 pays the 20 issued of ``issued`` × 1.15."""
    return send(
        "payment",
        {
            "payment_date": "2026-11-25",
            "customer_code": "C001",
            "payment_type": "receivable",
            "amount": amount,
        },
        [{"notice_no": sn, "applied": amount}],
        sender=FINANCE,
    )


def test_balance_of_a_settled_customer(firm, gw, send, issued):
    _, sn, _ = issued
    paid = pay_in_full(send, sn)
    assert paid.accepted, paid.as_dict("en")
    done = silu(firm, "balance", "C001")
    assert done.exit_code == 0, done.output
    assert "已结清" in done.output and "settled" in done.output
    assert "No money on record" not in done.output and "Balance" not in done.output
    never = silu(firm, "balance", "C002")
    assert "没有往来款项" in never.output and "Balance" not in never.output


# --- 11. the issue-progress subject says what was issued ---------------------------------------------
def test_issue_progress_subject_says_what_was_issued(gw, issued):
    [progress] = mails(gw, "issue_progress", SALES)
    assert "0/1" not in progress["Subject"]
    assert "20/30" in progress["Subject"]


# --- 12. nothing owed yet: say so and why -------------------------------------------------------------
def test_paying_a_notice_nothing_is_issued_on(gw, send, masters):
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(30, "WH-A")]))
    refused = send(
        "payment",
        {
            "payment_date": "2026-11-25",
            "customer_code": "C001",
            "payment_type": "receivable",
            "amount": "10",
        },
        [{"notice_no": sn, "applied": "10"}],
        sender=FINANCE,
    )
    assert not refused.accepted
    zh = refused.as_dict("zh")["problems"][0]["message"]
    en = refused.as_dict("en")["problems"][0]["message"]
    assert "不超过 0" not in zh and "at most 0" not in en
    assert codes(refused) == [("B18", "notice-nothing-owed-yet")]
    assert "还没有任何货物出库" in zh and "预收款" in zh and "nothing is owed" in en


# --- 13. a payment's status in the reader's words -------------------------------------------------------
def test_refund_status_in_words(firm, gw, send, issued):
    _, sn, _ = issued
    assert pay_in_full(send, sn).accepted  # then an agreed return is money to pay back
    ret = send(
        "sales_return",
        {
            "return_date": "2026-11-26",
            "notice_no": sn,
            "reason": "螺纹不良",
            "request_person": "李娜",
            "money_person": "王强",
            "goods_person": "赵磊",
            "goods_disposition": "return",
            "money_disposition": "refund",
            "requested_amount": "2.30",
        },
        [{"product_code": "P-M8", "quantity": 2}],
        sender=MANAGER,
    )
    assert ret.accepted, ret.as_dict("en")
    header = {
        "docno": ret.docno,
        "return_date": "2026-11-26",
        "notice_no": sn,
        "reason": "螺纹不良",
        "request_person": "李娜",
        "money_person": "王强",
        "goods_person": "赵磊",
        "goods_disposition": "return",
        "money_disposition": "refund",
        "requested_amount": "2.30",
        "agreed_amount": "2.30",
    }
    agreed = send("sales_return", header, [{"product_code": "P-M8", "quantity": 2}], MANAGER)
    assert agreed.accepted, agreed.as_dict("en")
    refund = send(
        "payment",
        {
            "payment_date": "2026-11-28",
            "customer_code": "C001",
            "payment_type": "refund",
            "amount": "2.30",
            "sales_return_no": ret.docno,
        },
        sender=FINANCE,
    )
    assert refund.accepted, refund.as_dict("en")
    done = silu(firm, "status", refund.docno)
    assert done.exit_code == 0, done.output
    assert "refundable" not in done.output and "待退款" in done.output


# --- 17. a statement into a folder that does not exist yet ----------------------------------------------
def test_statement_into_a_new_folder(firm, gw, issued, tmp_path):
    out = tmp_path / "statements" / "2026-11" / "C001.xlsx"
    done = silu(firm, "statement", "C001", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert out.exists() and load_workbook(out).worksheets


# --- 18. note times in the firm's time zone ----------------------------------------------------------------
def test_note_times_in_the_firms_time_zone(firm, gw):
    import datetime as dt
    from zoneinfo import ZoneInfo

    assert silu(firm, "note", "add", "call Acme", "--as", SALES).exit_code == 0
    done = silu(firm, "note", "list", "--as", SALES, "--json")
    [found] = json.loads(done.output)
    written = dt.datetime.fromisoformat(found["written_at"])
    assert written.utcoffset() == dt.timedelta(hours=8)
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    assert abs((now - written).total_seconds()) < 600
    shown = silu(firm, "note", "list", "--as", SALES).output
    assert (
        now.strftime("%Y-%m-%d %H") in shown
        or (now - dt.timedelta(minutes=10)).strftime("%Y-%m-%d %H") in shown
    )


# --- 19. describe --json without a kind: every kind ----------------------------------------------------
def test_describe_json_of_every_kind():
    done = CliRunner().invoke(cli.main, ["describe", "--json"])
    assert done.exit_code == 0, done.output
    specs = json.loads(done.output)
    assert [s["kind"] for s in specs] == list(KINDS)
    words = CliRunner().invoke(cli.main, ["describe"])
    assert words.exit_code == 0 and "销售报价单 Sales quote" in words.output


def test_paying_a_settled_notice_again(gw, send, issued):
    _, sn, _ = issued
    assert pay_in_full(send, sn).accepted
    refused = pay_in_full(send, sn, "5")
    assert codes(refused) == [("B18", "notice-settled")]
    zh = refused.as_dict("zh")["problems"][0]["message"]
    assert "已经收清" in zh and "已出库货值 23" in zh and "不超过 0" not in zh


def sales_return(send, sn, lines, sender=SALES, **more):
    header = {
        "return_date": "2026-11-26",
        "notice_no": sn,
        "reason": "螺纹不良",
        "request_person": "李娜",
        "money_person": "王强",
        "goods_person": "赵磊",
        "goods_disposition": "return",
        "money_disposition": "refund",
        "requested_amount": "10",
        **more,
    }
    return send("sales_return", header, lines, sender=sender)


# --- 3. a manager's refund price above the price sold is said, with the sold price ---------------------
def test_manager_refund_price_above_the_sold_price_is_said(gw, send, issued):
    _, sn, _ = issued
    outcome = sales_return(
        send, sn, [{"product_code": "P-M8", "quantity": 10, "unit_price": "3"}], sender=MANAGER
    )
    assert outcome.accepted, outcome.as_dict("en")
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("D22", "return-price-above-sold", "warning")
    ]
    text = reply_text(gw, outcome)
    assert "退款单价 3.00 高于售价 1.15" in text
    at_price = sales_return(send, sn, [{"product_code": "P-M8", "quantity": 2}], sender=MANAGER)
    assert at_price.accepted and at_price.problems == []


# --- 16. the three persons responsible are people on the roster ---------------------------------------
def test_persons_responsible_on_a_return_are_on_the_roster(gw, send, issued):
    _, sn, _ = issued
    line = [{"product_code": "P-M8", "quantity": 1}]
    refused = sales_return(send, sn, line, money_person="老王", goods_person="nobody@firm.test")
    assert codes(refused) == [("B12", "return-person-unknown"), ("B13", "return-person-unknown")]
    zh = refused.as_dict("zh")["problems"][0]["message"]
    assert "老王" in zh and "王强" in zh
    by_address = sales_return(send, sn, line, money_person="Wang.Qiang@firm.test")
    assert by_address.accepted, by_address.as_dict("en")


# --- 1. the pre-filled contract carries each order line as it is ---------------------------------------
def test_prefilled_contract_keeps_each_order_line(gw, send, masters):
    from fulfilment_flow import accepted_order, contract

    lines = [
        {"product_code": "P-M8", "quantity": 10, "unit_price": "2.00"},
        {"product_code": "P-M8", "quantity": 5, "unit_price": "1.80"},
    ]
    order = accepted_order(send, lines)
    [confirmation] = [m for m in mails(gw, "confirmation", SALES) if order in m["Subject"]]
    rows = attached_rows(confirmation)
    first = next(i for i, r in enumerate(rows) if r[0] == "P-M8")
    assert [r[:3] for r in rows[first : first + 3]] == [
        ("P-M8", 10, 2),
        ("P-M8", 5, 1.8),
        (None, None, None),
    ]
    # sent back as it is: recorded with both lines, worth what the order is worth, no remark
    sent_back = contract(send, order, lines)
    assert sent_back.accepted and sent_back.problems == [], sent_back.as_dict("en")
    stored = gw.ledger.view.document(sent_back.docno)["lines"]
    total = sum(D(x["quantity"]) * D(x["unit_price"]) for x in stored)
    assert total == D("29.00")
    # its first notice is pre-filled line by line too, at each line's price
    [notice_form] = attached_rows_of(gw, sent_back)
    assert [r[:3] for r in notice_form if r[0] == "P-M8"] == [("P-M8", 10, 2), ("P-M8", 5, 1.8)]
    cheaper = notice(send, sent_back.docno, [m8(5, price="1.80")])
    assert cheaper.accepted and cheaper.problems == [], cheaper.as_dict("en")
    then = [r[:3] for r in attached_rows_of(gw, cheaper)[0] if r[0] == "P-M8"]
    assert then == [("P-M8", 10, 2)]
    # what is left to notice says the same, line by line (open items, silu status)
    from silu_sheets.open_items import remaining_by_line
    from silu_sheets.status import document_status

    assert remaining_by_line(gw.ledger.view, sent_back.docno, "contract_to_notice") == {1: 10}
    progress = document_status(gw.ledger.view, sent_back.docno)["sections"]["contract"]["progress"]
    assert [(r["noticed"], r["left_to_notice"]) for r in progress] == [("0", "10"), ("5", "0")]


def attached_rows_of(gw, outcome) -> list[list[tuple]]:
    raw = gw.ledger.view.row(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE id = ?",
        [outcome.outbox_ids[0]],
    )["message"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    found = []
    for part in forms_attached(msg):
        ws = load_workbook(io.BytesIO(part.get_content())).worksheets[0]
        found.append([tuple(c.value for c in row) for row in ws.iter_rows()])
    return found


# --- 2. a contract that differs from its order: accepted, differences listed, the manager told ----------
def test_contract_differing_from_its_order_is_listed_and_the_manager_told(gw, send, masters):
    from fulfilment_flow import accepted_order, contract

    order = accepted_order(send, [{"product_code": "P-M8", "quantity": 100, "unit_price": "2.00"}])
    outcome = contract(
        send,
        order,
        [
            {"product_code": "P-M8", "quantity": 120, "unit_price": "2.50"},
            {"product_code": "P-W10", "quantity": 10, "unit_price": "0.15"},
        ],
    )
    assert outcome.accepted, outcome.as_dict("en")
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("B8", "contract-total-differs-from-order", "warning"),
        ("B24", "contract-quantity-differs-from-order", "warning"),
        ("C24", "contract-price-differs-from-order", "warning"),
        ("A25", "contract-product-not-on-order", "warning"),
    ]
    text = reply_text(gw, outcome)
    prices = "订单单价 2.00，本合同 2.50"
    assert prices in text
    assert "订单总额 200.00，本合同总额 301.50" in text
    [told] = mails(gw, "contract_differs", MANAGER)
    body = text_of(told)
    assert outcome.docno in told["Subject"] and order in body and "李娜" in body
    assert prices in body and "P-W10" in body
    # amending only its terms is no news; changing its lines again is
    lines = [
        {"product_code": "P-M8", "quantity": 120, "unit_price": "2.50"},
        {"product_code": "P-W10", "quantity": 10, "unit_price": "0.15"},
    ]
    assert contract(send, order, lines, docno=outcome.docno, carrier="顺丰").accepted
    assert len(mails(gw, "contract_differs", MANAGER)) == 1
    lines[1]["quantity"] = 20
    assert contract(send, order, lines, docno=outcome.docno, carrier="顺丰").accepted
    assert len(mails(gw, "contract_differs", MANAGER)) == 2


def test_contract_missing_an_order_product_is_listed(gw, send, masters):
    from fulfilment_flow import accepted_order, contract

    order = accepted_order(send)  # P-M8 300 @ 1.15, P-W10 1200 @ 0.15
    outcome = contract(send, order, [m8(300)], sender=MANAGER)
    assert outcome.accepted
    assert [(p.cell, p.code) for p in outcome.problems] == [
        ("B8", "contract-total-differs-from-order"),
        ("B8", "contract-product-missing-from-order"),
    ]
    assert "P-W10" in reply_text(gw, outcome)
    assert mails(gw, "contract_differs") == []  # the manager sent it: nobody else to tell


# --- 4. a firm offer accepted after its validity -----------------------------------------------------------
def test_firm_offer_accepted_after_its_validity_is_flagged(gw, send, masters):
    from fulfilment_flow import decide, order

    firm_offer = ok(order(send, offer_type="firm", valid_until="2026-11-22"))
    accepted = decide(send, firm_offer, "accepted", offer_type="firm", valid_until="2026-11-22")
    assert accepted.accepted
    assert [(p.cell, p.code, p.severity) for p in accepted.problems] == [
        ("B15", "order-firm-offer-lapsed", "warning")
    ]
    text = reply_text(gw, accepted)
    assert "有效期至 2026-11-22" in text and "不再受" in text
    # within its validity: no remark
    later = "2099-12-31"
    fresh = ok(order(send, offer_type="firm", valid_until=later))
    assert decide(send, fresh, "accepted", offer_type="firm", valid_until=later).problems == []


# --- 14. a document date far from today is refused at its cell ---------------------------------------------
def test_a_document_date_far_from_today_is_refused_at_its_cell(gw, send, issued):
    import datetime as dt

    from fulfilment_flow import order

    today = gw.firm.today()
    typo = today.replace(year=today.year + 36).isoformat()  # 2062 typed for 2026
    refused = order(send, order_date=typo)
    assert codes(refused) == [("B7", "date-far-from-today")]
    zh = refused.as_dict("zh")["problems"][0]["message"]
    assert typo in zh and today.isoformat() in zh and "silu.toml" in zh
    _, sn, _ = issued
    past = (today - dt.timedelta(days=3 * 366)).isoformat()
    late = slip(
        send,
        sn,
        "WH-A",
        [{"product_code": "P-M8", "quantity": 1, "lot": "L2026-007"}],
        issue_date=past,
    )
    assert ("B7", "date-far-from-today") in codes(late)
    assert order(send, order_date=today.isoformat()).accepted


def test_the_date_window_is_set_in_silu_toml(firm, gw, masters):
    from silu_sheets import firm as firm_folder
    from silu_sheets.api import fill_form
    from silu_sheets.pipeline import Gateway, ingest

    settings = firm.root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    assert "date_past_days = 1095" in text and "date_future_days = 366" in text
    wider = text.replace("date_future_days = 366", "date_future_days = 40000")
    settings.write_text(wider, encoding="utf-8")
    wide = Gateway.open(firm_folder.open_firm(firm.root))
    try:
        today = wide.firm.today()
        values = {
            "order_date": today.replace(year=today.year + 36).isoformat(),
            "customer_code": "C001",
            "offer_type": "虚盘",
        }
        assert ingest(wide, fill_form("order", values, [m8(1)]), "order.xlsx", SALES).accepted
    finally:
        wide.ledger.close()
    settings.write_text(text.replace("date_past_days = 1095", "date_past_days = -1"), "utf-8")
    with pytest.raises(firm_folder.FirmError, match="date_past_days"):
        firm_folder.open_firm(firm.root)


# --- 15. whole units take no fractions ------------------------------------------------------------------------
def test_fractional_quantity_of_a_whole_unit_is_refused_at_the_cell(gw, send, masters):
    con = signed_contract(send)
    refused = notice(send, con, [m8("2.5", "WH-A")])
    assert codes(refused) == [("B18", "quantity-whole-units")]
    zh = refused.as_dict("zh")["problems"][0]["message"]
    assert "个" in zh and "2.5" in zh and "整数" in zh
    sn = ok(notice(send, con, [m8(3, "WH-A")]))
    half = slip(send, sn, "WH-A", [{"product_code": "P-M8", "quantity": "2.5", "lot": "L2026-007"}])
    assert codes(half) == [("D15", "quantity-whole-units")]


def test_a_product_may_declare_fractions(gw, send, masters):
    from conftest import ADMIN

    products = [
        {"code": "P-CU", "name": "铜线", "unit": "kg", "list_price": "68"},
        {"code": "P-BX", "name": "包装箱", "unit": "个", "fractional": "是", "list_price": "3"},
        {"code": "P-RL", "name": "胶带", "unit": "卷", "fractional": "否", "list_price": "3"},
    ]
    assert send("products", {}, products, sender=ADMIN).accepted
    stock = [
        {"warehouse": "WH-A", "product_code": "P-CU", "quantity": "10.5"},
        {"warehouse": "WH-A", "product_code": "P-BX", "quantity": "7.5"},
        {"warehouse": "WH-A", "product_code": "P-RL", "quantity": "1.5"},
    ]
    refused = send("opening_stock", {"as_of": "2026-11-01"}, stock, sender=ADMIN)
    assert codes(refused) == [("D9", "quantity-whole-units")]
    stock[2]["quantity"] = "2"
    assert send("opening_stock", {"as_of": "2026-11-01"}, stock, sender=ADMIN).accepted


# --- 5-7. replacements (换货) ------------------------------------------------------------------------------
@pytest.fixture
def replaced(send, gw, masters):
    """C001's contract noticed in full (P-M8 300, P-W10 1200), 20 P-M8 issued on its first notice;
    a return of 5 of them to be replaced, money: nothing (the goods are replaced)."""
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(30, "WH-A", "L2026-007")]))
    ok(slip(send, sn, "WH-A", [{"product_code": "P-M8", "quantity": 20, "lot": "L2026-007"}]))
    ok(
        notice(
            send,
            con,
            [m8(270, "WH-B"), {"product_code": "P-W10", "quantity": 1200, "unit_price": "0.15"}],
        )
    )
    ret = sales_return(
        send,
        sn,
        [{"product_code": "P-M8", "quantity": 5}],
        goods_disposition="replace",
        money_disposition="none",
        requested_amount=None,
    )
    assert ret.accepted, ret.as_dict("en")
    return con, sn, ret.docno


def replacement(send, con, ret, price="0", quantity=5, **more):
    values = {"notice_date": "2026-11-27", "contract_no": con, "replaces_return": ret} | more
    return send("shipment_notice", values, [m8(quantity, "WH-A", "L2026-007", price=price)])


def test_a_replacement_ships_on_a_contract_noticed_in_full(gw, send, replaced):
    from silu_sheets import money

    con, _, ret = replaced
    assert money.return_state(gw.ledger.view, ret)["replacement_open"]
    shipped = replacement(send, con, ret)
    assert shipped.accepted, shipped.as_dict("en")
    state = money.return_state(gw.ledger.view, ret)
    assert not state["replacement_open"] and state["replaced_by"] == [shipped.docno]
    # it draws on the return: a second replacement of the same goods is refused
    again = replacement(send, con, ret)
    assert codes(again) == [("B18", "notice-exceeds-replacement")]


def test_a_replacement_names_a_return_of_the_same_customer_to_be_replaced(gw, send, replaced):
    from fulfilment_flow import accepted_order, contract

    from silu_sheets import money

    con, sn, ret = replaced
    other_order = accepted_order(send, customer_code="C002")
    other = ok(contract(send, other_order, customer_code="C002"))
    theirs = replacement(send, other, ret)
    assert codes(theirs) == [("B12", "notice-replacement-other-customer")]
    assert money.return_state(gw.ledger.view, ret)["replacement_open"]
    kept = sales_return(send, sn, [{"product_code": "P-M8", "quantity": 2}], requested_amount="2")
    assert kept.accepted, kept.as_dict("en")
    not_replaced = replacement(send, con, kept.docno, quantity=2)
    assert codes(not_replaced) == [("B12", "notice-return-not-replacement")]
    zh = not_replaced.as_dict("zh")["problems"][0]["message"]
    assert kept.docno in zh and "退回" in zh


def test_replaced_goods_carry_no_charge_unless_the_return_says_so(gw, send, replaced):
    from silu_sheets import money

    con, sn, ret = replaced
    priced = replacement(send, con, ret, price="1.15")
    assert codes(priced) == [("C18", "notice-replacement-free")]
    free = ok(replacement(send, con, ret))
    five = [{"product_code": "P-M8", "quantity": 5, "lot": "L2026-007"}]
    ok(slip(send, free, "WH-A", five, issue_date="2026-11-28"))
    assert money.notice_owed(gw.ledger.view, free) == 0
    # a return that refunds the goods makes the replacement a sale again, at its price
    refunded = sales_return(
        send, sn, [{"product_code": "P-M8", "quantity": 3}], goods_disposition="replace"
    )
    assert refunded.accepted, refunded.as_dict("en")
    sold = replacement(send, con, refunded.docno, price="1.15", quantity=3)
    assert sold.accepted and sold.problems == [], sold.as_dict("en")


def test_a_return_to_replace_comes_back_with_the_replacement_notice_prefilled(gw, send, replaced):
    from silu_sheets.pipeline import ingest

    con, _, ret = replaced
    [confirmation] = [m for m in mails(gw, "confirmation", SALES) if ret in m["Subject"]]
    parts = {p.get_filename(): p.get_content() for p in confirmation.iter_attachments()}
    [(name, data)] = [(n, d) for n, d in parts.items() if n.startswith("shipment_notice")]
    rows = [
        tuple(c.value for c in r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows()
    ]
    assert rows[7][1] == con and rows[11][1] == ret  # B8 contract, B12 the return it replaces
    assert [r[:3] for r in rows if r[0] == "P-M8"] == [("P-M8", 5, 0)]
    # sent back with only the date filled in: recorded, nothing left to replace, nothing owed
    from openpyxl import load_workbook as open_book

    book = open_book(io.BytesIO(data))
    book.worksheets[0]["B7"] = "2026-11-27"
    out = io.BytesIO()
    book.save(out)
    outcome = ingest(gw, out.getvalue(), name, SALES)
    assert outcome.accepted and outcome.problems == [], outcome.as_dict("en")


def test_an_old_document_amended_with_its_own_date_passes(firm, gw, send, masters):
    import datetime as dt

    from fulfilment_flow import order

    from silu_sheets import firm as firm_folder
    from silu_sheets.api import fill_form
    from silu_sheets.pipeline import Gateway, ingest

    old = (gw.firm.today() - dt.timedelta(days=200)).isoformat()
    docno = ok(order(send, order_date=old))
    settings = firm.root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("date_past_days = 1095", "date_past_days = 30"), "utf-8")
    narrow = Gateway.open(firm_folder.open_firm(firm.root))
    try:
        values = {"order_date": old, "customer_code": "C001", "offer_type": "虚盘"}
        lines = [m8(300)]
        kept = ingest(narrow, fill_form("order", values | {"docno": docno}, lines), "o.xlsx", SALES)
        assert kept.accepted, kept.as_dict("en")
        new = ingest(narrow, fill_form("order", values, lines), "o.xlsx", SALES)
        assert codes(new) == [("B7", "date-far-from-today")]
    finally:
        narrow.ledger.close()


def test_a_return_confirmation_says_the_warehouse_got_a_copy_only_when_it_did(gw, send, issued):
    _, sn, _ = issued
    first = sales_return(send, sn, [{"product_code": "P-M8", "quantity": 2}], requested_amount="2")
    assert first.accepted, first.as_dict("en")
    assert "仓库已收到预填的退货入库单" in reply_text(gw, first)
    assert mails(gw, "warehouse_copy", WAREHOUSE_A)
    copies = len(mails(gw, "warehouse_copy"))
    agreed = sales_return(
        send,
        sn,
        [{"product_code": "P-M8", "quantity": 2}],
        sender=MANAGER,
        docno=first.docno,
        requested_amount="2",
        agreed_amount="2",
    )
    assert agreed.accepted, agreed.as_dict("en")
    assert len(mails(gw, "warehouse_copy")) == copies  # the goods did not change: no new copy
    assert "仓库已收到" not in reply_text(gw, agreed)
