"""Payments: receivables applied to notices, advances into the balance, the balance applied,
automatic application as goods are issued. Every rule from both sides, with exact amounts."""

from __future__ import annotations

import email
import email.policy
from decimal import Decimal

import pytest
from conftest import FINANCE, SALES, WAREHOUSE_A, codes
from money_seed import seed_notice

from silu_sheets import money

D = Decimal


@pytest.fixture
def notices(gw, masters):
    """C001: SN-1 issued 100 × 1.20 = 120 of 100; SN-2 issued 40 of 50 P-W10 × 0.50 = 20.
    C002: SN-3 in USD, issued 10 × 2 = 20."""
    one = seed_notice(
        gw,
        "C001",
        [
            {
                "product_code": "P-M8",
                "quantity": 100,
                "unit_price": "1.20",
                "warehouse": "WH-A",
                "lot": "L2026-007",
            }
        ],
        notice_date="2026-11-10",
    )
    two = seed_notice(
        gw,
        "C001",
        [{"product_code": "P-W10", "quantity": 50, "unit_price": "0.50"}],
        issued=[40],
        notice_date="2026-11-12",
    )
    three = seed_notice(
        gw, "C002", [{"product_code": "P-W10", "quantity": 10, "unit_price": "2"}], currency="USD"
    )
    return one, two, three


def pay(send, kind, amount=None, lines=(), customer="C001", **more):
    header = {
        "payment_date": "2026-11-25",
        "customer_code": customer,
        "payment_type": kind,
        "amount": amount,
        **more,
    }
    return send(
        "payment", header, [{"notice_no": n, "applied": a} for n, a in lines], sender=FINANCE
    )


