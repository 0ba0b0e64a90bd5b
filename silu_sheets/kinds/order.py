"""Sales order (销售订单): a firm offer (实盘, binding until its validity date) or a non-firm one
(虚盘); it may cite a quote; it is decided accepted or declined (with a reason) by sending it again.
Only an accepted order becomes a contract, and at most one."""

from __future__ import annotations

from silu_sheets.declare import Choice as C
from silu_sheets.declare import (
    Kind,
    LineTable,
    choice,
    currency_field,
    date,
    docno,
    document_header,
    email,
    money,
    quantity,
    text,
)

OFFER_TYPES = (C("firm", "实盘", "firm offer"), C("non_firm", "虚盘", "non-firm offer"))
DECISIONS = (
    C("pending", "待定", "pending"),
    C("accepted", "接受", "accepted"),
    C("declined", "拒绝", "declined"),
)

KIND = Kind(
    key="order",
    zh="销售订单",
    en="Sales order",
    prefix="ORD",
    version=1,
    header=document_header(
        date("order_date", "订单日期", "Order date", required=True),
        text("customer_code", "客户编号", "Customer code", required=True),
        docno("quote_no", "报价单号", "Quote number", "quote"),
        text("customer_po", "客户订单号", "Customer's PO number"),
        choice("offer_type", "盘类", "Offer type", OFFER_TYPES, required=True),
        date("valid_until", "实盘有效期至", "Firm offer valid until",
             hint_zh="实盘必填，含当天。", hint_en="Required for a firm offer; that day included."),
        currency_field(),
        email("salesperson", "业务员邮箱", "Salesperson's email", hint_zh="留空即为发件人本人。", hint_en="Empty means the sender."),
        choice("decision", "处理结果", "Decision", DECISIONS,
               hint_zh="接受后可签合同；拒绝须填原因。", hint_en="Accepted orders become contracts; a decline needs a reason."),
        text("decline_reason", "拒绝原因", "Reason for declining"),
        date("delivery_date", "要求交货日期", "Requested delivery date"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "订单明细",
        "Order lines",
        (
            text("product_code", "产品编号", "Product code", required=True),
            quantity("quantity", "数量", "Quantity", required=True),
            money("unit_price", "单价", "Unit price", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity", "unit_price"),
    ),
)
