"""Pre-filled forms, fast: the blank template is built once per kind, then each copy is filled by
rewriting the empty input cells of its sheet XML.

openpyxl needs ~80 ms to build, style and save a form; a confirmation carries one on every
accepted form, so the mail gateway would spend most of its time there. Filling the cached
blank takes ~0.2 ms and gives the same workbook: same styles, validations, protection and
hidden identification, only the values differ — and the print area, which covers the header
block and the lines in use (a warehouse's picking copy also breaks its pages every 20 lines).

A copy deflates only its own XML: the blank's other parts are zipped once, and the sheet's XML
after the last value (the empty rows of the line table, the validations: ~3/4 of it) is
deflated once per cut and joined to the copy's head as one stream.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from silu_sheets import resources
from silu_sheets.declare import Kind
from silu_sheets.values import display_width, element_text
from silu_sheets.workbook import template
from silu_sheets.workbook.template import as_cell_value

SHEET_PART = "xl/worksheets/sheet1.xml"
BOOK_PART = "xl/workbook.xml"
PRINT_AREA = re.compile(
    r'(<definedName name="_xlnm.Print_Area" localSheetId="0">[^!<]*!)([^<]*)(<)'
)
#: an empty styled input cell as openpyxl writes it
EMPTY_CELL = re.compile(r'<c r="([A-Z]+\d+)" s="(\d+)" t="n" />')


@cache
def blank(kind: Kind) -> bytes:
    """The blank form of ``kind``: the committed one (templates/xlsx, in the wheel too) when it
    is this kind at this version with every input cell in place, else built. Reading the file
    spares each ``silu`` call openpyxl's import and the build (~0.3 s);
    tests/test_templates.py keeps the committed blanks equal to what the build gives."""
    committed = read_committed(kind, resources.path("templates") / "xlsx")
    return committed if committed is not None else template.to_bytes(template.build(kind))


def read_committed(kind: Kind, folder: Path) -> bytes | None:
    """``kind``'s blank from ``folder``; None when it is missing, damaged, made for another
    kind or version, or lacks an input cell the declaration has (a blank not yet regenerated)."""
    try:
        data = (folder / template.template_filename(kind)).read_bytes()
        book = zipfile.ZipFile(io.BytesIO(data))
        names = book.read("xl/workbook.xml").decode("utf-8")
        sheet = book.read(SHEET_PART).decode("utf-8")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    if f'>"{kind.key}@{kind.version}"<' not in names:
        return None
    empty = {found[1] for found in EMPTY_CELL.finditer(sheet)}
    return data if empty.issuperset(input_cells(kind)) else None


def input_cells(kind: Kind) -> list[str]:
    """Every cell a person fills: the header's and every row of the line table's."""
    layout = kind.layout
    cells = list(layout.header_cells.values())
    if layout.first_line_row is not None and layout.last_line_row is not None:
        for row in range(layout.first_line_row, layout.last_line_row + 1):
            cells += [f"{column}{row}" for column in layout.line_columns.values()]
    return cells


class _Blank(NamedTuple):
    """A kind's blank, taken apart once: every part but the sheet zipped as a copy writes it,
    and the sheet's XML cut at its empty input cells, so a copy only writes its own values."""

    entries: bytes  # the zip entries of every part except the sheet and the workbook part
    directory: bytes  # their records of the zip's central directory
    listed: int  # how many they are
    sheet: zipfile.ZipInfo
    book: zipfile.ZipInfo
    book_xml: str  # the workbook part, which holds the print area
    pieces: tuple[str, ...]  # the sheet's XML; each empty input cell a piece of its own
    cells: Mapping[str, tuple[int, str]]  # coordinate -> (its piece, its style)


@cache
def _blank(kind: Kind) -> _Blank:
    data = blank(kind)
    source = zipfile.ZipFile(io.BytesIO(data))
    entries, directory, listed = _kept_entries(data, (SHEET_PART, BOOK_PART))
    pieces: list[str] = []
    cells: dict[str, tuple[int, str]] = {}
    xml, start = source.read(SHEET_PART).decode("utf-8"), 0
    for empty in EMPTY_CELL.finditer(xml):
        pieces.append(xml[start : empty.start()])
        cells[empty[1]] = (len(pieces), empty[2])
        pieces.append(empty[0])
        start = empty.end()
    pieces.append(xml[start:])
    return _Blank(
        entries,
        directory,
        listed,
        source.getinfo(SHEET_PART),
        source.getinfo(BOOK_PART),
        source.read(BOOK_PART).decode("utf-8"),
        tuple(pieces),
        cells,
    )


