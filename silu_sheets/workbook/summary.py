"""Writing the summary workbook (xlsxwriter): each sheet a title, one line saying how its figures
are computed, and Excel tables side by side with filters, number formats, a frozen header row,
column widths that fit, and a native chart where one says more than rows.

Text is always written as text (``write_string``), never through xlsxwriter's guessing ``write``:
a customer named ``=HYPERLINK("http://x")`` stays those characters, not a formula or a link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from silu_sheets.amounts import number_format, places
from silu_sheets.values import display_width, printable

if TYPE_CHECKING:
    import pandas as pd

Format = Literal["text", "int", "qty", "money", "percent", "days", "date"]
NUMBER_FORMATS = {
    "int": "#,##0",
    "percent": "0.0%",
    "days": "#,##0.0",
    "date": "yyyy-mm-dd",
}
CHART_ROWS = 25  # a chart shows at most this many categories (the table is sorted first)
MAX_WIDTH = 48
#: a table shows at most this many rows (memory stays bounded however long the period); the
#: caption says when rows were left out
MAX_TABLE_ROWS = 30_000
HEADING_WIDTH = 16


@dataclass(frozen=True)
class Column:
    """One table column: the frame's column ``key``, its heading (zh and en) and its format."""

    key: str
    zh: str
    en: str
    format: Format = "text"
    #: money of one currency (a column per currency); None: the row's own currency column
    currency: str | None = None

    @property
    def heading(self) -> str:
        return f"{self.zh} {self.en}" if self.en else self.zh


@dataclass(frozen=True)
class Chart:
    """A native chart over a table: ``category`` column against ``values`` columns."""

    type: Literal["column", "bar", "line", "pie"]
    title: str
    category: str
    values: tuple[str, ...]
    stacked: bool = False


@dataclass
class Table:
    name: str  # the Excel table's name: letters, digits and underscores
    caption: str
    columns: Sequence[Column]
    frame: pd.DataFrame
    chart: Chart | None = None
    #: the column naming each row's currency (its money cells are written in its decimals)
    currency_key: str = "currency"


@dataclass
class Sheet:
    name: str  # the tab, at most 31 characters
    title: str
    how: str  # one line: how the figures are computed
    tables: list[Table] = field(default_factory=list)
    #: tables one under the other (short ones, as on the overview) instead of side by side
    stacked: bool = False


def _qty_format(values: Iterable[Any]) -> str:
    """Whole numbers without a decimal point; otherwise three places (quantities' precision)."""
    for v in values:
        if isinstance(v, float) and v == v and not v.is_integer():
            return "#,##0.000"
    return "#,##0"


