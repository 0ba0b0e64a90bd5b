"""Turning what a cell holds into a value of its field's type, whatever office suite saved it.

Excel stores numbers as binary floats, WPS and LibreOffice sometimes as text; people type
full-width digits (``１２``), thousands separators, stray spaces, dates as ``2026/11/26`` or
``2026年11月26日`` or leave Excel serial numbers without a date format. Everything lands as an
exact ``Decimal`` or a ``datetime.date``; what cannot be read comes back as a problem code.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import datetime as dt
import functools
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from silu_sheets import problems as P
from silu_sheets.declare import Field

#: Excel's (and WPS's) day zero for the 1900 date system, Lotus leap-year bug included.
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: patterns given as text are compiled when first matched (re keeps them): a document number
#: or a date typed as text is on few forms, and each pattern compiled at import cost every
#: silu call ~0.5M instructions
DOCNO_PATTERN = r"^[A-Z]{2,4}-\d{4}-\d{5}$"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DECIMAL_PLACES = {"quantity": 3, "money": 4, "cost": 2}
CURRENCY_SIGNS = ("¥", "$", "€", "£")
#: the largest value a cell of each type may hold: beyond any real trade, and within 15
#: significant digits with its decimal places (1,000,000,000.000 and 10,000,000,000.0000), so
#: each is exact in Excel's binary numbers too, and the ledger's integer sums (thousandths of a
#: quantity, ten-thousandths of money) stay far inside 64 bits
MAXIMUM = {
    "quantity": Decimal("1000000000"),
    "money": Decimal("10000000000"),
    "cost": Decimal("10000000000"),
    "integer": Decimal("1000000000"),
}
#: C0/C1 control characters (tab and line breaks excepted), direction overrides, embeddings
#: and isolates: invisible, they make a name read differently from what it is, and XML
#: (so every workbook we write) cannot hold the C0 ones
CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]"
)
TRUE_WORDS = {"是", "yes", "y", "true", "1", "对", "√", "有"}
FALSE_WORDS = {"否", "no", "n", "false", "0", "无", "×"}


class Unreadable(NamedTuple):
    """Why a cell's content is not a value of its field's type."""

    code: str
    values: dict[str, Any]


def clean_text(raw: object) -> str:
    """Cell content as text without stray spaces (the full-width space U+3000 included)."""
    if raw is None:
        return ""
    text = str(raw).replace("\u3000", " ").replace("\u00a0", " ").replace("\u200b", "")
    return " ".join(text.split())


def normal_width(text: str) -> str:
    """Full-width digits, letters and punctuation as their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def element_text(text: str) -> str:
    """``text`` as the content of an XML or HTML element: ``&``, ``<`` and ``>`` escaped, as
    ``html.escape(text, quote=False)`` does, without loading the ``html`` package and its
    entity table (~1.5 ms) on every ``silu`` call that writes a form or a reply."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def printable(text: str) -> str:
    """Text without control characters and direction overrides: what a workbook, a subject
    line or a terminal is given of a value stored before they were refused."""
    if text.isprintable():  # no control or format character at all: most text, checked in C
        return text
    return CONTROL.sub("", text)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width font or a cell: a wide or full-width (CJK)
    character two, a combining mark none (it sits on the letter before it), any other one;
    ambiguous-width ones (``—``, ``×``) one, as terminals outside a CJK locale show them.
    (unicodedata rather than wcwidth, whose import with tabulate cost ~80 ms on every
    ``silu status``.)"""
    if text.isascii():  # every ASCII character takes one column: most cells, measured at once
        return len(text)
    return _wide_width(text)


@functools.lru_cache(maxsize=4096)
def _wide_width(text: str) -> int:
    """``display_width`` of text with non-ASCII characters, kept per process: the same names,
    labels and letterhead are measured again for every printed copy."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def control_characters(text: str) -> list[str]:
    """The control characters in ``text``, named as U+XXXX."""
    return sorted({f"U+{ord(ch):04X}" for ch in CONTROL.findall(text)})


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and clean_text(raw) == "")


def read_value(f: Field, raw: object) -> object | Unreadable | None:
    """The value of ``raw`` for field ``f``; ``None`` when blank; ``Unreadable`` when wrong."""
    if is_blank(raw):
        return None
    if isinstance(raw, str) and CONTROL.search(raw):
        return Unreadable(P.TEXT_CONTROL_CHARACTERS, {"characters": control_characters(raw)})
    reader = _READERS[f.type]
    return reader(f, raw)


def _text(f: Field, raw: object) -> object:
    if isinstance(raw, float) and raw.is_integer():
        # a code typed into a number-formatted cell ("10023") comes back as 10023.0
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return ascii_if_full_width(clean_text(raw))


#: the full-width forms of ASCII (U+FF01–U+FF5E), as a Chinese IME in full-width mode types them
FULL_WIDTH_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def ascii_if_full_width(text: str) -> str:
    """A code typed in full-width mode ("Ｃ００１", "Ｐ－Ｍ８") is the code C001; text with
    Chinese (or any other non-ASCII) in it keeps its full-width punctuation as written."""
    folded = text.translate(FULL_WIDTH_ASCII)
    return folded if folded.isascii() else text


def to_decimal(raw: object) -> Decimal | None:
    """An exact decimal from a cell, or ``None``; floats are read at 15 significant digits,
    as Excel shows them, so ``0.1`` stays 0.1 and never 0.1000000000000000055."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        # NaN and infinity have no place in a form (and would make every comparison raise)
        return Decimal(f"{raw:.15g}") if math.isfinite(raw) else None
    if isinstance(raw, Decimal):
        return raw
    text = normal_width(clean_text(raw))
    text = text.replace(",", "").replace(" ", "")
    for sign in CURRENCY_SIGNS:
        text = text.replace(sign, "")
    text = text.removesuffix("元")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only decimals
        return None


