"""A ``Printout`` laid out on an A4 sheet: letterhead, title, parties, facts, the line table with
its totals, the amount in capitals, clauses and signature blocks; one page wide, the table's
head repeated on every page, page numbers in the footer.

Column widths follow each column's own content (a CJK character takes two widths of a Latin
one); text longer than a column wraps, and rows whose text wraps across merged cells get their
height set here, because neither Excel nor LibreOffice grows a merged row by itself.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from silu_sheets.amounts import money_text, places
from silu_sheets.printing import Column, Printout
from silu_sheets.values import printable
from silu_sheets.workbook.template import MARK

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOP = Alignment(vertical="top", wrap_text=True)
#: widest a column grows before its text wraps; narrowest it shrinks
MAX_WIDTH, MIN_WIDTH = 34, 6
#: the printable width of A4 portrait at 100 % in Excel character units, roughly
PAGE_UNITS = 92
LINE_HEIGHT = 15


def display_width(text: str) -> int:
    """Columns ``text`` takes in a cell: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shown(value: Any, column: Column, currency: str) -> str:
    """A cell's value as the sheet shows it (used to size its column)."""
    if value is None or value == "":
        return ""
    if column.type == "money":
        return money_text(value, currency)
    if column.type == "quantity":
        return f"{Decimal(value):,f}".rstrip("0").rstrip(".") if "." in str(value) else f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def widths(p: Printout) -> list[float]:
    found: list[float] = []
    for c in p.columns:
        words = [c.zh, c.en] + [shown(r.get(c.key), c, p.currency) for r in p.rows]
        words += [shown(v.get(c.key), c, p.currency) for _, v in p.totals]
        found.append(max(MIN_WIDTH, min(MAX_WIDTH, max(display_width(w) for w in words) + 2)))
    # a narrow table still spans the page: the description column takes most of the room
    # left, the last (note) column the rest, so the page's two halves stay near even
    room = PAGE_UNITS - sum(found)
    if room > 0:
        keys = [c.key for c in p.columns]
        wide = next((keys.index(k) for k in ("product", "what") if k in keys), len(keys) - 1)
        found[wide] += room * 0.6
        found[-1] += room * 0.4
    return found


def _merged_text(
    ws: Worksheet, row: int, first: int, last: int, text: str, width: float, **font: Any
) -> None:
    """Text across columns ``first``..``last`` of ``row``, wrapped, the row tall enough for it."""
    text = printable(text)  # a name stored before control characters were refused
    cell = ws.cell(row, first, text)
    cell.data_type = "s"  # text, even when it starts with "="
    cell.alignment = TOP
    if font:
        cell.font = Font(**font)
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    size = font.get("size", 11)
    lines = sum(
        max(1, math.ceil(display_width(part) * size / 11 / width)) for part in text.split("\n")
    )
    height = max(LINE_HEIGHT, lines * LINE_HEIGHT * size / 11)
    ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 0, height)


