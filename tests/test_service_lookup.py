"""After-sales service records, the quick lookups (contracts, products), the company memo, the
personal notepad, and the money commands (balance, statement) through the real CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from conftest import FINANCE, SALES, SERVICE, WAREHOUSE_A, codes
from fulfilment_flow import signed_contract
from money_seed import seed_notice
from openpyxl import load_workbook

from silu_sheets import lookup, memo, money, notes
from silu_sheets.cli import main

D = Decimal


def service(
    send,
    sender=SERVICE,
    lines=({"product_code": "P-M8", "quantity": 2, "problem": "螺纹滑牙"},),
    **header,
):
    values = {
        "service_date": "2026-11-26",
        "customer_code": "C001",
        "request": "更换两颗螺栓",
        "status": "open",
        "next_action": "2026-11-30",
    } | header
    return send("service", values, list(lines), sender=sender)


# --- service --------------------------------------------------------------------------------------
def test_service_recorded_with_contract_of_the_customer(send, masters):
    contract_no = signed_contract(send)
    outcome = service(send, contract_no=contract_no)
    assert outcome.accepted, outcome.as_dict("en")
    assert outcome.problems == []


def test_service_contract_of_another_customer_refused(send, masters):
    contract_no = signed_contract(send)
    outcome = service(send, customer_code="C002", contract_no=contract_no)
    assert codes(outcome) == [("B9", "customer-mismatch")]


def test_service_unknowns_and_dates_refused(send, masters):
    outcome = service(
        send,
        customer_code="C999",
        contract_no="CON-2026-09999",
        next_action="2026-11-01",
        lines=[{"product_code": "P-NOPE"}],
    )
    assert sorted(codes(outcome)) == sorted(
        [
            ("B8", "customer-unknown"),
            ("B9", "doc-unknown"),
            ("A19", "product-unknown"),
            ("B15", "date-before"),
        ]
    )


def test_service_open_without_next_action_is_recorded_with_a_warning(send, masters):
    outcome = service(send, next_action=None)
    assert outcome.accepted
    assert codes(outcome) == [("B15", "service-next-action-missing")]
    closed = service(send, next_action=None, status="closed", lines=())
    assert closed.accepted and closed.problems == []


def test_service_by_sales_allowed_by_warehouse_not(send, masters):
    assert service(send, sender=SALES).accepted
    assert codes(service(send, sender=WAREHOUSE_A)) == [(None, "sender-not-allowed")]


# --- lookups ------------------------------------------------------------------------------------------
def test_lookup_contracts_with_terms_shipped_and_paid(gw, send, masters):
    notice = seed_notice(
        gw, "C001", [{"product_code": "P-W10", "quantity": 100, "unit_price": "0.50"}], issued=[60]
    )
    assert send(
        "payment",
        {
            "payment_date": "2026-11-25",
            "customer_code": "C001",
            "payment_type": "receivable",
            "amount": "20",
        },
        [{"notice_no": notice, "applied": "20"}],
        sender=FINANCE,
    ).accepted
    contract_no = gw.ledger.view.document(notice)["header"]["contract_no"]
    by_name = lookup.lookup_contracts(gw.ledger.view, "华东")
    assert [c["docno"] for c in by_name] == [contract_no]
    c = by_name[0]
    assert c["terms"]["payment_days"] == 30 and c["terms"]["delivery_date"] == "2026-12-10"
    assert [(x["product_code"], x["quantity"], x["noticed"], x["issued"]) for x in c["lines"]] == [
        ("P-W10", D(100), D(100), D(60))
    ]
    assert (c["shipped_value"], c["paid"], c["owed"]) == (D("30.00"), D(20), D("10.00"))
    assert lookup.lookup_contracts(gw.ledger.view, contract_no)[0]["docno"] == contract_no
    assert lookup.lookup_contracts(gw.ledger.view, "Acme") == []


def test_lookup_products_price_only_for_those_who_see_prices(gw, masters):
    for_sales = lookup.lookup_products(gw.ledger.view, "螺栓", sees_prices=True)
    assert [p["code"] for p in for_sales] == ["P-M8"]
    assert for_sales[0]["list_price"] == D("1.20")
    assert [(s["warehouse"], s["on_hand"]) for s in for_sales[0]["stock"]] == [
        ("WH-A", D(155)),
        ("WH-B", D(200)),
    ]
    assert for_sales[0]["stock"][0]["lots"] == [
        {"lot": "L2026-007", "on_hand": D(120)},
        {"lot": "L2026-019", "on_hand": D(35)},
    ]
    for_keeper = lookup.lookup_products(gw.ledger.view, "P-M8", sees_prices=False)
    assert "list_price" not in for_keeper[0]


def test_a_list_price_reads_in_the_firms_currency():
    """The products list names no currency: PRODUCT shows its list price in the firm's."""
    yen = {"code": "P-1", "name": "扳手", "on_hand": D(0), "stock": [], "list_price": D(1200)}
    assert lookup.product_answer([{**yen, "currency": "JPY"}], "zh")[0].endswith("标准价 1,200")
    assert lookup.product_answer([{**yen, "currency": "CNY"}], "en")[0].endswith(
        "list price 1,200.00"
    )


