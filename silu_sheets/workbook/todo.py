"""A person's to-do list (待办) as a workbook: one row per reminder, overdue rows shaded; for a
manager a second sheet counting the team's overdue items per person responsible.

The columns are declared once (``COLUMNS``); a person who may not see prices gets the list built
without the money columns — not hidden, absent from the file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets.amounts import number_format
from silu_sheets.reminders import OWN, SECTIONS, state_words
from silu_sheets.values import printable

if TYPE_CHECKING:
    from silu_sheets.reminders import Reminder, TodoList


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    width: float
    value: Callable[[Reminder, str], Any]
    money: bool = False
    #: how its cells sit: numbers right, dates centred, words left (the heading too)
    align: str = "left"
    #: shown even when no row has a value (otherwise an empty column is left out)
    always: bool = False


def _what(r: Reminder, language: str) -> str:
    """A team or escalation row says what is late; a person's own rows have it as the section."""
    if r.section == r.what:
        return ""
    zh, en = SECTIONS[r.what]
    return zh if language == "zh" else en


COLUMNS = (
    Column("类别", "Section", 24, lambda r, lang: r.section, always=True),  # its heading
    Column("事项", "What", 16, _what),
    Column("负责人", "Responsible", 10, lambda r, lang: "" if r.section in OWN else r.salesperson_name),
    Column("单号", "Document", 17, lambda r, lang: r.docno if r.kind != "lot" else ""),
    Column("行", "Line", 5, lambda r, lang: r.line_no, align="right"),
    Column("客户", "Customer", 22, lambda r, lang: " ".join(filter(None, (r.customer_code, r.customer_name)))),
    Column("产品", "Product", 22, lambda r, lang: " ".join(filter(None, (r.product_code, r.product_name)))),
    Column("仓库", "Warehouse", 9, lambda r, lang: r.warehouse),
    Column("批号", "Lot", 11, lambda r, lang: r.lot),
    Column("数量", "Quantity", 9, lambda r, lang: r.quantity, align="right"),
    Column("共", "Of", 9, lambda r, lang: r.quantity_total, align="right"),
    Column("单位", "Unit", 6, lambda r, lang: r.unit),
    Column("未结金额", "Amount open", 13, lambda r, lang: r.amount, money=True, align="right"),
    Column("币种", "Currency", 7, lambda r, lang: r.currency, money=True),
    Column("日期", "Date", 11, lambda r, lang: r.due_on, align="center", always=True),
    Column("逾期天数", "Days late", 9, lambda r, lang: r.days_late or None, align="right"),
    Column("开始日期", "Since", 11, lambda r, lang: r.since if r.due_on is None else None, align="center"),
    Column("说明", "State", 14, state_words, always=True),
)  # fmt: skip


def columns(todo: TodoList) -> tuple[Column, ...]:
    """The columns of this list: no money column for a person who may not see prices (absent,
    not hidden), and none that every row leaves empty (a salesperson's list has no lots)."""
    language = todo.person.language
    return tuple(
        c
        for c in COLUMNS
        if (todo.prices or not c.money)
        and (c.always or any(c.value(r, language) not in (None, "") for r in todo.reminders))
    )


