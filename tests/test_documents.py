"""Customer-ready documents (报价单, 销售合同, 送货单, 对账单) and money as people read it.

Amounts in capitals are checked against cases written by hand from the People's Bank rules for
bills (元 followed by 整 when there are no jiao or fen; 零 for a gap before the jiao/fen; 壹拾
for a leading ten). Documents are built from a real ledger through the real CLI; the
LibreOffice test renders them (and every blank template) to PDF in ONE soffice run.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FINANCE
from fulfilment_flow import notice, ok, signed_contract, slip
from openpyxl import load_workbook

from silu_sheets.amounts import capitals, money_text
from silu_sheets.cli import main

D = Decimal

LETTERHEAD = """
address = "上海市浦东新区张江路 88 号"
phone = "021-5080 1234"
tax_number = "91310115MA1K3XXXX8"
bank = "中国工商银行上海张江支行"
bank_account = "1001 2345 6789 0123 456"
"""


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.30", "叁角整"),
        ("1000.05", "壹仟元零伍分"),
        ("10010.00", "壹万零壹拾元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("10", "壹拾元整"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("0", "零元整"),
        ("2.005", "贰元零壹分"),  # rounded half up to the fen first
        ("0.05", "伍分"),
        ("10.50", "壹拾元伍角整"),
        ("3003000", "叁佰万叁仟元整"),  # zeros ending the 万 group: no 零 before 仟
        ("100000001", "壹亿零壹元整"),
        ("500003022.60", "伍亿零叁仟零贰拾贰元陆角整"),  # a whole empty 万 group keeps its 零
        ("1000000000.01", "壹拾亿元零壹分"),
        ("-5", "负伍元整"),
    ],
)
def test_amount_in_capitals(amount, words):
    assert capitals(D(amount)) == words


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("0.3", "CNY", "0.30"),
        ("2", "CNY", "2.00"),
        ("970.5", "CNY", "970.50"),
        ("1234.5", "USD", "1,234.50"),
        ("1.2345", "CNY", "1.2345"),  # a unit price keeps its own decimals
        ("1500", "JPY", "1,500"),
        ("-0", "CNY", "0.00"),
    ],
)
def test_money_in_its_currency_decimals(amount, currency, text):
    assert money_text(D(amount), currency) == text


def with_letterhead(root: Path) -> None:
    settings = root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("[firm]\n", "[firm]\n" + LETTERHEAD, 1), encoding="utf-8")


def with_logo(root: Path, name: str = "logo.png", image: bool = True) -> Path:
    """``logo = NAME`` in ``[firm]``; with ``image`` a real 160x120 PNG drawn with Pillow there."""
    path = root / name
    if image:
        from PIL import Image, ImageDraw

        picture = Image.new("RGB", (160, 120), "white")
        ImageDraw.Draw(picture).ellipse((10, 10, 150, 110), fill=(200, 30, 30))
        picture.save(path)
    settings = root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("[firm]\n", f'[firm]\nlogo = "{name}"\n', 1), "utf-8")
    return path


def media(data: bytes) -> list[str]:
    """The pictures inside an .xlsx file."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [n for n in z.namelist() if n.startswith("xl/media/")]


def sheet_text(path: Path) -> str:
    ws = load_workbook(io.BytesIO(path.read_bytes())).active
    return "\n".join(
        str(c.value) for row in ws.iter_rows() for c in row if c.value not in (None, "")
    )