def _number(f: Field, raw: object) -> object:
    value = to_decimal(raw)
    if value is None:
        return Unreadable(P.NOT_A_NUMBER, {"value": clean_text(raw)})
    places = DECIMAL_PLACES.get(f.type)
    exponent = value.normalize().as_tuple().exponent
    if places is not None and isinstance(exponent, int) and -exponent > places:
        return Unreadable(P.TOO_MANY_DECIMALS, {"value": value, "places": places})
    if f.minimum is not None and value < f.minimum:
        return Unreadable(P.BELOW_MINIMUM, {"value": value, "minimum": f.minimum})
    maximum = MAXIMUM.get(f.type)
    if maximum is not None and abs(value) > maximum:
        return Unreadable(P.VALUE_TOO_LARGE, {"value": value, "maximum": maximum})
    if f.type == "integer":
        if value != value.to_integral_value():
            return Unreadable(P.NOT_AN_INTEGER, {"value": clean_text(raw)})
        return int(value)
    return value


#: dates typed as text (a cell with a date format holds a number): compiled when first matched
_DATE_YMD = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"
_DATE_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
_DATE_OTHER = r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})$"


def _date(f: Field, raw: object) -> object:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        # a serial number: the cell lost its date format (seen from WPS and from pasted values)
        if 1 <= raw < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(raw))
        return Unreadable(P.NOT_A_DATE, {"value": raw})
    text = normal_width(clean_text(raw))
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d{1,2}-\d{1,2} \d", text) else text
    match = re.match(_DATE_YMD, text) or re.match(_DATE_COMPACT, text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return Unreadable(P.NOT_A_DATE, {"value": text})
    other = re.match(_DATE_OTHER, text)
    if other:
        first, second, year = (int(g) for g in other.groups())
        if first <= 12 and second <= 12 and first != second:
            return Unreadable(P.DATE_AMBIGUOUS, {"value": text})
        # only one order makes a real date (26/11/2026 or 11/26/2026), or both agree (05/05)
        month, day = (second, first) if first > 12 else (first, second)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return Unreadable(P.NOT_A_DATE, {"value": text})
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _date(f, float(text))
    return Unreadable(P.NOT_A_DATE, {"value": text})


def _choice(f: Field, raw: object) -> object:
    text = normal_width(clean_text(raw)).casefold()
    for c in f.choices:
        names = {c.key, c.zh, c.en, c.shown, f"{c.zh}{c.en}", f"{c.zh}/{c.en}", f"{c.zh} / {c.en}"}
        if text in {n.casefold() for n in names}:
            return c.key
    allowed = "、".join(c.shown for c in f.choices)
    return Unreadable(P.CHOICE_UNKNOWN, {"value": clean_text(raw), "allowed": allowed})


def docno_text(raw: object) -> str:
    """A document number as typed (``ｓｎ-2026-00001``, ``sn_2026_00001``) in its one spelling."""
    return normal_width(clean_text(raw)).upper().replace(" ", "").replace("_", "-")


def _docno(f: Field, raw: object) -> object:
    text = docno_text(raw)
    if re.match(DOCNO_PATTERN, text):
        return text
    return Unreadable(P.DOCNO_MALFORMED, {"value": clean_text(raw), "example": "INQ-2026-00042"})


def _email(f: Field, raw: object) -> object:
    text = normal_width(clean_text(raw)).lower()
    if EMAIL_PATTERN.match(text):
        return text
    return Unreadable(P.EMAIL_MALFORMED, {"value": clean_text(raw)})


def _phone(f: Field, raw: object) -> object:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return normal_width(clean_text(raw))


def _bool(f: Field, raw: object) -> object:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        # 1 and 0 come back as floats from some readers (LibreOffice re-saves)
        return raw == 1
    text = normal_width(clean_text(raw)).casefold()
    # the template's dropdown offers "是 yes" / "否 no": both words must agree
    words = set(text.split()) or {text}
    if words <= TRUE_WORDS:
        return True
    if words <= FALSE_WORDS:
        return False
    return Unreadable(P.CHOICE_UNKNOWN, {"value": clean_text(raw), "allowed": "是 yes、否 no"})


def _code(f: Field, raw: object) -> object:
    """Codes are kept upper-case: ``c001`` typed by hand is customer ``C001``."""
    text = _text(f, raw)
    return text.upper() if isinstance(text, str) else text


def code_argument(_ctx: object, _param: object, value: str | None) -> str | None:
    """A code given on the command line, read like one in a form (a click callback)."""
    return ascii_if_full_width(clean_text(value)).upper() if value else value


_READERS = {
    "text": _text,
    "code": _code,
    "date": _date,
    "quantity": _number,
    "money": _number,
    "cost": _number,
    "integer": _number,
    "choice": _choice,
    "docno": _docno,
    "email": _email,
    "phone": _phone,
    "bool": _bool,
}


def phone_digits(phone: str | None) -> str:
    """Digits only, without a leading country code 86, for duplicate detection."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def name_key(name: str | None) -> str:
    """A customer name compared without width, case and spaces."""
    return re.sub(r"\s+", "", normal_width(name or "")).casefold()
