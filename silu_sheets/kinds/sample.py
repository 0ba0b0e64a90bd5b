"""Sample dispatch (样品寄送单): stands alone or links to an inquiry of the same customer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.declare import (
    Kind,
    LineTable,
    customer_field,
    date,
    docno,
    document_header,
    product_field,
    quantity,
    salesperson_field,
    text,
)
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks
from silu_sheets.kinds import common
from silu_sheets.kinds.inquiry import salesperson_allowed
from silu_sheets.problems import Problem

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView

KIND = Kind(
    key="sample",
    zh="样品寄送单",
    en="Sample dispatch",
    prefix="SMP",
    version=1,
    senders=("sales", "sales_manager"),
    header=document_header(
        date("send_date", "寄送日期", "Date sent", required=True),
        customer_field(),
        docno("inquiry_no", "咨询单号", "Inquiry number", "inquiry"),
        salesperson_field(),
        text("recipient", "收件人", "Recipient"),
        text("address", "收件地址", "Address"),
        text("carrier", "快递公司", "Carrier"),
        text("tracking_no", "运单号", "Tracking number"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "样品明细",
        "Samples",
        (
            product_field(),
            quantity("quantity", "数量", "Quantity", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    found = common.customer_known(doc, ledger)
    inquiry, problems = common.referenced(doc, ledger, "inquiry_no", "inquiry")
    found += problems + common.same_customer(doc, inquiry, "inquiry_no")
    found += common.products_known(doc, ledger)
    found += salesperson_allowed(doc, ctx, ctx.roster_addresses("sales", "sales_manager"))
    return found


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: when and how it went, to whom, and what was sent."""
    from silu_sheets.answers import NAME, PRODUCT, QUANTITY, both, product_names, table

    header = doc["header"]
    names = product_names(view, (x.get("product_code") for x in doc["lines"]))
    rows = [x | {"name": names.get(x.get("product_code") or "", "")} for x in doc["lines"]]

    def sent(language: str) -> str:
        zh = language == "zh"
        how = " ".join(x for x in (header.get("carrier"), header.get("tracking_no")) if x)
        said = (
            f"已寄出 {header.get('send_date') or ''}"
            if zh
            else f"sent {header.get('send_date') or ''}"
        )
        return said + ((f"（{how}）" if zh else f" ({how})") if how else "")

    def said(language: str) -> list:
        zh = language == "zh"
        out: list = []
        to = "，".join(x for x in (header.get("recipient"), header.get("address")) if x)
        if to:
            out.append(f"{'收件人' if zh else 'To'}{'：' if zh else ': '}{to}")
        out.append(
            table((PRODUCT, NAME, QUANTITY), rows, language, "样品明细" if zh else "Samples")
        )
        return out

    return {
        "inquiry_no": header.get("inquiry_no"),
        "summary": both(sent),
        "text": both(said),
    }


HOOKS = Hooks(check=check, status=status)
