"""Reading a filled form into a ``Document``, with every cell problem at once.

Works on what Excel, WPS and LibreOffice save: values come through ``silu_sheets.values``;
empty rows inside the line table are skipped; the kind comes from the hidden identification,
never from the file name.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

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


def open_workbook(data: bytes) -> Workbook | Problem:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about data validation extensions and unknown parts written by WPS
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, IndexError) as exc:
        return Problem(P.FILE_DAMAGED, {"detail": type(exc).__name__})
    except Exception as exc:  # noqa: BLE001 - any parser fault in a stranger's file is "damaged"
        return Problem(P.FILE_DAMAGED, {"detail": type(exc).__name__})


def identify(wb: Workbook) -> tuple[str, int] | None:
    """Kind and version from the hidden sheet, else from the defined name."""
    if ID_SHEET in wb.sheetnames:
        ident = wb[ID_SHEET]
        if ident["A1"].value == MARK and ident["B2"].value:
            try:
                return str(ident["B2"].value), int(str(ident["B3"].value).split(".")[0])
            except ValueError:
                return None
    name = wb.defined_names.get(ID_NAME)
    if name is not None and name.attr_text:
        text = name.attr_text.strip('"')
        kind, _, version = text.partition("@")
        if version.isdigit():
            return kind, int(version)
    return None


def read(data: bytes) -> Reading:
    """Open, identify and read a form. The caller has already passed it through ``safety``."""
    wb = open_workbook(data)
    if isinstance(wb, Problem):
        return Reading(problems=[wb])
    found = identify(wb)
    if found is None or found[0] not in KINDS:
        return Reading(problems=[Problem(P.NOT_OUR_TEMPLATE)])
    kind = KINDS[found[0]]
    version = found[1]
    words = {"kind": f"{kind.zh} {kind.en}", "version": version, "oldest": kind.oldest_version}
    if version < kind.oldest_version:
        return Reading(kind, version, problems=[Problem(P.TEMPLATE_TOO_OLD, words)])
    if version > kind.version:
        return Reading(kind, version, problems=[Problem(P.TEMPLATE_TOO_NEW, words)])
    sheet = wb[kind.sheet] if kind.sheet in wb.sheetnames else wb.worksheets[0]
    document, problems = read_sheet(kind, sheet)
    return Reading(kind, version, document, problems)


def read_sheet(kind: Kind, ws) -> tuple[Document, list[Problem]]:  # type: ignore[no-untyped-def]
    layout = kind.layout
    doc = Document(kind, {})
    found: list[Problem] = []

    def take(f: Field, coordinate: str, line: Line | None) -> object:
        value = read_value(f, ws[coordinate].value)
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
        for row in range(layout.first_line_row, layout.last_line_row + 1):
            if all(is_blank(ws[f"{letter}{row}"].value) for letter in letters):
                continue
            line = Line(row - layout.first_line_row + 1, row, {})
            for c in columns:
                line.values[c.key] = take(c, layout.line_cell(c.key, row), line)
            doc.lines.append(line)
        last = min(ws.max_row, layout.last_line_row + OVERFLOW_ROWS)
        for row in range(layout.last_line_row + 1, last + 1):
            if any(not is_blank(ws[f"{letter}{row}"].value) for letter in letters):
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
            found.append(
                Problem(P.NO_LINES, sheet=kind.sheet, cell=f"A{layout.first_line_row}")
            )
    return doc, found