def build(p: Printout) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = p.sheet
    sizes = widths(p)
    n = len(p.columns)
    total = sum(sizes)
    for i, w in enumerate(sizes, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    # the two side-by-side blocks (parties, facts, signatures) split the page near its middle
    half = next((k for k in range(1, n) if sum(sizes[:k]) >= total / 2), max(1, n // 2))
    half = min(half, n - 1) if n > 1 else 1
    left_width, right_width = sum(sizes[:half]), sum(sizes[half:])
    row = 1
    head = p.letterhead
    _merged_text(ws, row, 1, n, head.name, total, bold=True, size=16)
    ws.cell(row, 1).alignment = Alignment(horizontal="center", vertical="center")
    if head.logo and head.logo.exists():
        _logo(ws, head.logo)
    for line in (head.contact_line(), head.bank_line()):
        if line:
            row += 1
            _merged_text(ws, row, 1, n, line, total, size=9)
            ws.cell(row, 1).alignment = Alignment(horizontal="center", wrap_text=True)
    row += 2
    _merged_text(ws, row, 1, n, f"{p.zh}  {p.en}", total, bold=True, size=18)
    ws.cell(row, 1).alignment = Alignment(horizontal="center", vertical="center")
    row += 1
    _merged_text(ws, row, 1, n, f"编号 No.：{p.docno}", total, size=10)
    ws.cell(row, 1).alignment = Alignment(horizontal="right")
    row += 2

    if p.parties:
        blocks = p.parties[:2]
        depth = max(len(pairs) for _, pairs in blocks)
        for b, (title, _) in enumerate(blocks):
            first, last = (1, half) if b == 0 else (half + 1, n)
            _merged_text(
                ws, row, first, last, title, left_width if b == 0 else right_width, bold=True
            )
        for k in range(depth):
            for b, (_, pairs) in enumerate(blocks):
                if k < len(pairs):
                    label, value = pairs[k]
                    first, last = (1, half) if b == 0 else (half + 1, n)
                    room = left_width if b == 0 else right_width
                    _merged_text(ws, row + 1 + k, first, last, f"{label}：{value}", room, size=10)
        row += depth + 2

    facts = [(label, value) for label, value in p.facts if value]
    for k in range(0, len(facts), 2):
        for b, (label, value) in enumerate(facts[k : k + 2]):
            first, last = (1, half) if b == 0 else (half + 1, n)
            room = left_width if b == 0 else right_width
            _merged_text(ws, row, first, last, f"{label}：{value}", room, size=10)
        row += 1
    row += 1

    table_head = row
    for i, c in enumerate(p.columns, start=1):
        cell = ws.cell(row, i, f"{c.zh}\n{c.en}")
        cell.font = Font(bold=True, size=10)
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = 2 * LINE_HEIGHT + 2
    first_line = row + 1
    for r in p.rows:
        row += 1
        tallest = 1
        for i, c in enumerate(p.columns, start=1):
            cell = ws.cell(row, i)
            _put(cell, r.get(c.key), c, p.currency)
            text = shown(r.get(c.key), c, p.currency)
            tallest = max(tallest, math.ceil(display_width(text) / max(1, sizes[i - 1] - 1)))
        if tallest > 1:
            ws.row_dimensions[row].height = tallest * LINE_HEIGHT
        if (
            p.rows_per_page
            and (row - first_line + 1) % p.rows_per_page == 0
            and r is not p.rows[-1]
        ):
            ws.row_breaks.append(Break(id=row))
    for label, values in p.totals:
        row += 1
        for i, c in enumerate(p.columns, start=1):
            cell = ws.cell(row, i)
            _put(cell, values.get(c.key), c, p.currency)
            cell.font = Font(bold=True, size=10)
        label_span = next((i for i, c in enumerate(p.columns) if c.key in values), len(p.columns))
        ws.cell(row, 1, label).font = Font(bold=True, size=10)
        ws.cell(row, 1).alignment = Alignment(horizontal="center", vertical="center")
        if label_span > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=label_span)
        for i in range(1, n + 1):
            ws.cell(row, i).border = BOX
    if p.in_words:
        row += 1
        words, amount = p.in_words
        text = f"合计人民币（大写）Amount in words：{words}    ¥{money_text(amount, 'CNY')}"
        _merged_text(ws, row, 1, n, text, total, bold=True, size=10)
        for i in range(1, n + 1):
            ws.cell(row, i).border = BOX

    if p.clauses:
        row += 1
        for clause in p.clauses:
            row += 1
            _merged_text(ws, row, 1, n, clause, total, size=10)
    if p.signatures:
        row += 2
        signs = p.signatures[:2]
        for b, (title, _) in enumerate(signs):
            first, last = (1, half) if b == 0 else (half + 1, n)
            room = left_width if b == 0 else right_width
            _merged_text(ws, row, first, last, title, room, bold=True, size=10)
        depth = max(len(lines) for _, lines in signs)
        for k in range(depth):
            ws.row_dimensions[row + 1 + k].height = 24  # room to sign by hand
            for b, (_, lines) in enumerate(signs):
                if k < len(lines):
                    first, last = (1, half) if b == 0 else (half + 1, n)
                    room = left_width if b == 0 else right_width
                    _merged_text(ws, row + 1 + k, first, last, lines[k], room, size=10)
        row += depth

    ws.print_title_rows = f"{table_head}:{table_head}"
    ws.print_area = f"A1:{get_column_letter(n)}{row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait" if total <= PAGE_UNITS * 1.25 else "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.7
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页    Page &P of &N"
    ws.oddFooter.center.size = 9
    ws.oddHeader.right.text = f"{p.zh} {p.docno}"
    ws.oddHeader.right.size = 8
    ws.sheet_view.showGridLines = False
    ws.freeze_panes = None
    wb.properties.creator = MARK
    wb.properties.title = f"{p.zh} {p.docno}"
    return wb


def _put(cell: Any, value: Any, column: Column, currency: str) -> None:
    cell.border = BOX
    cell.font = Font(size=10)
    if value is None or value == "":
        return
    if column.type == "money":
        cell.value = float(value) if isinstance(value, Decimal) else value
        decimals = places(currency)
        extra = "#" * max(0, 4 - decimals)
        cell.number_format = "#,##0" + ("." + "0" * decimals + extra if decimals or extra else "")
        cell.alignment = Alignment(horizontal="right", vertical="top")
    elif column.type == "quantity":
        number = Decimal(value)
        cell.value = int(number) if number == number.to_integral_value() else float(number)
        cell.number_format = "#,##0.###"
        cell.alignment = Alignment(horizontal="right", vertical="top")
    elif column.type == "date":
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
        cell.alignment = Alignment(horizontal="center", vertical="top")
    else:
        cell.value = printable(str(value))
        cell.data_type = "s"
        cell.alignment = TOP


def _logo(ws: Worksheet, path: Any) -> None:
    """The firm's logo at the top left, 48 pixels high (needs Pillow, as openpyxl does)."""
    from openpyxl.drawing.image import Image

    image = Image(str(path))
    scale = 48 / max(1, image.height)
    image.height, image.width = 48, int(image.width * scale)
    ws.add_image(image, "A1")
    ws.row_dimensions[1].height = 40


def to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
