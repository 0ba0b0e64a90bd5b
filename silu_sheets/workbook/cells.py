"""The cells of one sheet of an .xlsx, read only inside the bounds the form declares.

A stranger's sheet may declare any dimension and hold a value at XFD1048576 (what Ctrl+End and
one keystroke leave behind). python-calamine builds the whole used range densely (16384 ×
1048576 cells: 512 GiB for that one stray value), so the form's cells are read here instead,
streaming the sheet XML with expat: only cells inside the bounds are kept, the declared
``<dimension>`` is never looked at, and reading stops at the first row below the bounds. What
lies outside is reported by coordinate, for a warning.

The same pass notes what the values alone would hide: a formula in a cell (its cached value is
not the sender's typing), hidden rows, and merged ranges. XML with a DTD (entity expansion,
external entities) is refused before a single entity is defined.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from contextlib import suppress
from functools import cache
from itertools import islice
from typing import IO, Any, NamedTuple
from xml.parsers import expat

#: the most of any part we parse: a 200-line form's sheet is ~100 KB of XML
PART_LIMIT = 16 * 1024 * 1024
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: Excel's built-in number formats that show a date (zh-CN ones included)
DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
#: compiled when first used (re keeps it): few cells hold a character XML cannot
ESCAPE = r"_x([0-9A-Fa-f]{4})_"
INTEGER = re.compile(r"[+-]?\d{1,400}")
CELL_REF = re.compile(r"([A-Z]{1,3})(\d{1,7})$")
#: a styled empty cell, as every template row holds many: nothing to read, so not parsed
EMPTY_CELL = re.compile(rb'<c r="[A-Z]{1,3}\d{1,7}"(?: s="\d+")?(?: t="n")? ?/>')
#: a numbered row left empty (the blank lines of a form's table), not hidden, followed by
#: another numbered row: nothing in it is read and the next row's number is its own
EMPTY_ROW = re.compile(
    rb'<row r="\d{1,7}"(?: (?!hidden=)[\w:]+="[^"<>]*")*(?: ?/>|></row>)(?=<row r="|</sheetData>)'
)
NUMBER_FORMAT = re.compile(
    rb'<(?:\w+:)?numFmt\b(?=[^>]*\bnumFmtId="(\d+)")(?=[^>]*\bformatCode="([^"]*)")[^>]*>'
)
STYLE = re.compile(rb'<(?:\w+:)?xf\b(?:(?=[^>]*\bnumFmtId="(\d+)"))?[^>]*>')
#: more non-empty cells than this in a sheet, shared strings or cell styles: not a form (a
#: full 200-line form has ~3,000 cells; Excel itself allows 64,000 styles)
CELL_LIMIT = 20_000
STRING_LIMIT = 50_000
STYLE_LIMIT = 64_000
#: how much of a sheet is decompressed and parsed at a time
CHUNK = 64 * 1024
#: merged ranges looked at, at most (a template has a few)
MERGES = 1000
MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+):([A-Z]+\d+)"')


class UnsafeXml(Exception):
    """The part declares a DTD or entities: never expanded, never fetched."""


class PartTooLarge(Exception):
    """A part beyond ``PART_LIMIT`` unpacked: not parsed at all."""


class TooManyCells(Exception):
    """Far more cells, strings or styles than any form holds: not read further."""


class Bounds(NamedTuple):
    """Rows 1..``rows`` and columns 1..``columns`` (1-based, inclusive)."""

    rows: int
    columns: int


class Sheet(NamedTuple):
    """What ``read_sheet`` found: its containers are filled in as it reads."""

    #: (row, column), 1-based -> the cell's value: str, float, bool, datetime
    values: dict[tuple[int, int], Any]
    #: cells inside the bounds holding a formula (their value is the cached result, if any)
    formulas: set[tuple[int, int]]
    #: hidden rows inside the bounds, 1-based
    hidden_rows: list[int]
    #: non-empty cells outside the bounds, as "XFD1048576" (the first few)
    outside: list[str]
    #: merged ranges as ((row, col), (row, col)) corners
    merged: list[tuple[tuple[int, int], tuple[int, int]]]

    def get(self, row: int, column: int) -> Any:
        return self.values.get((row, column))


def column_number(letters: str) -> int:
    """``"A"`` → 1, ``"AB"`` → 28."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@cache
