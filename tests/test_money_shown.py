"""Money as a person reads it (issue 15): every amount in a reply, a warning, a reminder or a
printed line is written in its currency's decimals (970.5 CNY → "970.50", 10000 JPY →
"10,000"); quantities keep their own form (0.3 stays 0.3) and JSON keeps exact strings."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from conftest import FINANCE, codes
from money_seed import seed_notice

from silu_sheets.reminders import Reminder, describe
from silu_sheets.values import display_width

D = Decimal


def pay(send, amount, notice, applied, currency=None):
    header = {
        "payment_date": "2026-11-25",
        "customer_code": "C001",
        "payment_type": "receivable",
        "amount": amount,
        "currency": currency,
    }
    return send("payment", header, [{"notice_no": notice, "applied": applied}], sender=FINANCE)


def test_a_payment_over_what_is_open_names_both_amounts_in_two_decimals(gw, send, masters):
    notice = seed_notice(
        gw, "C001", [{"product_code": "P-W10", "quantity": 100, "unit_price": "8"}]
    )
    outcome = pay(send, "970.5", notice, "970.5")
    assert codes(outcome) == [("B18", "notice-paid-above-owed")]
    zh = outcome.as_dict("zh")["problems"][0]
    en = outcome.as_dict("en")["problems"][0]
    assert "目前只欠 800.00（已出库货值 800.00，已收/已冲 0.00），本行核销 970.50" in zh["message"]
    assert "请改为不超过 800.00" in zh["message"]
    assert (
        "still owes only 800.00 (goods issued 800.00, already paid or credited 0.00)"
        in (en["message"])
    )
    assert "this line applies 970.50" in en["message"]
    # the JSON keeps the exact figures, not the text a person reads
    assert (zh["values"]["owed"], zh["values"]["applied"]) == ("800", "970.5")


def test_a_jpy_document_shows_no_decimals(gw, send, masters):
    notice = seed_notice(
        gw,
        "C001",
        [{"product_code": "P-W10", "quantity": 10, "unit_price": "1000"}],
        currency="JPY",
    )
    outcome = pay(send, "12000", notice, "12000", currency="JPY")
    assert codes(outcome) == [("B18", "notice-paid-above-owed")]
    message = outcome.as_dict("en")["problems"][0]["message"]
    assert "still owes only 10,000 (goods issued 10,000, already paid or credited 0)" in message
    assert "this line applies 12,000" in message
    assert ".00" not in message


def test_the_amount_applied_above_the_amount_received(send, masters, gw):
    notice = seed_notice(
        gw, "C001", [{"product_code": "P-W10", "quantity": 100, "unit_price": "8"}]
    )
    outcome = pay(send, "50", notice, "60.3")
    assert codes(outcome) == [("B10", "applied-above-amount")]
    message = outcome.as_dict("zh")["problems"][0]["message"]
    assert "核销合计 60.30 超过本次收款金额 50.00" in message
    assert "减少 10.30" in message


def test_a_price_warning_in_money_and_a_quantity_in_its_own_form(send, masters):
    quote = send(
        "quote",
        {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"},
        [{"product_code": "P-M8", "quantity": 300, "unit_price": "1.2"}],
    )
    assert quote.accepted, quote.as_dict("en")
    order = send(
        "order",
        {
            "order_date": "2026-11-21",
            "quote_no": quote.docno,
            "customer_code": "C001",
            "offer_type": "虚盘",
        },
        [{"product_code": "P-M8", "quantity": "300.5", "unit_price": "1.1"}],
    )
    messages = {p["code"]: p["message"] for p in order.as_dict("zh")["problems"]}
    assert "单价是 1.20，本订单是 1.10" in messages["order-price-differs-from-quote"]
    # a quantity is not money: 300.5 pieces is refused as written, not as "300.50"
    assert "本行填写 300.5" in messages["quantity-whole-units"].replace("本行为", "本行填写")
    assert "300.50" not in messages["quantity-whole-units"]


def test_a_reminder_amount_in_its_currency() -> None:
    def owed(amount: str, currency: str) -> str:
        r = Reminder(
            "notice_owed",
            "SN-1",
            "shipment_notice",
            customer_code="C001",
            amount=D(amount),
            currency=currency,
            due_on=dt.date(2026, 11, 20),
            days_late=9,
        )
        return describe(r, "zh")

    assert "未收 970.50 CNY" in owed("970.5", "CNY")
    assert "未收 10,000 JPY" in owed("10000", "JPY")


def test_the_todo_workbook_writes_each_amount_in_its_currency(gw) -> None:
    """Finance's list: a CNY amount shows two decimals, a JPY amount none (the cell's format)."""
    import io

    import openpyxl

    from silu_sheets.reminders import TodoList
    from silu_sheets.workbook import todo as todo_workbook

    person = gw.roster.find(FINANCE)
    day = dt.date(2026, 12, 1)
    items = [
        Reminder("notice_owed", f"SN-{cur}", "shipment_notice", amount=D(amount), currency=cur)
        for cur, amount in (("CNY", "970.5"), ("JPY", "10000"))
    ]
    data = todo_workbook.to_bytes(TodoList(person, day, True, items))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    heads = [c.value for c in sheet[4]]
    amounts = [row[heads.index("未结金额")] for row in sheet.iter_rows(min_row=5)]
    assert [(c.value, c.number_format) for c in amounts] == [
        (970.5, "#,##0.00"),
        (10000, "#,##0"),
    ]


def test_a_summary_table_writes_money_in_each_rows_currency(tmp_path) -> None:
    """A report table with a currency column: each money cell in its row's currency's decimals;
    a column of one currency (contract value JPY) in that currency's."""
    import openpyxl
    import pandas as pd

    from silu_sheets.workbook import summary

    frame = pd.DataFrame(
        {"currency": ["CNY", "JPY"], "value": [970.5, 10000.0], "value_JPY": [None, 10000.0]}
    )
    columns = [
        summary.Column("currency", "币种", "Currency"),
        summary.Column("value", "金额", "Value", "money"),
        summary.Column("value_JPY", "合同金额", "Contract value JPY", "money", currency="JPY"),
    ]
    sheet = summary.Sheet("S", "title", "how", [summary.Table("T", "caption", columns, frame)])
    path = tmp_path / "summary.xlsx"
    summary.write([sheet], path)
    ws = openpyxl.load_workbook(path)["S"]
    cells = {c.value: c.number_format for row in ws.iter_rows() for c in row if c.value}
    assert (cells[970.5], cells[10000]) == ("#,##0.00", "#,##0")


