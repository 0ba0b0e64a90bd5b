"""The sender's own workbook back, with every bad cell filled red and commented in their language."""

from __future__ import annotations

import io
import warnings
from collections import defaultdict

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from silu_sheets.problems import Problem
from silu_sheets.workbook.template import MARK

BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
WARN_FILL = PatternFill("solid", fgColor="FFEB9C")


def mark_problems(data: bytes, problems: list[Problem], language: str) -> bytes | None:
    """The workbook with problems marked, or ``None`` when it cannot be opened again."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - a file we could not open is returned unmarked
        return None
    by_cell: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for p in problems:
        if p.cell and p.sheet and p.sheet in wb.sheetnames:
            by_cell[(p.sheet, p.cell)].append(p)
    for (sheet, cell), found in by_cell.items():
        target = wb[sheet][cell]
        errors = any(p.severity == "error" for p in found)
        target.fill = BAD_FILL if errors else WARN_FILL
        text = "\n".join(p.message(language) for p in found)
        target.comment = Comment(text, MARK, width=320, height=40 + 18 * len(text) // 30)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
