"""Template drift and the shape of every blank form.

The committed blanks in templates/xlsx/ are what staff copy and fill; they must be exactly what
the declarations generate (else a person fills a form the reader no longer understands), and
each must carry what the issue asks of a form: bilingual labels, dropdowns, formats, prompts,
required marks, protection, room for 200 lines, frozen header, A4 fit to width, and the hidden
identification. ``silu describe`` must point at the very cells the template has.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from silu_sheets.cli import main
from silu_sheets.declare import LABEL_COLUMN, Field, Kind
from silu_sheets.kinds import KINDS
from silu_sheets.values import display_width
from silu_sheets.workbook import fill
from silu_sheets.workbook.template import (
    BLANK_PRINTED_LINES,
    FORMATS,
    FROZEN_LIMIT,
    ID_NAME,
    ID_SHEET,
    MARK,
    REQUIRED_COLOUR,
    template_filename,
)

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "templates" / "xlsx"
SILU = str(Path(sys.executable).with_name("silu"))
#: the only part allowed to differ: openpyxl stamps the save time into dcterms:modified
VOLATILE_PARTS = {"docProps/core.xml"}
NUMBER_TYPES = ("quantity", "money", "cost", "integer")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All blanks written by the real command, as a person (or make templates) would."""
    out = tmp_path_factory.mktemp("generated")
    done = subprocess.run(
        [SILU, "templates", "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def described() -> dict[str, dict]:
    """``silu describe KIND --json`` for every kind, through the command itself (in-process:
    test_cli runs the installed script; sixteen interpreter start-ups here add nothing)."""
    specs = {}
    for key in KINDS:
        done = CliRunner().invoke(main, ["describe", key, "--json"], prog_name="silu")
        assert done.exit_code == 0, done.output
        specs[key] = json.loads(done.output)
    return specs


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name) for name in archive.namelist() if name not in VOLATILE_PARTS
        }


@functools.cache
def form(path: Path) -> tuple[Worksheet, object]:
    wb = load_workbook(path)
    return wb[KINDS[path.name.split("-")[0]].sheet], wb


def validations_at(ws: Worksheet, coordinate: str) -> list:
    return [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]


def inputs(kind: Kind) -> list[tuple[Field, str]]:
    """Every input cell of the form: header cells and the first and last line-table rows."""
    layout = kind.layout
    cells = [(f, layout.header_cells[f.key]) for f in kind.header]
    if kind.lines:
        for c in kind.lines.columns:
            cells.append((c, layout.line_cell(c.key, layout.first_line_row)))
            cells.append((c, layout.line_cell(c.key, layout.last_line_row)))
    return cells


def test_every_kind_has_a_committed_template():
    assert sorted(p.name for p in COMMITTED.glob("*.xlsx")) == sorted(
        template_filename(k) for k in KINDS.values()
    )


def test_generated_templates_equal_the_committed_ones(generated: Path):
    """Drift: every part of every generated blank is byte-equal to the committed copy.
    Regenerate with ``make templates`` (``silu templates --out templates/xlsx``) and commit."""
    generated_names = sorted(p.name for p in generated.glob("*.xlsx"))
    assert generated_names == sorted(p.name for p in COMMITTED.glob("*.xlsx"))
    drifted = []
    for name in generated_names:
        new, old = parts(generated / name), parts(COMMITTED / name)
        if new.keys() != old.keys():
            drifted.append(f"{name}: parts {sorted(new.keys() ^ old.keys())}")
            continue
        drifted += [f"{name}: {part}" for part in sorted(new) if new[part] != old[part]]
    assert drifted == [], "templates/xlsx drifted from the declarations; run `make templates`"


def test_drift_check_notices_a_changed_label(generated: Path, tmp_path: Path):
    """The comparison above can fail: a label edited in a committed copy shows as a drifted part."""
    name = template_filename(KINDS["quote"])
    wb = load_workbook(COMMITTED / name)
    wb[KINDS["quote"].sheet]["A4"] = "单号 No."
    wb.save(tmp_path / name)
    changed = parts(tmp_path / name)
    assert any(changed.get(p) != b for p, b in parts(generated / name).items())


