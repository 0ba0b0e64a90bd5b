"""A person's to-do list (待办) as a workbook: one row per reminder, overdue rows shaded; for a
manager a second sheet counting the team's overdue items per salesperson.

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

from silu_sheets.reminders import OWN, SECTIONS, state_words

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


def build(todo: TodoList, firm_name: str = ""):  # -> openpyxl.Workbook
    """Sheet “待办”/“To do”: a heading, then one row per reminder, in the list's order."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    language = todo.person.language
    zh = language == "zh"
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    late_fill = PatternFill("solid", fgColor="FCE4D6")
    wb = Workbook()
    ws = wb.active
    ws.title = "待办" if zh else "To do"
    title = (
        f"{todo.person.name} 的待办 {todo.today.isoformat()}"
        if zh
        else f"To do for {todo.person.name}, {todo.today.isoformat()}"
    )
    ws["A1"] = f"{firm_name}  {title}".strip()
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (
        f"共 {len(todo.reminders)} 项，逾期 {todo.overdue} 项，今天到期 {todo.due_today} 项。"
        if zh
        else f"{len(todo.reminders)} item(s): {todo.overdue} overdue, {todo.due_today} due today."
    )
    cols = columns(todo)
    ws.append([])
    ws.append([c.zh if zh else c.en for c in cols])
    for cell, c in zip(ws[4], cols, strict=True):
        cell.font, cell.fill = Font(bold=True), head_fill
        cell.alignment = Alignment(horizontal=c.align, vertical="center", wrap_text=True)
    for section, items in todo.sections():
        heading = todo.heading(section, language)
        for r in items:
            values = [c.value(r, language) for c in cols]
            values[0] = heading
            ws.append(values)
            row = ws.max_row
            for index, cell in enumerate(ws[row]):
                cell.alignment = Alignment(horizontal=cols[index].align)
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00##" if cols[index].money else "#,##0.###"
                if r.overdue:
                    cell.fill = late_fill
    for index, c in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(index)].width = c.width
    ws.freeze_panes = "A5"
    if todo.reminders:
        ws.auto_filter.ref = f"A4:{get_column_letter(len(cols))}{ws.max_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if todo.person.manager:
        _team_sheet(wb, todo, head_fill)
    return wb


def _team_sheet(wb, todo: TodoList, head_fill) -> None:
    """Per responsible person: items overdue, escalated, and the longest overdue."""
    from openpyxl.styles import Alignment, Font

    zh = todo.person.language == "zh"
    late = [r for r in todo.reminders if r.section in ("team_overdue", "escalation")]
    if not late:
        return
    ws = wb.create_sheet("按负责人" if zh else "Per person")
    ws.append(
        ["负责人", "逾期项数", f"逾期超过 {todo.escalate_after_days} 天", "最长逾期天数"]
        if zh
        else ["Responsible", "Overdue", f"Over {todo.escalate_after_days} days", "Longest (days)"]
    )
    for index, cell in enumerate(ws[1]):
        cell.font, cell.fill = Font(bold=True), head_fill
        cell.alignment = Alignment(horizontal="right" if index else "left")
    people: dict[str, list[Reminder]] = {}
    for r in late:
        people.setdefault(r.salesperson_name or r.salesperson or "", []).append(r)
    for name, items in sorted(people.items(), key=lambda kv: -max(r.days_late for r in kv[1])):
        over = sum(1 for r in items if r.days_late > todo.escalate_after_days)
        ws.append([name, len(items), over, max(r.days_late for r in items)])
    for column, width in zip("ABCD", (16, 10, 16, 14), strict=True):
        ws.column_dimensions[column].width = width


def to_bytes(todo: TodoList, firm_name: str = "") -> bytes:
    buffer = io.BytesIO()
    build(todo, firm_name).save(buffer)
    return buffer.getvalue()
