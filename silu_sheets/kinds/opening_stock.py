"""Opening stock (期初库存) by warehouse, product and lot, with production and expiry dates.

Rules: warehouse and product exist; a lot-tracked product needs a lot; a lot belongs to one
product with one expiry; sending a warehouse/product/lot again sets its opening quantity anew
(the difference is booked as a movement), never leaving stock below zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets.declare import (
    Kind,
    LineTable,
    date,
    lot_field,
    product_field,
    quantity,
    warehouse_field,
)
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks
from silu_sheets.kinds import common
from silu_sheets.problems import Problem, problem_type

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

KIND = Kind(
    key="opening_stock",
    zh="期初库存",
    en="Opening stock",
    prefix="OPS",
    version=1,
    senders=("admin",),
    master=True,
    header=(date("as_of", "盘点日期", "As of", required=True),),
    lines=LineTable(
        "lines",
        "库存",
        "Stock",
        (
            warehouse_field(),
            product_field(),
            lot_field(),
            quantity("quantity", "数量", "Quantity", required=True),
            date("production_date", "生产日期", "Production date"),
            date("expiry_date", "到期日", "Expiry date"),
        ),
        key_columns=("warehouse", "product_code", "lot", "quantity"),
    ),
)

LOT_REQUIRED = problem_type(
    "lot-required",
    "产品 {code} 实行批次管理，请填写批号。",
    "Product {code} is lot-tracked; write the lot.",
)
LOT_REPEATED = problem_type(
    "stock-line-repeated",
    "仓库 {warehouse} 产品 {code} 批号 {lot} 在本表中已有一行（第 {first} 行）。请合并为一行。",
    "Warehouse {warehouse}, product {code}, lot {lot} already has a line here (line {first}). Merge them.",
)
LOT_EXPIRY_DIFFERS = problem_type(
    "lot-expiry-differs",
    "批号 {lot} 已登记的到期日是 {recorded}，本表写的是 {given}。同一批号只有一个到期日。",
    "Lot {lot} is recorded with expiry {recorded}; this says {given}. A lot has one expiry date.",
)
EXPIRY_BEFORE_PRODUCTION = problem_type(
    "expiry-before-production",
    "到期日 {expiry} 早于生产日期 {production}。",
    "Expiry {expiry} is before production date {production}.",
)
LOT_EXPIRY_DIFFERS_IN_FORM = problem_type(
    "lot-expiry-differs-in-form",
    "批号 {lot} 在本表第 {first} 行的到期日是 {earlier}，本行写的是 {given}。同一批号只有一个到期日。",
    "Lot {lot} has expiry {earlier} on line {first} of this form; this line says {given}. A lot has one expiry date.",
)
STOCK_WOULD_GO_NEGATIVE = problem_type(
    "stock-would-go-negative",
    "仓库 {warehouse} 产品 {code} 批号 {lot} 已出库 {moved}，期初数量不能少于 {minimum}。",
    "Warehouse {warehouse}, product {code}, lot {lot} has already moved {moved}; the opening quantity cannot be below {minimum}.",
)


def expiry_of(line_values: dict, shelf_life_days: int | None) -> dt.date | None:
    """The given expiry, or production date + shelf life when only those are known."""
    if line_values.get("expiry_date"):
        return line_values["expiry_date"]
    produced = line_values.get("production_date")
    if produced and shelf_life_days:
        return produced + dt.timedelta(days=shelf_life_days)
    return None


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    found: list[Problem] = []
    known = ", ".join(w["code"] for w in ledger.warehouses()) or "-"
    seen: dict[tuple, int] = {}
    expiries: dict[tuple, tuple] = {}  # (product, lot) -> (expiry, line number) in this form
    for line in doc.lines:
        wh, code, lot = line["warehouse"], line["product_code"], line["lot"] or ""
        if wh and ledger.warehouse(wh) is None:
            found.append(
                doc.problem(common.WAREHOUSE_UNKNOWN, "warehouse", line, code=wh, known=known)
            )
        product = ledger.product(code) if code else None
        if code and product is None:
            found.append(doc.problem(common.PRODUCT_UNKNOWN, "product_code", line, code=code))
        if product and product["lot_tracked"] and not lot:
            found.append(doc.problem(LOT_REQUIRED, "lot", line, code=code))
        key = (wh, code, lot)
        if key in seen:
            found.append(
                doc.problem(
                    LOT_REPEATED,
                    "lot",
                    line,
                    warehouse=wh,
                    code=code,
                    lot=lot or "-",
                    first=seen[key],
                )
            )
        seen.setdefault(key, line.number)
        produced, expiry = line["production_date"], line["expiry_date"]
        if produced and expiry and expiry < produced:
            found.append(
                doc.problem(
                    EXPIRY_BEFORE_PRODUCTION,
                    "expiry_date",
                    line,
                    expiry=expiry,
                    production=produced,
                )
            )
        recorded = ledger.lot(code, lot) if (code and lot) else None
        given = expiry_of(line.values, product["shelf_life_days"] if product else None)
        if (
            recorded
            and given
            and recorded["expiry_date"]
            and recorded["expiry_date"] != given.isoformat()
        ):
            found.append(
                doc.problem(
                    LOT_EXPIRY_DIFFERS,
                    "expiry_date",
                    line,
                    lot=lot,
                    recorded=recorded["expiry_date"],
                    given=given,
                )
            )
        if code and lot and given:
            # the same lot in two warehouses is one lot: one expiry within the form, too
            earlier = expiries.setdefault((code, lot), (given, line.number))
            if earlier[0] != given:
                found.append(
                    doc.problem(
                        LOT_EXPIRY_DIFFERS_IN_FORM,
                        "expiry_date",
                        line,
                        lot=lot,
                        earlier=earlier[0],
                        first=earlier[1],
                        given=given,
                    )
                )
        if wh and code and line["quantity"] is not None:
            opening = ledger.opening_quantity(wh, code, lot)
            on_hand = ledger.on_hand(wh, code, lot)
            moved_out = opening - on_hand
            if line["quantity"] < moved_out:
                found.append(
                    doc.problem(
                        STOCK_WOULD_GO_NEGATIVE,
                        "quantity",
                        line,
                        warehouse=wh,
                        code=code,
                        lot=lot or "-",
                        moved=moved_out,
                        minimum=moved_out,
                    )
                )
    return found


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    for line in doc.lines:
        wh, code, lot = line["warehouse"], line["product_code"], line["lot"] or ""
        product = writer.view.product(code)
        if lot:
            shelf_life = product["shelf_life_days"] if product else None
            writer.upsert_lot(
                code, lot, line["production_date"], expiry_of(line.values, shelf_life)
            )
        delta = Decimal(line["quantity"]) - writer.view.opening_quantity(wh, code, lot)
        if delta:
            writer.move_stock(wh, code, lot, delta, "opening", docno, line.number)


HOOKS = Hooks(check=check, book=book)
