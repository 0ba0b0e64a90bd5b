"""The customer statement (对账单) as a workbook: opening balance, goods shipped (owed), money
received, agreed returns, refunds paid, closing balance, with a running balance per line.

Positive balances are what the customer owes the firm; negative ones are the customer's money
the firm holds (its balance 结余款 or refunds due).
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

WHAT = {
    "shipment": ("发货（已出库）", "goods issued"),
    "receivable": ("收款", "payment received"),
    "advance": ("预收款", "advance received"),
    "return": ("退货（商定金额）", "return (agreed)"),
    "refund": ("退款", "refund paid"),
}
MONEY_FORMAT = "#,##0.00##;-#,##0.00##"
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def build(st: dict, customer: dict | None, firm_name: str = "") -> Workbook:
    """One sheet “对账单”: the heading, the opening balance, one row per entry, the totals."""
    wb = Workbook()
    ws = wb.active
    ws.title = "对账单"
    name = customer["name"] if customer else ""
    ws["A1"] = f"{firm_name} 客户对账单 Customer statement".strip()
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"客户 Customer: {st['customer_code']} {name}"
    ws["A3"] = f"币种 Currency: {st['currency']}"
    ws["A4"] = f"期间 Period: {st['since'] or '…'} – {st['until'] or '…'}"
    heads = (
        "日期 Date",
        "单号 Document",
        "摘要 What",
        "应收 Charge",
        "收回/冲减 Credit",
        "余额 Balance",
        "备注 Note",
    )
    ws.append([])
    ws.append(list(heads))
    for cell in ws[6]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
    running: Decimal = st["opening"]
    ws.append(["", "", "期初余额 Opening balance", None, None, running, ""])
    for e in st["lines"]:
        running += e.charge - e.credit
        zh, en = WHAT.get(e.what, (e.what, e.what))
        ws.append(
            [e.date, e.docno, f"{zh} {en}", e.charge or None, e.credit or None, running, e.note]
        )
    ws.append([])
    totals = (
        ("发货合计 Goods issued", st["shipments"]),
        ("收款合计 Payments received", st["payments"]),
        ("退货冲减 Returns agreed", st["returns"]),
        ("退款合计 Refunds paid", st["refunds"]),
        ("期末余额 Closing balance", st["closing"]),
        ("其中结余款 of which customer balance", st["balance"]),
    )
    for label, value in totals:
        ws.append(["", "", label, None, None, value, ""])
        ws.cell(ws.max_row, 3).font = Font(bold=True)
    for row in ws.iter_rows(min_row=7, min_col=4, max_col=6):
        for cell in row:
            if isinstance(cell.value, Decimal):  # openpyxl writes a Decimal's own digits
                cell.number_format = MONEY_FORMAT
    for column, width in zip("ABCDEFG", (12, 18, 30, 14, 16, 14, 24), strict=True):
        ws.column_dimensions[column].width = width
    ws["A5"] = (
        "正数为客户欠款，负数为客户结余或应退款。Positive: the customer owes; negative: the customer's money held."
    )
    ws["A5"].alignment = Alignment(wrap_text=False)
    ws.freeze_panes = "A7"
    return wb


def to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