def to_bytes(todo: TodoList, firm_name: str = "") -> bytes:
    """Sheet “待办”/“To do”: a heading, then one row per reminder in the list's order, overdue
    rows shaded; a manager's second sheet counts the late items per person responsible.

    Written by xlsxwriter, text always as text (``write_string``): a customer named ``=1+1``
    stays a name, never a formula."""
    import xlsxwriter

    language = todo.person.language
    zh = language == "zh"
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    styles = _Styles(wb)
    ws = wb.add_worksheet("待办" if zh else "To do")
    title = (
        f"{todo.person.name} 的待办 {todo.today.isoformat()}"
        if zh
        else f"To do for {todo.person.name}, {todo.today.isoformat()}"
    )
    ws.write_string(0, 0, printable(f"{firm_name}  {title}".strip()), styles.title)
    ws.write_string(
        1,
        0,
        f"共 {len(todo.reminders)} 项，逾期 {todo.overdue} 项，今天到期 {todo.due_today} 项。"
        if zh
        else f"{len(todo.reminders)} item(s): {todo.overdue} overdue, {todo.due_today} due today.",
    )
    cols = columns(todo)
    head = 3
    for col, c in enumerate(cols):
        ws.write_string(head, col, c.zh if zh else c.en, styles.head[c.align])
        ws.set_column(col, col, c.width)
    row = head
    for section, items in todo.sections():
        heading = todo.heading(section, language)
        for r in items:
            row += 1
            late = r.overdue
            for col, c in enumerate(cols):
                value = heading if col == 0 else c.value(r, language)
                _write(ws, row, col, value, styles.cell(c, late, r.currency))
    ws.freeze_panes(head + 1, 0)
    if todo.reminders:
        ws.autofilter(head, 0, row, len(cols) - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # printed one page wide
    ws.repeat_rows(head)
    if todo.person.manager:
        _team_sheet(wb, todo, styles)
    wb.close()
    return buffer.getvalue()


def _write(ws: Any, row: int, col: int, value: Any, style: Any) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, style)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), style)
    elif isinstance(value, (int, Decimal)):
        ws.write_number(row, col, value, style)
    else:
        ws.write_string(row, col, printable(str(value)), style)


class _Styles:
    """The few cell formats, made once per workbook: per column kind, plain or shaded late."""

    def __init__(self, wb: Any):
        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 14})
        base = {"bold": True, "bg_color": "#DDEBF7", "valign": "vcenter", "text_wrap": True}
        self.head = {a: wb.add_format(base | {"align": a}) for a in ("left", "right", "center")}
        self._cells: dict[tuple[str, str, bool, bool], Any] = {}

    def cell(self, c: Column, late: bool, currency: str | None = None) -> Any:
        """An amount's cell shows its currency's decimals (CNY 2, JPY 0)."""
        number = c.align == "right"
        key = (c.align, number_format(currency) if c.money else "", number, late)
        if key not in self._cells:
            spec: dict[str, Any] = {"align": c.align}
            if c.align == "center":
                spec["num_format"] = "yyyy-mm-dd"
            elif number:
                spec["num_format"] = key[1] or "#,##0.###"
            if late:
                spec["bg_color"] = "#FCE4D6"
            self._cells[key] = self.wb.add_format(spec)
        return self._cells[key]


def _team_sheet(wb: Any, todo: TodoList, styles: _Styles) -> None:
    """Per person responsible: items late, escalated, and the longest late."""
    late = [r for r in todo.reminders if r.section in ("team_overdue", "escalation")]
    if not late:
        return
    zh = todo.person.language == "zh"
    ws = wb.add_worksheet("按负责人" if zh else "Per person")
    heads = (
        ["负责人", "逾期项数", f"逾期超过 {todo.escalate_after_days} 天", "最长逾期天数"]
        if zh
        else ["Responsible", "Overdue", f"Over {todo.escalate_after_days} days", "Longest (days)"]
    )
    for col, (text, width) in enumerate(zip(heads, (16, 10, 16, 14), strict=True)):
        ws.write_string(0, col, text, styles.head["right" if col else "left"])
        ws.set_column(col, col, width)
    people: dict[str, list[Reminder]] = {}
    for r in late:
        people.setdefault(r.salesperson_name or r.salesperson or "", []).append(r)
    ordered = sorted(people.items(), key=lambda kv: -max(r.days_late for r in kv[1]))
    for row, (name, items) in enumerate(ordered, start=1):
        over = sum(1 for r in items if r.days_late > todo.escalate_after_days)
        ws.write_string(row, 0, printable(name))
        for col, value in enumerate((len(items), over, max(r.days_late for r in items)), 1):
            ws.write_number(row, col, value)