def test_silu_balance_writes_each_currency_in_its_decimals(gw, send, masters) -> None:
    from click.testing import CliRunner

    from silu_sheets.cli import main

    for amount, currency in (("970.5", None), ("10000", "JPY")):
        advance = send(
            "payment",
            {
                "payment_date": "2026-11-25",
                "customer_code": "C001",
                "payment_type": "advance",
                "amount": amount,
                "currency": currency,
            },
            sender=FINANCE,
        )
        assert advance.accepted, advance.as_dict("en")
    result = CliRunner().invoke(main, ["--firm", str(gw.firm.root), "balance", "C001"])
    assert result.exit_code == 0, result.output
    head, rule, *lines = result.output.splitlines()
    # the figures stand under their headings as a terminal shows them (a Chinese character is
    # two columns wide): every line as wide as the headings' rule
    assert [display_width(line) for line in (head, *lines)] == [display_width(rule)] * 3
    rows = {line.split()[1]: line.split()[2:] for line in lines}
    assert rows == {"CNY": ["970.50", "0.00", "0.00"], "JPY": ["10,000", "0", "0"]}
    exact = CliRunner().invoke(main, ["--firm", str(gw.firm.root), "balance", "C001", "--json"])
    assert {r["currency"]: r["balance"] for r in json.loads(exact.output)} == {
        "CNY": "970.5",
        "JPY": "10000",
    }


def test_a_firm_in_yen_writes_a_form_without_currency_in_yen(gw, send, masters) -> None:
    """A document leaving its currency empty is in the firm's (silu.toml): JPY, no decimals."""
    from silu_sheets import firm as firm_folder

    path = gw.firm.root / "silu.toml"
    text = path.read_text(encoding="utf-8")
    assert 'currency = "CNY"' in text
    path.write_text(text.replace('currency = "CNY"', 'currency = "JPY"', 1), "utf-8")
    gw.firm = firm_folder.open_firm(gw.firm.root)
    notice = seed_notice(
        gw, "C001", [{"product_code": "P-W10", "quantity": 10, "unit_price": "1000"}]
    )
    outcome = pay(send, "12000", notice, "12000")
    assert codes(outcome) == [("B18", "notice-paid-above-owed")]
    message = outcome.as_dict("zh")["problems"][0]["message"]
    assert "目前只欠 10,000（已出库货值 10,000，已收/已冲 0），本行核销 12,000" in message
