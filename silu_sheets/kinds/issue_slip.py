"""Warehouse issue slip (出库单): goods leave only here, against a recorded shipment notice, by
staff of that warehouse. Per notice line all slips never exceed the notice quantity; stock per
warehouse, product and lot never goes below zero. The declaration has no price field: the
warehouse never sees a selling price (its handling cost is its own expense, not a price)."""

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
    key="issue_slip",
    zh="出库单",
    en="Issue slip",
    prefix="ISS",
    version=1,
    header=document_header(
        date("issue_date", "出库日期", "Issue date", required=True),
        docno("notice_no", "发货单号", "Shipment notice number", "shipment_notice", required=True),
        text("warehouse", "仓库编号", "Warehouse", required=True),
        cost("handling_cost", "出库杂费", "Handling cost"),
        text("handling_note", "杂费说明", "Handling cost note"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "出库明细",
        "Issue lines",
        (
            line_no("notice_line", "发货单行号", "Notice line"),
            text("product_code", "产品编号", "Product code", required=True),
            text("lot", "批号", "Lot"),
            quantity("quantity", "出库数量", "Quantity issued", required=True),
            quantity("damaged_quantity", "破损数量", "Damaged quantity"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)