def parse_ref(coordinate: str) -> tuple[int, int]:
    """``"B3"`` → (3, 2), 1-based."""
    match = CELL_REF.match(coordinate)
    if not match:
        raise ValueError(coordinate)
    return int(match[2]), column_number(match[1])


def coordinate(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"


def unescape(text: str) -> str:
    """Excel writes characters XML cannot hold as ``_x0001_``; this is what they stand for."""
    if "_x" not in text:
        return text
    return re.sub(ESCAPE, lambda m: chr(int(m[1], 16)), text)


def _unescaped(attribute: str) -> str:
    """An attribute's value with its character references resolved (``&quot;`` in a number
    format); ``html`` and its entity table are loaded only for a value that has one."""
    if "&" not in attribute:
        return attribute
    import html

    return html.unescape(attribute)


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse(*_args: object) -> None:
        raise UnsafeXml

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    return parser


def _local(tag: str) -> str:
    return tag if ":" not in tag else tag.rsplit(":", 1)[-1]


def read_declared(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A part, never unpacking more than its directory entry declares. ``ZipFile.read`` inflates
    a part in one step as far as its data goes, whatever the directory says: a 2 MB file whose
    directory lies about a 2 GiB sheet took 2 GB and 15 s to be found damaged."""
    with archive.open(info) as part:
        return part.read(info.file_size)


class _Stop(Exception):
    pass


class Workbook:
    """An opened .xlsx: its sheet names, and each sheet's cells inside given bounds."""

    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = {i.filename: i for i in self.zip.infolist()}
        #: bytes of every part unpacked
        self.unpacked = sum(i.file_size for i in self.names.values())
        self.sheet_parts = self._sheets()
        self.sheet_names = list(self.sheet_parts)
        self._strings: list[str] | None = None
        self._date_styles: frozenset[int] | None = None

    def part(self, name: str) -> bytes:
        info = self.names.get(name)
        if info is None:
            raise KeyError(name)
        if info.file_size > PART_LIMIT:
            raise PartTooLarge(name)
        return read_declared(self.zip, info)

    def _parse(self, data: bytes, start: Any, end: Any = None, text: Any = None) -> None:
        parser = _parser()
        parser.StartElementHandler = start
        if end:
            parser.EndElementHandler = end
        if text:
            parser.CharacterDataHandler = text
        with suppress(_Stop):
            parser.Parse(data, True)

    def _sheets(self) -> dict[str, str]:
        """Sheet name -> its part, from workbook.xml and its relationships."""
        targets: dict[str, str] = {}

        def rel(tag: str, attrs: dict[str, str]) -> None:
            if _local(tag) == "Relationship" and "Id" in attrs and "Target" in attrs:
                target = attrs["Target"]
                path = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target))
                )
                targets[attrs["Id"]] = path

        if "xl/_rels/workbook.xml.rels" in self.names:
            self._parse(self.part("xl/_rels/workbook.xml.rels"), rel)
        sheets: dict[str, str] = {}

        def sheet(tag: str, attrs: dict[str, str]) -> None:
            if _local(tag) == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
                if rid in targets and "name" in attrs:
                    sheets[attrs["name"]] = targets[rid]

        self._parse(self.part("xl/workbook.xml"), sheet)
        return sheets

    def defined_names(self) -> str:
        return self.part("xl/workbook.xml").decode("utf-8", "replace")

    def strings(self, wanted: set[int]) -> dict[int, str]:
        """The shared strings at the ``wanted`` indices (rich-text runs joined, phonetic
        guides left out)."""
        found: dict[int, str] = {}
        if not wanted or "xl/sharedStrings.xml" not in self.names:
            return found
        index, depth_rph, in_t = -1, 0, False
        parts: list[str] = []
        last = max(wanted)
        if last > STRING_LIMIT:
            raise TooManyCells

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal index, depth_rph, in_t, parts
            name = _local(tag)
            if name == "si":
                index += 1
                if index > last:
                    raise _Stop
                parts = []
            elif name == "rPh":
                depth_rph += 1
            elif name == "t" and not depth_rph:
                in_t = True

        def end(tag: str) -> None:
            nonlocal depth_rph, in_t
            name = _local(tag)
            if name == "si" and index in wanted:
                found[index] = unescape("".join(parts))
            elif name == "rPh":
                depth_rph -= 1
            elif name == "t":
                in_t = False

        def text(data: str) -> None:
            if in_t and index in wanted:
                parts.append(data)

        self._parse(self.part("xl/sharedStrings.xml"), start, end, text)
        return found

    def date_styles(self) -> frozenset[int]:
        """Indices of the cell styles that show a number as a date. Found with regular
        expressions over styles.xml (thousands of styles cost no parser callbacks)."""
        if self._date_styles is not None:
            return self._date_styles
        data = self.part("xl/styles.xml") if "xl/styles.xml" in self.names else b""
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise UnsafeXml
        opening = data.find(b"cellXfs")
        closing = data.find(b"cellXfs", opening + 7) if opening >= 0 else -1
        block = data[opening:closing] if closing > 0 else b""
        if block.count(b"xf") > 2 * STYLE_LIMIT:  # counted before any is parsed
            raise TooManyCells
        custom = {
            int(m[1]): _unescaped(m[2].decode("utf-8", "replace"))
            for m in NUMBER_FORMAT.finditer(data, 0, max(opening, 0))
        }
        formats = [int(m[1] or 0) for m in STYLE.finditer(block)]
        self._date_styles = frozenset(
            i
            for i, fmt in enumerate(formats)
            if fmt in DATE_FORMAT_IDS or (fmt in custom and is_date_format(custom[fmt]))
        )
        return self._date_styles

    def sheet(self, name: str, bounds: Bounds) -> Sheet:
        """The cells of sheet ``name`` inside ``bounds``, streamed from the zip: parsing stops
        below them, and the rest is only scanned for merged ranges, never held whole."""
        info = self.names[self.sheet_parts[name]]
        if info.file_size > PART_LIMIT:
            raise PartTooLarge(info.filename)
        with self.zip.open(info) as stream:
            return read_sheet(self, stream, bounds)