def cell_xml(coordinate: str, style: str, value: Any) -> str:
    value = as_cell_value(value)
    if isinstance(value, bool):
        return f'<c r="{coordinate}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{coordinate}" s="{style}" t="n"><v>{value}</v></c>'
    if isinstance(value, dt.date):
        serial = (value - dt.date(1899, 12, 30)).days  # the cell's style shows it as a date
        return f'<c r="{coordinate}" s="{style}" t="n"><v>{serial}</v></c>'
    text = element_text(str(value))
    return f'<c r="{coordinate}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def filled(
    kind: Kind,
    header: Mapping[str, Any] | None = None,
    lines: Sequence[Mapping[str, Any]] = (),
    lines_per_page: int | None = None,
) -> bytes:
    """The blank form of ``kind`` with ``header`` and ``lines`` written into their cells, its
    print area the header block and these lines; ``lines_per_page`` breaks the printed pages
    after every so many lines (the warehouse's picking copy)."""
    layout = kind.layout
    values: dict[str, Any] = {}
    for key, value in (header or {}).items():
        if key in layout.header_cells and value not in (None, ""):
            values[layout.header_cells[key]] = value
    used = lines[: kind.lines.max_rows if kind.lines else 0]
    if layout.first_line_row is not None:
        for offset, line in enumerate(used):
            for key, value in line.items():
                if key in layout.line_columns and value not in (None, ""):
                    values[layout.line_cell(key, layout.first_line_row + offset)] = value
    form = _blank(kind)
    pieces = list(form.pieces)
    for coordinate, value in values.items():
        piece, style = form.cells[coordinate]
        pieces[piece] = cell_xml(coordinate, style, value)
    # the pieces after the last value are the blank's: deflated once (``_tail``), unless the
    # page breaks change the sheet's end
    cut = max((form.cells[c][0] for c in values), default=-1) + 1
    if lines_per_page and layout.first_line_row is not None and len(used) > lines_per_page:
        pieces[-1] = _with_breaks(pieces[-1], layout.first_line_row, len(used), lines_per_page)
        cut = len(pieces)
    head = "".join(pieces[:cut])
    taller = _wrapped_heights(kind, values)
    if taller:  # the rows of the values and the frozen pane are above the cut
        head = _grow_rows(head, taller)
        if _frozen_height(kind, taller) > template.FROZEN_LIMIT:  # the lines must stay in view
            head = re.sub(FROZEN_PANE, '<selection activeCell="A1" sqref="A1" />', head, count=1)
    area = absolute(template.print_area(kind, len(used)))
    book = PRINT_AREA.sub(lambda m: f"{m[1]}{area}{m[3]}", form.book_xml, count=1)
    sheet = head.encode("utf-8")
    deflated = _joined(sheet, _tail(kind, cut)) if cut < len(pieces) else _deflated(sheet)
    return _zipped(form, deflated, _deflated(book.encode("utf-8")))


class Deflated(NamedTuple):
    """A part's bytes deflated (raw, as a zip entry holds them), with their CRC-32 and size."""

    data: bytes
    crc: int
    size: int


#: the level a copy's own XML is deflated at: zlib's default (6) costs ~0.03 ms more a copy than
#: level 1 for ~200 bytes fewer (a 20-line order), which every relay and mailbox then carries
LEVEL = 6


def _deflated(data: bytes, level: int = LEVEL) -> Deflated:
    squeeze = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Deflated(squeeze.compress(data) + squeeze.flush(), zlib.crc32(data), len(data))


@lru_cache(maxsize=64)
def _tail(kind: Kind, cut: int) -> tuple[Deflated, bytes]:
    """The blank's sheet XML from piece ``cut`` on, deflated (once a kind and cut) and as bytes
    (the CRC of a copy's sheet runs over them). Level 9 would save ~20 bytes and cost the first
    copy of a ``silu ingest`` ~3M instructions more."""
    data = "".join(_blank(kind).pieces[cut:]).encode("utf-8")
    return _deflated(data), data


