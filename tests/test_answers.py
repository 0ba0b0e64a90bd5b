"""Command answers written for people (issue 15): STATUS and NOTES — and ``silu status`` and
``silu note list`` — answer with a head line in words and small tables in the reader's language,
never stored keys or raw values; the warehouse's answers carry no price. A whole chain is
recorded through the real pipeline (real forms, a real ledger), then every document's status is
asked for as a salesperson (zh and en) and as a warehouse keeper would, by mail and by the CLI."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from conftest import FINANCE, MANAGER, SALES, SALES_EN, WAREHOUSE_A
from fulfilment_flow import contract, notice, ok, order, slip
from tables import table_rows

from silu_sheets import cli
from silu_sheets.mail import commands
from silu_sheets.status import document_status, status_blocks

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session

#: prices no quantity in the chain can be mistaken for
LINES = [
    {"product_code": "P-M8", "quantity": 300, "unit_price": "7.13"},
    {"product_code": "P-W10", "quantity": 1200, "unit_price": "0.37"},
]
#: every price and amount of the chain as it could be written: none may reach the warehouse
MONEY = (
    "7.13",
    "0.37",
    "2,139",
    "2139",
    "444",
    "2,583",
    "2583",
    "142.6",
    "179.6",
    "50.00",
    "14.26",
)


@pytest.fixture
def chain(send, masters) -> dict[str, str]:
    """inquiry → follow-up → quote → order (pending) and order (accepted) → contract → notice →
    issue slip → payment → sales return → return inbound: one of each, as staff send them."""
    docs = {}
    docs["inquiry"] = ok(
        send(
            "inquiry",
            {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话 phone"},
            [{"product_code": "P-M8", "quantity": 100}],
        )
    )
    docs["follow_up"] = ok(
        send(
            "follow_up",
            {
                "inquiry_no": docs["inquiry"],
                "follow_up_date": "2026-11-21",
                "content": "电话沟通交期",
                "result": "继续跟进",
                "next_follow_up": "2026-12-01",
            },
        )
    )
    docs["quote"] = ok(
        send(
            "quote",
            {
                "quote_date": "2026-11-21",
                "valid_until": "2026-12-20",
                "customer_code": "C001",
                "inquiry_no": docs["inquiry"],
            },
            LINES,
        )
    )
    docs["pending"] = ok(order(send, LINES, quote_no=docs["quote"]))
    docs["order"] = ok(order(send, LINES, decision="accepted"))
    docs["contract"] = ok(contract(send, docs["order"], LINES))
    docs["notice"] = ok(
        notice(
            send,
            docs["contract"],
            [
                {"product_code": "P-M8", "quantity": 30, "unit_price": "7.13", "warehouse": "WH-A",
                 "lot": "L2026-007"},
                {"product_code": "P-W10", "quantity": 100, "unit_price": "0.37", "warehouse": "WH-A"},
            ],
        )
    )  # fmt: skip
    docs["slip"] = ok(
        slip(
            send,
            docs["notice"],
            "WH-A",
            [
                {"product_code": "P-M8", "quantity": 20, "lot": "L2026-007"},
                {"product_code": "P-W10", "quantity": 100},
            ],
        )
    )
    docs["payment"] = ok(
        send(
            "payment",
            {"payment_date": "2026-11-25", "customer_code": "C001",
             "payment_type": "receivable", "amount": "50.00"},
            [{"notice_no": docs["notice"], "applied": "50.00"}],
            sender=FINANCE,
        )
    )  # fmt: skip
    docs["return"] = ok(
        send(
            "sales_return",
            {"return_date": "2026-11-26", "notice_no": docs["notice"], "reason": "螺纹不良",
             "request_person": "李娜", "money_person": "王强", "goods_person": "赵磊",
             "goods_disposition": "return", "money_disposition": "refund",
             "requested_amount": "14.26"},
            [{"product_code": "P-M8", "quantity": 2}],
            sender=MANAGER,
        )
    )  # fmt: skip
    docs["inbound"] = ok(
        send(
            "return_inbound",
            {"inbound_date": "2026-11-27", "return_no": docs["return"], "warehouse": "WH-A"},
            [{"product_code": "P-M8", "quantity": 2, "lot": "L2026-007"}],
            sender=WAREHOUSE_A,
        )
    )
    return docs


def status_mail(gw, who: str, docno: str):
    reply = commands.answer(gw, gw.roster.find(who), "STATUS", docno)
    return reply.text, reply.html


#: what a stored key or raw value looks like in an answer
RAW = (
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # a stored key: left_to_notice, receipt_applied
    re.compile(r"\d{4}-\d\d-\d\dT\d\d"),  # an ISO timestamp
    re.compile(r"\d\d:\d\d:\d\d"),  # a time to the second
    re.compile(r"\b(None|True|False|null)\b"),
    re.compile(r"[{}\[\]]"),  # a dumped dict or list
)


def raw_in(text: str) -> list[str]:
    return [m.group(0) for pattern in RAW for m in pattern.finditer(text)]


def words_of(text: str) -> list[str]:
    """Lower-case English words of three letters or more (codes and numbers are upper-case or
    digits: P-M8, WH-A, CON-2026-00001, L2026-007)."""
    return re.findall(r"(?<![A-Za-z0-9.@-])[a-z]{3,}(?![A-Za-z0-9@-])", text)


# --- the whole chain, as sales (zh, en) and as the warehouse ---------------------------------
def test_every_status_of_the_chain_reads_in_words(gw, chain):
    for docno in chain.values():
        zh, zh_html = status_mail(gw, SALES, docno)
        en, _ = status_mail(gw, SALES_EN, docno)
        body_zh = zh.split("\n", 2)[2]  # after the greeting
        assert raw_in(zh) == [] and raw_in(en) == [], (docno, raw_in(zh), raw_in(en))
        # a zh answer has no English word in it (the sign-off's product name aside)
        assert words_of(body_zh.replace("silu-sheets", "")) == [], (docno, zh)
        assert "<table" in zh_html  # at least the revisions, as a real table
        # the head: what it is, its number, where it stands
        assert re.fullmatch(rf"\S+ {docno}：\S.*", zh.splitlines()[2]), zh
        assert re.fullmatch(rf"[A-Z][\w -]+ {docno}: \S.*", en.splitlines()[2]), en


def test_a_keeper_asking_about_any_document_of_the_chain_sees_no_price(gw, chain):
    sales, _ = status_mail(gw, SALES, chain["order"])
    assert "7.13" in sales and "2,583.00" in sales  # the control: sales does see them
    for docno in chain.values():
        text, html = status_mail(gw, WAREHOUSE_A, docno)
        cli_text = (
            CliRunner()
            .invoke(cli.main, ["--firm", str(gw.firm.root), "status", docno, "--as", WAREHOUSE_A])
            .output
        )
        for shown in (text, html, cli_text):
            assert not [m for m in MONEY if m in shown], (docno, shown)
        assert "PAY-" not in text or docno == chain["payment"]  # a payment is not theirs


# --- the order: the brief's own example ------------------------------------------------------
def test_the_status_of_an_order_in_chinese(gw, chain):
    text, _ = status_mail(gw, SALES, chain["order"])
    lines = text.splitlines()
    assert lines[2] == f"销售订单 {chain['order']}：已接受，已签合同 {chain['contract']}"
    assert lines[3] == "客户：C001 华东机电有限公司　负责人：李娜　第 1 版"
    for raw in ("accepted", "active", "decision", "li.na@", "non_firm", "unit_price"):
        assert raw not in text
    rows = [line.split() for line in lines]
    assert ["1", "P-M8", "不锈钢螺栓", "M8×40", "300", "7.13", "2,139.00"] in rows
    assert ["2", "P-W10", "平垫圈", "10", "1200", "0.37", "444.00"] in rows
    assert "订单明细（合计 2,583.00）" in lines and "报盘：虚盘" in lines
    pending, _ = status_mail(gw, SALES, chain["pending"])
    assert f"销售订单 {chain['pending']}：待决定" in pending
    assert "下一步：请主管在订单的“决定”一栏选接受或拒绝，再发回本订单。" in pending
    assert "pending" not in pending


def test_the_status_of_an_order_in_english(gw, chain):
    text, _ = status_mail(gw, SALES_EN, chain["pending"])
    lines = text.splitlines()
    assert lines[2] == f"Sales order {chain['pending']}: awaiting a decision"
    assert lines[4].startswith("Next: A manager chooses Accept or Decline")
    assert ["1", "P-M8", "不锈钢螺栓", "M8×40", "300", "7.13", "2,139.00"] in [
        line.split() for line in lines
    ]
    for zh_word in ("有效", "决定", "待定", "订单明细", "客户"):
        assert zh_word not in text
    assert "From quote: " + chain["quote"] in lines


def test_the_contract_and_notice_say_what_is_left_and_who_acts(gw, chain):
    found = document_status(gw.ledger.view, chain["contract"])
    assert table_rows(status_blocks(found, "zh"), "合同执行情况")[0] == {
        "行": "1", "产品": "P-M8", "品名": "不锈钢螺栓 M8×40", "合同数量": "300",
        "已开发货单": "30", "已出库": "20", "待开": "270", "单价": "7.13",
    }  # fmt: skip
    found = document_status(gw.ledger.view, chain["notice"], prices=False, language="zh")
    blocks = status_blocks(found, "zh")
    assert blocks[0] == f"销售发货单 {chain['notice']}：部分出库"
    assert "下一步：等仓库出库（尚未出库：WH-A 10）。" in blocks
    assert [r["未出库"] for r in table_rows(blocks, "发货单明细")] == ["10", "0"]
    assert table_rows(blocks, "出库单") == [
        {"出库单": chain["slip"], "仓库": "WH-A", "出库日期": "2026-11-24"}
    ]


def test_revisions_are_a_table_of_names_and_local_times(gw, chain):
    found = document_status(gw.ledger.view, chain["slip"])
    [revision] = table_rows(status_blocks(found, "zh", gw.roster.name_of), "修改记录")
    assert (revision["版本"], revision["操作"], revision["经办人"], revision["途径"]) == (
        "1",
        "登记",
        "赵磊",
        "文件",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", revision["时间"])


# --- plain text aligned as a fixed-width font shows it ----------------------------------------
def width(text: str) -> int:
    """Display columns, measured here independently of tabulate: a Chinese character is two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_plain_text_tables_line_up_with_chinese_in_them(gw, chain):
    text = (
        CliRunner()
        .invoke(cli.main, ["--firm", str(gw.firm.root), "status", chain["notice"]])
        .output.splitlines()
    )
    at = text.index("发货单明细")
    header, rule, *rows = text[at + 1 : at + 5]
    assert set(rule) <= {"-", " "}
    # every column starts where its rule starts, however many Chinese characters precede it
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    for line in (header, *rows):
        assert width(line) <= width(rule)
        for start in starts[1:]:
            prefix = next(i for i in range(len(line) + 1) if width(line[:i]) >= start)
            assert width(line[:prefix]) == start and line[prefix - 1] == " ", (line, start)