def confirmation_text(gw, outcome) -> str:
    raw = gw.ledger.view.row(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE id = ?",
        [outcome.outbox_ids[0]],
    )["message"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return msg.get_body(("plain",)).get_content()


def test_notice_owes_issued_times_price(gw, notices):
    one, two, _ = notices
    assert money.notice_owed(gw.ledger.view, one) == D("120.00")
    assert money.notice_owed(gw.ledger.view, two) == D("20.00")  # 40 issued of 50, not 50


def test_receivable_applied_and_rest_to_balance(gw, send, notices):
    one, two, _ = notices
    outcome = pay(send, "receivable", "150", [(one, "120"), (two, "15")])
    assert outcome.accepted, outcome.as_dict("en")
    view = gw.ledger.view
    assert money.notice_owed(view, one) == 0
    assert money.notice_owed(view, two) == D("5.00")
    assert money.balance(view, "C001", "CNY") == D("15")
    text = confirmation_text(gw, outcome)
    assert "15.00 CNY 已转入客户 C001 的结余款" in text
    assert f"发货单 {two}：本次核销 15.00，尚欠 5.00 CNY" in text


def test_receivable_refused_above_what_notice_owes(gw, send, notices):
    one, _, _ = notices
    assert pay(send, "receivable", "100", [(one, "100")]).accepted
    outcome = pay(send, "receivable", "30", [(one, "30")])
    assert codes(outcome) == [("B18", "notice-paid-above-owed")]
    assert outcome.problems[0].values["owed"].amount == D("20.00")
    assert "还欠" not in outcome.as_dict("zh")["problems"][0]["message"]
    assert "目前只欠 20" in outcome.as_dict("zh")["problems"][0]["message"]
    assert money.notice_owed(gw.ledger.view, one) == D("20.00")


def test_same_notice_twice_counts_both_lines(send, notices):
    one, _, _ = notices
    outcome = pay(send, "receivable", "130", [(one, "100"), (one, "30")])
    assert codes(outcome) == [("B19", "notice-paid-above-owed")]
    assert outcome.problems[0].values["owed"].amount == D("20.00")


def test_applied_above_amount_refused(send, notices):
    one, _, _ = notices
    outcome = pay(send, "receivable", "50", [(one, "60")])
    assert codes(outcome) == [("B10", "applied-above-amount")]
    assert outcome.problems[0].values["excess"].amount == D("10")


def test_receivable_needs_lines_and_amount(send, notices):
    outcome = pay(send, "receivable", None, [])
    assert sorted(codes(outcome)) == sorted(
        [("B10", "payment-amount-needed"), ("A18", "payment-lines-needed")]
    )


def test_advance_goes_to_balance_and_names_only_customer(gw, send, notices):
    one, _, _ = notices
    refused = pay(send, "advance", "500", [(one, "10")])
    assert codes(refused) == [("A18", "advance-has-lines")]
    outcome = pay(send, "advance", "500")
    assert outcome.accepted
    assert money.balance(gw.ledger.view, "C001", "CNY") == D("500")
    assert "500.00 CNY 已转入客户 C001 的结余款" in confirmation_text(gw, outcome)


def test_apply_balance_never_above_balance(gw, send, notices):
    one, two, _ = notices
    assert pay(send, "advance", "100").accepted
    outcome = pay(send, "apply_balance", None, [(one, "90"), (two, "20")])
    assert codes(outcome) == [("B19", "balance-insufficient")]
    assert outcome.problems[0].values["left"].amount == D("10")
    assert money.balance(gw.ledger.view, "C001", "CNY") == D("100")
    ok = pay(send, "apply_balance", None, [(one, "90"), (two, "10")])
    assert ok.accepted, ok.as_dict("en")
    view = gw.ledger.view
    assert money.balance(view, "C001", "CNY") == 0
    assert money.notice_owed(view, one) == D("30.00")
    assert money.notice_owed(view, two) == D("10.00")


def test_apply_balance_also_bounded_by_notice(send, notices):
    one, _, _ = notices
    assert pay(send, "advance", "500").accepted
    outcome = pay(send, "apply_balance", None, [(one, "121")])
    assert codes(outcome) == [("B18", "notice-paid-above-owed")]
    assert outcome.problems[0].values["owed"].amount == D("120.00")


def test_notice_of_other_customer_or_currency_refused(send, notices):
    one, _, three = notices
    outcome = pay(send, "receivable", "20", [(three, "20")])
    assert codes(outcome) == [("A18", "customer-mismatch")]
    outcome = pay(send, "receivable", "20", [(three, "20")], customer="C002")
    assert codes(outcome) == [("A18", "currency-mismatch")]
    outcome = pay(send, "receivable", "20", [(three, "20")], customer="C002", currency="USD")
    assert outcome.accepted, outcome.as_dict("en")
    outcome = pay(send, "receivable", "20", [(one, "20")], currency="USD")
    assert codes(outcome) == [("A18", "currency-mismatch")]


def test_unknown_or_wrong_kind_notice_refused(send, notices):
    outcome = pay(send, "receivable", "20", [("SN-2026-09999", "20")])
    assert codes(outcome) == [("A18", "doc-unknown")]
    advance = pay(send, "advance", "5")
    outcome = pay(send, "receivable", "20", [(advance.docno, "20")])
    assert codes(outcome) == [("A18", "doc-wrong-kind")]


def test_amend_or_cancel_advance_once_used_refused(gw, send, notices):
    one, _, _ = notices
    advance = pay(send, "advance", "100")
    assert pay(send, "apply_balance", None, [(one, "80")]).accepted
    lower = pay(send, "advance", "50", docno=advance.docno)
    assert codes(lower) == [("B10", "balance-would-go-negative")]
    assert lower.problems[0].values["left"].amount == D("-30")
    cancel = pay(
        send, "advance", "100", docno=advance.docno, action="cancel", cancel_reason="wrong customer"
    )
    assert codes(cancel) == [("B5", "balance-would-go-negative")]
    assert money.balance(gw.ledger.view, "C001", "CNY") == D("20")
    higher = pay(send, "advance", "130", docno=advance.docno)
    assert higher.accepted
    assert money.balance(gw.ledger.view, "C001", "CNY") == D("50")


def test_cancel_unused_advance_reverses_it(gw, send, notices):
    advance = pay(send, "advance", "100")
    cancel = pay(
        send, "advance", "100", docno=advance.docno, action="cancel", cancel_reason="entered twice"
    )
    assert cancel.accepted, cancel.as_dict("en")
    view = gw.ledger.view
    assert money.balance(view, "C001", "CNY") == 0
    rows = view.rows(
        "SELECT movement, amount FROM money_movements WHERE docno = ? ORDER BY id", [advance.docno]
    )
    assert [(r["movement"], r["amount"]) for r in rows] == [
        ("advance", "100"),
        ("reversal", "-100"),
    ]


def test_amend_receivable_replaces_its_effects(gw, send, notices):
    one, _, _ = notices
    first = pay(send, "receivable", "120", [(one, "120")])
    again = pay(send, "receivable", "120", [(one, "100")], docno=first.docno)
    assert again.accepted, again.as_dict("en")
    view = gw.ledger.view
    assert money.notice_owed(view, one) == D("20.00")
    assert money.balance(view, "C001", "CNY") == D("20")


def enable_auto_apply(gw) -> None:
    from silu_sheets import firm as firm_folder

    path = gw.firm.root / "silu.toml"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n[payments]\nauto_apply_balance = true\n",
        encoding="utf-8",
    )
    gw.firm = firm_folder.open_firm(gw.firm.root)


