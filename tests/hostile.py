"""A generated corpus of hostile and damaged attachments, each with the answer it must get.

``corpus()`` builds every case in memory from one valid inquiry: files that are not workbooks,
old .xls, macros, passwords, zip bombs, entity expansion, truncations, corrupt deflate streams,
garbled XML, stray far cells, merged inputs, formulas, huge numbers, control characters,
hidden rows, oversized line tables. ``expected`` are the problem codes the outcome must carry;
``accepted`` is True where the right answer is "recorded, with a warning".

Used by ``tests/test_hostile.py`` (every case through the real pipeline and ledger),
``bench/hostile.py`` (time and peak memory per case) and the reliability runner.
"""

from __future__ import annotations

import io
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from silu_sheets import problems as P
from silu_sheets.api import fill_form

SALES = "li.na@firm.test"
#: customers clearly unlike each other: every case that is recorded names a new one, so the
#: ledger's duplicate-customer check never decides a case
CUSTOMERS = (
    "苏州金桥机械",
    "杭州东方电器",
    "无锡恒达五金",
    "温州华盛阀门",
    "青岛北方物流",
    "厦门南洋进出口",
    "成都天府工具",
    "武汉长江仪表",
    "天津滨海化工",
    "大连远洋渔业",
    "昆明高原花卉",
    "西安古城包装",
    "南昌赣江纺织",
    "福州闽江茶业",
    "合肥科大仪器",
    "长沙湘江电机",
    "贵阳黔山药业",
    "兰州陇原铝材",
    "沈阳北陵重工",
    "海口椰风食品",
)
SHEET = "xl/worksheets/sheet1.xml"
ID_PART = "xl/worksheets/sheet2.xml"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
VALUE_TOO_LARGE = "value-too-large"
TEXT_CONTROL = "text-control-characters"


@dataclass(frozen=True)
class HostileCase:
    name: str
    filename: str
    data: bytes
    #: problem codes the outcome must carry (errors, or warnings when ``accepted``)
    expected: tuple[str, ...]
    #: recorded with a warning rather than refused
    accepted: bool = False
    #: the cell the first expected problem names, when it has one
    cell: str | None = None


@cache
def valid_inquiry(customer: str = "宁波海通贸易") -> bytes:
    """A correct inquiry any salesperson may send into an empty ledger."""
    return fill_form(
        "inquiry",
        {
            "inquiry_date": "2026-11-20",
            "customer_name": customer,
            "channel": "电话",
            "contact_person": "王先生",
        },
        [{"product_name": "不锈钢螺栓 M8", "quantity": 100}],
    )


