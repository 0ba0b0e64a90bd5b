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
from conftest import ADMIN, FINANCE, MANAGER, SALES, codes
from fulfilment_flow import m8, notice, ok, signed_contract, slip
from openpyxl import load_workbook

from silu_sheets import cli
from silu_sheets.kinds import KINDS

D = Decimal


def mails(gw, purpose=None, recipient=None):
    rows = gw.ledger.db.execute(
        "SELECT recipient, purpose, message FROM outbox ORDER BY id"
    ).fetchall()
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for to, why, raw in rows
        if (purpose is None or why == purpose) and (recipient is None or to == recipient)
    ]


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def reply_text(gw, outcome, index=0) -> str:
    raw = gw.ledger.view._one(
        "SELECT message FROM outbox WHERE id = ?", [outcome.outbox_ids[index]]
    )["message"]
    return text_of(email.message_from_bytes(raw, policy=email.policy.default))


def attached_rows(msg) -> list[tuple]:
    [part] = list(msg.iter_attachments())
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


def test_a_form_the_system_fails_on_tells_the_administrator_for_real(gw, send, masters):
    from silu_sheets.kinds import quote

    real = quote.check
    quote.check = lambda *a: 1 / 0  # a fault inside the rules
    try:
        outcome = send("quote", {"quote_date": "2026-11-20", "customer_code": "C001"})
    finally:
        quote.check = real
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
    assert "退款单价 3 高于售价 1.15" in text
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
