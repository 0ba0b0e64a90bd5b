"""Pre-filled forms, fast: the blank template is built once per kind, then each copy is filled by
rewriting the empty input cells of its sheet XML.

openpyxl needs ~80 ms to build, style and save a form; a confirmation carries one on every
accepted form, so the mail gateway would spend most of its time there. Filling the cached
blank takes ~2 ms and gives the same workbook: same styles, validations, protection and
hidden identification, only the values differ.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from silu_sheets.declare import Kind
from silu_sheets.workbook import template
from silu_sheets.workbook.template import as_cell_value

SHEET_PART = "xl/worksheets/sheet1.xml"
#: an empty styled input cell as openpyxl writes it
EMPTY_CELL = re.compile(r'<c r="([A-Z]+\d+)" s="(\d+)" t="n" />')


@cache
def blank(kind: Kind) -> bytes:
    return template.to_bytes(template.build(kind))


@cache
def _parts(kind: Kind) -> tuple[tuple[tuple[zipfile.ZipInfo, bytes], ...], str]:
    """The blank's parts, unpacked once: (entry, data) in order, and the sheet's XML."""
    source = zipfile.ZipFile(io.BytesIO(blank(kind)))
    parts = tuple((item, source.read(item.filename)) for item in source.infolist())
    return parts, source.read(SHEET_PART).decode("utf-8")


def cell_xml(coordinate: str, style: str, value: Any) -> str:
    value = as_cell_value(value)
    if isinstance(value, bool):
        return f'<c r="{coordinate}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{coordinate}" s="{style}" t="n"><v>{value}</v></c>'
    if isinstance(value, dt.date):
        serial = (value - dt.date(1899, 12, 30)).days  # the cell's style shows it as a date
        return f'<c r="{coordinate}" s="{style}" t="n"><v>{serial}</v></c>'
    text = escape(str(value))
    return f'<c r="{coordinate}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def filled(
    kind: Kind, header: Mapping[str, Any] | None = None, lines: Sequence[Mapping[str, Any]] = ()
) -> bytes:
    """The blank form of ``kind`` with ``header`` and ``lines`` written into their cells."""
    layout = kind.layout
    values: dict[str, Any] = {}
    for key, value in (header or {}).items():
        if key in layout.header_cells and value not in (None, ""):
            values[layout.header_cells[key]] = value
    if layout.first_line_row is not None:
        for offset, line in enumerate(lines[: kind.lines.max_rows if kind.lines else 0]):
            for key, value in line.items():
                if key in layout.line_columns and value not in (None, ""):
                    values[layout.line_cell(key, layout.first_line_row + offset)] = value
    parts, sheet = _parts(kind)
    sheet = EMPTY_CELL.sub(
        lambda m: cell_xml(m[1], m[2], values[m[1]]) if m[1] in values else m[0], sheet
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in parts:
            target.writestr(item, sheet.encode("utf-8") if item.filename == SHEET_PART else data)
    return out.getvalue()
