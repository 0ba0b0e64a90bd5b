"""The summary workbook (``silu report``): figures against hand-computed expectations on a small
ledger recorded through the real pipeline; tables, charts and frozen headers in the file; text
from documents stays text; the warehouse version holds no price, amount or balance anywhere.

The ledger (November 2026; the previous period is 2 … 31 October):

- li.na: INQ-a 11-02 (C001, high, follow up 11-05), INQ-b 11-03 (C001, follow up 11-06);
  follow-ups on INQ-a 11-05 (on time, next 11-09) and 11-12 (late), on INQ-b 11-08 (late);
  quote QUO-a 11-06 for INQ-a (P-M8 100 × 1.15, P-W10 1000 × 0.15 = 265.00), sample 11-06,
  order 11-08 from the quote (accepted), contract 11-11 (265.00, 9 days after INQ-a);
  notice 11-12: P-M8 60 (WH-A, L2026-007), P-W10 1000 (WH-A); slip 11-13: 60 (2 damaged) and
  400, handling cost 25.50 → issued 60 × 1.15 + 400 × 0.15 = 129.00;
  payment 11-20: 100.00 on the notice; advance 11-21: 30.00; return 11-22: 5 P-M8 agreed 5.00,
  refund; 5 back into WH-A L2026-007 on 11-23.
- Tom Chen: INQ-c 11-04 (C002, follow up 11-10), follow-up 11-10 (on time), sample 11-07 (C002,
  no order since).
- li.na's INQ-old 10-15 (C002) is in the previous period.
- A customer C003 named ``=HYPERLINK("http://evil.test","点我")`` with a service record.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import ADMIN, FINANCE, MANAGER, SALES, SALES_EN, SERVICE, WAREHOUSE_A
from openpyxl import load_workbook

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.pipeline import Gateway, ingest
from silu_sheets.report import Period, write_report

NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
TODAY = dt.date(2026, 12, 5)
EVIL = '=HYPERLINK("http://evil.test","点我")'


@pytest.fixture(scope="module")
def ledger_firm(seeded_folder: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("report") / "firm"
    shutil.copytree(seeded_folder, root)
    settings = root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("[report]\n", "[report]\nexpiring_days = 160\n"))
    folder = firm_folder.open_firm(root)
    gw = Gateway.open(folder)

    def send(kind, header, lines=(), sender=SALES) -> str:
        outcome = ingest(gw, fill_form(kind, header, lines), f"{kind}.xlsx", sender)
        assert outcome.accepted, outcome.as_dict("en")
        assert outcome.docno
        return outcome.docno

    send("customers", {}, [{"code": "C003", "name": EVIL, "salesperson": SALES}], sender=ADMIN)

    def inquiry(day, customer, follow, sender=SALES, likelihood=None):
        header = {"inquiry_date": day, "customer_code": customer, "channel": "电话 phone"}
        header |= {"next_follow_up": follow, "likelihood": likelihood}
        return send("inquiry", header, [{"product_code": "P-M8", "quantity": 100}], sender=sender)

    def follow_up(inquiry_no, day, next_day=None, sender=SALES):
        header = {
            "inquiry_no": inquiry_no,
            "follow_up_date": day,
            "content": "电话沟通",
            "result": "继续跟进",
        }
        return send("follow_up", header | {"next_follow_up": next_day}, sender=sender)

    inquiry("2026-10-15", "C002", "2026-10-20")
    inq_a = inquiry("2026-11-02", "C001", "2026-11-05", likelihood="高 high")
    inq_b = inquiry("2026-11-03", "C001", "2026-11-06")
    inq_c = inquiry("2026-11-04", "C002", "2026-11-10", sender=SALES_EN)
    follow_up(inq_a, "2026-11-05", "2026-11-09")
    follow_up(inq_a, "2026-11-12", "2026-12-20")
    follow_up(inq_b, "2026-11-08", "2026-12-20")
    follow_up(inq_c, "2026-11-10", "2026-12-20", sender=SALES_EN)
    lines = [
        {"product_code": "P-M8", "quantity": 100, "unit_price": "1.15"},
        {"product_code": "P-W10", "quantity": 1000, "unit_price": "0.15"},
    ]
    quote = send(
        "quote",
        {
            "quote_date": "2026-11-06",
            "valid_until": "2026-12-31",
            "customer_code": "C001",
            "inquiry_no": inq_a,
        },
        lines,
    )
    send(
        "sample",
        {"send_date": "2026-11-06", "customer_code": "C001", "inquiry_no": inq_a},
        [{"product_code": "P-M8", "quantity": 20}],
    )
    send(
        "sample",
        {"send_date": "2026-11-07", "customer_code": "C002"},
        [{"product_code": "P-M8", "quantity": 10}],
        sender=SALES_EN,
    )
    order = send(
        "order",
        {
            "order_date": "2026-11-08",
            "customer_code": "C001",
            "quote_no": quote,
            "offer_type": "虚盘",
            "decision": "accepted",
        },
        lines,
    )
    contract = send(
        "contract",
        {
            "contract_date": "2026-11-11",
            "order_no": order,
            "customer_code": "C001",
            "delivery_date": "2026-12-10",
            "payment_days": 30,
        },
        lines,
    )
    notice = send(
        "shipment_notice",
        {"notice_date": "2026-11-12", "contract_no": contract},
        [
            {
                "product_code": "P-M8",
                "quantity": 60,
                "unit_price": "1.15",
                "warehouse": "WH-A",
                "lot": "L2026-007",
            },
            {"product_code": "P-W10", "quantity": 1000, "unit_price": "0.15", "warehouse": "WH-A"},
        ],
    )
    send(
        "issue_slip",
        {
            "issue_date": "2026-11-13",
            "notice_no": notice,
            "warehouse": "WH-A",
            "handling_cost": "25.50",
            "handling_note": "叉车",
        },
        [
            {
                "notice_line": 1,
                "product_code": "P-M8",
                "lot": "L2026-007",
                "quantity": 60,
                "damaged_quantity": 2,
            },
            {"notice_line": 2, "product_code": "P-W10", "quantity": 400},
        ],
        sender=WAREHOUSE_A,
    )
    send(
        "payment",
        {
            "payment_date": "2026-11-20",
            "customer_code": "C001",
            "payment_type": "receivable",
            "amount": "100",
        },
        [{"notice_no": notice, "applied": "100"}],
        sender=FINANCE,
    )
    send(
        "payment",
        {
            "payment_date": "2026-11-21",
            "customer_code": "C001",
            "payment_type": "advance",
            "amount": "30",
        },
        sender=FINANCE,
    )
    asked = {
        "return_date": "2026-11-22",
        "notice_no": notice,
        "reason": "螺纹不良",
        "request_person": "李娜",
        "money_person": "王强",
        "goods_person": "赵磊",
        "goods_disposition": "return",
        "money_disposition": "refund",
        "requested_amount": "5.75",
    }
    returned = [{"notice_line": 1, "product_code": "P-M8", "quantity": 5}]
    ret = send("sales_return", asked, returned)
    send("sales_return", asked | {"docno": ret, "agreed_amount": "5"}, returned, sender=MANAGER)
    send(
        "return_inbound",
        {"inbound_date": "2026-11-23", "return_no": ret, "warehouse": "WH-A"},
        [{"return_line": 1, "product_code": "P-M8", "lot": "L2026-007", "quantity": 5}],
        sender=WAREHOUSE_A,
    )
    send(
        "service",
        {
            "service_date": "2026-11-24",
            "customer_code": "C003",
            "request": "=SUM(1,2)",
            "action_taken": "已回电",
            "status": "open",
            "next_action": "2026-12-01",
        },
        sender=SERVICE,
    )
    gw.ledger.close()
    out = root / "reports"
    write_report(folder, out / "manager.xlsx", NOVEMBER, "manager", today=TODAY)
    write_report(folder, out / "warehouse.xlsx", NOVEMBER, "warehouse", today=TODAY)
    return folder, {"contract": contract, "notice": notice, "inq_a": inq_a}


def table(path: Path, name: str) -> list[dict]:
    """The rows of the Excel table ``name``, as {heading: value}."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if name in ws.tables:
            rows = list(ws[ws.tables[name].ref])
            heads = [c.value for c in rows[0]]
            return [dict(zip(heads, [c.value for c in r], strict=True)) for r in rows[1:]]
    raise AssertionError(f"no table {name}")


