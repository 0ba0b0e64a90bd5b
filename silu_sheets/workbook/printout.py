"""A ``Printout`` laid out on an A4 sheet: letterhead (with the firm's logo when it has one),
title, parties, facts, the line table with its totals, the amount in capitals, clauses and
signature blocks; one page wide, the table's head repeated on every page, page numbers in the
footer.

Written with xlsxwriter, not openpyxl: confirmations carry one, and xlsxwriter lays out a
20-line quote in ~3 ms of CPU without importing numpy (openpyxl took ~24 ms, and its import cost
a one-form ``silu ingest`` ~0.1 s). Every text goes in as a string (the workbook's
``strings_to_*`` options are off): a customer named ``=1+1`` stays text, never a formula.

Nearly all of that is xlsxwriter's, per cell and per format a cell uses (~0.3M instructions
each): so no blank cell or format that prints nothing is written. Unboxed text that fits its line
is one cell running over its empty neighbours rather than a merged range; looks that print alike
share one format (``bench/printout_cost.py`` prints the floor: the same calls, no layout).

Column widths follow each column's own content (a CJK character takes two widths of a Latin
one); text longer than a column wraps, and rows whose text wraps across merged cells get their
height set here, because neither Excel nor LibreOffice grows a merged row by itself.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.image import Image
from xlsxwriter.worksheet import Worksheet

from silu_sheets.amounts import money_text, places
from silu_sheets.logs import Logger
from silu_sheets.printing import Column, Printout
from silu_sheets.values import display_width, printable
from silu_sheets.workbook.template import MARK

log = Logger(__name__)

#: widest a column grows before its text wraps; narrowest it shrinks
MAX_WIDTH, MIN_WIDTH = 34, 6
#: the printable width of A4 portrait at 100 % in Excel character units, roughly
PAGE_UNITS = 92
LINE_HEIGHT = 15
#: the share of its merged range's width a line of text may take and still be written in one
#: cell that runs over the others (our widths are estimates: near the edge, the range wraps it)
FITS = 0.85
#: the logo's box on the letterhead, in pixels: 48 high, at most 160 wide
LOGO_HEIGHT, LOGO_WIDTH = 48, 160
A4 = 9  # Excel's paper size code

#: the workbook's default look beyond its font (every other look sets its own alignment):
#: text at the top of its row, as on the rest of the page
PLAIN = {"valign": "top"}
PLAIN_10 = PLAIN | {"font_size": 10}
BOX = {"border": 1}
TOP = {"valign": "top", "text_wrap": True}
CENTRED = {"align": "center", "valign": "vcenter"}


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


def measure(p: Printout) -> list[list[int]]:
    """Each column's cells' display widths as the sheet shows them, column by column: they
    size the column and the height of their rows."""
    found = []
    for c in p.columns:
        values = [r.get(c.key) for r in p.rows]
        if c.type == "money":  # figures and separators: one column each
            found.append([len(money_text(v, p.currency)) for v in values])
        else:
            found.append([display_width(shown(v, c, p.currency)) for v in values])
    return found


def widths(p: Printout, measured: list[list[int]]) -> list[float]:
    """Each column's width from its head, its cells' ``measured`` display widths (column by
    column, the rows as shown) and its totals."""
    found: list[float] = []
    for c, cells in zip(p.columns, measured, strict=True):
        words = [c.zh, c.en] + [shown(v.get(c.key), c, p.currency) for _, v in p.totals]
        widest = max([display_width(w) for w in words] + cells)
        found.append(max(MIN_WIDTH, min(MAX_WIDTH, widest + 2)))
    # a narrow table still spans the page: the description column takes most of the room
    # left, the last (note) column the rest, so the page's two halves stay near even
    room = PAGE_UNITS - sum(found)
    if room > 0:
        keys = [c.key for c in p.columns]
        wide = next((keys.index(k) for k in ("product", "what") if k in keys), len(keys) - 1)
        found[wide] += room * 0.6
        found[-1] += room * 0.4
    return found


def lines_needed(text: str, width: float, size: float = 11) -> int:
    """Lines ``text`` wraps to in a cell ``width`` characters wide at font ``size``."""
    return sum(
        max(1, math.ceil(display_width(part) * size / 11 / width)) for part in text.split("\n")
    )


class Sheet(NamedTuple):
    """One worksheet being written: formats made once per look, row heights kept at the
    tallest any of a row's cells needs (set at the end: xlsxwriter sets a row once)."""

    book: Workbook
    ws: Worksheet
    formats: dict[tuple, Format]
    heights: dict[int, float]

    def look(self, **props: Any) -> Format | None:
        if props == PLAIN_10:  # the workbook's default: no format of its own
            return None
        key = tuple(sorted(props.items()))
        if key not in self.formats:
            self.formats[key] = self.book.add_format(props)
        return self.formats[key]

    def cell_looks(self, currency: str, bold: bool) -> CellLooks:
        """The table's cell formats (boxed, 10 points) by kind of value, each made when first
        used: once per sheet, not once per cell (a 20-line quote has ~170 cells)."""
        return CellLooks(self, currency, bold)

    def tall(self, row: int, height: float) -> None:
        self.heights[row] = max(self.heights.get(row, 0), height)

    def text(self, row: int, first: int, last: int, text: str, width: float, **look: Any) -> None:
        """Text across columns ``first``..``last`` of ``row`` (0-based), wrapped unless the
        look says otherwise, the row tall enough for it.

        Unboxed text that clearly fits on one line goes in one cell, unwrapped: it runs over
        the empty cells beside it (left-aligned to the right, right-aligned to the left) and
        prints as the merged range did, without the range's blank cells (each one costs
        xlsxwriter as much as a written one). Unboxed empty text writes nothing."""
        text = printable(text)  # a name stored before control characters were refused
        size = look.setdefault("font_size", 11)
        boxed = "border" in look
        if not text and not boxed:
            return
        one_line = "\n" not in text
        wide = display_width(text) * size / 11 if one_line else 0
        lines = max(1, math.ceil(wide / width)) if one_line else lines_needed(text, width, size)
        self.tall(row, max(LINE_HEIGHT, lines * LINE_HEIGHT * size / 11))
        align = look.get("align")
        if last > first and not boxed and align != "center" and one_line and wide <= width * FITS:
            at = last if align == "right" else first
            self.ws.write_string(row, at, text, self.look(valign="top", **look))
        elif last > first:
            # the workbook's strings_to_* options are off: the text is written as a string
            self.ws.merge_range(row, first, row, last, text, self.look(**(TOP | look)))
        else:
            self.ws.write_string(row, first, text, self.look(**(TOP | look)))