def test_lookup_products_carry_the_currency_given(gw, masters):
    found = lookup.lookup_products(gw.ledger.view, "P-M8", sees_prices=True, currency="CNY")
    assert found[0]["currency"] == "CNY"


def test_cli_lookup_product_hides_price_from_warehouse(gw, masters):
    runner = CliRunner()
    base = ["--firm", str(gw.firm.root), "lookup", "product", "P-M8", "--json"]
    keeper = json.loads(runner.invoke(main, [*base, "--as", WAREHOUSE_A]).output)
    assert "list_price" not in keeper[0] and "1.2" not in json.dumps(keeper)
    sales = json.loads(runner.invoke(main, [*base, "--as", SALES]).output)
    assert sales[0]["list_price"] == "1.2"


# --- memo and notes -----------------------------------------------------------------------------------
def test_memo_from_workbook(gw):
    root = gw.firm.root
    assert memo.memo(root) == []
    memo.write_example(memo.memo_path(root))
    found = memo.memo(root, "size")
    assert [e.topic for e in found] == ["公司规模 company size"]
    assert found[0].answer("en").startswith("We employ 80")
    runner = CliRunner()
    result = runner.invoke(main, ["--firm", str(root), "memo", "使命"])
    assert result.exit_code == 0 and "让每一颗螺栓" in result.output
    missing = runner.invoke(main, ["--firm", str(root), "memo", "nothing-like-this"])
    assert missing.exit_code == 1 and "Topics:" in missing.output


def test_memo_edited_in_excel_is_read(gw):
    path = memo.write_example(memo.memo_path(gw.firm.root))
    wb = load_workbook(path)
    wb["备忘录"].append(["交货期 lead time", "常规品 7 天。", ""])
    wb.save(path)
    assert (
        memo.memo(gw.firm.root, "lead")[0].answer("en") == "常规品 7 天。"
    )  # falls back to the other language


def test_notes_are_personal(gw):
    notes.add_note(gw.ledger, SALES, "周五前回电华东机电")
    notes.add_note(gw.ledger, SALES, "样品已寄")
    notes.add_note(gw.ledger, SERVICE, "not hers")
    assert [n["text"] for n in notes.list_notes(gw.ledger.view, SALES)] == [
        "样品已寄",
        "周五前回电华东机电",
    ]
    with pytest.raises(ValueError):
        notes.add_note(gw.ledger, SALES, "  ")
    runner = CliRunner()
    root = str(gw.firm.root)
    assert (
        runner.invoke(
            main, ["--firm", root, "note", "add", "call", "Anna", "--as", SERVICE]
        ).exit_code
        == 0
    )
    listed = runner.invoke(main, ["--firm", root, "note", "list", "--as", SERVICE])
    assert "call Anna" in listed.output and "周五" not in listed.output
    stranger = runner.invoke(main, ["--firm", root, "note", "list", "--as", "nobody@else.test"])
    assert stranger.exit_code == 1 and "not on the staff roster" in stranger.output


