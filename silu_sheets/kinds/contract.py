"""Sales contract (销售合同): only from an accepted order, at most one per order, lines within the
order's; carries delivery date, payment terms and transport / customs / import-export details.
It is the hub for every shipment notice after it."""

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
    integer,
    money,
    quantity,
    text,
)

TRADE = (
    C("domestic", "内贸", "domestic"),
    C("export", "出口", "export"),
    C("import", "进口", "import"),
)

KIND = Kind(
    key="contract",
    zh="销售合同",
    en="Sales contract",
    prefix="CON",
    version=1,
    header=document_header(
        date("contract_date", "合同日期", "Contract date", required=True),
        docno("order_no", "订单号", "Order number", "order", required=True),
        text("customer_code", "客户编号", "Customer code", required=True),
        email("salesperson", "业务员邮箱", "Salesperson's email", hint_zh="留空即为发件人本人。", hint_en="Empty means the sender."),
        date("delivery_date", "交货日期", "Delivery date", required=True),
        integer("payment_days", "付款期限(天)", "Payment terms (days)", required=True),
        currency_field(),
        choice("trade", "贸易类型", "Trade", TRADE),
        text("carrier", "承运人", "Carrier"),
        text("transport_mode", "运输方式", "Transport mode"),
        text("incoterm", "贸易术语", "Incoterm", hint_zh="如 FOB、CIF、EXW。", hint_en="e.g. FOB, CIF, EXW."),
        text("port_of_loading", "装运港", "Port of loading"),
        text("port_of_discharge", "目的港", "Port of discharge"),
        text("customs_declaration_no", "报关单号", "Customs declaration number"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "合同明细",
        "Contract lines",
        (
            text("product_code", "产品编号", "Product code", required=True),
            quantity("quantity", "数量", "Quantity", required=True),
            money("unit_price", "单价", "Unit price", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity", "unit_price"),
    ),
)
