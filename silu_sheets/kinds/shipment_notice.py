"""Shipment notice (销售发货单): sales tells the warehouse what to ship against a contract, with
selling prices. It moves no goods; per contract line all notices never exceed the contract
quantity; a named warehouse and lot must be followed by the warehouse and reserve that lot."""

from __future__ import annotations

from silu_sheets.declare import (
    Kind,
    LineTable,
    currency_field,
    date,
    docno,
    document_header,
    email,
    money,
    quantity,
    text,
)

KIND = Kind(
    key="shipment_notice",
    zh="销售发货单",
    en="Shipment notice",
    prefix="SN",
    version=1,
    header=document_header(
        date("notice_date", "发货日期", "Notice date", required=True),
        docno("contract_no", "合同号", "Contract number", "contract", required=True),
        text("customer_code", "客户编号", "Customer code"),
        email("salesperson", "业务员邮箱", "Salesperson's email", hint_zh="留空即为发件人本人。", hint_en="Empty means the sender."),
        currency_field(),
        docno("replaces_return", "换货对应退货单号", "Replaces sales return", "sales_return",
              hint_zh="为换货而发货时填写退货单号。", hint_en="For a replacement shipment, the sales return it replaces."),
        text("ship_to", "收货地址", "Ship to"),
        date("ship_by", "要求出库日期", "Ship by"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "发货明细",
        "Notice lines",
        (
            text("product_code", "产品编号", "Product code", required=True),
            quantity("quantity", "数量", "Quantity", required=True),
            money("unit_price", "单价", "Unit price", required=True),
            text("warehouse", "指定仓库", "Warehouse (optional)"),
            text("lot", "指定批号", "Lot (optional)"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)