def by(rows: list[dict], heading: str) -> dict:
    return {r[heading]: r for r in rows}


@pytest.fixture(scope="module")
def manager(ledger_firm) -> Path:
    return ledger_firm[0].root / "reports" / "manager.xlsx"


@pytest.fixture(scope="module")
def warehouse(ledger_firm) -> Path:
    return ledger_firm[0].root / "reports" / "warehouse.xlsx"


def test_salespeople_evaluation_figures(manager):
    people = by(table(manager, "Salespeople"), "邮箱 Address")
    li = people[SALES]
    assert li["业务员 Salesperson"] == "李娜"
    assert (
        li["咨询 Inquiries"],
        li["按时跟进 Follow-ups on time"],
        li["逾期跟进 Follow-ups late"],
    ) == (2, 1, 2)
    assert (li["报价 Quotes"], li["样品 Samples"], li["订单 Orders"], li["合同 Contracts"]) == (
        1,
        1,
        1,
        1,
    )
    assert li["咨询→合同 Inquiry→contract"] == pytest.approx(0.5)
    assert li["样品→订单 Sample→order"] == pytest.approx(1.0)
    assert li["咨询到合同天数 Days inquiry→contract"] == pytest.approx(9.0)
    assert li["合同金额 Contract value CNY"] == pytest.approx(265.00)
    tom = people[SALES_EN]
    assert (
        tom["咨询 Inquiries"],
        tom["按时跟进 Follow-ups on time"],
        tom["逾期跟进 Follow-ups late"],
    ) == (1, 1, 0)
    assert tom["样品→订单 Sample→order"] == 0 and tom["咨询→合同 Inquiry→contract"] == 0
    # overdue now (5 December): li.na's INQ-old, due for a follow-up on 10-20; the contract
    # line still to notice is due on delivery, 12-10; Tom's inquiry is due 12-20
    assert li["当前逾期事项 Overdue now"] == 1
    assert tom["当前逾期事项 Overdue now"] == 0