# --- tools to damage a workbook the way tools and people do -------------------------------------
def repack(
    data: bytes,
    replace: Mapping[str, bytes] | None = None,
    extra: Mapping[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as dst:
        for item in src.infolist():
            if item.filename in drop:
                continue
            dst.writestr(item.filename, (replace or {}).get(item.filename, src.read(item)))
        for name, content in (extra or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def part(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode("utf-8")


def edit_sheet(data: bytes, edit: Callable[[str], str], name: str = SHEET) -> bytes:
    xml = part(data, name)
    changed = edit(xml)
    assert changed != xml, "the edit changed nothing"
    return repack(data, replace={name: changed.encode("utf-8")})


def put_cell(data: bytes, coordinate: str, cell_body: str, attrs: str = "") -> bytes:
    """Write ``<c r=coordinate attrs>cell_body</c>`` into the main sheet, replacing the cell
    or adding it (with its row) at the end of the sheet data."""

    def edit(xml: str) -> str:
        cell = f'<c r="{coordinate}"{attrs}>{cell_body}</c>'
        pattern = re.compile(rf'<c r="{coordinate}"[^>]*?(?:/>|>.*?</c>)')
        if pattern.search(xml):
            return pattern.sub(lambda _m: cell, xml, count=1)
        row = re.match(r"[A-Z]+(\d+)", coordinate)[1]  # type: ignore[index]
        row_open = re.search(rf'<row r="{row}"[^>]*>', xml)
        if row_open:
            end = xml.index("</row>", row_open.end())
            return xml[:end] + cell + xml[end:]
        return xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')

    return edit_sheet(data, edit)


def text_cell(coordinate: str, text: str) -> tuple[str, str]:
    return (f'<is><t xml:space="preserve">{text}</t></is>', ' t="inlineStr"')


def with_text(data: bytes, coordinate: str, text: str) -> bytes:
    body, attrs = text_cell(coordinate, text)
    return put_cell(data, coordinate, body, attrs)


def with_number(data: bytes, coordinate: str, literal: str) -> bytes:
    return put_cell(data, coordinate, f"<v>{literal}</v>", ' t="n"')


def with_pixel_bomb(data: bytes) -> bytes:
    """The workbook with a picture whose PNG header claims 60000 × 60000 pixels (10 GB decoded)."""
    from openpyxl import load_workbook
    from openpyxl.drawing.image import Image
    from PIL import Image as Picture

    wb = load_workbook(io.BytesIO(data))
    small = io.BytesIO()
    Picture.new("RGB", (4, 4)).save(small, "PNG")
    wb.active.add_image(Image(io.BytesIO(small.getvalue())), "F2")
    out = io.BytesIO()
    wb.save(out)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100_000))
    )
    bomb += chunk(b"IEND", b"")
    return repack(out.getvalue(), replace={"xl/media/image1.png": bomb})


def column_name(number: int) -> str:
    """1 -> A, 28 -> AB."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def corrupt_deflate(data: bytes, name: str) -> bytes:
    """Flip bytes inside one part's compressed stream, leaving the zip directory intact."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    start = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
    body = start + 30 + name_len + extra_len
    broken = bytearray(data)
    for i in range(body + 2, body + min(info.compress_size, 40), 3):
        broken[i] ^= 0x5A
    return bytes(broken)


def workbook_from_openpyxl(edit: Callable) -> bytes:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(valid_inquiry()))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
EXTERNAL_ENTITY = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def with_doctype(data: bytes, name: str, doctype: str, entity: str) -> bytes:
    xml = part(data, name)
    xml = re.sub(r"^<\?xml[^>]*\?>", "", xml)
    # the entity is used where a parser would expand it: inside the first text or at the root
    first_text = xml.find("<t")
    if first_text >= 0 and name == SHEET:
        at = xml.index(">", first_text) + 1
        xml = xml[:at] + entity + xml[at:]
    return repack(data, replace={name: (doctype + xml).encode("utf-8")})


def many_rows(count: int) -> bytes:
    """An inquiry with ``count`` filled line rows below its first line (a pasted export)."""

    def edit(xml: str) -> str:
        rows = "".join(
            f'<row r="{r}"><c r="B{r}" t="inlineStr"><is><t>螺栓 {r}</t></is></c>'
            f'<c r="C{r}" t="n"><v>{r}</v></c></row>'
            for r in range(222, 222 + count)
        )
        # rows 222.. follow the template's last line row (220); row 221 stays empty
        xml = re.sub(r'<row r="(22[1-9]|2[3-9]\d|[3-9]\d\d)".*?</row>', "", xml)
        return xml.replace("</sheetData>", rows + "</sheetData>")

    return edit_sheet(valid_inquiry(), edit)


