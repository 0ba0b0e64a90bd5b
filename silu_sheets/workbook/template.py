"""Blank (or pre-filled) forms made from a kind's declaration.

Each form: bilingual labels, dropdowns for choices, date and number formats, an input hint on
every input cell, required cells marked (* and yellow), labels protected and input cells open,
a line table with room for ``max_rows`` lines, the header frozen where the table stays in view,
and the kind and template version in a hidden sheet plus a defined name (both survive re-saving
by LibreOffice and WPS, which drop custom document properties now and then).

On paper: A4 one page wide, page numbers in the footer, the print area the header block and the
lines in use (a blank: a first page of lines); the instructions and hints sit beside the form,
outside the print area, so they stay on screen and off paper.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from copy import copy
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from silu_sheets.declare import (
    FIRST_HEADER_ROW,
    HINT_ROW,
    LABEL_COLUMN,
    TITLE_ROW,
    Field,
    Kind,
    column_letter,
)
from silu_sheets.values import CONTROL, display_width, printable

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.styles import Border
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

# openpyxl is imported inside the functions that build a workbook: the reader, the fast fill
# and every command import this module for its names, and openpyxl costs ~0.2 s to import.

ID_SHEET = "_silu"
ID_NAME = "SILU_FORM"
MARK = "silu-sheets"

#: fill colours: required input cells yellow, optional ones white, labels blue
REQUIRED_COLOUR, OPTIONAL_COLOUR, LABEL_COLOUR = "FFF2CC", "FFFFFF", "DDEBF7"


def box() -> Border:
    from openpyxl.styles import Border, Side

    thin = Side(style="thin", color="A6A6A6")
    return Border(left=thin, right=thin, top=thin, bottom=thin)


FORMATS = {
    "date": "yyyy-mm-dd",
    "quantity": "#,##0.###",
    "money": "#,##0.00##",
    "cost": "#,##0.00",
    "integer": "0",
    "text": "@",
    "code": "@",
    "docno": "@",
    "phone": "@",
    "email": "@",
}
FILL_HINT = (
    "黄色格子必填（标 *），白色格子选填；下拉格子请从列表选择。填好后保存为 .xlsx，发送到公司表单邮箱。"
    "  Yellow cells (*) are required, white ones optional; pick dropdown cells from the list. "
    "Save as .xlsx and mail it to the firm's forms address."
)


def label(f: Field) -> str:
    star = " *" if f.required else ""
    return f"{f.zh}{star} {f.en}"


def hint(f: Field) -> str:
    parts = [p for p in (f.hint_zh, f.hint_en) if p]
    if f.choices:
        parts.append("可选 Choices: " + "；".join(c.shown for c in f.choices))
    if f.type == "date":
        parts.append("日期格式 2026-11-26 / date as 2026-11-26")
    if f.type in ("quantity", "money", "cost", "integer"):
        parts.append("只填数字 / numbers only")
    return "\n".join(parts)


def validation(f: Field) -> DataValidation | None:
    """A dropdown for choices; type checks as warnings (the system, not Excel, has the last word)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    prompt = hint(f)[:250]
    common: dict[str, Any] = {
        "showInputMessage": bool(prompt),
        "promptTitle": f.zh[:32],
        "prompt": prompt or None,
        "allow_blank": True,
    }
    if f.type == "choice":
        items = ",".join(c.shown for c in f.choices)
        return DataValidation(type="list", formula1=f'"{items}"', showErrorMessage=True, **common)
    if f.type == "bool":
        return DataValidation(
            type="list", formula1='"是 yes,否 no"', showErrorMessage=True, **common
        )
    if f.type == "date":
        return DataValidation(
            type="date",
            operator="greaterThan",
            formula1="1",
            showErrorMessage=True,
            errorStyle="warning",
            error="请填写日期，如 2026-11-26 / Write a date such as 2026-11-26",
            **common,
        )
    if f.type in ("quantity", "money", "cost", "integer"):
        return DataValidation(
            type="whole" if f.type == "integer" else "decimal",
            operator="greaterThanOrEqual",
            formula1=str(f.minimum or 0),
            showErrorMessage=True,
            errorStyle="warning",
            error="请只填数字 / Numbers only",
            **common,
        )
    return DataValidation(type=None, **common) if prompt else None


def style_input(cell: Any, f: Field) -> None:
    """An input cell: open, coloured, boxed, formatted; free text wraps (a customer's question,
    an address, a note ran past the form's right edge and was cut off on paper) and every value
    sits level with its label."""
    from openpyxl.styles import Alignment, PatternFill, Protection

    cell.protection = Protection(locked=False)
    cell.fill = PatternFill("solid", fgColor=REQUIRED_COLOUR if f.required else OPTIONAL_COLOUR)
    cell.border = box()
    cell.number_format = FORMATS.get(f.type, "General")
    cell.alignment = Alignment(wrap_text=f.type == "text", vertical="center")