def _shown(value: Any, fmt: str, currency: str | None = None) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if fmt == "money":
        return f"{value:,.{places(currency)}f}"
    if fmt == "percent":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write(sheets: Iterable[Sheet], target: Any) -> None:
    """Write ``sheets`` to ``target`` (a path or a binary file object), one at a time: a sheet's
    frames are let go once its cells are written."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        target,
        {
            # text from documents stays text: no formulas, links or numbers guessed from it
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    styles = _Styles(wb)
    remaining = iter(sheets)
    # one sheet at a time, its frames let go (by _sheet returning) before the next is built
    while (sheet := next(remaining, None)) is not None:
        _sheet(wb, styles, sheet)
        sheet = None
    wb.close()


def _sheet(wb: Any, styles: _Styles, sheet: Sheet) -> None:
    """Title, how it is computed, the tables (side by side or stacked), then the charts."""
    ws = wb.add_worksheet(sheet.name)
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # printed (and as PDF) one page wide
    ws.write_string(0, 0, sheet.title, styles.title)
    row0, col0, right = 3, 0, 0
    ws.freeze_panes(row0 + 2, 0)  # the first table's header stays in view
    charts: list[Any] = []
    widths: dict[int, int] = {}
    for table in sheet.tables:
        last = _table(ws, styles, table, row0, col0, widths)
        if table.chart and len(table.frame):
            charts.append(_chart(wb, sheet.name, table, row0 + 1, col0))
        right = max(right, col0 + len(table.columns) + 1)
        if sheet.stacked:
            row0 = last + 3
        else:
            col0 += len(table.columns) + 1
    for col, width in widths.items():
        ws.set_column(col, col, min(width, MAX_WIDTH))
    # how the figures are computed: one cell across the tables, wrapped to their width
    span = max(right - 2, 0)
    across = sum(min(widths.get(c, 8), MAX_WIDTH) for c in range(span + 1))
    lines = -(-display_width(sheet.how) // max(across, 40))
    if span:
        ws.merge_range(1, 0, 1, span, sheet.how, styles.how)
    else:
        ws.write_string(1, 0, sheet.how, styles.how)
    ws.set_row(1, 14 * lines + 4)
    at = 3
    for chart in charts:  # right of every table, one under the other
        ws.insert_chart(at, right, chart)
        at += -(-chart.height // 20) + 1  # rows are 20 pixels high


class _Styles:
    def __init__(self, wb: Any):
        font = {"font_name": "Microsoft YaHei", "font_size": 10}
        self.wb, self.font = wb, font
        self.title = wb.add_format({**font, "bold": True, "font_size": 14})
        self.how = wb.add_format(
            {**font, "italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"}
        )
        self.caption = wb.add_format({**font, "bold": True, "font_color": "#1F4E79"})
        # the header drawn by the cell too: LibreOffice does not paint Excel's table styles
        self.header = wb.add_format(
            {
                **font,
                "bold": True,
                "bg_color": "#DDEBF7",
                "bottom": 1,
                "text_wrap": True,
                "valign": "top",
            }
        )
        self.text = wb.add_format(font)
        self._numbers: dict[str, Any] = {}

    def number(self, fmt: str) -> Any:
        if not fmt:
            return self.text
        if fmt not in self._numbers:
            self._numbers[fmt] = self.wb.add_format({**self.font, "num_format": fmt})
        return self._numbers[fmt]


def _table(
    ws: Any, styles: _Styles, table: Table, row0: int, col0: int, widths: dict[int, int]
) -> int:
    """Caption at ``row0``, the header under it, then the rows; returns the last row used."""
    from pandas import NA

    frame = table.frame
    n = min(len(frame), MAX_TABLE_ROWS)
    cut = (
        f" — 只列前 {n:,} 行 first {n:,} rows only (共 of {len(frame):,})" if len(frame) > n else ""
    )
    ws.write_string(row0, col0, table.caption + cut, styles.caption)
    header_row = row0 + 1
    ws.set_row(header_row, 30)
    formats = [
        (_qty_format(frame[c.key]) if n else "#,##0")
        if c.format == "qty"
        else number_format(c.currency)
        if c.format == "money"
        else NUMBER_FORMATS.get(c.format, "")
        for c in table.columns
    ]
    for j, c in enumerate(table.columns):
        # a long heading wraps (two lines); the column is as wide as its values, within reason
        widths[col0 + j] = max(
            widths.get(col0 + j, 0), min(display_width(c.heading) + 3, HEADING_WIDTH)
        )
    last_row = header_row + max(n, 1)
    ws.add_table(
        header_row,
        col0,
        last_row,
        col0 + len(table.columns) - 1,
        {
            "name": table.name,
            "style": "Table Style Light 9",
            "columns": [
                {"header": c.heading, "format": styles.number(f), "header_format": styles.header}
                for c, f in zip(table.columns, formats, strict=True)
            ],
        },
    )
    # xlsxwriter (3.2, 3.3) remembers every cell of a table's range in ``table_cells`` to refuse a
    # later overlapping table or merge: a dict entry per cell, as much memory again as the cells.
    # These tables are laid out apart and never overlap: the table goes in first (before its
    # cells take the memory) and its cells are forgotten at once.
    ws.table_cells.clear()
    kinds = [c.format for c in table.columns]
    cell_styles = [styles.number(f) for f in formats]
    # money without a currency of its own takes its row's (a CNY and a JPY row in one table)
    keys = [c.key for c in table.columns]
    row_currency = keys.index(table.currency_key) if table.currency_key in keys else None
    own_currency = [c.currency for c in table.columns]
    columns = [frame[c.key].iloc[:n].tolist() for c in table.columns]
    # row by row, as a reader would: xlsxwriter keeps a dict per row, built once instead of
    # growing cell by cell across the whole table (which took twice the memory)
    for i, values in enumerate(zip(*columns, strict=True)):
        row = header_row + 1 + i
        for j, value in enumerate(values):
            if (
                value is None
                or value is NA
                or value == ""
                or (isinstance(value, float) and value != value)
            ):
                continue  # nothing written: an empty cell costs no memory
            kind, col = kinds[j], col0 + j
            if kind == "text":
                text = printable(str(value))  # no control characters: Excel would repair the file
                ws.write_string(row, col, text, cell_styles[j])
            elif kind == "date":
                day = (
                    value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
                )
                ws.write_datetime(
                    row, col, dt.datetime(day.year, day.month, day.day), cell_styles[j]
                )
                text = "0000-00-00"
            else:
                style, currency = cell_styles[j], own_currency[j]
                if kind == "money" and currency is None and row_currency is not None:
                    currency = (
                        values[row_currency] if isinstance(values[row_currency], str) else None
                    )
                    style = styles.number(number_format(currency))
                ws.write_number(row, col, float(value), style)
                text = _shown(value, kind, currency)
            if i < 2000:  # the first rows are a fair sample of a column's width
                widths[col] = max(widths[col], display_width(text) + 2)
    del columns
    return last_row


def _chart(wb: Any, sheet_name: str, table: Table, header_row: int, col0: int) -> Any:
    assert table.chart is not None
    spec = table.chart
    keys = [c.key for c in table.columns]
    first, last = header_row + 1, header_row + min(len(table.frame), CHART_ROWS)
    subtype = {"subtype": "stacked"} if spec.stacked else {}
    chart = wb.add_chart({"type": spec.type, **subtype})
    category_col = col0 + keys.index(spec.category)
    for key in spec.values:
        col = col0 + keys.index(key)
        series: dict[str, Any] = {
            "name": [sheet_name, header_row, col],
            "categories": [sheet_name, first, category_col, last, category_col],
            "values": [sheet_name, first, col, last, col],
        }
        if spec.type == "pie":
            series["data_labels"] = {"percentage": True}
        chart.add_series(series)
    chart.set_title({"name": spec.title, "name_font": {"size": 11}})
    if spec.type != "pie":
        chart.set_legend({"position": "bottom"})
    shown = min(len(table.frame), CHART_ROWS)
    if spec.type == "bar":  # one bar per row, top to bottom in the table's order, every label shown
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"major_gridlines": {"visible": True}})
        chart.set_size({"width": 560, "height": max(300, 24 * shown * len(spec.values) + 110)})
    else:
        chart.set_size({"width": 560, "height": 300})
    return chart