# --- the HTML part: real tables --------------------------------------------------------------
class Tables(HTMLParser):
    """Each <table> of a page as its rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_the_html_answer_has_one_real_table_per_table(gw, chain):
    reply = commands.answer(gw, gw.roster.find(SALES), "STATUS", chain["notice"])
    found = document_status(gw.ledger.view, chain["notice"])
    blocks = [b for b in status_blocks(found, "zh", gw.roster.name_of) if isinstance(b, dict)]
    page = Tables()
    page.feed(reply.html)
    assert len(page.tables) == len(blocks) >= 3
    for table, block in zip(page.tables, blocks, strict=True):
        assert table[0] == block["columns"] and table[1:] == block["rows"]
    assert page.tables[0][1][:3] == ["1", "P-M8", "不锈钢螺栓 M8×40"]


# --- NOTES and silu note list ----------------------------------------------------------------
def test_notes_answer_is_a_table_of_number_time_and_text(gw):
    for text in ("周五给华东机电回电话", "寄样品给 Acme"):
        commands.answer(gw, gw.roster.find(SALES), "NOTE", text)
    reply = commands.answer(gw, gw.roster.find(SALES), "NOTES", "")
    lines = reply.text.splitlines()
    assert "共 2 条记事，最新的在前。" in lines
    rows = [line.split(maxsplit=3) for line in lines if re.match(r"\s+\d+\s+\d{4}-", line)]
    assert [(r[0], r[3]) for r in rows] == [("2", "寄样品给 Acme"), ("1", "周五给华东机电回电话")]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\d", r[1]) and re.fullmatch(r"\d\d:\d\d", r[2]) for r in rows
    )
    assert raw_in(reply.text) == [] and "+08:00" not in reply.text and "#2" not in reply.text
    assert "<table" in reply.html and "<th" in reply.html
    empty = commands.answer(gw, gw.roster.find(SALES_EN), "NOTES", "")
    assert "Your notepad is empty" in empty.text and "Nothing found" not in empty.text


def test_silu_note_list_in_the_persons_language(firm, gw):
    def silu(*args):
        return CliRunner().invoke(cli.main, ["--firm", str(firm.root), *args]).output

    assert silu("note", "add", "周五回电话", "--as", SALES).strip() == "已记下第 1 条。"
    shown = silu("note", "list", "--as", SALES).splitlines()
    assert shown[0] == "共 1 条记事，最新的在前。" and shown[2].split()[:1] == ["编号"]
    assert shown[-1].split()[0] == "1" and shown[-1].endswith("周五回电话")
    assert "Your notepad is empty" in silu("note", "list", "--as", SALES_EN)


# --- PRODUCT and CONTRACT, checked against the same item -------------------------------------
def lookup_mail(gw, who: str, command: str, argument: str):
    return commands.answer(gw, gw.roster.find(who), command, argument)


def test_product_answer_is_a_line_and_a_stock_table(gw, chain):
    zh = lookup_mail(gw, SALES, "PRODUCT", "P-M8").text.splitlines()
    assert "P-M8 不锈钢螺栓 M8×40：库存 337 个，标准价 1.20" in zh  # 报价 is a quote, not this
    assert [
        line.split() for line in zh if line.startswith("WH-")
    ] == [["WH-A", "L2026-007", "102"], ["WH-A", "L2026-019", "35"], ["WH-B", "L2026-031", "200"]]  # fmt: skip
    en = lookup_mail(gw, SALES_EN, "PRODUCT", "P-M8").text
    assert "P-M8 不锈钢螺栓 M8×40: 337 个 on hand, list price 1.20" in en and "、" not in en
    keeper = lookup_mail(gw, WAREHOUSE_A, "PRODUCT", "P-M8")
    assert "1.20" not in keeper.text + keeper.html and "标准价" not in keeper.text
    assert "<table" in keeper.html


def test_contract_answer_is_terms_progress_and_money_tables(gw, chain):
    reply = lookup_mail(gw, SALES, "CONTRACT", chain["contract"])
    lines = reply.text.splitlines()
    assert f"销售合同 {chain['contract']}：C001 华东机电有限公司，执行中" in lines
    rows = [line.split() for line in lines]
    assert ["付款期限(天)", "30"] in rows and ["交货日期", "2026-12-10"] in rows
    assert ["P-M8", "不锈钢螺栓", "M8×40", "300", "30", "20", "270"] in rows
    assert [chain["notice"], "179.60", "50.00", "129.60"] in rows
    assert raw_in(reply.text) == [] and words_of(reply.text.split("\n", 2)[2]) == []
    keeper = lookup_mail(gw, WAREHOUSE_A, "CONTRACT", chain["contract"])
    assert not [m for m in MONEY if m in keeper.text + keeper.html]
    assert ["P-M8", "不锈钢螺栓", "M8×40", "300", "30", "20", "270"] in [
        line.split() for line in keeper.text.splitlines()
    ]


# --- the other kinds and the edges ------------------------------------------------------------
def test_a_cancelled_order_says_so_and_why(gw, send, masters):
    number = ok(order(send, LINES))
    header = {"docno": number, "action": "作废", "cancel_reason": "客户取消",
              "order_date": "2026-11-21", "customer_code": "C001", "offer_type": "虚盘"}  # fmt: skip
    assert send("order", header, LINES).accepted
    blocks = status_blocks(document_status(gw.ledger.view, number), "zh", gw.roster.name_of)
    assert blocks[:3] == [
        f"销售订单 {number}：已作废",
        "客户：C001 华东机电有限公司　负责人：李娜　第 2 版",
        "作废原因：客户取消",
    ]
    assert not any(str(b).startswith("下一步") for b in blocks)  # nothing to do on it
    assert [r["操作"] for r in table_rows(blocks, "修改记录")] == ["登记", "作废"]


def test_a_service_record_and_a_sample_have_their_own_words(gw, send, chain):
    from conftest import SERVICE

    srv = ok(
        send(
            "service",
            {"service_date": "2026-11-25", "customer_code": "C001", "contract_no": chain["contract"],
             "channel": "电话 phone", "request": "螺栓生锈", "status": "处理中",
             "next_action": "2026-11-30"},
            [{"product_code": "P-M8", "lot": "L2026-007", "quantity": 5, "problem": "生锈"}],
            sender=SERVICE,
        )
    )  # fmt: skip
    zh = status_blocks(document_status(gw.ledger.view, srv), "zh")
    assert (
        zh[0] == f"售后服务单 {srv}：处理中"
        and "下一步：2026-11-30 前再处理（填写本服务单）。" in zh
    )
    assert table_rows(zh, "涉及产品") == [
        {
            "产品": "P-M8",
            "品名": "不锈钢螺栓 M8×40",
            "批号": "L2026-007",
            "数量": "5",
            "问题": "生锈",
        }
    ]
    en = status_blocks(document_status(gw.ledger.view, srv), "en")
    assert en[0] == f"Service record {srv}: in progress" and "Request: 螺栓生锈" in en
    keeper = status_blocks(document_status(gw.ledger.view, srv, prices=False), "zh")
    assert "客户诉求：螺栓生锈" not in keeper  # free text stays with sales and service
    smp = ok(
        send(
            "sample",
            {"send_date": "2026-11-20", "customer_code": "C001", "inquiry_no": chain["inquiry"],
             "recipient": "刘总", "carrier": "顺丰", "tracking_no": "SF123"},
            [{"product_code": "P-M8", "quantity": 20}],
        )
    )  # fmt: skip
    zh = status_blocks(document_status(gw.ledger.view, smp), "zh")
    assert zh[0] == f"样品寄送单 {smp}：已寄出 2026-11-20（顺丰 SF123）" and "收件人：刘总" in zh


def test_status_of_an_unknown_number_says_which_and_how_to_fix_it(gw, masters):
    reply = lookup_mail(gw, SALES, "STATUS", "SN-2026-99999")
    assert "没有单号为 SN-2026-99999 的单据。请核对单号（例如 SN-2026-00012）后再发。" in reply.text


def test_a_decline_reason_naming_a_price_stays_with_sales(gw, send, masters):
    number = ok(order(send, LINES))
    header = {"docno": number, "order_date": "2026-11-21", "customer_code": "C001",
              "offer_type": "虚盘", "decision": "declined", "decline_reason": "客户只接受 6.50 的单价"}  # fmt: skip
    assert send("order", header, LINES, sender=MANAGER).accepted
    sales, _ = status_mail(gw, SALES, number)
    assert f"销售订单 {number}：已拒绝（客户只接受 6.50 的单价）" in sales
    keeper, html = status_mail(gw, WAREHOUSE_A, number)
    assert f"销售订单 {number}：已拒绝" in keeper
    assert "6.50" not in keeper + html and "7.13" not in keeper + html


def test_amounts_name_the_documents_currency(gw, send, masters):
    def captions(number: str) -> list[str]:
        found = document_status(gw.ledger.view, number)
        return [b["caption"] for b in status_blocks(found, "zh") if isinstance(b, dict)]

    assert "订单明细（合计 2,583.00 USD）" in captions(ok(order(send, LINES, currency="USD")))
    assert "订单明细（合计 2,583.00）" in captions(ok(order(send, LINES)))


def test_silu_stock_is_a_table_in_the_firms_language(gw, chain):
    shown = CliRunner().invoke(cli.main, ["--firm", str(gw.firm.root), "stock"]).output
    lines = [line.split() for line in shown.splitlines()]
    assert lines[0] == ["仓库", "产品", "品名", "批号", "到期", "库存", "已占用", "可用"]
    # 120 - 20 issued + 2 returned on hand; the notice still holds 10 of it
    assert [
        "WH-A",
        "P-M8",
        "不锈钢螺栓",
        "M8×40",
        "L2026-007",
        "2027-03-01",
        "102",
        "10",
        "92",
    ] in lines
    assert "warehouse" not in shown and "reserved" not in shown
