"""Products master (产品资料): code, name, spec, unit, list price, lot tracking and shelf life."""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.declare import Kind, LineTable, code_field, integer, money, text, yes_no
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks
from silu_sheets.kinds.customers import unique_codes
from silu_sheets.problems import Problem

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

KIND = Kind(
    key="products",
    zh="产品资料",
    en="Products",
    prefix="PRD",
    version=1,
    senders=("sales_manager", "admin"),
    master=True,
    header=(),
    lines=LineTable(
        "lines",
        "产品",
        "Products",
        (
            code_field("code", "产品编号", "Product code", required=True),
            text("name", "品名", "Name", required=True),
            text("spec", "规格", "Specification"),
            text("unit", "单位", "Unit", required=True),
            money("list_price", "标准售价", "List price"),
            yes_no("lot_tracked", "批次管理", "Lot-tracked"),
            integer("shelf_life_days", "保质期(天)", "Shelf life (days)"),
            text("note", "备注", "Note"),
            yes_no(
                "fractional",
                "可拆零",
                "Fractional",
                hint_zh="数量可否有小数。留空按单位判断：个、件、台、套、箱、pcs 等为整数，kg、米、升等可有小数。",
                hint_en="Whether quantities may have fractions. Empty: by the unit — 个, 件, 台, set, box, pcs… whole; kg, m, l… fractional.",
            ),
        ),
        key_columns=("code", "name"),
    ),
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    return unique_codes(doc)


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    for line in doc.lines:
        writer.upsert_master("products", dict(line.values), "code")


HOOKS = Hooks(check=check, book=book)