def print_doc(root: Path, docno: str, out: Path) -> Path:
    result = CliRunner().invoke(main, ["--firm", str(root), "print", docno, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def documents(gw, send, masters, tmp_path) -> dict[str, Path]:
    """A quote, a contract, a delivery note and a statement of one customer, printed."""
    root = gw.firm.root
    with_letterhead(root)
    quote = ok(
        send(
            "quote",
            {
                "quote_date": "2026-11-20",
                "valid_until": "2026-12-20",
                "customer_code": "C001",
                "payment_terms": "月结 30 天",
            },
            [{"product_code": "P-W10", "quantity": 20001, "unit_price": "0.05"}],
        )
    )
    contract = signed_contract(send)
    shipped = ok(
        notice(
            send,
            contract,
            [{"product_code": "P-M8", "quantity": 60, "unit_price": "1.15"}],
            ship_to="苏州工业园区星湖街 1 号",
        )
    )
    assert send(
        "payment",
        {
            "payment_date": "2026-11-20",
            "customer_code": "C001",
            "payment_type": "advance",
            "amount": "0.3",
        },
        sender=FINANCE,
    ).accepted
    issued = ok(
        slip(send, shipped, "WH-A", [{"product_code": "P-M8", "lot": "L2026-007", "quantity": 60}])
    )
    out = tmp_path / "printed"
    found = {
        "quote": print_doc(root, quote, out / "quote.xlsx"),
        "contract": print_doc(root, contract, out / "contract.xlsx"),
        "delivery_note": print_doc(root, issued, out / "delivery.xlsx"),
    }
    result = CliRunner().invoke(
        main,
        ["--firm", str(root), "statement", "C001", "--out", str(out / "new" / "statement.xlsx")],
    )
    assert result.exit_code == 0, result.output
    found["statement"] = out / "new" / "statement.xlsx"
    return found


def test_documents_carry_letterhead_totals_and_capitals(documents):
    quote = sheet_text(documents["quote"])
    assert "示例贸易有限公司" in quote and "91310115MA1K3XXXX8" in quote
    assert "报价单" in quote and "壹仟元零伍分" in quote  # 20001 × 0.05 = 1000.05
    contract = sheet_text(documents["contract"])
    assert "卖方" in contract and "买方" in contract and "华东机电有限公司" in contract
    assert "付款" in contract and "盖章" in contract
    delivery = sheet_text(documents["delivery_note"])
    assert "收货人签收" in delivery and "苏州工业园区星湖街 1 号" in delivery
    assert "1.15" not in delivery and "大写" not in delivery  # unpriced by default
    statement = sheet_text(documents["statement"])
    assert "对账单" in statement and "1001 2345 6789 0123 456" in statement
    assert "客户确认" in statement and "出具日期" in statement


def test_statement_lists_a_same_day_return_after_its_shipment_and_the_balance_applied(
    gw, send, masters
):
    from money_seed import seed_notice

    from silu_sheets import money

    shipped = seed_notice(
        gw,
        "C001",
        [{"product_code": "P-W10", "quantity": 100, "unit_price": "0.50"}],
        notice_date="2026-11-26",
    )
    day = money.statement(gw.ledger.view, "C001", "CNY")["lines"][0].date
    header = {
        "return_date": day,
        "notice_no": shipped,
        "reason": "破损",
        "request_person": "李娜",
        "money_person": "王强",
        "goods_person": "赵磊",
        "goods_disposition": "return",
        "money_disposition": "balance",
        "requested_amount": "5",
    }
    lines = [{"product_code": "P-W10", "quantity": 10}]
    first = send("sales_return", header, lines)
    assert first.accepted, first.as_dict("en")
    returned = send("sales_return", header | {"docno": first.docno, "agreed_amount": "5"}, lines)
    assert returned.accepted, returned.as_dict("en")
    advance = {"payment_date": day, "customer_code": "C001", "payment_type": "advance"}
    assert send("payment", advance | {"amount": "5"}, sender=FINANCE).accepted
    assert send(
        "payment",
        {"payment_date": day, "customer_code": "C001", "payment_type": "apply_balance"},
        [{"notice_no": shipped, "applied": "5"}],
        sender=FINANCE,
    ).accepted
    st = money.statement(gw.ledger.view, "C001", "CNY")
    assert [(e.what, e.docno) for e in st["lines"]] == [
        ("shipment", shipped),
        ("advance", st["lines"][1].docno),
        ("apply_balance", st["lines"][2].docno),
        ("return", returned.docno),
    ]
    assert st["lines"][2].note == f"{shipped}: 5.00"  # the balance went to this notice
    running, balances = st["opening"], []
    for e in st["lines"]:
        running += e.charge - e.credit
        balances.append(running)
    assert min(balances) >= 0  # the balance never dips below zero between the two


def test_copies_print_their_lines_and_the_picking_copy_breaks_every_twenty(tmp_path):
    from silu_sheets.kinds import KINDS
    from silu_sheets.warehouse_copy import PICKING_LINES_PER_PAGE, SLIP
    from silu_sheets.workbook import fill

    quote = KINDS["quote"]
    data = fill.filled(quote, {"customer_code": "C001"}, [{"product_code": "P-M8"}] * 3)
    ws = load_workbook(io.BytesIO(data))[quote.sheet]
    assert ws.print_area.endswith(f"$D${quote.layout.first_line_row + 2}")
    lines = [{"product_code": "P-M8", "quantity": n} for n in range(1, 46)]
    ws = load_workbook(io.BytesIO(fill.filled(SLIP, {}, lines, PICKING_LINES_PER_PAGE)))[SLIP.sheet]
    first = SLIP.layout.first_line_row
    assert [b.id for b in ws.row_breaks.brk] == [first + 19, first + 39]
    assert ws.print_area.endswith(f"${first + 44}")


def test_a_marked_copy_lists_its_problems_first_and_reads_again_once_fixed(gw, send, masters):
    from silu_sheets.api import fill_form
    from silu_sheets.kinds import KINDS
    from silu_sheets.pipeline import ingest
    from silu_sheets.workbook import marking

    quote = KINDS["quote"]
    bad = fill_form("quote", {"customer_code": "C404"}, [{"product_code": "P-M8", "quantity": "x"}])
    outcome = ingest(gw, bad, "quote.xlsx", "li.na@firm.test")
    assert not outcome.accepted
    words = [p.message("zh") for p in outcome.problems]
    marked = marking.mark_problems(bad, outcome.problems, "zh", words, quote)
    wb = load_workbook(io.BytesIO(marked))
    assert wb.sheetnames[0] == "需要修改" and wb.active.title == "需要修改"
    listed = {(r[0].value, r[1].value) for r in wb["需要修改"].iter_rows(min_row=3)}
    assert listed == {(p.cell, w) for p, w in zip(outcome.problems, words, strict=True)}
    assert wb["需要修改"]["A3"].hyperlink.location or wb["需要修改"]["A3"].hyperlink.target
    form = wb[quote.sheet]
    assert form.print_area.endswith(f"$D${quote.layout.first_line_row}")  # the one line in use
    cells = quote.layout.header_cells
    form[cells["customer_code"]] = "C001"
    form[cells["quote_date"]] = "2026-11-20"
    form[cells["valid_until"]] = "2026-12-20"
    form[quote.layout.line_cell("quantity", quote.layout.first_line_row)] = 10
    form[quote.layout.line_cell("unit_price", quote.layout.first_line_row)] = 1.2
    fixed = io.BytesIO()
    wb.save(fixed)
    again = ingest(gw, fixed.getvalue(), "quote.xlsx", "li.na@firm.test")
    assert again.accepted, again.as_dict("en")


def test_quote_and_contract_confirmations_carry_the_customer_copy(gw, send, masters):
    import email
    from email import policy

    quote = send(
        "quote",
        {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"},
        [{"product_code": "P-W10", "quantity": 3, "unit_price": "0.1"}],
    )
    assert quote.accepted, quote.as_dict("en")
    contract = signed_contract(send)
    for docno, title in ((quote.docno, "报价单"), (contract, "销售合同")):
        (row,) = gw.ledger.view._all(
            "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE docno = ? AND purpose = 'confirmation'",
            [docno],
        )
        mail = email.message_from_bytes(row["message"], policy=policy.default)
        files = {a.get_filename(): a.get_content() for a in mail.iter_attachments()}
        assert f"{title}-{docno}.xlsx" in files, list(files)
        ws = load_workbook(io.BytesIO(files[f"{title}-{docno}.xlsx"])).active
        text = " ".join(str(c.value) for r in ws.iter_rows() for c in r if c.value)
        assert "大写" in text and "盖章" in text
        assert "可直接打印" in mail.get_body(("plain",)).get_content()


def test_a_printout_reads_each_document_once_and_its_products_in_one_query(
    gw, send, masters, part_issued
):
    """A quote, a contract and a delivery note read from the ledger: each document once (the
    printout's own, then the notice and contract a delivery note names) and all their lines'
    products in one query, not one per line."""
    from silu_sheets import printing

    quote = send(
        "quote",
        {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"},
        [{"product_code": code, "quantity": 2, "unit_price": "0.1"} for code in ("P-W10", "P-M8")],
    )
    asked: list[str] = []
    view = gw.ledger.view
    view.db.set_trace_callback(asked.append)
    try:
        for docno, documents in (
            (quote.docno, 1),
            (part_issued["contract"], 1),
            (part_issued["slip"], 3),  # the slip, its notice, the notice's contract
        ):
            asked.clear()
            p = printing.printout(view, docno, gw.firm, people={})
            assert {r["product_code"] for r in p.rows} >= {"P-M8"}, docno
            read = [q for q in asked if "FROM documents" in q]
            assert len(read) == documents, read
            assert len([q for q in asked if "FROM products" in q]) == 1, asked
    finally:
        view.db.set_trace_callback(None)


def test_lookups_answer_in_the_readers_words_not_stored_keys(gw, send, masters):
    from conftest import WAREHOUSE_A

    signed_contract(send)
    root = str(gw.firm.root)
    runner = CliRunner()
    zh = runner.invoke(main, ["--firm", root, "lookup", "contract", "C001"]).output
    rows = [line.split() for line in zh.splitlines()]
    assert ["付款期限(天)", "30"] in rows and ["交货日期", "2026-12-10"] in rows  # terms table
    assert "payment_days" not in zh and "=" not in zh
    en = runner.invoke(main, ["--firm", root, "lookup", "contract", "C001", "--language", "en"])
    assert "Payment terms (days)  30" in en.output
    sales = runner.invoke(
        main, ["--firm", root, "lookup", "product", "P-M8", "--as", "li.na@firm.test"]
    )
    assert (
        "标准价 1.20" in sales.output
        and "库存" in sales.output
        and "list_price" not in sales.output
    )
    keeper = runner.invoke(main, ["--firm", root, "lookup", "product", "P-M8", "--as", WAREHOUSE_A])
    assert "1.20" not in keeper.output and "L2026-007" in keeper.output


def test_a_prefilled_next_form_carries_todays_date(gw, send, masters):
    import email
    from email import policy

    from silu_sheets.kinds import KINDS

    contract = signed_contract(send)
    (row,) = gw.ledger.view._all(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE docno = ? AND purpose = 'confirmation'",
        [contract],
    )
    mail = email.message_from_bytes(row["message"], policy=policy.default)
    [notice_form] = [a for a in mail.iter_attachments() if a.get_filename().startswith("shipment")]
    kind = KINDS["shipment_notice"]
    ws = load_workbook(io.BytesIO(notice_form.get_content()))[kind.sheet]
    written = ws[kind.layout.header_cells["notice_date"]].value
    assert written.date() == gw.firm.today()


def confirmation_files(gw, docno: str) -> dict[str, bytes]:
    import email
    from email import policy

    (row,) = gw.ledger.view._all(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE docno = ? AND purpose = 'confirmation'",
        [docno],
    )
    mail = email.message_from_bytes(row["message"], policy=policy.default)
    return {a.get_filename(): a.get_content() for a in mail.iter_attachments()}


QUOTE = {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"}
QUOTE_LINES = [{"product_code": "P-W10", "quantity": 3, "unit_price": "0.1"}]


def test_the_firms_logo_is_on_the_printed_quote(gw, masters):
    from silu_sheets import firm as firm_folder
    from silu_sheets.api import fill_form
    from silu_sheets.pipeline import Gateway, ingest

    with_logo(gw.firm.root)
    fresh = Gateway.open(firm_folder.open_firm(gw.firm.root))  # silu.toml read again
    quote = ok(ingest(fresh, fill_form("quote", QUOTE, QUOTE_LINES), "q.xlsx", "li.na@firm.test"))
    printed = confirmation_files(fresh, quote)[f"报价单-{quote}.xlsx"]
    assert media(printed) == ["xl/media/image1.png"]
    fresh.ledger.close()


@pytest.mark.parametrize("trouble", ["missing", "not an image"])
def test_a_logo_that_cannot_be_used_leaves_the_quote_without_it(gw, masters, trouble, caplog):
    """The confirmation still goes out with its printed quote; the administrator's log says why
    (one line, no traceback); ``silu print`` works too."""
    import logging
    import subprocess
    import sys

    from silu_sheets import firm as firm_folder
    from silu_sheets.api import fill_form
    from silu_sheets.pipeline import Gateway, ingest

    root = gw.firm.root
    with_letterhead(root)
    logo = with_logo(root, image=False)
    if trouble == "not an image":
        logo.write_text("a logo was meant to be here", encoding="utf-8")
    fresh = Gateway.open(firm_folder.open_firm(root))
    with caplog.at_level(logging.ERROR, logger="silu_sheets"):
        outcome = ingest(fresh, fill_form("quote", QUOTE, QUOTE_LINES), "q.xlsx", "li.na@firm.test")
    quote = ok(outcome)
    fresh.ledger.close()
    printed = confirmation_files(gw, quote)[f"报价单-{quote}.xlsx"]
    assert media(printed) == []
    ws = load_workbook(io.BytesIO(printed)).active
    assert "示例贸易有限公司" in str(ws["A1"].value)
    (said,) = [r for r in caplog.records if "logo" in r.getMessage()]
    assert str(logo) in said.getMessage() and "silu.toml" in said.getMessage()
    assert said.exc_info is None
    silu = str(Path(sys.executable).with_name("silu"))
    out = root / "printed.xlsx"
    done = subprocess.run(
        [silu, "--firm", str(root), "print", quote, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "logo" in done.stderr
    assert media(out.read_bytes()) == []


def test_text_on_a_printout_stays_text():
    """A customer named ``=1+1`` (or ``0123``) is printed as typed, never as a formula or number."""
    from silu_sheets.printing import LINE_COLUMNS, Letterhead, Printout
    from silu_sheets.workbook import printout

    p = Printout(
        "quote",
        "报价单",
        "Quotation",
        "QUO-2026-00001",
        "CNY",
        Letterhead("=1+1 公司"),
        parties=[("客户 To", [("名称 Name", "=1+1")])],
        columns=LINE_COLUMNS,
        rows=[{"line_no": 1, "product_code": "0123", "product": "=SUM(A1:A2)", "quantity": 1}],
    )
    ws = load_workbook(io.BytesIO(printout.build(p))).active
    values = {c.value: c.data_type for row in ws.iter_rows() for c in row if c.value is not None}
    for text in ("=1+1 公司", "名称 Name：=1+1", "0123", "=SUM(A1:A2)"):
        assert values[text] == "s", text


def test_a_printouts_short_lines_take_one_cell_and_long_ones_wrap_across_their_half():
    """Unboxed text that fits its half of the page is one unwrapped cell, running over the
    empty cells beside it as a merged range would print it, without the range's blank cells
    (each costs a printed copy as much as a written one); text too long for its half is still
    a merged range that wraps; the number sits right-aligned in the last column."""
    from silu_sheets.printing import LINE_COLUMNS, Letterhead, Printout
    from silu_sheets.workbook import printout

    address = "江苏省苏州市工业园区星湖街 328 号创意产业园 12 幢 3 楼 301 室（请走北门）"
    p = Printout(
        "quote",
        "报价单",
        "Quotation",
        "QUO-2026-00001",
        "CNY",
        Letterhead("示例贸易有限公司"),
        parties=[
            ("报价方 From", [("名称 Name", "示例贸易有限公司")]),
            ("客户 To", [("名称 Name", "苏州星湖"), ("地址 Address", address)]),
        ],
        columns=LINE_COLUMNS,
        rows=[{"line_no": 1, "product_code": "P-M8", "product": "螺栓", "quantity": 1}],
        signatures=[("报价方 Quoted by", ["签字 Signature："]), ("客户 Accepted by", [])],
    )
    ws = load_workbook(io.BytesIO(printout.build(p))).active
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    merged = {str(r): r for r in ws.merged_cells.ranges}
    name = cells["名称 Name：苏州星湖"]
    # the row holds the two names and nothing else: no blank cells of a merged range
    assert [c.coordinate for c in ws[name.row] if c.has_style] == [
        cells["名称 Name：示例贸易有限公司"].coordinate,
        name.coordinate,
    ]
    assert not any(name.coordinate in r for r in merged.values())
    assert not name.alignment.wrap_text and name.alignment.vertical == "top"
    wrapped = cells[f"地址 Address：{address}"]
    (span,) = [r for r in merged.values() if wrapped.coordinate in r]
    assert (span.min_col, span.max_col) == (name.column, ws.max_column)
    assert wrapped.alignment.wrap_text and ws.row_dimensions[wrapped.row].height > 15
    number = cells["编号 No.：QUO-2026-00001"]
    assert (number.column, number.alignment.horizontal) == (ws.max_column, "right")
    # an empty signature line writes nothing
    signature = cells["签字 Signature："]
    assert [c.coordinate for c in ws[signature.row] if c.has_style] == [signature.coordinate]


def table_of(path: Path) -> list[dict[str, object]]:
    """The printed line table: one dict per row under the row whose cells start 数量, 品名规格…,
    keyed by the column's Chinese heading; the rows end at the first 合计 row."""
    ws = load_workbook(io.BytesIO(path.read_bytes())).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    top = next(i for i, r in enumerate(rows) if any(str(v).startswith("品名规格") for v in r if v))
    heads = [str(v).split("\n")[0] if v else "" for v in rows[top]]
    found = []
    for r in rows[top + 1 :]:
        if str(r[0]).startswith("合计"):
            break
        found.append({h: v for h, v in zip(heads, r, strict=False) if h})
    return found


@pytest.fixture
def part_issued(gw, send, masters):
    """A notice of 60 P-M8 at 1.15 and 400 P-W10 at 0.15, of which WH-A issued 25 P-M8 (3 of
    them damaged) on one slip; the contract names its carrier, the customer has a contact and
    an address now."""
    from conftest import ADMIN, CUSTOMERS

    contact = CUSTOMERS[0] | {"contact_person": "刘经理", "address": "苏州市吴中区宝带路 5 号"}
    assert send("customers", {}, [contact], sender=ADMIN).accepted
    contract = signed_contract(send, carrier="安能物流 张师傅 139 1234 5678", transport_mode="汽运")
    shipped = ok(
        notice(
            send,
            contract,
            [
                {"product_code": "P-M8", "quantity": 60, "unit_price": "1.15"},
                {"product_code": "P-W10", "quantity": 400, "unit_price": "0.15"},
            ],
            ship_to="苏州工业园区星湖街 1 号",
        )
    )
    issued = ok(
        slip(
            send,
            shipped,
            "WH-A",
            [{"product_code": "P-M8", "lot": "L2026-007", "quantity": 25, "damaged_quantity": 3}],
        )
    )
    return {"contract": contract, "notice": shipped, "slip": issued}


def test_a_delivery_note_shows_what_the_slip_issued_not_what_the_notice_asked(
    gw, part_issued, tmp_path
):
    root = gw.firm.root
    note = print_doc(root, part_issued["slip"], tmp_path / "note.xlsx")
    [line] = table_of(note)  # P-W10 was not issued: not on the note
    assert line["产品编号"] == "P-M8" and line["批号"] == "L2026-007"
    assert line["数量"] == 25 and line["单位"] == "个" and "破损 3" in line["备注"]
    assert line["实收数量"] is None  # the receiver writes it
    assert "单价" not in line and "金额" not in line
    text = sheet_text(note)
    contract = gw.ledger.view.document(part_issued["contract"])
    for shown in (
        part_issued["slip"],
        part_issued["notice"],
        part_issued["contract"],
        contract["header"]["order_no"],
        "华东机电有限公司",
        "苏州工业园区星湖街 1 号",  # the notice's address, not the customer's own
        "刘经理",
        "021-5555 1234",
        "安能物流 张师傅 139 1234 5678",  # the contract's carrier
        "汽运",
        "车牌号",  # the driver writes it in
        "李娜 li.na@firm.test",  # whom the customer calls: the salesperson by name
        "收货人签收",
    ):
        assert shown in text, shown
    assert "宝带路" not in text
    for price in ("1.15", "28.75", "0.15", "大写", "单价", "金额"):
        assert price not in text, price


def test_a_priced_delivery_note_prices_the_issued_quantity(gw, part_issued, tmp_path):
    settings = gw.firm.root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    assert "delivery_note_prices = false" in text
    settings.write_text(text.replace("delivery_note_prices = false", "delivery_note_prices = true"))
    note = print_doc(gw.firm.root, part_issued["slip"], tmp_path / "priced.xlsx")
    [line] = table_of(note)
    assert line["数量"] == 25 and line["单价"] == 1.15 and line["金额"] == 28.75
    assert "贰拾捌元柒角伍分" in sheet_text(note)  # 25 × 1.15, not 60 × 1.15 + 400 × 0.15
    # the driver's copy of the same note, priced for the customer
    driver = gw.firm.root / "driver.xlsx"
    done = CliRunner().invoke(
        main,
        [
            "--firm",
            str(gw.firm.root),
            "print",
            part_issued["slip"],
            "--no-prices",
            "--out",
            str(driver),
        ],
    )
    assert done.exit_code == 0, done.output
    [line] = table_of(driver)
    assert line["数量"] == 25 and "单价" not in line and "1.15" not in sheet_text(driver)
    done = CliRunner().invoke(
        main, ["--firm", str(gw.firm.root), "print", part_issued["contract"], "--no-prices"]
    )
    assert done.exit_code == 1 and "only a delivery note" in done.output


def test_a_notice_prints_its_only_slip_or_says_which_slips_to_print(
    gw, send, part_issued, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the note is written into the current folder
    root = str(gw.firm.root)
    runner = CliRunner()
    done = runner.invoke(
        main, ["--firm", root, "print", part_issued["notice"]], catch_exceptions=False
    )
    assert done.exit_code == 0, done.output
    [written] = done.output.split()
    assert Path(written).name == f"送货单-{part_issued['slip']}.xlsx"
    assert table_of(Path(written))[0]["数量"] == 25
    second = ok(
        slip(send, part_issued["notice"], "WH-A", [{"product_code": "P-W10", "quantity": 100}])
    )
    done = runner.invoke(main, ["--firm", root, "print", part_issued["notice"]])
    assert done.exit_code == 1
    for number in (part_issued["slip"], second):
        assert f"silu print {number}" in done.output
    assert "P-W10 100" in done.output and "每张出库单" in done.output
    assert "Traceback" not in done.output
    from conftest import WAREHOUSE_A

    cancel = {"docno": second, "action": "cancel", "cancel_reason": "重录"}
    assert send("issue_slip", cancel, sender=WAREHOUSE_A).accepted
    done = runner.invoke(main, ["--firm", root, "print", second])
    assert done.exit_code == 1 and "已作废" in done.output and "cancelled" in done.output
    done = runner.invoke(main, ["--firm", root, "print", part_issued["notice"]])
    assert done.exit_code == 0 and part_issued["slip"] in done.output  # the one slip left
    contract = signed_contract(send)
    waiting = ok(
        notice(send, contract, [{"product_code": "P-M8", "quantity": 5, "unit_price": "1.15"}])
    )
    done = runner.invoke(main, ["--firm", root, "print", waiting])
    assert (
        done.exit_code == 1 and "还没有出库" in done.output and "Nothing is issued" in done.output
    )


def test_a_replacements_delivery_note_names_the_return_it_replaces(gw, send, masters, tmp_path):
    from money_seed import seed_notice
    from test_returns import ret

    line = {"product_code": "P-M8", "warehouse": "WH-A", "lot": "L2026-007"}
    first = seed_notice(gw, "C001", [line | {"quantity": 60, "unit_price": "1.15"}])
    replaced = ret(
        send, first, [{"product_code": "P-M8", "quantity": 5}], goods="replace", money_way="none",
        requested=None,
    )  # fmt: skip
    assert replaced.accepted, replaced.as_dict("en")
    again = seed_notice(
        gw, "C001", [line | {"quantity": 5, "unit_price": "0"}], replaces_return=replaced.docno
    )
    note = print_doc(gw.firm.root, again, tmp_path / "replacement.xlsx")
    assert replaced.docno in sheet_text(note)
    assert table_of(note)[0]["数量"] == 5


def test_sales_gets_the_slips_delivery_receipt_to_fill_from_the_signed_note(gw, send, part_issued):
    """The delivery note comes back signed; the salesperson's issue-progress mail carries the
    slip's delivery receipt with its lines in place, and the received quantities written in
    from the signed note record as they are."""
    import email
    from email import policy

    from conftest import SALES

    from silu_sheets.kinds import KINDS

    (row,) = gw.ledger.view._all(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE recipient = ? AND purpose = 'issue_progress'",
        [SALES],
    )
    mail = email.message_from_bytes(row["message"], policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    assert f"出库单 {part_issued['slip']} 的送货单（仓库已随出库确认收到一份" in text
    names = [a.get_filename() for a in mail.iter_attachments()]
    assert f"送货单-{part_issued['slip']}.xlsx" in names  # the delivery note, for the customer
    [form] = [a for a in mail.iter_attachments() if a.get_filename().startswith("delivery_receipt")]
    kind = KINDS["delivery_receipt"]
    wb = load_workbook(io.BytesIO(form.get_content()))
    ws = wb[kind.sheet]
    layout, first = kind.layout, kind.layout.first_line_row
    assert ws[layout.header_cells["slip_no"]].value == part_issued["slip"]
    assert [ws[layout.line_cell(k, first)].value for k in ("slip_line", "product_code", "lot")] == [
        1, "P-M8", "L2026-007"
    ]  # fmt: skip
    assert ws[layout.line_cell("received_quantity", first)].value is None  # the customer says it
    ws[layout.header_cells["receipt_date"]] = "2026-11-25"
    ws[layout.header_cells["signed_by"]] = "刘经理"
    ws[layout.line_cell("received_quantity", first)] = 22
    ws[layout.line_cell("damaged_quantity", first)] = 3
    out = io.BytesIO()
    wb.save(out)
    from silu_sheets.pipeline import ingest

    signed = ingest(gw, out.getvalue(), form.get_filename(), SALES)
    assert signed.accepted, signed.as_dict("en")


def test_where_delivery_notes_are_priced_sales_gets_the_priced_one_the_keeper_never(
    gw, send, part_issued
):
    import email
    from email import policy

    from conftest import SALES, WAREHOUSE_A

    gw.firm.settings.setdefault("documents", {})["delivery_note_prices"] = True  # silu.toml
    issued = ok(
        slip(send, part_issued["notice"], "WH-A", [{"product_code": "P-W10", "quantity": 100}])
    )

    def note_for(recipient: str, purpose: str) -> str:
        (row,) = gw.ledger.view._all(
            "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE recipient = ? AND purpose = ? AND docno = ?",
            [recipient, purpose, issued],
        )
        mail = email.message_from_bytes(row["message"], policy=policy.default)
        [note] = [a for a in mail.iter_attachments() if a.get_filename() == f"送货单-{issued}.xlsx"]
        ws = load_workbook(io.BytesIO(note.get_content())).active
        return "\n".join(str(c.value) for r in ws.iter_rows() for c in r if c.value is not None)

    priced = note_for(SALES, "issue_progress")
    assert "单价" in priced and "15" in priced and "壹拾伍元整" in priced  # 100 × 0.15
    keepers = note_for(WAREHOUSE_A, "confirmation")
    for word in ("单价", "金额", "0.15", "壹拾伍元整", "大写"):
        assert word not in keepers, word
