"""The sender's own workbook back, with every bad cell filled red and commented in their language.

What goes back is data only: a formula the sender's file held comes back as its text (never a
live formula from a stranger's file), characters a workbook cannot hold are dropped, links to
other workbooks are left out, and a merged range over a marked cell is unmerged so the mark
lands on the cell it is about.
"""

from __future__ import annotations

import io
import logging
import traceback
import warnings
from collections import defaultdict

from silu_sheets.problems import Problem
from silu_sheets.workbook.template import MARK, only_data

log = logging.getLogger(__name__)

#: errors red, warnings yellow
BAD_COLOUR, WARN_COLOUR = "FFC7CE", "FFEB9C"


def mark_problems(data: bytes, problems: list[Problem], language: str) -> bytes | None:
    """The workbook with problems marked, or ``None`` when it cannot be opened again."""
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
    out = io.BytesIO()
    try:
        wb.save(out)
    except Exception:  # noqa: BLE001 - a part of the sender's file openpyxl cannot write back
        log.warning("marked copy not written:\n%s", traceback.format_exc())
        return None
    return out.getvalue()
