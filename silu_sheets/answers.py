"""Answers people read (``silu status``, the STATUS, NOTES, PRODUCT and CONTRACT mails): a few
lines in words, then small tables, the same blocks in a terminal, a plain-text mail and an HTML
mail (where a table is a real ``<table>``).

A block is a line of text (``str``) or a table (``table(...)``, a plain dict, so an answer stays
JSON-ready for ``--json``). Plain text is aligned by display width (a Chinese character is two
columns), as a fixed-width mail client or terminal shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from silu_sheets.values import display_width

LANGUAGES = ("zh", "en")
#: what an empty cell shows (a lot not tracked, a date not set)
NONE = "—"


class Column(NamedTuple):
    """One column of a table: the row key it shows and its heading in each language; figures
    are right-aligned."""

    key: str
    zh: str
    en: str
    figure: bool = False

    def heading(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def table(
    columns: Sequence[Column], rows: Iterable[dict], language: str, caption: str = ""
) -> dict:
    """A table block: ``columns`` picked from each row (a missing or empty value shows ``—``)."""
    return {
        "caption": caption,
        "columns": [c.heading(language) for c in columns],
        "right": [i for i, c in enumerate(columns) if c.figure],
        "rows": [[cell(row.get(c.key)) for c in columns] for row in rows],
    }


def cell(value: Any) -> str:
    return NONE if value in (None, "") else str(value)


def is_table(block: Any) -> bool:
    return isinstance(block, dict) and "rows" in block


def table_lines(block: dict) -> list[str]:
    """A table as aligned plain-text lines: its caption, the headings, a rule of dashes under
    each column, the rows; figures right-aligned, columns two spaces apart."""
    headings, rows = block["columns"], block["rows"]
    widths = [max(map(display_width, column)) for column in zip(headings, *rows, strict=True)]
    right = set(block["right"])

    def line(cells: Sequence[str]) -> str:
        padded = (pad(c, widths[i], right=i in right) for i, c in enumerate(cells))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return ([block["caption"]] if block["caption"] else []) + [
        line(headings),
        rule,
        *(line(r) for r in rows),
    ]


def pad(text: str, columns: int, right: bool = False) -> str:
    gap = " " * (columns - display_width(text))
    return gap + text if right else text + gap


def text_lines(blocks: Iterable[Any]) -> list[str]:
    """Blocks as plain-text lines; a table stands apart from the lines around it."""
    out: list[str] = []
    for block in blocks:
        if is_table(block):
            if out and out[-1]:
                out.append("")
            out += table_lines(block)
            out.append("")
        else:
            out.append(str(block))
    while out and not out[-1]:
        out.pop()
    return out


def for_mail(blocks: Iterable[Any]) -> list[dict]:
    """Blocks for the mail templates: each a ``line`` or a ``table`` with its plain-text lines."""
    return [
        {"table": b, "text": "\n".join(table_lines(b))} if is_table(b) else {"line": str(b)}
        for b in blocks
    ]


def local_time(stamp: str | None, timezone: str = "Asia/Shanghai") -> str:
    """A ledger time (ISO, UTC) as people read it on the firm's clock: ``2026-11-24 09:05``."""
    from zoneinfo import ZoneInfo

    if not stamp:
        return NONE
    moment = dt.datetime.fromisoformat(stamp)
    if moment.tzinfo is None:  # written before times carried their zone: they were UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def both(build: Any) -> dict[str, list]:
    """``{"zh": build("zh"), "en": build("en")}``: a section's words in both languages."""
    return {language: build(language) for language in LANGUAGES}


def words(language: str, zh: str, en: str) -> str:
    return zh if language == "zh" else en


def product_names(view: Any, codes: Iterable[str | None]) -> dict[str, str]:
    """Product code → name, for the name column of a line table (one query)."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = view.rows(f"SELECT code, name FROM products WHERE code IN ({marks})", wanted)
    return {r["code"]: r["name"] or "" for r in rows}


#: columns most line tables share (each kind adds its own figures in its own words)
LINE = Column("line_no", "行", "Line", figure=True)
PRODUCT = Column("product_code", "产品", "Product")
NAME = Column("name", "品名", "Name")
WAREHOUSE = Column("warehouse", "仓库", "Warehouse")
LOT = Column("lot", "批号", "Lot")
QUANTITY = Column("quantity", "数量", "Quantity", figure=True)
UNIT_PRICE = Column("unit_price", "单价", "Unit price", figure=True)
AMOUNT = Column("amount", "金额", "Amount", figure=True)
#: a contract line's progress (a contract's STATUS, CONTRACT): contracted, noticed, issued, to notice
CONTRACT_PROGRESS = (
    Column("quantity", "合同数量", "Contract", figure=True),
    Column("noticed", "已开发货单", "Noticed", figure=True),
    Column("issued", "已出库", "Issued", figure=True),
    Column("left_to_notice", "待开", "To notice", figure=True),
)


def money_owed(issued: Any, settled: Any, owed: Any, currency: str | None, language: str) -> str:
    """What goods issued are worth, what was paid or credited and what is still owed, in one
    line (a notice's STATUS, a contract's CONTRACT answer); the currency named where known."""
    from silu_sheets.amounts import money_text

    issued, settled, owed = (money_text(x, currency) for x in (issued, settled, owed))
    said = (
        f"已出库货值 {issued}，已收/冲抵 {settled}，尚欠 {owed}"
        if language == "zh"
        else f"worth issued {issued}, paid or credited {settled}, owed {owed}"
    )
    return f"{said} {currency or ''}".rstrip()


def priced_lines(view: Any, lines: Sequence[dict], prices: bool, currency: str | None) -> dict:
    """A quote's, order's or contract's lines as a table's rows and columns (by language):
    product, name, quantity and, for a reader who sees prices, unit price and amount in the
    document's currency (each amount rounded as an invoice writes it). Returns
    ``{"columns": [...], "rows": [...], "total": "345.00" or None}``."""
    from silu_sheets.amounts import money_text, rounded
    from silu_sheets.fulfilment import ZERO, dec, text

    names = product_names(view, (x.get("product_code") for x in lines))
    rows, total = [], ZERO
    for number, line in enumerate(lines, 1):
        row = {
            "line_no": line.get("line_no") or number,
            "product_code": line.get("product_code"),
            "name": names.get(line.get("product_code") or "", ""),
            "quantity": text(dec(line.get("quantity"))),
        }
        if prices and line.get("unit_price") not in (None, ""):
            row["unit_price"] = money_text(line["unit_price"], currency)
            amount = rounded(dec(line["unit_price"]) * dec(line.get("quantity")), currency)
            row["amount"] = money_text(amount, currency)
            total += amount
        rows.append(row)
    columns = [LINE, PRODUCT, NAME, QUANTITY] + ([UNIT_PRICE, AMOUNT] if prices else [])
    return {
        "columns": columns,
        "rows": rows,
        # the currency named when the document names one (a USD order must not read as yuan)
        "total": f"{money_text(total, currency)} {currency or ''}".rstrip()
        if prices and rows
        else None,
    }
