"""Reading a filled form into a ``Document``, with every cell problem at once.

Works on what Excel, WPS and LibreOffice save: values come through ``silu_sheets.values``;
empty rows inside the line table are skipped; the kind comes from the hidden identification,
else from the defined name, else from the title when exactly one kind has it, never from the
file name.

Only the cells the form declares are read (``cells``): a stray value far outside them, a
formula, a hidden row or a merged input is named as a problem at its cell, never a fault.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from silu_sheets import problems as P
from silu_sheets.declare import TITLE_ROW, Field, Kind
from silu_sheets.document import Document, Line
from silu_sheets.kinds import KINDS
from silu_sheets.problems import Problem
from silu_sheets.values import Unreadable, clean_text, is_blank, read_value
from silu_sheets.workbook import cells, safety
from silu_sheets.workbook.cells import Bounds, Sheet, parse_ref
from silu_sheets.workbook.template import ID_NAME, ID_SHEET, MARK

#: how far below the line table we look for stray lines (a person pasting 250 rows)
OVERFLOW_ROWS = 500
#: a workbook larger than this unpacked is not opened again to mark it (openpyxl takes ~15 s
#: and 200 MB for 100,000 rows, 9 s for 60,000 cell styles); a full 200-line form is ~130 KB
MARKABLE_BYTES = 1024 * 1024
#: a merged range larger than this many cells is never opened again with openpyxl, which
#: walks every cell of a merge on loading (A1:XFD1048576: hours and all the memory there is)
MARKABLE_MERGE = 100_000


class Reading(NamedTuple):
    """The outcome of reading one file: the document when it could be read, and the problems."""

    kind: Kind | None = None
    version: int | None = None
    document: Document | None = None
    problems: Sequence[Problem] = ()
    #: the sender's workbook may be opened again to mark its cells (not too big, not damaged)
    markable: bool = True


def bounds(kind: Kind) -> Bounds:
    """The cells a form of ``kind`` declares, with room below its line table for stray lines."""
    layout = kind.layout
    places = [parse_ref(c) for c in layout.header_cells.values()]
    places.append((TITLE_ROW, 1))
    rows = max(r for r, _ in places)
    columns = layout.last_column + 1  # the template's on-screen notes beside the form
    if kind.lines and layout.last_line_row:
        rows = max(rows, layout.last_line_row + OVERFLOW_ROWS)
        columns = max(
            [columns] + [cells.column_number(letter) for letter in layout.line_columns.values()]
        )
    return Bounds(rows, columns)


def identify(book: cells.Workbook) -> tuple[str, int] | None:
    """Kind and version from the hidden sheet, else from the defined name, else the title."""
    if ID_SHEET in book.sheet_names:
        ident = book.sheet(ID_SHEET, Bounds(3, 2))
        if ident.get(1, 1) == MARK and ident.get(2, 2):
            try:
                return str(ident.get(2, 2)), int(float(str(ident.get(3, 2))))
            except ValueError:
                return None
    # the defined name is a second copy, for a suite that dropped the hidden sheet
    match = re.search(
        rf'name="{ID_NAME}"[^>]*>\s*(?:&quot;|")([a-z_]+)@(\d+)(?:&quot;|")', book.defined_names()
    )
    if match:
        return match[1], int(match[2])
    return by_title(book)


def by_title(book: cells.Workbook) -> tuple[str, int] | None:
    """A form whose identification was removed is still known by its title ("客户咨询单
    Customer inquiry", or either half) in A1 of its own sheet (or of the first sheet, renamed)
    when exactly one kind has that title; it is read as the current version."""
    first = book.sheet_names[0] if book.sheet_names else None
    titles: dict[str, str] = {}
    found = []
    for kind in KINDS.values():
        name = kind.sheet if kind.sheet in book.sheet_names else first
        if name is None:
            continue
        if name not in titles:
            value = book.sheet(name, Bounds(TITLE_ROW, 1)).get(TITLE_ROW, 1)
            titles[name] = " ".join(clean_text(value).casefold().split())
        if titles[name] in {kind.zh, kind.en.casefold(), f"{kind.zh} {kind.en}".casefold()}:
            found.append(kind)
    return (found[0].key, found[0].version) if len(found) == 1 else None


def read(data: bytes) -> Reading:
    """Open, identify and read a form. The caller has already passed it through ``safety``."""
    try:
        book = cells.Workbook(data)
        found = identify(book)
        if found is None or found[0] not in KINDS:
            return Reading(problems=[Problem(P.NOT_OUR_TEMPLATE)], markable=False)
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
        name = kind.sheet if kind.sheet in book.sheet_names else book.sheet_names[0]
        sheet = book.sheet(name, bounds(kind))
    except Exception as exc:  # noqa: BLE001 - any parser fault in a stranger's file is "damaged"
        return Reading(problems=[safety.damaged(exc)], markable=False)
    document, problems = read_sheet(kind, sheet)
    markable = book.unpacked <= MARKABLE_BYTES and not any(
        (bottom - top + 1) * (right - left + 1) > MARKABLE_MERGE
        for (top, left), (bottom, right) in sheet.merged
    )
    return Reading(kind, version, document, problems, markable=markable)


def read_sheet(kind: Kind, sheet: Sheet) -> tuple[Document, list[Problem]]:
    layout = kind.layout
    doc = Document(kind, {})
    found: list[Problem] = []

    def take(f: Field, coordinate: str, line: Line | None) -> object:
        place = parse_ref(coordinate)
        merged = merged_over(sheet, place)
        if merged:
            found.append(doc.problem(P.MERGED_INPUT, f.key, line, merged=merged))
            return None
        if place in sheet.formulas:
            found.append(doc.problem(P.FORMULA_IN_INPUT, f.key, line))
            return None
        value = read_value(f, sheet.values.get(place))
        if isinstance(value, Unreadable):
            found.append(doc.problem(value.code, f.key, line, **value.values))
            return None
        if value is None and f.required:
            found.append(doc.problem(P.REQUIRED_MISSING, f.key, line))
        return value

    for f in kind.header:
        doc.header[f.key] = take(f, layout.header_cells[f.key], None)

    hidden = set(sheet.hidden_rows)
    hidden_read: list[int] = []
    if kind.lines and layout.first_line_row and layout.last_line_row:
        columns = kind.lines.columns
        numbers = [cells.column_number(layout.line_columns[c.key]) for c in columns]
        last_filled = max((r for r, _ in [*sheet.values, *sheet.formulas]), default=0)
        for row in range(layout.first_line_row, min(layout.last_line_row, last_filled) + 1):
            if all(
                is_blank(sheet.values.get((row, n))) and (row, n) not in sheet.formulas
                for n in numbers
            ):
                continue
            if row in hidden:
                hidden_read.append(row)
            line = Line(row - layout.first_line_row + 1, row, {})
            for c in columns:
                line.values[c.key] = take(c, layout.line_cell(c.key, row), line)
            doc.lines.append(line)
        beyond = sorted(
            r
            for (r, c) in sheet.values
            if r > layout.last_line_row and c in numbers and not is_blank(sheet.values[(r, c)])
        )
        if beyond:
            found.append(
                Problem(
                    P.LINES_BEYOND_TABLE,
                    {"row": beyond[0], "max_rows": kind.lines.max_rows},
                    sheet=kind.sheet,
                    cell=f"A{beyond[0]}",
                )
            )
        if kind.lines.required and not doc.lines:
            found.append(Problem(P.NO_LINES, sheet=kind.sheet, cell=f"A{layout.first_line_row}"))
    if hidden_read:
        found.append(
            Problem(
                P.HIDDEN_ROWS_READ,
                {"rows": hidden_read},
                sheet=kind.sheet,
                cell=f"A{hidden_read[0]}",
                severity="warning",
            )
        )
    if sheet.outside:
        found.append(
            Problem(
                P.VALUES_OUTSIDE_FORM,
                {"cells": sheet.outside},
                sheet=kind.sheet,
                severity="warning",
            )
        )
    return doc, found


def merged_over(sheet: Sheet, place: tuple[int, int]) -> str | None:
    """The merged range hiding this cell (any cell of it but its top-left holds nothing)."""
    row, column = place
    for (top, left), (bottom, right) in sheet.merged:
        if top <= row <= bottom and left <= column <= right and (row, column) != (top, left):
            return f"{cells.coordinate(top, left)}:{cells.coordinate(bottom, right)}"
    return None