def test_auto_apply_oldest_first_as_goods_are_issued_and_mails_sales_and_finance(gw, send, notices):
    """A real issue slip for the last 10 washers of SN-2: the balance goes to SN-1 first (all it
    owes, 120), then SN-2 (10 of the 25 it now owes); salesperson and finance get a note."""
    one, two, _ = notices
    assert pay(send, "advance", "130").accepted
    enable_auto_apply(gw)
    slip = send(
        "issue_slip",
        {"issue_date": "2026-11-26", "notice_no": two, "warehouse": "WH-A"},
        [{"notice_line": 1, "product_code": "P-W10", "quantity": 10}],
        sender=WAREHOUSE_A,
    )
    assert slip.accepted, slip.as_dict("en")
    view = gw.ledger.view
    rows = view.rows(
        "SELECT notice_no, amount FROM money_movements WHERE docno = ? AND account = 'notice' ORDER BY id",
        [slip.docno],
    )
    assert [(r["notice_no"], r["amount"]) for r in rows] == [(one, "120.00"), (two, "10.00")]
    assert money.balance(view, "C001", "CNY") == 0
    assert money.notice_owed(view, two) == D("15.00")
    mails = view.rows(
        "SELECT recipient, message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE purpose = 'balance_applied' ORDER BY recipient"
    )
    assert [m["recipient"] for m in mails] == sorted([SALES, FINANCE])
    body = (
        email.message_from_bytes(mails[0]["message"], policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
    )
    assert f"发货单 {two}：冲抵 10.00 CNY，尚欠 15.00 CNY" in body
    to_keeper = view.rows("SELECT purpose FROM outbox WHERE recipient = ?", [WAREHOUSE_A])
    assert "balance_applied" not in {m["purpose"] for m in to_keeper}


def test_auto_apply_off_by_default(gw, send, notices):
    _, two, _ = notices
    assert pay(send, "advance", "50").accepted
    slip = send(
        "issue_slip",
        {"issue_date": "2026-11-26", "notice_no": two, "warehouse": "WH-A"},
        [{"notice_line": 1, "product_code": "P-W10", "quantity": 10}],
        sender=WAREHOUSE_A,
    )
    assert slip.accepted, slip.as_dict("en")
    assert money.balance(gw.ledger.view, "C001", "CNY") == D("50")
    assert money.notice_owed(gw.ledger.view, two) == D("25.00")


def test_balances_listing(gw, send, notices):
    one, _, three = notices
    assert pay(send, "receivable", "200", [(one, "120")]).accepted
    rows = money.balances(gw.ledger.view)
    assert rows == [
        {
            "customer_code": "C001",
            "currency": "CNY",
            "balance": D("80"),
            "owed": D("20.00"),
            "refund_due": D(0),
        },
        {
            "customer_code": "C002",
            "currency": "USD",
            "balance": D(0),
            "owed": D("20"),
            "refund_due": D(0),
        },
    ]


def test_paid_beyond_tells_a_notice_amendment_what_payments_need(gw, send, notices):
    one, _, _ = notices
    assert pay(send, "receivable", "100", [(one, "100")]).accepted
    view = gw.ledger.view
    assert money.paid_beyond(view, one, {1: D("1.20")}) == 0
    assert money.paid_beyond(view, one, {1: D("0.90")}) == D(
        "10.00"
    )  # 100 issued × 0.90 = 90 < 100 paid


def test_cancelled_slip_gives_auto_applied_money_back_to_the_balance(gw, send, notices):
    _, two, _ = notices
    assert pay(send, "advance", "200").accepted
    assert pay(send, "apply_balance", None, [(notices[0], "120")]).accepted
    enable_auto_apply(gw)
    line = [{"notice_line": 1, "product_code": "P-W10", "quantity": 10}]
    slip = send(
        "issue_slip",
        {"issue_date": "2026-11-26", "notice_no": two, "warehouse": "WH-A"},
        line,
        sender=WAREHOUSE_A,
    )
    assert slip.accepted, slip.as_dict("en")
    view = gw.ledger.view
    assert money.balance(view, "C001", "CNY") == D(
        "55.00"
    )  # 80 − the 25 SN-2 owes once all 50 are issued
    cancel = send(
        "issue_slip",
        {
            "issue_date": "2026-11-26",
            "notice_no": two,
            "warehouse": "WH-A",
            "docno": slip.docno,
            "action": "cancel",
            "cancel_reason": "counted twice",
        },
        line,
        sender=WAREHOUSE_A,
    )
    assert cancel.accepted, cancel.as_dict("en")
    assert money.balance(view, "C001", "CNY") == D(80)
    assert money.notice_owed(view, two) == D("20.00")


def test_a_payments_status_names_what_it_moved_in_the_readers_language(gw, send, notices):
    from tables import table_rows

    from silu_sheets.status import document_status, render_status, status_blocks

    one, _, _ = notices
    advance = pay(send, "advance", "100")
    applied = pay(send, "apply_balance", None, [(one, "80")])
    found = document_status(gw.ledger.view, advance.docno)
    assert table_rows(status_blocks(found, "zh"), "款项去向") == [
        {"款项": "预收款", "账户": "客户结余", "单号": "—", "金额": "100.00"}
    ]
    assert render_status(found, "zh").startswith(f"收款单 {advance.docno}：收款 100.00")
    found = document_status(gw.ledger.view, applied.docno)
    assert table_rows(status_blocks(found, "en"), "Where the money went") == [
        {"What": "balance applied", "Account": "notice owed", "Document": one, "Amount": "80.00"},
        {"What": "balance applied", "Account": "customer balance", "Document": one, "Amount": "-80.00"},
    ]  # fmt: skip
    blind = document_status(gw.ledger.view, applied.docno, prices=False)
    assert "80" not in render_status(blind, "zh")  # the warehouse sees no amounts