class CellLooks(dict[str, Format]):
    """Table cell formats by kind (money in its currency's decimals, quantity, date, text;
    blank, which only shows its box: the text look unless set), made on first use."""

    def __init__(self, sheet: Sheet, currency: str, bold: bool) -> None:
        super().__init__()
        self.sheet, self.currency, self.bold = sheet, currency, bold

    def __missing__(self, kind: str) -> Format:
        base = {"font_size": 10, "bold": self.bold, **BOX}
        if kind == "money":
            decimals = places(self.currency)
            extra = "#" * max(0, 4 - decimals)
            number = "#,##0" + ("." + "0" * decimals + extra if decimals or extra else "")
            props = {"num_format": number, "align": "right", "valign": "top", **base}
        elif kind == "quantity":
            props = {"num_format": "#,##0.###", "align": "right", "valign": "top", **base}
        elif kind == "date":
            props = {"num_format": "yyyy-mm-dd", "align": "center", "valign": "top", **base}
        else:  # text, a line's number placed as text, and blanks (they only show their box)
            props = base | TOP | {"align": "left"}
        found = self[kind] = self.sheet.look(**props)
        return found


def build(p: Printout) -> bytes:
    """The print-ready workbook of ``p``, as the bytes of an .xlsx file."""
    out = io.BytesIO()
    book = Workbook(
        out,
        {
            "in_memory": True,
            # belt and braces: every cell is written with its own typed call anyway
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            # Arial 10, Excel's classic default: LibreOffice has its metrics (Liberation Sans)
            # and sizes columns as Excel does, so a picture anchored across columns keeps its
            # shape (with Calibri missing, LibreOffice widened the columns and stretched the logo)
            "default_format_properties": {"font_name": "Arial", "font_size": 10, **PLAIN},
            "default_row_height": 20,  # 15 points: room for CJK text at 10 points
        },
    )
    sheet = Sheet(book, book.add_worksheet(p.sheet[:31]), formats={}, heights={})
    ws = sheet.ws
    # each cell measured once: its width sizes its column and the height of its row
    measured = measure(p)
    sizes = widths(p, measured)
    n = len(p.columns)
    for i, w in enumerate(sizes):
        ws.set_column(i, i, w)
    # the two side-by-side blocks (parties, facts, signatures) split the page near its middle
    half = next((k for k in range(1, n) if sum(sizes[:k]) >= sum(sizes) / 2), max(1, n // 2))
    half = min(half, n - 1) if n > 1 else 1

    def across(first: int, end: int) -> float:
        """The width text has across columns ``first``..``end``: theirs and the padding
        between them (Excel adds 5 pixels, 5/7 of a character, to each column's width)."""
        return sum(sizes[first : end + 1]) + (end - first) * 5 / 7

    spans = [(0, half - 1, across(0, half - 1)), (half, n - 1, across(half, n - 1))]
    last = n - 1
    total = across(0, last)

    def pairs_side_by_side(row: int, blocks: list[str], **look: Any) -> None:
        for b, words in enumerate(blocks[:2]):
            first, end, room = spans[b]
            sheet.text(row, first, end, words, room, **look)

    row = 0
    head = p.letterhead
    sheet.text(row, 0, last, head.name, total, bold=True, font_size=16, **CENTRED)
    if head.logo is not None:
        _logo(sheet, head.logo, head.name)
    for line in (head.contact_line(), head.bank_line()):
        if line:
            row += 1
            sheet.text(row, 0, last, line, total, font_size=9, align="center")
    row += 2
    sheet.text(row, 0, last, f"{p.zh}  {p.en}", total, bold=True, font_size=18, **CENTRED)
    row += 1
    sheet.text(row, 0, last, f"编号 No.：{p.docno}", total, font_size=10, align="right")
    row += 2

    if p.parties:
        blocks = p.parties[:2]
        pairs_side_by_side(row, [title for title, _ in blocks], bold=True)
        depth = max(len(pairs) for _, pairs in blocks)
        for k in range(depth):
            for b, (_, pairs) in enumerate(blocks):
                if k < len(pairs):
                    first, end, room = spans[b]
                    label, value = pairs[k]
                    sheet.text(row + 1 + k, first, end, f"{label}：{value}", room, font_size=10)
        row += depth + 2

    facts = [f"{label}：{value}" for label, value in p.facts if value]
    for k in range(0, len(facts), 2):
        pairs_side_by_side(row, facts[k : k + 2], font_size=10)
        row += 1
    row += 1

    table_head = row
    heading = sheet.look(bold=True, font_size=10, text_wrap=True, **BOX, **CENTRED)
    for i, c in enumerate(p.columns):
        ws.write_string(row, i, f"{c.zh}\n{c.en}", heading)
    sheet.tall(row, 2 * LINE_HEIGHT + 2)
    cells = sheet.cell_looks(p.currency, bold=False)
    kinds = [c.type for c in p.columns]
    keys = [c.key for c in p.columns]
    # a row grows for a cell wider than its column: only in columns capped at MAX_WIDTH
    narrow = [
        (measured[i], max(1, width - 1))
        for i, width in enumerate(sizes)
        if max(measured[i], default=0) > max(1, width - 1)
    ]
    breaks = []
    for k, r in enumerate(p.rows, start=1):
        row += 1
        for i, key in enumerate(keys):
            _put(ws, row, i, r.get(key), kinds[i], cells)
        if narrow:
            tallest = max(math.ceil(cells_wide[k - 1] / room) for cells_wide, room in narrow)
            if tallest > 1:
                sheet.tall(row, tallest * LINE_HEIGHT)
        if p.rows_per_page and k % p.rows_per_page == 0 and k < len(p.rows):
            breaks.append(row + 1)  # xlsxwriter breaks before the (0-based) row given
    if breaks:
        ws.set_h_pagebreaks(breaks)
    totals = sheet.cell_looks(p.currency, bold=True)
    # a totals row's blanks (boxed, bold) look like its label's: the head's look, one format
    # fewer, where the label surely fits on its line (the head's look wraps)
    totals["blank"] = heading
    for label, values in p.totals:
        row += 1
        label_end = next((i for i, c in enumerate(p.columns) if c.key in values), n) - 1
        for i in range(max(label_end, 0) + 1, n):
            _put(ws, row, i, values.get(keys[i]), kinds[i], totals)
        label = printable(label)
        fits = display_width(label) * 10 / 11 <= across(0, max(label_end, 0)) * FITS
        look = heading if fits else sheet.look(bold=True, font_size=10, **BOX, **CENTRED)
        if label_end > 0:
            ws.merge_range(row, 0, row, label_end, label, look)
        else:
            ws.write_string(row, 0, label, look)
    if p.in_words:
        row += 1
        words, amount = p.in_words
        text = f"合计人民币（大写）Amount in words：{words}    ¥{money_text(amount, 'CNY')}"
        sheet.text(row, 0, last, text, total, bold=True, font_size=10, **BOX)

    if p.clauses:
        row += 1
        for clause in p.clauses:
            row += 1
            sheet.text(row, 0, last, clause, total, font_size=10)
    if p.signatures:
        row += 2
        signs = p.signatures[:2]
        pairs_side_by_side(row, [title for title, _ in signs], bold=True, font_size=10)
        depth = max(len(lines) for _, lines in signs)
        for k in range(depth):
            sheet.tall(row + 1 + k, 24)  # room to sign by hand
            pairs_side_by_side(
                row + 1 + k,
                [lines[k] if k < len(lines) else "" for _, lines in signs],
                font_size=10,
            )
        row += depth

    for at, height in sheet.heights.items():
        if height != LINE_HEIGHT:  # the sheet's default row height
            ws.set_row(at, height)
    ws.repeat_rows(table_head)
    ws.print_area(0, 0, row, last)
    ws.set_paper(A4)
    if sum(sizes) <= PAGE_UNITS * 1.25:
        ws.set_portrait()
    else:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.set_footer("&C&9第 &P 页 / 共 &N 页    Page &P of &N")
    ws.set_header("&R&8" + f"{p.zh} {p.docno}".replace("&", "&&"))
    ws.hide_gridlines(2)
    book.set_properties({"title": f"{p.zh} {p.docno}", "author": MARK})
    book.close()
    return out.getvalue()


def _put(
    ws: Worksheet, row: int, col: int, value: Any, kind: str, looks: dict[str, Format]
) -> None:
    """One table cell, boxed, written as its column's ``kind`` (numbers as numbers, text as
    text) in its look from ``Sheet.cell_looks``."""
    if value is None or value == "":
        ws.write_blank(row, col, None, looks["blank"])
    elif kind == "money":
        ws.write_number(row, col, float(value), looks["money"])
    elif kind == "quantity":
        amount = Decimal(value)
        exact = int(amount) if amount == amount.to_integral_value() else float(amount)
        ws.write_number(row, col, exact, looks["quantity"])
    elif kind == "date" and isinstance(value, dt.date):
        ws.write_datetime(row, col, value, looks["date"])
    elif type(value) is int:  # a line's number: a number, left-aligned as its text was
        ws.write_number(row, col, value, looks["text"])
    else:
        ws.write_string(row, col, printable(str(value)), looks["text"])


def _logo(sheet: Sheet, path: Path, firm: str) -> None:
    """The firm's logo at the top left, 48 pixels high (at most 160 wide). A logo that is
    missing or not an image leaves the document without it: the administrator's log says why
    and the quote or contract still goes out."""
    try:
        image = Image(io.BytesIO(path.read_bytes()))
    except OSError as exc:
        log.error(
            "the logo %s cannot be read (%s): printed without it; see [firm] logo in silu.toml",
            path,
            exc.strerror or exc,
        )
        return
    except Exception as exc:  # noqa: BLE001 - xlsxwriter's own errors for a file that is not an image
        log.error(
            "the logo %s is not a PNG, JPEG, GIF or BMP image (%s): printed without it; see [firm] logo in silu.toml",
            path,
            exc,
        )
        return
    # xlsxwriter shows an image at its size at 96 dpi: scale from there
    high, wide = image.height * 96 / image.y_dpi, image.width * 96 / image.x_dpi
    scale = min(LOGO_HEIGHT / high, LOGO_WIDTH / wide)
    image.description = firm
    sheet.ws.insert_image(
        0, 0, image, {"x_scale": scale, "y_scale": scale, "x_offset": 4, "y_offset": 4}
    )
    sheet.tall(0, 40)
