"""The sender's own workbook back, with every bad cell filled red and commented in their language.

What goes back is data only: a formula the sender's file held comes back as its text (never a
live formula from a stranger's file), characters a workbook cannot hold are dropped, links to
other workbooks are left out, and a merged range over a marked cell is unmerged so the mark
lands on the cell it is about.

The problems are also listed on a first sheet, each with its place and a link to its cell, in
the sender's language: a comment is invisible on a phone and on paper. The form's own sheet
keeps every cell where it was, so the corrected copy reads like the original. The form prints
its header block and the lines in use.
"""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from silu_sheets.declare import Kind
from silu_sheets.logs import Logger
from silu_sheets.problems import Problem
from silu_sheets.values import display_width, printable
from silu_sheets.workbook.template import MARK, only_data, print_area

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

log = Logger(__name__)

#: errors red, warnings yellow
BAD_COLOUR, WARN_COLOUR = "FFC7CE", "FFEB9C"


#: the first sheet of a marked copy
PROBLEM_SHEET = {"zh": "需要修改", "en": "To fix"}


def mark_problems(
    data: bytes,
    problems: list[Problem],
    language: str,
    described: list[str] | None = None,
    kind: Kind | None = None,
) -> bytes | None:
    """The workbook with problems marked, or ``None`` when it cannot be opened again;
    ``described`` (each problem in words with its place) is listed on a first sheet, and with
    ``kind`` the form's print area is set to its lines in use."""
    # imported here: only a refusal writes a workbook with openpyxl (~0.2 s to import)
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data))
        only_data(wb)
    except Exception:  # noqa: BLE001 - a file we could not open is returned unmarked
        return None
    by_cell: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for p in problems:
        if p.cell and p.sheet and p.sheet in wb.sheetnames:
            by_cell[(p.sheet, p.cell)].append(p)
    for (sheet, cell), found in by_cell.items():
        ws = wb[sheet]
        for merged in [r for r in ws.merged_cells.ranges if cell in r]:
            ws.unmerge_cells(str(merged))
        target = ws[cell]
        errors = any(p.severity == "error" for p in found)
        target.fill = PatternFill("solid", fgColor=BAD_COLOUR if errors else WARN_COLOUR)
        text = "\n".join(p.message(language) for p in found)
        target.comment = Comment(text, MARK, width=320, height=40 + 18 * len(text) // 30)
    if described:
        list_problems(wb, problems, described, language)
    if kind is not None and kind.sheet in wb.sheetnames:
        wb[kind.sheet].print_area = print_area(kind, lines_in_use(wb[kind.sheet], kind))
    out = io.BytesIO()
    try:
        wb.save(out)
    except Exception:  # noqa: BLE001 - a part of the sender's file openpyxl cannot write back
        log.warning("marked copy not written:", exc_info=True)
        return None
    return out.getvalue()


#: the problem column's width; the cell column's
PROBLEM_WIDTH, CELL_WIDTH = 90, 10


def list_problems(
    wb: Workbook, problems: list[Problem], described: list[str], language: str
) -> None:
    """A first sheet naming every problem and where it is, each linked to its cell: the cell
    and its words top-aligned on one row (bottom-aligned, a cell's name sat beside the next
    problem's first line), each row as tall as its wrapped words, page numbers on paper."""
    from openpyxl.styles import Alignment, Font

    zh = language == "zh"
    top = Alignment(wrap_text=True, vertical="top")
    ws = wb.create_sheet(PROBLEM_SHEET[language if language in PROBLEM_SHEET else "en"], 0)
    ws["A1"] = (
        f"本表未登记：共 {len(described)} 处需要修改。请在表单工作表中改正标红的单元格后发回。"
        if zh
        else f"Nothing was recorded: {len(described)} problem(s) to fix. Correct the cells marked "
        "red on the form's sheet and send it back."
    )
    ws["A1"].font = Font(bold=True, size=12)
    ws["A1"].alignment = top
    ws.merge_cells("A1:B1")
    # bold 12 across both columns: about 11/12 of their widths per line
    ws.row_dimensions[1].height = 17 * _lines(
        str(ws["A1"].value), (CELL_WIDTH + PROBLEM_WIDTH) * 0.85
    )
    ws.append(["单元格" if zh else "Cell", "问题" if zh else "Problem"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for p, text in zip(problems, described, strict=False):
        ws.append([p.cell or "", printable(text)])
        row = ws.max_row
        if p.cell and p.sheet in wb.sheetnames:
            ws.cell(row, 1).hyperlink = f"#'{p.sheet}'!{p.cell}"
            ws.cell(row, 1).font = Font(color="0563C1", underline="single")
        ws.cell(row, 1).alignment = ws.cell(row, 2).alignment = top
        ws.row_dimensions[row].height = 15 * _lines(text, PROBLEM_WIDTH - 2)
    ws.column_dimensions["A"].width = CELL_WIDTH
    ws.column_dimensions["B"].width = PROBLEM_WIDTH
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页  Page &P of &N"
    ws.oddFooter.center.size = 9
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False


def _lines(text: str, room: float) -> int:
    """Lines ``text`` wraps to in ``room`` character widths (CJK characters count two)."""
    return max(1, -(-display_width(text) // int(room)))


def lines_in_use(ws: Any, kind: Kind) -> int:
    """How many rows of the line table hold anything (the last filled row counts); only the
    cells that exist are looked at."""
    from openpyxl.utils import column_index_from_string

    layout = kind.layout
    if layout.first_line_row is None or layout.last_line_row is None:
        return 0
    columns = {column_index_from_string(c) for c in layout.line_columns.values()}
    rows = [
        row
        for (row, column), cell in ws._cells.items()
        if column in columns
        and layout.first_line_row <= row <= layout.last_line_row
        and cell.value not in (None, "")
    ]
    return max(rows) - layout.first_line_row + 1 if rows else 0