def test_overview_this_period_beside_the_previous(manager):
    counts = by(table(manager, "OverviewCounts"), "指标 Figure")
    assert counts["咨询 inquiries"]["本期 This period"] == 3
    assert counts["咨询 inquiries"]["上期 Previous"] == 1
    assert counts["跟进 follow-ups"]["本期 This period"] == 4
    assert counts["其中逾期跟进 of them late"]["本期 This period"] == 2
    values = {(r["指标 Figure"], r["单位 Unit"]): r for r in table(manager, "OverviewValues")}
    assert values[("合同金额 contract value", "CNY")]["本期 This period"] == pytest.approx(265)
    assert values[("出库货值 goods issued, value", "CNY")]["本期 This period"] == pytest.approx(129)
    assert values[("收款 money received", "CNY")]["本期 This period"] == pytest.approx(130)
    assert values[("退货商定金额 returns agreed", "CNY")]["本期 This period"] == pytest.approx(5)
    quantities = by(table(manager, "OverviewQuantities"), "指标 Figure")
    assert quantities["出库数量 quantity issued"]["本期 This period"] == 460


def test_fulfilment_contract_lines_and_warehouses(manager, ledger_firm):
    lines = by(table(manager, "ContractLines"), "产品编号 Product")
    m8, w10 = lines["P-M8"], lines["P-W10"]
    assert (m8["合同数量 Contracted"], m8["已通知 Noticed"], m8["已出库 Issued"]) == (100, 60, 60)
    assert (m8["待通知 To notice"], m8["待出库 To issue"]) == (40, 0)
    assert (w10["已通知 Noticed"], w10["已出库 Issued"], w10["待出库 To issue"]) == (1000, 400, 600)
    assert m8["状态 State"] == w10["状态 State"] == "部分出库 partly issued"
    wh = by(table(manager, "Warehouses"), "仓库 Warehouse")["WH-A"]
    assert (wh["出库单数 Issue slips"], wh["出库数量 Issued"], wh["破损数量 Damaged"]) == (
        1,
        460,
        2,
    )
    assert wh["退货入库数量 Returned in"] == 5
    assert wh["出库杂费 Handling costs"] == pytest.approx(25.5)