def as_cell_value(value: Any) -> Any:
    """What openpyxl should store: exact decimals as numbers Excel shows exactly, text without
    the control characters a workbook cannot hold (a value stored before they were refused)."""
    if isinstance(value, str):
        value = printable(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def build(
    kind: Kind,
    header: Mapping[str, Any] | None = None,
    lines: Sequence[Mapping[str, Any]] = (),
    notes: Mapping[str, str] | None = None,
) -> Workbook:
    """The form as a workbook; ``header`` and ``lines`` pre-fill it (next form, warehouse copy)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    label_fill, border = PatternFill("solid", fgColor=LABEL_COLOUR), box()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = kind.sheet
    layout = kind.layout

    sizes = column_widths(kind)
    aside = layout.notes_column  # on screen beside the form, outside its print area

    ws[f"A{TITLE_ROW}"] = f"{kind.zh}  {kind.en}"
    ws[f"A{TITLE_ROW}"].font = Font(size=16, bold=True)
    ws.row_dimensions[TITLE_ROW].height = 26
    # notes beside the form run on to the right unwrapped: readable on screen, rows stay low
    ws[f"{aside}{TITLE_ROW}"] = FILL_HINT
    ws[f"{aside}{TITLE_ROW}"].font = Font(size=9, color="595959")
    ws[f"{aside}{TITLE_ROW}"].alignment = Alignment(vertical="center")
    ws.row_dimensions[HINT_ROW].height = 8

    validations: dict[str, DataValidation] = {}

    def validate(f: Field, where: str, key: str) -> None:
        dv = validations.get(key)
        if dv is None:
            made = validation(f)
            if made is None:
                return
            validations[key] = dv = made
            ws.add_data_validation(dv)
        dv.add(where)

    for i, f in enumerate(kind.header):
        row = FIRST_HEADER_ROW + i
        cell = ws[f"{LABEL_COLUMN}{row}"]
        cell.value = label(f)
        cell.font = Font(bold=f.required)
        cell.fill = label_fill
        cell.border = border
        # a label longer than its column wraps instead of being cut off
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        rows_needed = -(-display_width(label(f)) // int(sizes[0] - 1))
        target = ws[layout.header_cells[f.key]]
        style_input(target, f)
        validate(f, target.coordinate, f"h:{f.key}")
        tip = ws[f"{aside}{row}"]
        tip.value = " / ".join(p for p in (f.hint_zh, f.hint_en) if p) or None
        tip.font = Font(size=9, italic=True, color="7F7F7F")
        tip.alignment = Alignment(vertical="center")
        if rows_needed > 1:
            ws.row_dimensions[row].height = 15 * rows_needed

    if kind.lines and layout.line_header_row and layout.first_line_row and layout.last_line_row:
        for c in kind.lines.columns:
            letter = layout.line_columns[c.key]
            head = ws[f"{letter}{layout.line_header_row}"]
            head.value = f"{c.zh}{' *' if c.required else ''}\n{c.en}"
            head.font = Font(bold=True)
            head.fill = label_fill
            head.border = border
            head.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
            area = f"{letter}{layout.first_line_row}:{letter}{layout.last_line_row}"
            validate(c, area, f"l:{c.key}")
            first = ws[f"{letter}{layout.first_line_row}"]
            style_input(first, c)
            for row in range(layout.first_line_row + 1, layout.last_line_row + 1):
                # the same style for 200 rows: copying the style indices is ~5× faster than
                # setting four style attributes per cell, and writes the very same file
                ws[f"{letter}{row}"]._style = copy(first._style)
        head_lines = max(
            -(-display_width(text) // int(sizes[i] - 1))
            for i, c in enumerate(kind.lines.columns)
            for text in (f"{c.zh}{' *' if c.required else ''}", c.en)
        )
        ws.row_dimensions[layout.line_header_row].height = 15 * (head_lines + 1) + 2
        ws.print_title_rows = f"{layout.line_header_row}:{layout.line_header_row}"
    ws.freeze_panes = freeze_at(kind, ws)

    for i, size in enumerate(sizes, start=1):
        ws.column_dimensions[column_letter(i)].width = size
    ws.column_dimensions[aside].width = ASIDE_WIDTH

    fill_values(ws, kind, header or {}, lines)
    for key, text in (notes or {}).items():
        cell = ws[layout.header_cells[key]]
        cell.comment = Comment(text, MARK, width=300, height=120)

    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sum(sizes) > PORTRAIT_UNITS else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页  Page &P of &N"
    ws.oddFooter.center.size = 9
    ws.print_area = print_area(kind, len(lines))

    mark(wb, kind)
    return wb


#: how wide the on-screen notes beside a form are (instructions, hints; never printed)
ASIDE_WIDTH = 12
#: a form wider than this (in character widths) prints landscape
PORTRAIT_UNITS = 100
#: lines a blank form prints: a first page to fill by hand
BLANK_PRINTED_LINES = 20
#: the tallest frozen block (points) that leaves the line table in view on a 1366×768 laptop:
#: the taskbar, Excel's ribbon, formula bar, headings, tabs and status bar leave ~360 pt of
#: grid at 100 %, so at least four lines show below a block this tall
FROZEN_LIMIT = 300
#: narrowest column of each type, wide enough for its typical content (2026-11-26, 1,234.5)
TYPE_WIDTHS = {
    "date": 12,
    "quantity": 11,
    "money": 12,
    "cost": 10,
    "integer": 8,
    "docno": 16,
    "email": 22,
    "phone": 15,
    "code": 12,
    "text": 14,
    "choice": 10,
    "bool": 8,
}


def _needs(f: Field) -> int:
    shown = [c.shown for c in f.choices] if f.choices else []
    return max([TYPE_WIDTHS.get(f.type, 12)] + [display_width(x) + 3 for x in shown])


def column_widths(kind: Kind) -> list[float]:
    """Each column as wide as its own content: column A its labels (wrapping past 36) and its
    line column, B the header values and its line column, the rest their line column's label
    (Chinese over English) and type."""
    columns = list(kind.lines.columns) if kind.lines else []
    width = max(3, len(columns))
    sizes: list[float] = []
    for i in range(width):
        need = 8
        if i < len(columns):
            c = columns[i]
            head = max(display_width(f"{c.zh}{' *' if c.required else ''}"), display_width(c.en))
            need = max(_needs(c), min(head, 22) + 2)
        if i == 0 and kind.header:
            need = max(need, min(36, max(display_width(label(f)) for f in kind.header) + 2))
        if i == 1 and kind.header:
            need = max(need, min(30, max(_needs(f) for f in kind.header)))
        sizes.append(need)
    return sizes


def freeze_at(kind: Kind, ws: Worksheet) -> str | None:
    """Freeze the header block with the table's column labels, unless so tall that on a
    1366×768 screen the lines could not scroll into view: then freeze nothing."""
    layout = kind.layout
    below = layout.first_line_row or FIRST_HEADER_ROW
    height = sum((ws.row_dimensions[r].height or 15) for r in range(1, below))
    return f"A{below}" if height <= FROZEN_LIMIT else None


def print_area(kind: Kind, lines_in_use: int = 0) -> str:
    """The header block and the lines in use (a blank: a first page of lines to fill)."""
    layout = kind.layout
    right = column_letter(layout.last_column)
    if layout.first_line_row is None or layout.last_line_row is None:
        return f"A1:{right}{max(FIRST_HEADER_ROW, FIRST_HEADER_ROW + len(kind.header) - 1)}"
    shown = lines_in_use or BLANK_PRINTED_LINES
    last = min(layout.last_line_row, layout.first_line_row + shown - 1)
    return f"A1:{right}{last}"


def fill_values(
    ws: Worksheet, kind: Kind, header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]
) -> None:
    layout = kind.layout
    for key, value in header.items():
        if key in layout.header_cells and value is not None:
            put(ws[layout.header_cells[key]], value)
    if not lines or layout.first_line_row is None:
        return
    for offset, line in enumerate(lines):
        row = layout.first_line_row + offset
        for key, value in line.items():
            if key in layout.line_columns and value is not None:
                put(ws[layout.line_cell(key, row)], value)


def put(cell: Any, value: Any) -> None:
    """A value into a cell as data: text starting with "=" stays text (a customer's note
    "=见附件" must not become a formula that Excel reports as broken)."""
    cell.value = as_cell_value(value)
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"


def only_data(wb: Workbook) -> None:
    """A workbook made safe to send: every formula becomes its text (never a live formula taken
    from a sender's file or a stored value), characters a workbook cannot hold are dropped,
    links to other workbooks are left out. Only existing cells are visited, never a range."""
    wb._external_links = []
    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):
            if cell.data_type == "f":  # a formula, or an array formula (its .text)
                cell.value = printable(str(getattr(cell.value, "text", cell.value)))
                cell.data_type = "s"
            elif isinstance(cell.value, str) and CONTROL.search(cell.value):
                cell.value = printable(cell.value)


def mark(wb: Workbook, kind: Kind) -> None:
    """The hidden identification: kind and template version."""
    from openpyxl.workbook.defined_name import DefinedName

    ident = wb.create_sheet(ID_SHEET)
    ident["A1"], ident["B1"] = MARK, "do not edit / 请勿修改"
    ident["A2"], ident["B2"] = "kind", kind.key
    ident["A3"], ident["B3"] = "version", kind.version
    ident.sheet_state = "hidden"
    ident.protection.sheet = True
    wb.defined_names[ID_NAME] = DefinedName(ID_NAME, attr_text=f'"{kind.key}@{kind.version}"')
    wb.properties.creator = MARK
    wb.properties.title = f"{kind.zh} {kind.en}"
    fixed = dt.datetime(2026, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed


def to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_filename(kind: Kind) -> str:
    return f"{kind.key}-{kind.zh}.xlsx"


def write_templates(out: Path, kinds: Sequence[Kind]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in kinds:
        path = out / template_filename(kind)
        path.write_bytes(to_bytes(build(kind)))
        written.append(path)
    return written
