"""What comes out of the printer, rendered by LibreOffice: every customer document, every blank
template and the copies people print (a one-line quote, a one-line issue slip, the warehouse's
60-line picking copy, a marked copy). All files go through ONE soffice run; pages are counted
and the text read back with poppler (pdfinfo, pdftotext).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FINANCE
from fulfilment_flow import notice, ok, signed_contract, slip
from test_documents import media, with_letterhead, with_logo

from silu_sheets import office
from silu_sheets.cli import main
from silu_sheets.kinds import KINDS
from silu_sheets.replies import describe
from silu_sheets.warehouse_copy import PICKING_LINES_PER_PAGE, SLIP
from silu_sheets.workbook import fill, marking, printout
from silu_sheets.workbook.template import template_filename

pytestmark = pytest.mark.office

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("pdfinfo", "pdftotext", "pdfimages")
if office.soffice() is None or not all(shutil.which(t) for t in TOOLS):
    if os.environ.get("SILU_CI") == "1":
        raise RuntimeError("CI needs LibreOffice and poppler-utils: run scripts/test-deps")
    pytest.skip("LibreOffice or poppler-utils is not installed", allow_module_level=True)


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])


def text_of(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    return done.stdout


#: a customer's question as sales writes it down: longer than the form is wide
QUESTION = (
    "客户询问不锈钢螺栓 M8×40 的表面处理能否改为达克罗，交货期能否提前到十二月初，"
    "另需提供材质证明和第三方检测报告，包装要求每箱五百个并贴客户标签。"
)


def long_quote(lines: int):
    """A quote of ``lines`` lines as the printout layer gets it (no ledger needed)."""
    from decimal import Decimal

    from silu_sheets.printing import LINE_COLUMNS, Letterhead, Printout

    rows = [
        {
            "line_no": n,
            "product_code": "P-M8",
            "product": "不锈钢螺栓 M8×40",
            "unit": "个",
            "quantity": Decimal(n),
            "unit_price": Decimal("1.15"),
            "amount": Decimal(n) * Decimal("1.15"),
        }
        for n in range(1, lines + 1)
    ]
    return Printout(
        "quote",
        "报价单",
        "Quotation",
        "QUO-2026-00099",
        "CNY",
        Letterhead("示例贸易有限公司"),
        columns=LINE_COLUMNS,
        rows=rows,
    )


def page_text(pdf: Path, page: int) -> str:
    done = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
    )
    return done.stdout


def slip_line(n: int) -> dict:
    return {"notice_line": n, "product_code": "P-M8", "lot": "L2026-007", "quantity": n}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, seeded_folder: Path) -> dict[str, Path]:
    """Every printed file of this module as a PDF, keyed by name."""
    from silu_sheets import firm as firm_folder
    from silu_sheets.api import fill_form
    from silu_sheets.pipeline import Gateway, ingest

    work = tmp_path_factory.mktemp("printing")
    shutil.copytree(seeded_folder, work / "firm")
    root = work / "firm"
    with_letterhead(root)
    with_logo(root)
    gw = Gateway.open(firm_folder.open_firm(root))

    def send(kind, header=None, lines=(), sender="li.na@firm.test"):
        return ingest(gw, fill_form(kind, header, lines), f"{kind}.xlsx", sender)

    quote = ok(
        send(
            "quote",
            {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"},
            [{"product_code": "P-W10", "quantity": 20001, "unit_price": "0.05"}],
        )
    )
    contract = signed_contract(send, carrier="安能物流 张师傅")
    shipped = ok(
        notice(send, contract, [{"product_code": "P-M8", "quantity": 60, "unit_price": "1.15"}])
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
    # the warehouse issued 25 of the 60 noticed: the delivery note shows 25
    issued = ok(
        slip(
            send,
            shipped,
            "WH-A",
            [{"product_code": "P-M8", "lot": "L2026-007", "quantity": 25}],
        )
    )
    refused = fill_form(
        "quote", {"customer_code": "C404"}, [{"product_code": "P-NONE", "quantity": "x"}]
    )
    outcome = ingest(gw, refused, "quote.xlsx", "li.na@firm.test")
    gw.ledger.close()
    out = work / "xlsx"
    out.mkdir()
    runner = CliRunner()
    for name, docno in (("quote", quote), ("contract", contract), ("delivery_note", issued)):
        done = runner.invoke(
            main, ["--firm", str(root), "print", docno, "--out", str(out / f"{name}.xlsx")]
        )
        assert done.exit_code == 0, done.output
    settings = root / "silu.toml"
    unpriced = settings.read_text(encoding="utf-8")
    settings.write_text(
        unpriced.replace("delivery_note_prices = false", "delivery_note_prices = true")
    )
    done = runner.invoke(
        main,
        ["--firm", str(root), "print", issued, "--out", str(out / "priced_delivery_note.xlsx")],
    )
    assert done.exit_code == 0, done.output
    settings.write_text(unpriced)
    done = runner.invoke(
        main, ["--firm", str(root), "statement", "C001", "--out", str(out / "statement.xlsx")]
    )
    assert done.exit_code == 0, done.output
    files = {
        "one_line_quote": fill.filled(
            KINDS["quote"], {"customer_code": "C001"}, [{"product_code": "P-M8", "quantity": 1}]
        ),
        "one_line_issue_slip": fill.filled(SLIP, {"notice_no": shipped}, [slip_line(1)]),
        "picking_60": fill.filled(
            SLIP,
            {"notice_no": shipped},
            [slip_line(n) for n in range(1, 61)],
            PICKING_LINES_PER_PAGE,
        ),
        "long_inquiry": fill.filled(
            KINDS["inquiry"],
            {
                "inquiry_date": "2026-11-20",
                "customer_name": "苏州星湖精密机械",
                "questions": QUESTION,
            },
            [{"product_name": "不锈钢六角头螺栓 GB/T 5783 M8×40 A2-70 达克罗", "note": QUESTION}],
        ),
        "notice_60": fill.filled(
            KINDS["shipment_notice"],
            {"contract_no": contract},
            [{"product_code": "P-M8", "quantity": n, "unit_price": "1.15"} for n in range(1, 61)],
        ),
        "quote_80_lines": printout.build(long_quote(80)),
        "marked_quote": marking.mark_problems(
            refused,
            outcome.problems,
            "zh",
            # as the refusal words them: sheet, cell and field, then the rule
            [describe(p, KINDS["quote"], "zh") for p in outcome.problems],
            KINDS["quote"],
        ),
    }
    for name, data in files.items():
        assert data is not None
        (out / f"{name}.xlsx").write_bytes(data)
    for kind in KINDS.values():
        shutil.copyfile(
            ROOT / "templates" / "xlsx" / template_filename(kind), out / f"blank_{kind.key}.xlsx"
        )
    made = office.convert(sorted(out.glob("*.xlsx")), "pdf", work / "pdf")
    return {p.stem: p for p in made}


def test_customer_documents_print_on_one_page_with_letterhead_and_capitals(rendered):
    for name in ("quote", "contract", "delivery_note", "statement"):
        assert pages(rendered[name]) == 1, name
        text = text_of(rendered[name])
        assert "示例贸易有限公司" in text and "91310115MA1K3XXXX8" in text, name
        assert "Page 1 of 1" in text, name  # the footer
    assert "壹仟元零伍分" in text_of(rendered["quote"])  # 20001 × 0.05
    # 25 issued × 1.15 = 28.75 owed, less the advance of 0.30 held
    assert "贰拾捌元肆角伍分" in text_of(rendered["statement"])
    contract = text_of(rendered["contract"])
    assert "卖方" in contract and "买方" in contract and "盖章" in contract
    delivery = text_of(rendered["delivery_note"])
    assert "收货人签收" in delivery and "1.15" not in delivery


def test_the_logo_is_printed_on_each_customer_document(rendered):
    """The firm's PNG logo goes into the workbook and comes out on paper, its shape kept."""
    for name in ("quote", "contract", "delivery_note", "statement"):
        pdf = rendered[name]
        assert media((pdf.parent.parent / "xlsx" / f"{name}.xlsx").read_bytes()), name
        listed = subprocess.run(
            ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        (image,) = listed
        page, _, _, width, height, *_, x_ppi, y_ppi, _, _ = image.split()
        assert (page, width, height) == ("1", "160", "120"), name
        # the same resolution both ways: the logo is neither stretched nor squeezed
        assert abs(int(x_ppi) - int(y_ppi)) <= 0.1 * int(y_ppi), image


def test_a_delivery_note_prints_what_the_slip_issued(rendered):
    """60 noticed, 25 issued: the paper that travels with the goods says 25, with the lot, the
    carrier and the receiver's signature; unpriced by default, priced when silu.toml says so."""
    for name in ("delivery_note", "priced_delivery_note"):
        assert pages(rendered[name]) == 1, name
        text = text_of(rendered[name])
        [row] = [x for x in text.splitlines() if "P-M8" in x]
        assert "L2026-007" in row and " 25 " in f"{row} " and " 60 " not in f"{row} ", row
        assert "张师傅" in text and "车牌号" in text and "收货人签收" in text, name
        assert "实收数量" in text, name
    plain = text_of(rendered["delivery_note"])
    for word in ("1.15", "28.75", "单价", "金额", "Amount", "大写"):
        assert word not in plain, word
    priced = text_of(rendered["priced_delivery_note"])
    assert "1.15" in priced and "28.75" in priced and "贰拾捌元柒角伍分" in priced


def test_a_long_quote_repeats_its_table_head_and_numbers_its_pages(rendered):
    pdf = rendered["quote_80_lines"]
    assert pages(pdf) == 2
    for page in (1, 2):
        text = page_text(pdf, page)
        assert "品名规格" in text and f"Page {page} of 2" in text, page


def test_one_line_forms_print_on_one_page(rendered):
    assert pages(rendered["one_line_quote"]) == 1
    assert pages(rendered["one_line_issue_slip"]) == 1


def test_the_picking_copy_prints_a_page_per_twenty_lines(rendered):
    assert pages(rendered["picking_60"]) == 3
    text = text_of(rendered["picking_60"])
    assert "1.15" not in text and "单价" not in text  # still no price on paper


def test_long_text_on_a_form_prints_whole(rendered):
    """Free text wraps in its cell and its row is as tall as it needs: a question or a note
    longer than the form is wide ran off the page's edge and was lost on paper."""
    done = subprocess.run(
        ["pdftotext", str(rendered["long_inquiry"]), "-"], capture_output=True, text=True
    )
    printed = "".join(done.stdout.split())
    assert printed.count("".join(QUESTION.split())) == 2  # the questions and the line's note
    assert "A2-70达克罗" in printed
    assert pages(rendered["long_inquiry"]) == 1


def test_a_sixty_line_notice_prints_the_pages_its_lines_need(rendered):
    assert 2 <= pages(rendered["notice_60"]) <= 3


def test_instructions_and_hints_stay_off_paper(rendered):
    for kind in KINDS.values():
        text = text_of(rendered[f"blank_{kind.key}"])
        assert "Yellow cells" not in text and "黄色格子必填" not in text, kind.key
        assert pages(rendered[f"blank_{kind.key}"]) == 1, kind.key


def test_a_marked_copy_lists_its_problems_first(rendered):
    text = text_of(rendered["marked_quote"])
    assert "需要修改" in text and "C404" in text
    listed = text.split("\f")[0]
    # each cell's name is printed on the first line of its own words (it sat a line lower,
    # beside the next problem), and the page is numbered
    named = [x.split() for x in listed.splitlines() if re.match(r"\s*[A-Z]{1,3}\d+(\s|$)", x)]
    assert len(named) >= 3 and all(len(x) > 1 and x[1].startswith("工作表") for x in named), named
    assert "Page 1 of 2" in listed
