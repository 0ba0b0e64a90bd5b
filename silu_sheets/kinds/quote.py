"""Sales quote (销售报价单): valid only until its validity end (有效期), that day included.

Rules: validity end on or after the quote date; customer and products exist; a linked inquiry
exists and is of the same customer. Orders citing a quote past its validity are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.declare import (
    Kind,
    LineTable,
    currency_field,
    customer_field,
    date,
    docno,
    document_header,
    money,
    product_field,
    quantity,
    salesperson_field,
    text,
)
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks, NextForm
from silu_sheets.kinds import common
from silu_sheets.kinds.inquiry import salesperson_allowed
from silu_sheets.problems import Problem

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView

KIND = Kind(
    key="quote",
    zh="销售报价单",
    en="Sales quote",
    prefix="QUO",
    version=1,
    senders=("sales", "sales_manager"),
    header=document_header(
        date("quote_date", "报价日期", "Quote date", required=True),
        date(
            "valid_until",
            "有效期至",
            "Valid until",
            required=True,
            hint_zh="含当天；过期的报价不能用于订单。",
            hint_en="That day included; an expired quote cannot back an order.",
        ),
        customer_field(),
        docno("inquiry_no", "咨询单号", "Inquiry number", "inquiry"),
        currency_field(),
        salesperson_field(),
        text("payment_terms", "付款条件", "Payment terms"),
        text("delivery_terms", "交货条件", "Delivery terms"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "报价明细",
        "Quote lines",
        (
            product_field(),
            quantity("quantity", "数量", "Quantity", required=True),
            money("unit_price", "单价", "Unit price", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity", "unit_price"),
    ),
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    found = common.customer_known(doc, ledger)
    found += common.not_before(doc, "valid_until", "quote_date")
    inquiry, problems = common.referenced(doc, ledger, "inquiry_no", "inquiry")
    found += problems + common.same_customer(doc, inquiry, "inquiry_no")
    found += common.products_known(doc, ledger)
    found += common.currency_valid(doc)
    found += salesperson_allowed(doc, ctx, ctx.roster_addresses("sales", "sales_manager"))
    return found


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """The order, carrying the quote's lines as they are (product, quantity, price)."""
    header = {
        "quote_no": docno,
        "customer_code": doc["customer_code"],
        "currency": doc["currency"],
        "salesperson": doc["salesperson"],
    }
    return [NextForm("order", header, common.priced_lines(doc))]


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: the quote's validity, inquiry, the orders made of it and
    its lines (priced for those who see prices)."""
    from silu_sheets import fulfilment as F
    from silu_sheets.answers import both, priced_lines

    header = doc["header"]
    found = {
        "valid_until": header.get("valid_until"),
        "inquiry_no": header.get("inquiry_no"),
        "orders": F.linked(view, doc["docno"], "quote_no", "order"),
    }
    lines = priced_lines(view, doc["lines"], prices, header.get("currency"))
    return found | {
        "summary": both(lambda language: _validity(found, language)),
        "next": both(lambda language: _next_step(found, language)),
        "text": both(lambda language: _status_text(found, lines, language)),
        "shown": [x for x in (found["inquiry_no"], *found["orders"]) if x],
    }


def _validity(found: dict, language: str) -> str:
    zh = language == "zh"
    said = f"有效期至 {found['valid_until']}" if zh else f"valid until {found['valid_until']}"
    if found["orders"]:
        orders = "、".join(found["orders"]) if zh else ", ".join(found["orders"])
        said += f"，已下订单 {orders}" if zh else f", ordered: {orders}"
    return said


def _next_step(found: dict, language: str) -> str:
    if found["orders"]:
        return ""
    if language == "zh":
        return "客户确认后填写销售订单（报价单号填本单号），有效期过后报价不再有效。"
    return "When the customer agrees, write the sales order with this quote's number, before the quote expires."


def _status_text(found: dict, lines: dict, language: str) -> list:
    from silu_sheets.answers import table

    zh = language == "zh"
    out: list = []
    if found.get("inquiry_no"):
        out.append(
            f"{'依据咨询' if zh else 'From inquiry'}{'：' if zh else ': '}{found['inquiry_no']}"
        )
    if found["orders"]:
        out.append(
            f"{'订单' if zh else 'Orders'}{'：' if zh else ': '}{', '.join(found['orders'])}"
        )
    caption = "报价明细" if zh else "Lines"
    if lines["total"]:
        caption += f"（合计 {lines['total']}）" if zh else f" (total {lines['total']})"
    out.append(table(lines["columns"], lines["rows"], language, caption))
    return out


HOOKS = Hooks(status=status, check=check, next_forms=next_forms)
