"""Round trip: whatever is written into a form's cells reads back as the same value.

Hypothesis fills every kind's header and line table with values of each field's type — exact
decimals with the allowed places, dates, Chinese and full-width text, choices as a dropdown
shows them, integers, yes/no, numbers, addresses — leaves empty rows inside the line table,
saves a real .xlsx, and reads it through the same reader the pipeline uses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from silu_sheets import problems as P
from silu_sheets.api import fill_form
from silu_sheets.declare import Field, Kind
from silu_sheets.kinds import KINDS
from silu_sheets.values import DECIMAL_PLACES, ascii_if_full_width, clean_text, normal_width
from silu_sheets.workbook import reader

#: problems that only say a required cell or the whole table was left empty
EMPTINESS = {P.REQUIRED_MISSING, P.NO_LINES}
RANDOM = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT_CHARS = st.characters(
    categories=["L", "N", "P", "S", "Zs"],
    exclude_characters="\u2028\u2029",
)
# the characters people actually type into these forms, weighted in: CJK, full-width forms
CJK = st.sampled_from(
    "华东机电有限公司宁波海通贸易不锈钢螺栓平垫圈客户问题交期价格样品，。、（）：；“”１２３ＡＢＣ　"
)


@st.composite
def texts(draw: st.DrawFn) -> tuple[str, str | None]:
    """(what is written, what must be read): stray spaces collapse, nothing else changes."""
    raw = draw(st.text(st.one_of(TEXT_CHARS, CJK), min_size=1, max_size=40))
    cleaned = ascii_if_full_width(clean_text(raw))  # full-width codes read as the ASCII code
    return raw, cleaned or None


def decimals(f: Field) -> st.SearchStrategy[Decimal]:
    places = DECIMAL_PLACES[f.type]
    low = Decimal(f.minimum) if f.minimum is not None else Decimal(-(10**6))
    return st.decimals(
        min_value=low,
        max_value=Decimal(10**9),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


@st.composite
def cell_value(draw: st.DrawFn, f: Field) -> tuple[Any, Any]:
    """(written, expected) for one input cell of field ``f``."""
    if f.type in DECIMAL_PLACES:
        value = draw(decimals(f))
        written = draw(st.sampled_from([value, format(value, "f"), format(value, ",f")]))
        return written, value
    if f.type == "integer":
        value = draw(st.integers(min_value=f.minimum or 0, max_value=10**6))
        return value, value
    if f.type == "date":
        day = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31)))
        shape = draw(st.sampled_from(["date", "iso", "slash", "chinese"]))
        written = {
            "date": day,
            "iso": day.isoformat(),
            "slash": f"{day.year}/{day.month}/{day.day}",
            "chinese": f"{day.year}年{day.month}月{day.day}日",
        }[shape]
        return written, day
    if f.type == "choice":
        c = draw(st.sampled_from(f.choices))
        return draw(st.sampled_from([c.shown, c.key, c.zh])), c.key
    if f.type == "bool":
        value = draw(st.booleans())
        return draw(st.sampled_from([value, "是 yes" if value else "否 no"])), value
    if f.type == "docno":
        prefix = draw(st.sampled_from(["INQ", "QUO", "SN", "ORD"]))
        number = f"{prefix}-{draw(st.integers(2020, 2099))}-{draw(st.integers(1, 99999)):05d}"
        return draw(st.sampled_from([number, number.lower()])), number
    if f.type == "email":
        address = draw(
            st.from_regex(r"[a-z][a-z0-9._]{0,9}@[a-z]{1,8}\.(com|cn|test)", fullmatch=True)
        )
        return draw(st.sampled_from([address, address.upper()])), address
    if f.type == "phone":
        digits = draw(
            st.from_regex(r"(\+86 )?1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}", fullmatch=True)
        )
        return digits, normal_width(digits)
    raw, expected = draw(texts())
    if f.type == "code":  # codes match without case: kept upper-case
        return raw, expected.upper() if expected else expected
    return raw, expected


@st.composite
def filled(
    draw: st.DrawFn, kind: Kind
) -> tuple[dict, list[dict | None], dict, list[tuple[int, dict]]]:
    """A form's written header and lines (``None`` = an empty row), and what must be read."""
    header, expected_header = {}, {}
    for f in kind.header:
        if f.key == "action":  # "cancel" changes what a form means, not how it reads
            continue
        if draw(st.booleans()):
            header[f.key], expected_header[f.key] = draw(cell_value(f))
    rows: list[dict | None] = []
    expected_lines = []
    if kind.lines:
        for number in range(1, draw(st.integers(0, 6)) + 1):
            if draw(st.integers(0, 3)) == 0:
                rows.append(None)
                continue
            line, expect = {}, {}
            for c in kind.lines.columns:
                if draw(st.integers(0, 2)):
                    line[c.key], expect[c.key] = draw(cell_value(c))
            if not any(v is not None for v in expect.values()):
                rows.append(None)
                continue
            rows.append(line)
            expected_lines.append((number, {c.key: expect.get(c.key) for c in kind.lines.columns}))
    return header, rows, expected_header, expected_lines


