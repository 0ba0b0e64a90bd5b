"""Cell contents to exact values, whatever saved the workbook and however a person typed them.

Excel hands back binary floats, WPS and LibreOffice sometimes text; people type full-width
digits, thousands separators, currency signs and dates in many shapes. Money and quantities
must come out as exact decimals, dates as calendar days, and anything else as a problem code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from silu_sheets import problems as P
from silu_sheets.declare import Choice, Field
from silu_sheets.values import (
    Unreadable,
    clean_text,
    display_width,
    element_text,
    name_key,
    phone_digits,
    read_value,
)

QUANTITY = Field("quantity", "数量", "Quantity", "quantity")
MONEY = Field("unit_price", "单价", "Unit price", "money")
COST = Field("handling_cost", "杂费", "Handling cost", "cost")
INTEGER = Field("payment_days", "账期", "Payment days", "integer")
LINE_NO = Field("notice_line", "行号", "Line", "integer", minimum=1)
SIGNED = Field("adjustment", "调整", "Adjustment", "quantity", minimum=None)
DATE = Field("inquiry_date", "咨询日期", "Inquiry date", "date")
TEXT = Field("customer_name", "客户名称", "Customer name", "text")
PHONE = Field("phone", "电话", "Phone", "phone")
EMAIL = Field("email", "邮箱", "Email", "email")
DOCNO = Field("inquiry_no", "咨询单号", "Inquiry number", "docno", refers_to="inquiry")
BOOL = Field("lot_tracked", "批次管理", "Lot-tracked", "bool")
CHANNEL = Field(
    "channel",
    "咨询渠道",
    "Channel",
    "choice",
    choices=(Choice("phone", "电话", "phone"), Choice("web", "网站", "website")),
)


def code_of(value: object) -> str | None:
    return value.code if isinstance(value, Unreadable) else None


# --- numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12, "12"),
        ("12", "12"),
        ("12.5", "12.5"),
        (" 12.5 ", "12.5"),
        ("\u300012\u3000", "12"),  # the full-width space a Chinese IME types
        ("\u00a012", "12"),  # a non-breaking space pasted from a web page
        ("１２", "12"),
        ("１２．５", "12.5"),
        ("１，２３４．５", "1234.5"),  # full-width comma and point
        ("1,234,567.125", "1234567.125"),
        ("1 234", "1234"),
        ("+7", "7"),
        (".5", "0.5"),
        ("5.", "5"),
    ],
)
def test_quantity_typed_as_text_or_number_reads_exactly(raw, expected):
    value = read_value(QUANTITY, raw)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.1, "0.1"),
        (1.15, "1.15"),
        (5750.5, "5750.5"),
        (0.1 + 0.2, "0.3"),  # what Excel shows, not 0.30000000000000004
        (1234567.891, "1234567.891"),
        (12.0, "12"),
        (1e-4, "0.0001"),
    ],
)
def test_floats_from_excel_read_as_the_decimal_excel_shows(raw, expected):
    value = read_value(MONEY, raw)
    assert value == Decimal(expected)
    assert str(value.normalize()) == str(Decimal(expected).normalize())


def test_float_reading_is_exact_not_binary():
    assert read_value(MONEY, 1.15) != Decimal(1.15)  # Decimal(1.15) is 1.149999999999999911…
    assert read_value(MONEY, 1.15) * 3 == Decimal("3.45")


@pytest.mark.parametrize(
    "raw",
    ["¥1,234.50", "￥1,234.50", "$1,234.50", "€1234.5", "1,234.50元", "¥ 1234.5", " 1234.50 元 "],
)
def test_currency_signs_are_dropped_from_amounts(raw):
    assert read_value(MONEY, raw) == Decimal("1234.5")


@pytest.mark.parametrize(
    "raw", ["一块二", "12 pcs", "1.2.3", "12-5", "#DIV/0!", "#VALUE!", "abc", "1e3", "--1"]
)
def test_not_a_number(raw):
    value = read_value(QUANTITY, raw)
    assert code_of(value) == P.NOT_A_NUMBER
    assert value.values == {"value": clean_text(raw)}


def test_non_finite_float_is_not_a_number():
    assert code_of(read_value(MONEY, float("nan"))) == P.NOT_A_NUMBER
    assert code_of(read_value(MONEY, float("inf"))) == P.NOT_A_NUMBER


def test_boolean_cell_is_not_a_number():
    assert code_of(read_value(QUANTITY, True)) == P.NOT_A_NUMBER


@pytest.mark.parametrize(
    ("field", "accepted", "refused", "places"),
    [
        (QUANTITY, "1.125", "1.1255", 3),
        (MONEY, "1.1255", "1.12555", 4),
        (COST, "1.25", "1.255", 2),
    ],
)
def test_too_many_decimals(field, accepted, refused, places):
    assert read_value(field, accepted) == Decimal(accepted)
    value = read_value(field, refused)
    assert code_of(value) == P.TOO_MANY_DECIMALS
    assert value.values == {"value": Decimal(refused), "places": places}


def test_trailing_zeros_are_not_extra_decimals():
    assert read_value(QUANTITY, "12.500000") == Decimal("12.5")
    assert read_value(COST, 3.10) == Decimal("3.1")


def test_below_minimum():
    assert read_value(QUANTITY, 0) == Decimal(0)
    value = read_value(QUANTITY, "-1")
    assert code_of(value) == P.BELOW_MINIMUM
    assert value.values == {"value": Decimal(-1), "minimum": 0}
    assert code_of(read_value(LINE_NO, 0)) == P.BELOW_MINIMUM
    assert read_value(LINE_NO, 1) == 1
    assert read_value(SIGNED, "-2.5") == Decimal("-2.5")


def test_integers():
    assert read_value(INTEGER, 30) == 30
    assert read_value(INTEGER, 30.0) == 30
    assert read_value(INTEGER, "３０") == 30
    assert isinstance(read_value(INTEGER, 30.0), int)
    value = read_value(INTEGER, "30.5")
    assert code_of(value) == P.NOT_AN_INTEGER
    assert value.values == {"value": "30.5"}


# --- dates -----------------------------------------------------------------------------------
DAY = dt.date(2026, 11, 26)
SERIAL = 46352  # 2026-11-26 in Excel's 1900 date system


@pytest.mark.parametrize(
    "raw",
    [
        dt.datetime(2026, 11, 26, 0, 0),
        dt.datetime(2026, 11, 26, 15, 30),
        DAY,
        "2026-11-26",
        "2026/11/26",
        "2026.11.26",
        "2026-11-26 00:00:00",
        "2026年11月26日",
        "2026 年 11 月 26 日",
        "２０２６年１１月２６日",
        "２０２６－１１－２６",
        "20261126",
        " 2026-11-26\u3000",
        "26/11/2026",  # only one order makes a date
        "11/26/2026",
        SERIAL,
        float(SERIAL),
        SERIAL + 0.75,  # a serial number with a time of day
        str(SERIAL),
    ],
)
def test_dates_in_every_shape_read_as_the_day(raw):
    assert read_value(DATE, raw) == DAY


def test_short_month_and_day():
    assert read_value(DATE, "2026-1-5") == dt.date(2026, 1, 5)
    assert read_value(DATE, "2026/01/05") == dt.date(2026, 1, 5)
    assert read_value(DATE, "05/05/2026") == dt.date(2026, 5, 5)


def test_ambiguous_day_and_month_is_refused():
    value = read_value(DATE, "03/04/2026")
    assert code_of(value) == P.DATE_AMBIGUOUS
    assert value.values == {"value": "03/04/2026"}
    assert "2026-11-26" in P.Problem(value.code, value.values).message("zh")


@pytest.mark.parametrize(
    "raw", ["2026-02-30", "2026-13-01", "31/31/2026", "tomorrow", "下周一", "2026", 0, -5, 3e6]
)
def test_not_a_date(raw):
    assert code_of(read_value(DATE, raw)) == P.NOT_A_DATE


def test_excel_epoch_matches_excel():
    """Excel's serial 1 is 1900-01-01 on screen but the Lotus leap-year bug shifts every day
    after February 1900; the 1899-12-30 epoch gives the days Excel shows from March 1900 on."""
    assert read_value(DATE, 61) == dt.date(1900, 3, 1)
    assert read_value(DATE, 45658) == dt.date(2025, 1, 1)


# --- text, phone, email ----------------------------------------------------------------------
def test_text_is_cleaned_of_stray_spaces():
    assert read_value(TEXT, "  华东\u3000机电   有限公司 ") == "华东 机电 有限公司"
    assert read_value(TEXT, "\u200b宁波") == "宁波"
    assert read_value(TEXT, "   ") is None
    assert read_value(TEXT, "\u3000") is None
    assert read_value(TEXT, None) is None


def test_full_width_codes_read_as_ascii_chinese_text_kept_as_written():
    assert read_value(TEXT, "Ｃ００１") == "C001"
    assert read_value(TEXT, "Ｐ－Ｍ８") == "P-M8"
    assert read_value(TEXT, "ＷＨ－Ａ") == "WH-A"
    assert read_value(TEXT, "交期？价格，（含税）") == "交期？价格，（含税）"
    assert read_value(TEXT, "螺栓 Ｍ８") == "螺栓 Ｍ８"
    assert (
        read_value(TEXT, "m²") == "m²"
    )  # only full-width forms fold, not other compatibility forms


def test_codes_in_number_cells_come_back_as_text():
    assert read_value(TEXT, 10023.0) == "10023"
    assert read_value(TEXT, 10023) == "10023"
    assert read_value(TEXT, dt.datetime(2026, 11, 26)) == "2026-11-26"
    assert read_value(PHONE, 13812345678.0) == "13812345678"
    assert read_value(PHONE, "０２１－５５５５ １２３４") == "021-5555 1234"


def test_email():
    assert read_value(EMAIL, " Li.Na@Firm.Test ") == "li.na@firm.test"
    assert code_of(read_value(EMAIL, "li.na at firm")) == P.EMAIL_MALFORMED


def test_phone_digits_and_name_key_for_duplicates():
    assert phone_digits("+86 138-1234-5678") == "13812345678"
    assert phone_digits("021-5555 1234") == "02155551234"
    assert (
        name_key("华东机电 有限公司")
        == name_key("华东机电有限公司")
        == name_key("华东机电\u3000有限公司")
    )
    assert name_key("ACME GmbH") == name_key("ａｃｍｅ ｇｍｂｈ")


# --- choices and booleans --------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "phone",
        "PHONE",
        "电话",
        "电话 phone",
        "电话phone",
        "电话/phone",
        " 电话 / phone ",
        "ｐｈｏｎｅ",
        "电话\u3000phone",
    ],
)
def test_choice_by_key_zh_en_or_shown_text(raw):
    assert read_value(CHANNEL, raw) == "phone"


def test_choice_by_english_label_different_from_key():
    assert read_value(CHANNEL, "website") == "web"
    assert read_value(CHANNEL, "网站 website") == "web"


def test_unknown_choice_lists_the_allowed_ones():
    value = read_value(CHANNEL, "飞鸽传书")
    assert code_of(value) == P.CHOICE_UNKNOWN
    assert value.values == {"value": "飞鸽传书", "allowed": "电话 phone、网站 website"}


@pytest.mark.parametrize("raw", [True, "是", "是 yes", "yes", "Y", "TRUE", "√", "有", 1, 1.0, "１"])
def test_true(raw):
    assert read_value(BOOL, raw) is True


@pytest.mark.parametrize("raw", [False, "否", "否 no", "No", "n", "false", "×", "无", 0, 0.0])
def test_false(raw):
    assert read_value(BOOL, raw) is False


@pytest.mark.parametrize("raw", ["也许", "yes 否", 2, "2"])
def test_bool_neither(raw):
    assert code_of(read_value(BOOL, raw)) == P.CHOICE_UNKNOWN


# --- document numbers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "INQ-2026-00042",
        "inq-2026-00042",
        " INQ-2026-00042 ",
        "ＩＮＱ－２０２６－０００４２",
        "INQ_2026_00042",
        "INQ - 2026 - 00042",
    ],
)
def test_docno_in_any_case_or_width(raw):
    assert read_value(DOCNO, raw) == "INQ-2026-00042"


@pytest.mark.parametrize("raw", ["INQ-26-42", "2026-00042", "INQ202600042", "询价单1号", 42])
def test_docno_malformed(raw):
    value = read_value(DOCNO, raw)
    assert code_of(value) == P.DOCNO_MALFORMED
    assert value.values["example"] == "INQ-2026-00042"


# --- blanks ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field", [QUANTITY, MONEY, DATE, TEXT, CHANNEL, BOOL, DOCNO, EMAIL, INTEGER]
)
@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000"])
def test_blank_is_none_for_every_type(field, raw):
    assert read_value(field, raw) is None


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("M8 bolt", 7),
        ("六角螺栓", 8),  # wide: two each
        ("ＭＢ１２", 8),  # full-width: two each
        ("ﾊﾝｶｸ", 4),  # half-width katakana: one each
        ("Café", 4),
        ("Cafe\u0301", 4),  # a combining accent sits on the e: no column of its own
        ("—×", 2),  # ambiguous width: one, as a terminal outside a CJK locale shows it
        ("", 0),
    ],
)
def test_display_width_counts_the_columns_text_takes(text: str, columns: int) -> None:
    """One measure for the workbooks' column widths and the answers' plain-text tables."""
    assert display_width(text) == columns


@pytest.mark.parametrize(
    "text", ["", "P-M8", "a & b < c > d", "<b>报价单</b>.xlsx", "&amp; 'x' \"y\""]
)
def test_element_text_escapes_as_html_escape_without_quotes(text: str) -> None:
    import html

    assert element_text(text) == html.escape(text, quote=False)


def test_number_formats_with_character_references_are_read_as_written() -> None:
    """A format's quoted text is written ``&quot;`` in styles.xml: ``0.00"m"`` (metres) shows no
    date, ``yyyy"年"m"月"d"日"`` does; the references are resolved before the format is read."""
    import io

    from openpyxl import Workbook as OpenpyxlWorkbook

    from silu_sheets.workbook.cells import Workbook

    book = OpenpyxlWorkbook()
    sheet = book.active
    for row, code in enumerate(['0.00"m"', 'yyyy"年"m"月"d"日"', "#,##0.00"], start=1):
        sheet.cell(row, 1, 46000).number_format = code
    out = io.BytesIO()
    book.save(out)
    read = Workbook(out.getvalue())
    assert b"&quot;" in read.part("xl/styles.xml")
    styles = {sheet.cell(row, 1).style_id: row for row in (1, 2, 3)}
    dated = {styles[i] for i in read.date_styles() if i in styles}
    assert dated == {2}