# --- balance and statement --------------------------------------------------------------------------
def test_cli_balance_and_statement_workbook(gw, send, masters, tmp_path):
    notice = seed_notice(
        gw,
        "C001",
        [{"product_code": "P-W10", "quantity": 100, "unit_price": "0.50"}],
        notice_date="2026-11-22",
    )
    assert send(
        "payment",
        {
            "payment_date": "2026-11-20",
            "customer_code": "C001",
            "payment_type": "advance",
            "amount": "80",
        },
        sender=FINANCE,
    ).accepted
    assert send(
        "payment",
        {
            "payment_date": "2026-11-25",
            "customer_code": "C001",
            "payment_type": "receivable",
            "amount": "30",
        },
        [{"notice_no": notice, "applied": "30"}],
        sender=FINANCE,
    ).accepted
    runner = CliRunner()
    root = str(gw.firm.root)
    result = runner.invoke(main, ["--firm", root, "balance", "C001", "--json"])
    assert json.loads(result.output) == [
        {
            "customer_code": "C001",
            "currency": "CNY",
            "balance": "80",
            "owed": "20",
            "refund_due": "0",
        }
    ]
    assert runner.invoke(main, ["--firm", root, "balance", "C404"]).exit_code == 1
    out = tmp_path / "st.xlsx"
    result = runner.invoke(
        main, ["--firm", root, "statement", "C001", "--since", "2026-11-21", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    ws = load_workbook(io.BytesIO(out.read_bytes()))["对账单"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] == "日期\nDate")
    table = rows[head + 1 :]
    assert table[0][2] == "期初余额 Opening balance" and D(str(table[0][5])) == D(-80)
    assert isinstance(table[1][0], dt.datetime)  # real dates, not text
    totals = next(r for r in table if r[0] == "本期合计 Period totals")
    assert (D(str(totals[3])), D(str(totals[4]))) == (D(50), D(30))  # in their own row
    closing = next(r for r in table if str(r[0]).startswith("期末余额 Closing balance"))
    assert D(str(closing[5])) == D(-60)  # owes 20, holds 80 of the customer's
    assert "陆拾元整" in str(table[table.index(closing) + 1][0])  # the closing in capitals
    st = money.statement(gw.ledger.view, "C001", "CNY")
    assert st["closing"] == D(-60) and st["opening"] == 0


# --- the demo scene -------------------------------------------------------------------------------
def test_money_demo_scene_on_shipped_notices(gw, masters):
    from silu_sheets.demo import Demo
    from silu_sheets.demo import money as money_scene

    said: list[str] = []
    demo = Demo(gw.firm, gw, said.append)
    money_scene.scene(demo)
    assert "skipped" in said[0] and demo.outcomes == []
    seed_notice(
        gw,
        "C001",
        [
            {
                "product_code": "P-M8",
                "quantity": 30,
                "unit_price": "1.15",
                "warehouse": "WH-A",
                "lot": "L2026-007",
            }
        ],
    )
    money_scene.scene(demo)
    got = [(o.kind, o.accepted, [p.code for p in o.problems]) for o in demo.outcomes]
    assert got == [
        ("payment", True, []),
        ("payment", False, ["notice-paid-above-owed"]),
        ("payment", True, []),
        ("payment", True, []),
        ("sales_return", False, ["return-exceeds-issued"]),
        ("sales_return", True, []),
        ("sales_return", True, []),
        ("return_inbound", True, []),
        (
            "payment",
            True,
            [],
        ),  # the notice was fully paid from the balance: the agreed money is refunded
        ("sales_return", True, []),
        ("service", True, []),
    ]
    view = gw.ledger.view
    assert len(money.open_replacements(view)) == 1
    assert money.balances(view, "C001")[0]["balance"] == D(200) - D(
        "17.25"
    )  # the rest of the only notice