def read_back(kind: Kind, header: dict, rows: list[dict | None]):
    data = fill_form(kind.key, header, [r or {} for r in rows])
    reading = reader.read(data)
    assert reading.kind is kind and reading.document is not None, reading.problems
    unexpected = [
        (p.cell, p.code, dict(p.values)) for p in reading.problems if p.code not in EMPTINESS
    ]
    assert unexpected == []
    return reading.document


#: kinds that together hold every field type, in the header and in the line table
COVERING = [
    "customers",
    "products",
    "opening_stock",
    "inquiry",
    "contract",
    "issue_slip",
    "payment",
    "sales_return",
]


def test_the_covering_kinds_hold_every_field_type():
    def types(key: str) -> set[str]:
        kind = KINDS[key]
        return {f"h:{f.type}" for f in kind.header} | {
            f"l:{c.type}" for c in (kind.lines.columns if kind.lines else ())
        }

    assert set().union(*(types(k) for k in COVERING)) == set().union(*(types(k) for k in KINDS))


@pytest.mark.parametrize("key", COVERING)
@RANDOM
@given(data=st.data())
def test_values_written_read_back_equal(key: str, data: st.DataObject):
    kind = KINDS[key]
    header, rows, expected_header, expected_lines = data.draw(filled(kind))
    doc = read_back(kind, header, rows)
    for f in kind.header:
        if f.key != "action":
            assert doc.header[f.key] == expected_header.get(f.key), (f.key, header.get(f.key))
    assert [(line.number, line.values) for line in doc.lines] == expected_lines


@RANDOM
@given(
    amount=st.decimals(
        min_value=0, max_value=Decimal(10**9), places=4, allow_nan=False, allow_infinity=False
    )
)
def test_money_survives_the_float_excel_stores(amount: Decimal):
    """Excel keeps a number as a binary float; up to 15 significant digits it comes back as
    the very decimal written."""
    doc = read_back(
        KINDS["quote"], {}, [{"product_code": "P-M8", "quantity": 1, "unit_price": amount}]
    )
    assert doc.lines[0]["unit_price"] == amount
    assert isinstance(doc.lines[0]["unit_price"], Decimal)


def test_text_starting_with_equals_stays_text():
    """Office suites read a leading "=" as a formula; a pre-filled note must stay a note."""
    doc = read_back(KINDS["quote"], {"note": "=见附件", "payment_terms": "=SUM(A1:A2)"}, [])
    assert (doc["note"], doc["payment_terms"]) == ("=见附件", "=SUM(A1:A2)")


def test_empty_rows_inside_the_table_keep_line_numbers():
    kind = KINDS["quote"]
    rows = [
        {"product_code": "P-1", "quantity": 1, "unit_price": 2},
        {},
        {},
        {"product_code": "P-4", "quantity": "４"},
    ]
    doc = read_back(kind, {}, rows)
    first = kind.layout.first_line_row
    assert [
        (line.number, line.row, line["product_code"], line["quantity"]) for line in doc.lines
    ] == [
        (1, first, "P-1", Decimal(1)),
        (4, first + 3, "P-4", Decimal(4)),
    ]


def test_the_last_row_of_the_table_is_read_and_the_next_refused():
    kind = KINDS["sample"]
    max_rows = kind.lines.max_rows
    rows: list[dict] = [{} for _ in range(max_rows)]
    rows[-1] = {"product_code": "P-LAST", "quantity": 1}
    doc = read_back(kind, {}, rows)
    assert [(line.number, line["product_code"]) for line in doc.lines] == [(max_rows, "P-LAST")]
    beyond = reader.read(
        fill_form("sample", {}, [*rows, {"product_code": "P-OVER", "quantity": 1}])
    )
    assert [(p.cell, p.code) for p in beyond.problems if p.code not in EMPTINESS] == [
        (f"A{kind.layout.last_line_row + 1}", P.LINES_BEYOND_TABLE)
    ]