def test_receivables_from_open_items(manager):
    row = by(table(manager, "Receivables"), "客户编号 Customer")["C001"]
    # owed: 129.00 issued − 100 paid − 5 agreed credit = 24.00, due 11-13 + 30 days = 12-13
    assert row["应收合计 Owed"] == pytest.approx(24)
    assert row["未到期 not yet due"] == pytest.approx(24)
    assert row["客户结余 Customer balance"] == pytest.approx(30)
    assert row["本期预收 Advances this period"] == pytest.approx(30)
    # the agreed 5.00 was credited to the notice, which still owed more: nothing to refund
    assert row["待退款 Refunds due"] == 0
    assert row["净应收 Net owed"] == pytest.approx(-6)


def test_sales_returns_stock_and_service(manager):
    sales = by(table(manager, "SalesByProduct"), "产品编号 Product")
    assert sales["P-M8"]["合同金额 Contracted value"] == pytest.approx(115)
    assert sales["P-W10"]["出库货值 Issued value"] == pytest.approx(60)
    returns = table(manager, "Returns")
    assert [
        (r["退货原因 Reason"], r["退货单数 Returns"], r["退货数量 Quantity"], r["商定金额 Agreed"])
        for r in returns
    ] == [("螺纹不良", 1, 5, 5)]
    stock = {
        (r["仓库 Warehouse"], r["产品编号 Product"], r["批号 Lot"]): r
        for r in table(manager, "Stock")
    }
    assert stock[("WH-A", "P-M8", "L2026-007")]["库存 On hand"] == 65  # 120 − 60 + 5
    assert stock[("WH-A", "P-W10", None)]["库存 On hand"] == 600
    expiring = [r["批号 Lot"] for r in table(manager, "Expiring")]
    # 2027-03-01 is 86 days after 12-05, 2027-05-10 is 156: both within silu.toml's 160; 2028 not
    assert expiring == ["L2026-007", "L2026-019"]
    service = by(table(manager, "ServiceByCustomer"), "客户编号 Code")["C003"]
    assert service["已逾期 overdue"] == 1  # next action 12-01 passed on 12-05


def test_pipeline_reads_open_inquiries(manager):
    grid = by(table(manager, "PipelineGrid"), "成交可能性 Likelihood")
    assert grid["高 high"]["合计 Total"] == 1
    assert sum(r["合计 Total"] for r in grid.values()) == 4  # INQ-old, a, b, c all still open
    open_inquiries = by(table(manager, "OpenInquiries"), "咨询单号 Inquiry")
    assert len(open_inquiries) == 4


def test_drill_down_lists_the_documents_behind_the_totals(manager, ledger_firm):
    docs = by(table(manager, "Documents"), "单号 Document")
    contract = docs[ledger_firm[1]["contract"]]
    assert contract["期间 Period"] == "本期 this" and contract["金额 Value"] == pytest.approx(265)
    assert (
        sum(
            1
            for r in docs.values()
            if r["单据 Kind"].startswith("咨询单") or "inquiry" in r["单据 Kind"]
        )
        >= 4
    )
    assert ledger_firm[1]["notice"] in {r["单号 Document"] for r in table(manager, "OpenItems")}


def test_every_sheet_is_a_filtered_table_with_frozen_header_and_says_how(manager):
    wb = load_workbook(manager)
    assert [ws.title for ws in wb.worksheets] == [
        "总览 Overview",
        "业务员评估 Salespeople",
        "销售漏斗 Pipeline",
        "销售 Sales",
        "履约 Fulfilment",
        "应收 Receivables",
        "退货 Returns",
        "库存 Stock",
        "售后 Service",
        "明细 Documents",
    ]
    for ws in wb.worksheets:
        assert ws.tables, ws.title
        assert ws.freeze_panes == "A6", ws.title
        assert "How:" in ws["A2"].value and "计算" in ws["A2"].value, ws.title
    with zipfile.ZipFile(manager) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 8