@pytest.mark.parametrize("key", list(KINDS))
def test_template_shape(key: str):
    kind = KINDS[key]
    layout = kind.layout
    ws, wb = form(COMMITTED / template_filename(kind))

    # the title and each label in both languages; required labels starred, their cells yellow
    assert kind.zh in ws["A1"].value and kind.en in ws["A1"].value
    for i, f in enumerate(kind.header):
        label = ws[f"{LABEL_COLUMN}{4 + i}"]
        assert f.zh in label.value and f.en in label.value, (key, f.key)
        assert ("*" in label.value) == f.required, (key, f.key)
        assert label.protection.locked, (key, f.key)
    if kind.lines:
        for c in kind.lines.columns:
            head = ws[f"{layout.line_columns[c.key]}{layout.line_header_row}"]
            assert c.zh in head.value and c.en in head.value, (key, c.key)
            assert ("*" in head.value) == c.required, (key, c.key)
            assert head.protection.locked

    for f, coordinate in inputs(kind):
        cell = ws[coordinate]
        where = (key, f.key, coordinate)
        assert cell.value is None, where
        assert cell.protection.locked is False, where
        assert cell.fill.fgColor.rgb.endswith(REQUIRED_COLOUR) == f.required, where
        if f.type in FORMATS:
            assert cell.number_format == FORMATS[f.type], where
        found = validations_at(ws, coordinate)
        if f.type in ("choice", "bool"):
            assert [dv.type for dv in found] == ["list"], where
            shown = [c.shown for c in f.choices] if f.type == "choice" else ["是 yes", "否 no"]
            assert found[0].formula1 == '"' + ",".join(shown) + '"', where
        if f.type == "date":
            assert [dv.type for dv in found] == ["date"], where
        if f.type in NUMBER_TYPES:
            assert [dv.type for dv in found] == ["whole" if f.type == "integer" else "decimal"], (
                where
            )
        if f.choices or f.type in ("date", *NUMBER_TYPES) or f.hint_zh:
            assert found and found[0].showInputMessage and found[0].prompt, where
            if f.hint_zh:
                assert f.hint_zh in found[0].prompt, where

    # a cell outside the inputs stays locked: labels and titles cannot be typed over
    assert ws["A1"].protection.locked
    assert ws.protection.sheet is True

    if kind.lines:
        assert kind.lines.max_rows >= 200
        assert layout.last_line_row - layout.first_line_row + 1 == kind.lines.max_rows
        # the frozen block (header and column labels) never hides the lines on a 1366×768
        # screen: it stays under FROZEN_LIMIT points, or nothing is frozen
        frozen = sum(ws.row_dimensions[r].height or 15 for r in range(1, layout.first_line_row))
        if frozen <= FROZEN_LIMIT:
            assert ws.freeze_panes == f"A{layout.first_line_row}"
        else:
            assert ws.freeze_panes is None
        below = ws[f"A{layout.last_line_row + 1}"]
        assert below.protection.locked, "the row after the table is not an input row"
        # on paper: the header block and a first page of lines, not 200 empty rows
        assert ws.print_area.endswith(f"${layout.first_line_row + BLANK_PRINTED_LINES - 1}")
    else:
        assert ws.freeze_panes == "A4"
    assert "&P" in ws.oddFooter.center.text  # page numbers
    # every label readable: wrapped where longer than its column
    for f in kind.header:
        cell = ws[f"A{ws[layout.header_cells[f.key]].row}"]
        width = ws.column_dimensions["A"].width
        assert display_width(cell.value) <= width - 1 or cell.alignment.wrap_text, f.key
        lines = -(-display_width(cell.value) // int(width - 1))
        assert (ws.row_dimensions[cell.row].height or 15) >= 15 * lines, f.key

    assert int(ws.page_setup.paperSize) == 9  # A4 in the OOXML paper size table
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True

    ident = wb[ID_SHEET]
    assert ident.sheet_state == "hidden"
    assert (ident["A1"].value, ident["B2"].value, ident["B3"].value) == (MARK, key, kind.version)
    assert wb.defined_names[ID_NAME].attr_text == f'"{key}@{kind.version}"'


@pytest.mark.parametrize("key", list(KINDS))
def test_describe_matches_the_template(key: str, described: dict[str, dict]):
    """Programs fill forms from ``describe``: each field's cell is an empty open input whose row
    label names the field, and each line column's header holds the column's label."""
    spec = described[key]
    kind = KINDS[key]
    ws, _ = form(COMMITTED / template_filename(kind))
    assert (spec["kind"], spec["version"], spec["titles"]) == (
        key,
        kind.version,
        {"zh": kind.zh, "en": kind.en},
    )
    assert spec["sheet"] == ws.title
    assert [f["key"] for f in spec["fields"]] == [f.key for f in kind.header]
    for f in spec["fields"]:
        cell = ws[f["cell"]]
        assert cell.value is None and cell.protection.locked is False, (key, f["key"])
        assert f["labels"]["zh"] in ws[f"A{cell.row}"].value, (key, f["key"])
        assert f["type"] == kind.field(f["key"]).type
        if f["type"] == "choice":
            assert [c["key"] for c in f["choices"]] == [c.key for c in kind.field(f["key"]).choices]
    if not kind.lines:
        assert spec["line_tables"] == []
        return
    (table,) = spec["line_tables"]
    assert table["max_rows"] >= 200
    assert table["first_data_row"] == table["header_row"] + 1
    assert [c["key"] for c in table["columns"]] == [c.key for c in kind.lines.columns]
    for c in table["columns"]:
        assert c["labels"]["zh"] in ws[f"{c['column']}{table['header_row']}"].value, (key, c["key"])
        for row in (table["first_data_row"], table["first_data_row"] + table["max_rows"] - 1):
            assert ws[f"{c['column']}{row}"].protection.locked is False, (key, c["key"], row)


@pytest.mark.parametrize("key", sorted(KINDS))
def test_every_input_cell_can_be_pre_filled(key: str):
    """A confirmation's next form is filled by rewriting the blank's empty input cells
    (``fill.filled``): every header cell and every line cell must be one of them, and what is
    written there reads back."""
    import io

    from python_calamine import CalamineWorkbook

    from silu_sheets.workbook import fill
    from silu_sheets.workbook.cells import parse_ref

    def cell_at(grid: list, coordinate: str) -> object:
        row, column = parse_ref(coordinate)
        return grid[row - 1][column - 1] if row <= len(grid) and column <= len(grid[0]) else None

    kind = KINDS[key]
    layout = kind.layout
    header = {k: f"h-{k}" for k in layout.header_cells}
    lines = (
        [{c.key: f"l{n}-{c.key}" for c in kind.lines.columns} for n in range(kind.lines.max_rows)]
        if kind.lines
        else []
    )
    data = fill.filled(kind, header, lines)
    grid = (
        CalamineWorkbook.from_filelike(io.BytesIO(data))
        .get_sheet_by_name(kind.sheet)
        .to_python(skip_empty_area=False)
    )
    for k, coordinate in layout.header_cells.items():
        assert cell_at(grid, coordinate) == f"h-{k}", coordinate
    if lines:
        last = layout.first_line_row + kind.lines.max_rows - 1
        for c in kind.lines.columns:
            assert (
                cell_at(grid, layout.line_cell(c.key, last))
                == f"l{kind.lines.max_rows - 1}-{c.key}"
            )


# --- the pre-filled forms start from the committed blanks ---------------------------------------
@pytest.mark.parametrize("key", list(KINDS))
def test_a_pre_filled_form_starts_from_the_committed_blank(key: str):
    """A confirmation's next form is the committed blank filled in (no build, no openpyxl)."""
    kind = KINDS[key]
    assert fill.blank(kind) == (COMMITTED / template_filename(kind)).read_bytes()


def test_a_committed_blank_not_matching_the_declaration_is_not_used(tmp_path: Path):
    """Missing, damaged, another version, or an input cell not empty: the blank is built instead."""
    kind = KINDS["quote"]
    name = template_filename(kind)
    assert fill.read_committed(kind, tmp_path) is None
    (tmp_path / name).write_bytes(b"PK\x03\x04 not a zip")
    assert fill.read_committed(kind, tmp_path) is None
    older = rezipped(COMMITTED / name, "xl/workbook.xml", f'"quote@{kind.version}"', '"quote@0"')
    (tmp_path / name).write_bytes(older)
    assert fill.read_committed(kind, tmp_path) is None
    (tmp_path / name).write_bytes(fill.filled(kind, {"customer_code": "C001"}))
    assert fill.read_committed(kind, tmp_path) is None
    (tmp_path / name).write_bytes((COMMITTED / name).read_bytes())
    assert fill.read_committed(kind, tmp_path) == (COMMITTED / name).read_bytes()


def test_pre_filled_copies_are_whole_zips_of_the_blank_with_their_values():
    """A copy's sheet is its own head deflated and joined to the blank's tail, deflated once
    per cut: copies of different lengths one after the other each read back whole (every
    part's CRC), hold their own lines and no other's, end as the blank does after their last
    value, and keep the blank's other parts as they are."""
    import io

    from python_calamine import CalamineWorkbook

    kind = KINDS["order"]
    layout = kind.layout
    blank = zipfile.ZipFile(io.BytesIO(fill.blank(kind)))
    blank_sheet = blank.read(fill.SHEET_PART)
    for count in (20, 3, 20, 0, 7, 1):
        lines = [{"product_code": f"P-{n}", "quantity": n + 1} for n in range(count)]
        data = fill.filled(kind, {"customer_code": "C001"}, lines)
        copy = zipfile.ZipFile(io.BytesIO(data))
        assert copy.testzip() is None, count
        assert sorted(copy.namelist()) == sorted(blank.namelist())
        for part in blank.namelist():
            if part not in (fill.SHEET_PART, fill.BOOK_PART):
                assert copy.read(part) == blank.read(part), part
        sheet = copy.read(fill.SHEET_PART)
        after = f'<row r="{layout.first_line_row + count}"'.encode()
        assert sheet[sheet.index(after) :] == blank_sheet[blank_sheet.index(after) :], count
        grid = (
            CalamineWorkbook.from_filelike(io.BytesIO(data))
            .get_sheet_by_name(kind.sheet)
            .to_python(skip_empty_area=False)
        )
        code = list(layout.line_columns).index("product_code")
        first = layout.first_line_row - 1
        codes = [row[code] for row in grid[first : layout.last_line_row]]
        assert [c for c in codes if c] == [f"P-{n}" for n in range(count)], count


def rezipped(path: Path, part: str, old: str, new: str) -> bytes:
    import io

    source = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == part:
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            target.writestr(item, data)
    return out.getvalue()


def test_long_text_grows_its_row_and_never_hides_the_lines():
    """A pre-filled copy's row is as tall as its wrapped text; when that makes the frozen block
    taller than a 1366×768 screen leaves room for, nothing is frozen (the lines stay in view)."""
    import io

    kind = KINDS["quote"]
    layout = kind.layout
    note_row = int(layout.header_cells["note"][1:])
    long = "客户要求每箱五百个并贴客户标签，另附材质证明和第三方检测报告。" * 4

    def sheet(note: str) -> Worksheet:
        return load_workbook(io.BytesIO(fill.filled(kind, {"note": note}, [{"note": long}])))[
            kind.sheet
        ]

    short = sheet("轻拿轻放")
    assert short.freeze_panes == f"A{layout.first_line_row}"
    assert (short.row_dimensions[layout.first_line_row].height or 15) >= 15 * 4  # the line's note
    tall = sheet(long)
    assert tall.row_dimensions[note_row].height >= 15 * 4
    frozen = sum(tall.row_dimensions[r].height or 15 for r in range(1, layout.first_line_row))
    assert frozen > FROZEN_LIMIT and tall.freeze_panes is None


class _OneWay:
    """A stream that cannot seek: zipfile then writes each entry's sizes and CRC in a data
    descriptor after its data."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b: bytes) -> int:
        self.data += b
        return len(b)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("seekable", [True, False], ids=["sizes in headers", "data descriptors"])
def test_a_blank_s_other_parts_are_copied_as_they_are(seekable: bool) -> None:
    """fill copies the blank's entries but its sheet and workbook part without unpacking them:
    put back together, they make a whole zip of exactly those parts (a comment, names in
    UTF-8 and data descriptors included)."""
    import io
    import struct

    parts = {"a.xml": b"<a/>" * 500, "名.xml": b"x" * 70, "xl/worksheets/sheet1.xml": b"<s/>"}
    out: io.BytesIO | _OneWay = io.BytesIO() if seekable else _OneWay()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:  # type: ignore[arg-type]
        book.comment = b"made elsewhere"
        for name, data in parts.items():
            book.writestr(name, data)
    data = bytes(out.getvalue() if isinstance(out, io.BytesIO) else out.data)
    assert seekable or all(i.flag_bits & 0x08 for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    entries, directory, listed = fill._kept_entries(data, ("xl/worksheets/sheet1.xml",))
    # the first two entries whole, as written (headers, data and any descriptors)
    sheet = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert entries == data[: sheet.header_offset]
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, listed, listed, len(directory), len(entries), 0
    )
    again = zipfile.ZipFile(io.BytesIO(entries + directory + end))
    assert again.testzip() is None
    assert {i.filename: again.read(i) for i in again.infolist()} == {
        "a.xml": parts["a.xml"],
        "名.xml": parts["名.xml"],
    }