def _joined(head: bytes, tail: tuple[Deflated, bytes]) -> Deflated:
    """``head`` deflated and followed by the deflated ``tail``: one deflate stream, as a head
    flushed to a byte boundary (not the final block) may be followed by any stream's blocks."""
    rest, raw = tail
    if not head:
        return rest
    squeeze = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    data = squeeze.compress(head) + squeeze.flush(zlib.Z_SYNC_FLUSH)
    return Deflated(data + rest.data, zlib.crc32(raw, zlib.crc32(head)), len(head) + rest.size)


#: the signatures of a zip's local file header, its central directory record and its end of
#: central directory record (APPNOTE.TXT 4.3.7, 4.3.12, 4.3.16)
LOCAL_HEADER, DIRECTORY_RECORD, END_OF_DIRECTORY = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"


def _kept_entries(data: bytes, dropped: tuple[str, ...]) -> tuple[bytes, bytes, int]:
    """The entries of the zip ``data`` but ``dropped``, copied as they are (already deflated),
    their central directory records pointing at where each now starts, and how many they are.
    Unpacking and deflating them again with zipfile took a silu call ~0.8 ms a kind, for the
    same bytes."""
    names = {name.encode("utf-8") for name in dropped}
    end = data.rfind(END_OF_DIRECTORY)
    count, size, at = struct.unpack("<10xHII", data[end : end + 20])
    entries, records, start = [], [], 0
    for _ in range(count):
        flags, deflated = struct.unpack("<2xH10xI", data[at + 6 : at + 24])
        name_length, extra_length, comment_length, local = struct.unpack(
            "<HHH8xI", data[at + 28 : at + 46]
        )
        record = data[at : at + 46 + name_length + extra_length + comment_length]
        at += len(record)
        if record[46 : 46 + name_length] in names:
            continue
        skip = sum(struct.unpack("<HH", data[local + 26 : local + 30]))
        stop = local + 30 + skip + deflated
        if flags & 0x08:  # sizes and CRC in a data descriptor after the data (signed or not)
            stop += 16 if data[stop : stop + 4] == b"PK\x07\x08" else 12
        entries.append(data[local:stop])
        records.append(record[:42] + struct.pack("<I", start) + record[46:])
        start += stop - local
    return b"".join(entries), b"".join(records), len(records)


def _zipped(form: _Blank, sheet: Deflated, book: Deflated) -> bytes:
    """The copy's .xlsx: the blank's other entries as zipped once, then the sheet and the
    workbook part. Written here because zipfile deflates what it is given and cannot take
    data already deflated (the sheet's tail is)."""
    out, directory, at = [form.entries], [form.directory], len(form.entries)
    for info, part in ((form.sheet, sheet), (form.book, book)):
        name = info.filename.encode("ascii")
        year, month, day, hour, minute, second = info.date_time
        fields = struct.pack(
            "<HHHHHIIIHH",
            20,  # the version needed to extract: deflate
            0,  # no flags
            zipfile.ZIP_DEFLATED,
            hour << 11 | minute << 5 | second // 2,
            (year - 1980) << 9 | month << 5 | day,
            part.crc,
            len(part.data),
            part.size,
            len(name),
            0,  # no extra field
        )
        out += [LOCAL_HEADER, fields, name, part.data]
        directory += [
            DIRECTORY_RECORD,
            struct.pack("<BB", info.create_version, info.create_system),
            fields,
            struct.pack("<HHHII", 0, 0, 0, info.external_attr, at),
            name,
        ]
        at += 4 + len(fields) + len(name) + len(part.data)
    records = b"".join(directory)
    count = form.listed + 2
    end = struct.pack("<4sHHHHIIH", END_OF_DIRECTORY, 0, 0, count, count, len(records), at, 0)
    return b"".join(out) + records + end


#: a row's opening tag in the sheet XML: its number, its other attributes; this pattern and
#: those below are compiled when first used (re keeps them): only a copy with wrapped text
#: grows its rows
ROW_TAG = r'<row r="(\d+)"([^>]*?)( ?/?)>'
ROW_HEIGHT = r' (?:ht|customHeight)="([^"]*)"'
LINE_HEIGHT = 15