def is_date_format(code: str) -> bool:
    """A custom number format shows a date when it has d, m or y outside quotes and brackets."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code).lower()
    return bool(re.search(r"[dmy]", bare)) and "general" not in bare


def read_sheet(book: Workbook, stream: IO[bytes], bounds: Bounds) -> Sheet:
    sheet = Sheet(values={}, formulas=set(), hidden_rows=[], outside=[], merged=[])
    raw: dict[tuple[int, int], tuple[str, str, int]] = {}  # position -> (type, text, style)
    row = 0
    column = 0
    here: tuple[int, int] | None = None
    kind, style, has_formula = "n", 0, False
    text: list[str] = []
    in_value = in_inline = False
    depth_rph = 0
    rows_below = 0

    local: dict[str, str] = {}  # tag -> its local name, worked out once a tag

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal row, column, here, kind, style, text, has_formula, in_value, in_inline, depth_rph
        nonlocal rows_below
        name = local.get(tag) or local.setdefault(tag, _local(tag))
        if name == "t":  # a text run: its characters are taken by where it sits (v, is)
            return
        if name == "c":
            ref = attrs.get("r")
            if ref:
                row_of, column = parse_ref(ref)
                row = row_of or row
            else:
                column += 1
            here = (row, column)
            kind, style, text, has_formula = (
                attrs.get("t", "n"),
                int(attrs.get("s", 0) or 0),
                [],
                False,
            )
        elif name == "row":
            number = attrs.get("r")
            row = int(number) if number else row + 1
            column = 0
            if row > bounds.rows:
                rows_below += 1
                if rows_below > 10_000:  # a run of empty rows below the form: nothing to read
                    raise _Stop
            if attrs.get("hidden") in ("1", "true"):
                sheet.hidden_rows.append(row)
        elif name == "v":
            in_value = True
        elif name == "is":
            in_inline = True
        elif name == "rPh":
            depth_rph += 1
        elif name == "f":
            has_formula = True
        elif name == "mergeCell" and len(sheet.merged) < MERGES and ":" in attrs.get("ref", ""):
            first, last = attrs["ref"].split(":", 1)
            sheet.merged.append((parse_ref(first), parse_ref(last)))

    def end(tag: str) -> None:
        nonlocal here, in_value, in_inline, depth_rph
        name = local[tag]
        if name == "t":
            return
        if name == "c" and here is not None:
            joined = "".join(text)
            if here[0] > bounds.rows:  # the first cell below the bounds ends the reading
                if joined:
                    sheet.outside.append(coordinate(*here))
                raise _Stop
            if here[0] <= bounds.rows and here[1] <= bounds.columns:
                if has_formula:
                    sheet.formulas.add(here)
                if joined or has_formula:
                    raw[here] = (kind, joined, style)
            elif joined and len(sheet.outside) < 5:
                sheet.outside.append(coordinate(*here))
            here = None
        elif name == "v":
            in_value = False
        elif name == "is":
            in_inline = False
        elif name == "rPh":
            depth_rph -= 1
        elif name == "sheetData":  # what follows holds no cell: only looked through for merges
            raise _Stop

    def characters(data: str) -> None:
        if here is not None and (in_value or (in_inline and not depth_rph)):
            text.append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    carry = chunk = b""
    counted = 0
    try:
        while more := stream.read(CHUNK):
            # styled empty cells are dropped unparsed; one cut by the chunk's end waits for the next
            cut = max(more.rfind(b"<"), 0)
            chunk, carry = carry + more[:cut], more[cut:]
            chunk = without_empty_tail(chunk, CELL_LIMIT - counted)
            chunk = EMPTY_ROW.sub(b"", EMPTY_CELL.sub(b"", chunk))
            counted += chunk.count(b"<c ") + chunk.count(b":c ")
            if counted > CELL_LIMIT:
                raise TooManyCells
            parser.Parse(chunk, False)
        chunk = b""
        parser.Parse(carry, True)
    except _Stop:  # below the bounds: the rest is only looked through for merged ranges
        rest = merged_ranges(stream, chunk + carry)
        sheet.merged.extend(islice(rest, MERGES - len(sheet.merged)))
    shared = book.strings({int(t) for k, t, _ in raw.values() if k == "s" and t.isdigit()})
    dates = book.date_styles() if any(k == "n" for k, _, _ in raw.values()) else frozenset()
    for position, (kind_, joined, style_) in raw.items():
        value = decode(kind_, joined, style_, shared, dates)
        if value is not None:
            sheet.values[position] = value
    return sheet


#: what only a cell with something in it holds: a value (``<v>``), an inline string (``<is>``)
#: or a formula (``<f>``), with or without a namespace prefix
CONTENT = (b"v>", b"<is", b":is", b"<f", b":f")


def without_empty_tail(chunk: bytes, room: int) -> bytes:
    """``chunk`` without the rows between its last row holding a value or formula and the end
    of the sheet data: a form's table is mostly blank rows of styled empty cells, which the
    expressions that drop empty cells took ~2M instructions to go through (a 20-line quote);
    found here by byte searches. Kept whole where that could change the reading: no end of
    the sheet data in it (unprefixed), nothing with a value in it, or more cells than ``room``
    (the cells left to the limit, counted as before)."""
    end = chunk.find(b"</sheetData>")
    if end < 0 or chunk.count(b"<c ") + chunk.count(b":c ") > room:
        return chunk
    last = max(chunk.rfind(marker, 0, end) for marker in CONTENT)
    close = chunk.find(b"</row>", last, end) if last >= 0 else -1
    if close < 0:
        return chunk
    return chunk[: close + len(b"</row>")] + chunk[end:]


def merged_ranges(
    stream: IO[bytes], before: bytes
) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    """``<mergeCell ref="B8:C9">`` entries in the rest of a sheet, read chunk by chunk."""
    tail = before
    while True:
        more = stream.read(CHUNK)
        text, after = tail + more, 0
        for match in MERGE_REF.finditer(text):
            yield parse_ref(match[1].decode()), parse_ref(match[2].decode())
            after = match.end()
        if not more:
            return
        tail = text[after:][-64:]  # a reference cut by the chunk's end is found with the next


def decode(kind: str, text: str, style: int, shared: dict[int, str], dates: frozenset[int]) -> Any:
    """A cell's value from its type attribute and text, as calamine would give it."""
    if kind == "s":
        return shared.get(int(text)) if text.isdigit() else None
    if kind in ("inlineStr", "str"):
        return unescape(text)
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return None
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return text
    if not text.strip():
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    if style in dates and 0 <= number < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=number)
    # an integer as written stays exact (12345678901234567 is not 12345678901234568)
    return int(text) if INTEGER.fullmatch(text.strip()) else number
