"""Return inbound slip (退货入库单): goods come back only here, against a sales return, by staff of
the receiving warehouse; never above the return quantity per line; into the warehouse sales
named if it named one. Like the issue slip, its declaration has no price field."""

from __future__ import annotations

from silu_sheets.declare import (
    Kind,
    LineTable,
    cost,
    date,
    docno,
    document_header,
    line_no,
    quantity,
    text,
)

KIND = Kind(
    key="return_inbound",
    zh="退货入库单",
    en="Return inbound slip",
    prefix="RIN",
    version=1,
    header=document_header(
        date("inbound_date", "入库日期", "Inbound date", required=True),
        docno("return_no", "退货单号", "Sales return number", "sales_return", required=True),
        text("warehouse", "仓库编号", "Warehouse", required=True),
        cost("handling_cost", "入库杂费", "Handling cost"),
        text("handling_note", "杂费说明", "Handling cost note"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "入库明细",
        "Inbound lines",
        (
            line_no("return_line", "退货单行号", "Return line"),
            text("product_code", "产品编号", "Product code", required=True),
            text("lot", "批号", "Lot"),
            quantity("quantity", "入库数量", "Quantity received", required=True),
            quantity("damaged_quantity", "破损数量", "Damaged quantity"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)