@cache
def _text_columns(kind: Kind) -> Mapping[str, float]:
    """Column letter -> width, for the columns whose cells hold free text (they wrap)."""
    layout, sizes = kind.layout, template.column_widths(kind)
    found = {layout.header_cells[f.key][0]: sizes[1] for f in kind.header if f.type == "text"}
    for i, c in enumerate(kind.lines.columns if kind.lines else ()):
        if c.type == "text":
            found[layout.line_columns[c.key]] = sizes[i]
    return found


def _wrapped_heights(kind: Kind, values: Mapping[str, Any]) -> dict[int, float]:
    """Rows whose free text wraps past one line, and the height that shows all of it: neither
    LibreOffice nor Excel grows a row on opening, so a long question or note was cut on paper."""
    columns = _text_columns(kind)
    heights: dict[int, float] = {}
    for coordinate, value in values.items():
        letters = coordinate.rstrip("0123456789")
        width = columns.get(letters)
        if width is None or not isinstance(value, str):
            continue
        lines = sum(
            max(1, -(-display_width(part) // max(1, int(width - 1)))) for part in value.split("\n")
        )
        if lines > 1:
            row = int(coordinate[len(letters) :])
            heights[row] = max(heights.get(row, 0), LINE_HEIGHT * lines)
    return heights


#: the frozen pane of the sheet view and its selection
FROZEN_PANE = r'<pane [^>]*state="frozen" ?/>(?:<selection pane="bottomLeft"[^>]*/>)?'


@cache
def _header_rows(kind: Kind) -> Mapping[int, float]:
    """The blank's height of each row above the line table (the block a form freezes)."""
    first = kind.layout.first_line_row or 0
    xml = "".join(_blank(kind).pieces)
    found = {}
    for m in re.finditer(ROW_TAG, xml):
        if int(m[1]) < first:
            height = re.search(r' ht="([\d.]+)"', m[2])
            found[int(m[1])] = float(height[1]) if height else float(LINE_HEIGHT)
    return found


def _frozen_height(kind: Kind, taller: Mapping[int, float]) -> float:
    """How tall the frozen block is once rows grow to ``taller``; 0 where nothing is frozen."""
    rows = _header_rows(kind)
    if not rows or kind.layout.first_line_row is None:
        return 0
    return sum(max(h, taller.get(r, 0)) for r, h in rows.items()) + LINE_HEIGHT * (
        kind.layout.first_line_row - 1 - len(rows)
    )


def _grow_rows(xml: str, heights: Mapping[int, float]) -> str:
    """The sheet with the tags of the rows in ``heights`` rewritten (found by position: a
    substitution over every row tag cost ~1.7 ms a copy)."""
    for row in sorted(heights):
        start = xml.find(f'<row r="{row}"')
        if start < 0:
            continue
        end = xml.index(">", start) + 1
        tag = re.compile(ROW_TAG).match(xml, start, end)
        if tag is not None:
            xml = xml[:start] + _row_tag(tag, heights) + xml[end:]
    return xml


def _row_tag(m: re.Match[str], heights: Mapping[int, float]) -> str:
    """The row's tag, at least as tall as ``heights`` asks (a wrapped label keeps its height)."""
    row = int(m[1])
    if row not in heights:
        return m[0]
    old = re.search(r' ht="([\d.]+)"', m[2])
    height = max(heights[row], float(old[1]) if old else 0)
    rest = re.sub(ROW_HEIGHT, "", m[2])
    return f'<row r="{m[1]}"{rest} ht="{height:g}" customHeight="1"{m[3]}>'


def absolute(reference: str) -> str:
    """``A1:F34`` as the defined name writes it: ``$A$1:$F$34``."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in reference.split(":"))


def _with_breaks(tail: str, first_row: int, count: int, every: int) -> str:
    """The sheet XML's tail with a page break after every ``every`` lines; row breaks come
    right after the header and footer in the OOXML element order."""
    rows = [first_row + n - 1 for n in range(every, count, every)]
    breaks = "".join(f'<brk id="{r}" max="16383" man="1" />' for r in rows)
    element = f'<rowBreaks count="{len(rows)}" manualBreakCount="{len(rows)}">{breaks}</rowBreaks>'
    return tail.replace("</headerFooter>", "</headerFooter>" + element, 1)