def test_text_from_documents_is_never_a_formula(manager, warehouse):
    for path in (manager, warehouse):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                assert b"<f>" not in z.read(name), (path.name, name)
    names = [r["客户名称 Customer name"] for r in table(manager, "SalesDetail")]
    service = table(manager, "ServiceRecords")
    assert service[0]["客户名称 Customer name"] == EVIL
    assert service[0]["客户要求 Request"] == "=SUM(1,2)"
    assert EVIL not in names  # C003 bought nothing


PRICE_WORDS = (
    "price",
    "amount",
    "balance",
    "value",
    "owed",
    "单价",
    "金额",
    "余额",
    "结余",
    "货值",
    "应收",
    "杂费",
)


def test_warehouse_version_holds_no_price_anywhere(warehouse):
    wb = load_workbook(warehouse)
    assert [ws.title for ws in wb.worksheets] == [
        "总览 Overview",
        "履约 Fulfilment",
        "库存 Stock",
        "明细 Documents",
    ]
    with zipfile.ZipFile(warehouse) as z:
        for name in z.namelist():
            text = z.read(name).decode("utf-8", "replace").lower()
            for word in PRICE_WORDS:
                assert word not in text, (name, word)
            for figure in ("1.15", "0.15", "265", "129", "25.5", "5.75"):
                assert f">{figure}<" not in text, (name, figure)
    lines = by(table(warehouse, "ContractLines"), "产品编号 Product")
    assert lines["P-W10"]["待出库 To issue"] == 600


def test_cli_writes_the_workbook_and_refuses_a_bad_date(ledger_firm, tmp_path):
    from click.testing import CliRunner

    from silu_sheets.cli import main

    folder = ledger_firm[0]
    runner = CliRunner()
    out = tmp_path / "november.xlsx"
    args = ["--firm", str(folder.root), "report", "--from", "2026-11-01", "--to", "2026-11-30"]
    done = runner.invoke(main, [*args, "--out", str(out), "--for", "warehouse"])
    assert done.exit_code == 0, done.output
    assert str(out) in done.output and out.exists()
    assert "库存 Stock" in load_workbook(out).sheetnames
    bad = runner.invoke(main, ["--firm", str(folder.root), "report", "--from", "2026-13-01"])
    assert bad.exit_code == 2
    assert "不是日期" in bad.output and "is not a date" in bad.output


def test_a_long_table_is_cut_and_says_so(tmp_path, monkeypatch):
    """Memory stays bounded however long the period: a table shows at most MAX_TABLE_ROWS."""
    import pandas as pd

    from silu_sheets.workbook import summary

    monkeypatch.setattr(summary, "MAX_TABLE_ROWS", 3)
    frame = pd.DataFrame({"docno": [f"D{i}" for i in range(5)], "n": range(5)})
    columns = [summary.Column("docno", "单号", "Document"), summary.Column("n", "数", "N", "int")]
    out = tmp_path / "cut.xlsx"
    summary.write(
        [summary.Sheet("S", "t", "how", [summary.Table("T", "cap", columns, frame)])], out
    )
    rows = table(out, "T")
    assert [r["单号 Document"] for r in rows] == ["D0", "D1", "D2"]
    assert "first 3 rows only (共 of 5)" in load_workbook(out)["S"]["A4"].value


def test_control_characters_never_reach_the_file(tmp_path):
    """Text stored before such text was refused still gives a file Excel opens without repair."""
    import pandas as pd

    from silu_sheets.workbook import summary

    frame = pd.DataFrame({"name": ["铃\x07声", "=1+1"]})
    out = tmp_path / "control.xlsx"
    columns = [summary.Column("name", "名称", "Name")]
    summary.write(
        [summary.Sheet("S", "t", "how", [summary.Table("T", "cap", columns, frame)])], out
    )
    assert [r["名称 Name"] for r in table(out, "T")] == ["铃声", "=1+1"]