def shared_strings_form(customer: str, extra_si: str = "") -> bytes:
    """A valid inquiry with its customer name moved into sharedStrings.xml (as Excel saves)."""
    data = valid_inquiry(customer)
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{customer}</t>'
        f"{extra_si}</si></sst>"
    )
    types = part(data, "[Content_Types].xml").replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = part(data, "xl/_rels/workbook.xml.rels").replace(
        "</Relationships>",
        '<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    data = put_cell(data, "B9", "<v>0</v>", ' t="s"')
    return repack(
        data,
        replace={
            "[Content_Types].xml": types.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
        },
        extra={"xl/sharedStrings.xml": sst.encode()},
    )


# --- the corpus ------------------------------------------------------------------------------
@cache
def corpus() -> list[HostileCase]:
    """Every case, built once per process (a few seconds)."""
    good = valid_inquiry()
    names = iter(CUSTOMERS)

    def fresh() -> bytes:
        """A valid inquiry for a customer no other case names."""
        return valid_inquiry(next(names))

    cases: list[HostileCase] = []

    def add(name: str, filename: str, data: bytes, *expected: str, **kw: object) -> None:
        cases.append(HostileCase(name, filename, data, tuple(expected), **kw))  # type: ignore[arg-type]

    # not a workbook at all
    add("empty", "inquiry.xlsx", b"", P.FILE_NOT_XLSX)
    add("pdf", "inquiry.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", P.FILE_NOT_XLSX)
    add("csv-renamed", "inquiry.xlsx", "客户,数量\n海通,12\n".encode("gb18030"), P.FILE_NOT_XLSX)
    add(
        "html-renamed",
        "inquiry.xlsx",
        b"<html><table><tr><td>1</td></tr></table></html>",
        P.FILE_NOT_XLSX,
    )
    add("png", "inquiry.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, P.FILE_NOT_XLSX)
    for seed in range(8):
        noise = bytes((seed * 131 + i * 7919) % 251 for i in range(2048 + seed * 100))
        add(f"noise-{seed}", "inquiry.xlsx", noise, P.FILE_NOT_XLSX)
    add("zip-not-workbook", "forms.zip", repack(good, drop=("xl/workbook.xml",)), P.FILE_NOT_XLSX)
    add("only-zip-header", "inquiry.xlsx", b"PK\x03\x04" + b"\0" * 26, P.FILE_DAMAGED)

    # old formats, macros, passwords
    ole = OLE + b"\0" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + b"\0" * 480
    add("old-xls", "询价.xls", ole, P.FILE_OLD_XLS)
    add("old-xls-renamed", "inquiry.xlsx", ole, P.FILE_OLD_XLS)
    add("biff5-named-xls", "old.xls", b"\x09\x08\x10\x00\x00\x06\x05\x00" * 8, P.FILE_OLD_XLS)
    add("xlsm-name", "inquiry.xlsm", good, P.FILE_MACRO)
    add("xltm-name", "inquiry.xltm", good, P.FILE_MACRO)
    add("vba-part", "inquiry.xlsx", repack(good, extra={"xl/vbaProject.bin": ole}), P.FILE_MACRO)
    macro_types = part(good, "[Content_Types].xml").replace(
        "spreadsheetml.sheet.main+xml", "sheet.macroEnabled.main+xml"
    )
    add(
        "macro-content-type",
        "inquiry.xlsx",
        repack(good, replace={"[Content_Types].xml": macro_types.encode()}),
        P.FILE_MACRO,
    )
    try:
        from msoffcrypto.format.ooxml import OOXMLFile

        sealed = io.BytesIO()
        OOXMLFile(io.BytesIO(good)).encrypt("secret", sealed)
        add("encrypted", "inquiry.xlsx", sealed.getvalue(), P.FILE_ENCRYPTED)
    except ImportError:  # pragma: no cover - msoffcrypto-tool is a test dependency
        pass

    # size caps and zip bombs
    add(
        "bomb-70mb-zeros",
        "inquiry.xlsx",
        repack(good, extra={"xl/media/zeros.bin": b"\0" * (70 * 1024 * 1024)}),
        P.FILE_ZIP_BOMB,
    )
    add(
        "bomb-ratio",
        "inquiry.xlsx",
        repack(good, extra={"xl/media/zeros.bin": b"\0" * (3 * 1024 * 1024)}),
        P.FILE_ZIP_BOMB,
    )
    add(
        "bomb-sheet-of-spaces",
        "inquiry.xlsx",
        edit_sheet(
            good, lambda x: x.replace("</sheetData>", " " * (20 * 1024 * 1024) + "</sheetData>")
        ),
        P.FILE_ZIP_BOMB,
    )
    add(
        "too-many-parts",
        "inquiry.xlsx",
        repack(good, extra={f"xl/custom/p{i}.xml": b"<x/>" for i in range(401)}),
        P.FILE_TOO_MANY_PARTS,
    )
    add(
        "over-5mb",
        "inquiry.xlsx",
        repack(
            good,
            extra={"xl/media/photo.bin": bytes(i * 7 % 256 for i in range(5 * 1024 * 1024 + 10))},
            compression=zipfile.ZIP_STORED,
        ),
        P.FILE_TOO_LARGE,
    )

    # truncated and corrupt
    for fraction in (5, 20, 35, 50, 65, 80, 95, 99):
        add(
            f"truncated-{fraction}pct",
            "inquiry.xlsx",
            good[: len(good) * fraction // 100],
            P.FILE_DAMAGED,
        )
    for name in (
        SHEET,
        ID_PART,
        "xl/workbook.xml",
        "xl/styles.xml",
        "[Content_Types].xml",
        "xl/_rels/workbook.xml.rels",
    ):
        add(f"corrupt-deflate-{name}", "inquiry.xlsx", corrupt_deflate(good, name), P.FILE_DAMAGED)
    for name in (SHEET, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", ID_PART):
        garbled = part(good, name)[: len(part(good, name)) // 2]
        add(
            f"garbled-xml-{name}",
            "inquiry.xlsx",
            repack(good, replace={name: garbled.encode()}),
            P.FILE_DAMAGED,
        )
    add(
        "invalid-utf8-sheet",
        "inquiry.xlsx",
        repack(
            good,
            replace={SHEET: part(good, SHEET).encode().replace("王先生".encode(), b"\xff\xfe\xfa")},
        ),
        P.FILE_DAMAGED,
    )
    add("sheet-part-missing", "inquiry.xlsx", repack(good, drop=(SHEET,)), P.FILE_DAMAGED)
    add(
        "bad-cell-reference",
        "inquiry.xlsx",
        edit_sheet(good, lambda x: x.replace('<c r="B10"', '<c r="B10ZZ"', 1)),
        P.FILE_DAMAGED,
    )

    # entity expansion and external entities, in every part we parse
    for name in (SHEET, ID_PART, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
        add(
            f"billion-laughs-{name}",
            "inquiry.xlsx",
            with_doctype(good, name, BILLION_LAUGHS, "&lol9;"),
            P.FILE_UNSAFE_XML,
        )
    for name in (SHEET, "xl/workbook.xml"):
        add(
            f"external-entity-{name}",
            "inquiry.xlsx",
            with_doctype(good, name, EXTERNAL_ENTITY, "&xxe;"),
            P.FILE_UNSAFE_XML,
        )
    add(
        "billion-laughs-shared-strings",
        "inquiry.xlsx",
        with_doctype(
            shared_strings_form("宁波海通贸易"), "xl/sharedStrings.xml", BILLION_LAUGHS, "&lol9;"
        ),
        P.FILE_UNSAFE_XML,
    )

    # not ours, or another version
    from openpyxl import Workbook

    plain = Workbook()
    plain.active["A1"] = "客户名称"
    plain.active["B1"] = "宁波海通贸易"
    buffer = io.BytesIO()
    plain.save(buffer)
    add("plain-workbook", "inquiry.xlsx", buffer.getvalue(), P.NOT_OUR_TEMPLATE)
    add(
        "version-too-old",
        "inquiry.xlsx",
        edit_sheet(
            good, lambda x: re.sub(r'(<c r="B3"[^>]*>)<v>\d+</v>', r"\1<v>0</v>", x), ID_PART
        ),
        P.TEMPLATE_TOO_OLD,
    )
    add(
        "version-too-new",
        "inquiry.xlsx",
        edit_sheet(
            good, lambda x: re.sub(r'(<c r="B3"[^>]*>)<v>\d+</v>', r"\1<v>99</v>", x), ID_PART
        ),
        P.TEMPLATE_TOO_NEW,
    )

    # stray values far from the form: read, warned, never a fault
    for far in ("XFD1048576", "A1048576", "XFD1", "XFD30", "AMJ100000", "Z9999"):
        add(
            f"stray-{far}",
            "inquiry.xlsx",
            with_number(fresh(), far, "1"),
            P.VALUES_OUTSIDE_FORM,
            accepted=True,
        )
    add(
        "dimension-lies",
        "inquiry.xlsx",
        edit_sheet(
            fresh(),
            lambda x: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', x),
        ),
        accepted=True,
    )
    add(
        "empty-styled-cell-far",
        "inquiry.xlsx",
        edit_sheet(
            fresh(),
            lambda x: x.replace(
                "</sheetData>", '<row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>'
            ),
        ),
        accepted=True,
    )
    add("shared-strings", "inquiry.xlsx", shared_strings_form(next(names)), accepted=True)
    add(
        "phonetic-guide",
        "inquiry.xlsx",
        shared_strings_form(next(names), '<rPh sb="0" eb="2"><t>ニンポー</t></rPh>'),
        accepted=True,
    )

    # merged cells over inputs
    def merge(ranges: str) -> Callable[[str], str]:
        def edit(xml: str) -> str:
            refs = "".join(f'<mergeCell ref="{r}"/>' for r in ranges.split())
            block = f'<mergeCells count="{len(ranges.split())}">{refs}</mergeCells>'
            return xml.replace("</sheetData>", "</sheetData>" + block, 1)

        return edit

    add(
        "merged-label-over-name",
        "inquiry.xlsx",
        edit_sheet(good, merge("A9:B9")),
        P.MERGED_INPUT,
        cell="B9",
    )
    add(
        "merged-line-cells",
        "inquiry.xlsx",
        edit_sheet(good, merge("B21:C21")),
        P.MERGED_INPUT,
        cell="C21",
    )
    add(
        "merged-header-block",
        "inquiry.xlsx",
        edit_sheet(good, merge("A7:C10")),
        P.MERGED_INPUT,
        cell="B7",
    )
    add(
        "merged-whole-sheet",
        "inquiry.xlsx",
        edit_sheet(good, merge("A1:XFD1048576")),
        P.MERGED_INPUT,
    )
    add(
        "merged-after-a-stray-far-cell",
        "inquiry.xlsx",
        edit_sheet(with_number(good, "XFD1048576", "1"), merge("A9:B9")),
        P.MERGED_INPUT,
        cell="B9",
    )
    add(
        "merged-after-100000-rows",
        "inquiry.xlsx",
        edit_sheet(many_rows(100_000), merge("A9:B9")),
        P.MERGED_INPUT,
        P.LINES_BEYOND_TABLE,
        cell="B9",
    )
    add("merged-value-and-hint", "inquiry.xlsx", edit_sheet(fresh(), merge("B9:C9")), accepted=True)

    # formulas in input cells
    add(
        "formula-hyperlink-no-cache",
        "inquiry.xlsx",
        put_cell(good, "B9", '<f>HYPERLINK("http://evil.test","宁波海通")</f>', ' t="str"'),
        P.FORMULA_IN_INPUT,
        cell="B9",
    )
    add(
        "formula-with-cached-text",
        "inquiry.xlsx",
        put_cell(good, "B9", '<f>CONCAT("宁波","海通")</f><v>宁波海通</v>', ' t="str"'),
        P.FORMULA_IN_INPUT,
        cell="B9",
    )
    add(
        "formula-quantity",
        "inquiry.xlsx",
        put_cell(good, "C21", "<f>10*10</f><v>100</v>"),
        P.FORMULA_IN_INPUT,
        cell="C21",
    )
    add(
        "formula-dde",
        "inquiry.xlsx",
        put_cell(good, "B10", "<f>cmd|'/c calc'!A1</f>"),
        P.FORMULA_IN_INPUT,
        cell="B10",
    )
    add(
        "formula-shared",
        "inquiry.xlsx",
        put_cell(
            good, "D21", '<f t="shared" ref="D21:D22" si="0">B21&amp;"x"</f><v>x</v>', ' t="str"'
        ),
        P.FORMULA_IN_INPUT,
        cell="D21",
    )
    add(
        "text-starting-with-equals",
        "inquiry.xlsx",
        with_text(fresh(), "B18", "=请尽快报价"),
        accepted=True,
    )

    # numbers beyond any quantity or amount
    for label, literal in (
        ("17-digits", "12345678901234567"),
        ("1e308", "1E308"),
        ("1e20", "1e20"),
        ("30-digits", "123456789012345678901234567890"),
    ):
        add(
            f"huge-quantity-{label}",
            "inquiry.xlsx",
            with_number(good, "C21", literal),
            VALUE_TOO_LARGE,
            cell="C21",
        )
    add(
        "huge-quantity-as-text",
        "inquiry.xlsx",
        with_text(good, "C21", "99999999999999999999"),
        VALUE_TOO_LARGE,
        cell="C21",
    )
    add(
        "infinity-text",
        "inquiry.xlsx",
        with_text(good, "C21", "Infinity"),
        P.NOT_A_NUMBER,
        cell="C21",
    )
    add("nan-text", "inquiry.xlsx", with_text(good, "C21", "NaN"), P.NOT_A_NUMBER, cell="C21")
    add(
        "number-overflow-literal",
        "inquiry.xlsx",
        with_number(good, "C21", "1E999"),
        P.NOT_A_NUMBER,
        cell="C21",
    )
    add(
        "negative-quantity",
        "inquiry.xlsx",
        with_number(good, "C21", "-5"),
        P.BELOW_MINIMUM,
        cell="C21",
    )
    add(
        "date-serial-huge",
        "inquiry.xlsx",
        with_number(good, "B7", "99999999"),
        P.NOT_A_DATE,
        cell="B7",
    )
    add(
        "error-cell-in-required",
        "inquiry.xlsx",
        put_cell(good, "B7", "<v>#REF!</v>", ' t="e"'),
        P.REQUIRED_MISSING,
        cell="B7",
    )

    # control characters and direction overrides in text
    for label, text in (
        ("x0001-escape", "宁波_x0001_海通"),
        ("x001b-escape", "宁波_x001B_海通"),
        ("x0007-escape", "_x0007_宁波海通"),
        ("rlo", "宁波\u202e通海"),
        ("lro", "宁波\u202d海通"),
        ("rli", "宁波\u2067海通\u2069"),
        ("del", "宁波\x7f海通"),
        ("c1-nel", "宁波\u0085海通"),
        ("c1-csi", "宁波\u009b海通"),
    ):
        add(
            f"control-{label}", "inquiry.xlsx", with_text(good, "B9", text), TEXT_CONTROL, cell="B9"
        )
    add(
        "control-in-line-note",
        "inquiry.xlsx",
        with_text(good, "D21", "加急_x0008_"),
        TEXT_CONTROL,
        cell="D21",
    )
    add(
        "newline-in-name-is-fine",
        "inquiry.xlsx",
        with_text(fresh(), "B18", "第一行\n第二行\t制表"),
        accepted=True,
    )

    # hidden rows: read, and said
    add(
        "hidden-copy-of-line-1",
        "inquiry.xlsx",
        edit_sheet(
            fresh(),
            lambda x: re.sub(
                r'<row r="22"[^>]*>.*?</row>',
                '<row r="22" hidden="1"><c r="B22" t="inlineStr"><is><t>不锈钢螺栓 M8</t></is></c>'
                '<c r="C22" t="n"><v>100</v></c></row>',
                x,
                count=1,
            ),
        ),
        P.HIDDEN_ROWS_READ,
        accepted=True,
        cell="A22",
    )

    # far more cells, styles or strings than a form: refused, and cheaply
    def many_cells(xml: str) -> str:
        cells = "".join(
            f'<c r="{column_name(5 + i % 16000)}221"><v>{i * 7919 % 1000003}</v></c>'
            for i in range(100_000)
        )
        return re.sub(r'<row r="221"[^>]*>.*?</row>', "", xml).replace(
            "</sheetData>", f'<row r="221">{cells}</row></sheetData>'
        )

    add(
        "wide-row-100000-cells", "inquiry.xlsx", edit_sheet(good, many_cells), P.FILE_TOO_MANY_CELLS
    )

    def many_styles(count: int) -> Callable[[str], str]:
        def edit(xml: str) -> str:
            styles = "".join(
                f'<xf numFmtId="{i * 37 % 200}" fontId="{i % 97}" fillId="0" borderId="0"/>'
                for i in range(count)
            )
            return re.sub(r'<cellXfs count="\d+">', f'<cellXfs count="{count}">{styles}', xml)

        return edit

    add(
        "styles-300000",
        "inquiry.xlsx",
        edit_sheet(good, many_styles(300_000), "xl/styles.xml"),
        P.FILE_TOO_MANY_CELLS,
    )
    add(
        "styles-60000",
        "inquiry.xlsx",
        edit_sheet(fresh(), many_styles(60_000), "xl/styles.xml"),
        accepted=True,
    )
    add(
        "styles-60000-refused",  # too big to mark again: the blank goes back instead
        "inquiry.xlsx",
        edit_sheet(with_number(good, "C21", "-5"), many_styles(60_000), "xl/styles.xml"),
        P.BELOW_MINIMUM,
        cell="C21",
    )
    add(
        "png-pixel-bomb-with-an-error",  # not opened again to be marked: the blank goes back
        "inquiry.xlsx",
        with_pixel_bomb(with_number(good, "C21", "-5")),
        P.BELOW_MINIMUM,
        cell="C21",
    )
    add(
        "shared-string-index-far",
        "inquiry.xlsx",
        put_cell(shared_strings_form("宁波海通贸易"), "B10", "<v>900000</v>", ' t="s"'),
        P.FILE_TOO_MANY_CELLS,
    )

    # oversized line tables
    add("lines-250", "inquiry.xlsx", many_rows(250), P.LINES_BEYOND_TABLE, cell="A222")
    add("lines-100000", "inquiry.xlsx", many_rows(100_000), P.LINES_BEYOND_TABLE, cell="A222")
    return cases


# --- a zip bomb of any size, built without holding it --------------------------------------
BLOCK = 1024 * 1024


def _deflate(data: bytes, final: bool) -> bytes:
    """Raw deflate of ``data`` that depends on nothing before it; unless ``final``, it ends on
    a byte boundary with the stream still open, so pieces can be laid end to end."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def spaces_bomb(
    form: bytes, gib: float, lie: bool = False, name: str = SHEET, before: bytes = b"</sheetData>"
) -> bytes:
    """``form`` with ``gib`` GiB of spaces in part ``name`` (before ``before``), written without ever
    holding them: one compressed MiB of spaces repeated, its CRC computed a MiB at a time.
    With ``lie`` the zip directory declares only the part's real XML, not the spaces."""
    source = zipfile.ZipFile(io.BytesIO(form))
    out, central = io.BytesIO(), io.BytesIO()
    for item in source.infolist():
        data = source.read(item)
        if item.filename == name:
            head, tail = data.split(before)
            tail = before + tail
            blocks = int(gib * 1024)
            spaces = _deflate(b" " * BLOCK, final=False)
            packed = b"".join(
                [_deflate(head, final=False), spaces * blocks, _deflate(tail, final=True)]
            )
            crc = zlib.crc32(head)
            block_crc_input = b" " * BLOCK
            for _ in range(blocks):
                crc = zlib.crc32(block_crc_input, crc)
            crc = zlib.crc32(tail, crc)
            size = len(head) + blocks * BLOCK + len(tail)
            if lie:
                size = len(head) + len(tail)
        else:
            packed, crc, size = _deflate(data, final=True), zlib.crc32(data), len(data)
        encoded = item.filename.encode()
        offset = out.tell()
        # local header, then the central directory's entry (PKWARE APPNOTE 4.3.7, 4.3.12)
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(packed),
                size,
                len(encoded),
                0,
            )
            + encoded
            + packed
        )
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(packed),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    count, start = len(source.infolist()), out.tell()
    out.write(central.getvalue())
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central.getvalue()), start, 0)
    )
    return out.getvalue()


# --- measuring -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    case: str
    seconds: float
    #: the process's peak resident memory while handling the case, above what it held before
    peak_mb: float
    codes: tuple[str, ...]
    accepted: bool


def _memory(field_name: str) -> int:
    """VmRSS or VmHWM of this process, in bytes (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    """Start VmHWM afresh at the current resident size (Linux 4.0+: write 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def measure(case: HostileCase, open_gateway: Callable[[], Any], sender: str = SALES) -> Measure:
    """Time and peak memory of one case through the pipeline, in a forked child so each case
    starts from the same memory: the child opens its gateway, resets its high-water mark, and
    times ``ingest`` alone. Linux only (``/proc``)."""
    import json
    import os

    from silu_sheets.pipeline import ingest

    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        try:
            gw = open_gateway()
            _reset_peak()
            start = _memory("VmRSS")
            started = time.perf_counter()
            outcome = ingest(gw, case.data, case.filename, sender)
            seconds = time.perf_counter() - started
            peak = _memory("VmHWM") - start
            result = {
                "seconds": seconds,
                "peak": peak,
                "codes": [p.code for p in outcome.problems],
                "accepted": outcome.accepted,
            }
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        raw = pipe.read()
    os.waitpid(child, 0)
    result = json.loads(
        raw or b'{"seconds": -1, "peak": -1, "codes": ["child-died"], "accepted": false}'
    )
    return Measure(
        case.name,
        result["seconds"],
        result["peak"] / 1024 / 1024,
        tuple(result["codes"]),
        result["accepted"],
    )
