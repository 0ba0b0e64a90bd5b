"""Reading a filled form into a ``Document``, with every cell problem at once.

Works on what Excel, WPS and LibreOffice save: values come through ``silu_sheets.values``;
empty rows inside the line table are skipped; the kind comes from the hidden identification,
never from the file name.

Cell values are read with python-calamine (Rust), about 100x faster than openpyxl on our
forms (0.4 ms against 48 ms for a 20-line quote): the mail gateway reads every form, openpyxl
is kept for writing and for marking a refused workbook.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from python_calamine import CalamineWorkbook

from silu_sheets import problems as P
from silu_sheets.declare import Field, Kind
from silu_sheets.document import Document, Line
from silu_sheets.kinds import KINDS
from silu_sheets.problems import Problem
from silu_sheets.values import Unreadable, is_blank, read_value
from silu_sheets.workbook.template import ID_NAME, ID_SHEET, MARK

#: how far below the line table we look for stray lines (a person pasting 250 rows)
OVERFLOW_ROWS = 500


@dataclass
class Reading:
    """The outcome of reading one file: the document when it could be read, and the problems."""

    kind: Kind | None = None
    version: int | None = None
    document: Document | None = None
    problems: list[Problem] = field(default_factory=list)


Grid = list[list[Any]]


def column_index(letters: str) -> int:
    """``"A"`` → 0, ``"AB"`` → 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


@cache
def position(coordinate: str) -> tuple[int, int]:
    """``"B3"`` → (2, 1): row and column from 0. A form has a few hundred cells; each is worked
    out once."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", coordinate)
    assert match, coordinate
    return int(match[2]) - 1, column_index(match[1])


def cell_at(grid: Grid, coordinate: str) -> Any:
    row, col = position(coordinate)
    if row < len(grid) and col < len(grid[row]):
        return grid[row][col]
    return None


def identify(wb: CalamineWorkbook, data: bytes) -> tuple[str, int] | None:
    """Kind and version from the hidden sheet, else from the defined name."""
    if ID_SHEET in wb.sheet_names:
        ident = wb.get_sheet_by_name(ID_SHEET).to_python(skip_empty_area=False)
        if cell_at(ident, "A1") == MARK and cell_at(ident, "B2"):
            try:
                return str(cell_at(ident, "B2")), int(float(str(cell_at(ident, "B3"))))
            except ValueError:
                return None
    # the defined name is a second copy, for a suite that dropped the hidden sheet
    try:
        workbook_xml = (
            zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode("utf-8", "replace")
        )
    except (KeyError, zipfile.BadZipFile):
        return None
    match = re.search(
        rf'name="{ID_NAME}"[^>]*>\s*(?:&quot;|")([a-z_]+)@(\d+)(?:&quot;|")', workbook_xml
    )
    return (match[1], int(match[2])) if match else None


def read(data: bytes) -> Reading:
    """Open, identify and read a form. The caller has already passed it through ``safety``."""
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        found = identify(wb, data)
        if found is None or found[0] not in KINDS:
            return Reading(problems=[Problem(P.NOT_OUR_TEMPLATE)])
        kind = KINDS[found[0]]
        version = found[1]
        words = {
            "kind": P.words(kind.zh, kind.en),
            "version": version,
            "oldest": kind.oldest_version,
        }
        if version < kind.oldest_version:
            return Reading(kind, version, problems=[Problem(P.TEMPLATE_TOO_OLD, words)])
        if version > kind.version:
            return Reading(kind, version, problems=[Problem(P.TEMPLATE_TOO_NEW, words)])
        sheet = kind.sheet if kind.sheet in wb.sheet_names else wb.sheet_names[0]
        grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - any parser fault in a stranger's file is "damaged"
        return Reading(problems=[Problem(P.FILE_DAMAGED, {"detail": type(exc).__name__})])
    document, problems = read_sheet(kind, grid)
    return Reading(kind, version, document, problems)


def read_sheet(kind: Kind, grid: Grid) -> tuple[Document, list[Problem]]:
    layout = kind.layout
    doc = Document(kind, {})
    found: list[Problem] = []

    def take(f: Field, coordinate: str, line: Line | None) -> object:
        value = read_value(f, cell_at(grid, coordinate))
        if isinstance(value, Unreadable):
            found.append(doc.problem(value.code, f.key, line, **value.values))
            return None
        if value is None and f.required:
            found.append(doc.problem(P.REQUIRED_MISSING, f.key, line))
        return value

    for f in kind.header:
        doc.header[f.key] = take(f, layout.header_cells[f.key], None)

    if kind.lines and layout.first_line_row and layout.last_line_row:
        columns = kind.lines.columns
        letters = [layout.line_columns[c.key] for c in columns]
        for row in range(layout.first_line_row, min(layout.last_line_row, len(grid)) + 1):
            if all(is_blank(cell_at(grid, f"{letter}{row}")) for letter in letters):
                continue
            line = Line(row - layout.first_line_row + 1, row, {})
            for c in columns:
                line.values[c.key] = take(c, layout.line_cell(c.key, row), line)
            doc.lines.append(line)
        for row in range(
            layout.last_line_row + 1, min(len(grid), layout.last_line_row + OVERFLOW_ROWS) + 1
        ):
            if any(not is_blank(cell_at(grid, f"{letter}{row}")) for letter in letters):
                found.append(
                    Problem(
                        P.LINES_BEYOND_TABLE,
                        {"row": row, "max_rows": kind.lines.max_rows},
                        sheet=kind.sheet,
                        cell=f"A{row}",
                    )
                )
                break
        if kind.lines.required and not doc.lines:
            found.append(Problem(P.NO_LINES, sheet=kind.sheet, cell=f"A{layout.first_line_row}"))
    return doc, found
