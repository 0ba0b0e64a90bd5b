"""Sales return (销售退货单): against a shipment notice whose goods were issued; per line the
returned quantity never exceeds issued less earlier returns. It moves no goods and no money by
itself: the warehouse's return inbound slip moves goods, and only an agreed amount (never above
returned quantity × the set unit price) is credited or refunded."""

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
    money,
    quantity,
    text,
)

GOODS = (C("return", "退回", "returned for good"), C("replace", "换货", "to be replaced"))
MONEY = (
    C("refund", "退款", "refund"),
    C("balance", "转结余", "keep as balance"),
    C("none", "不退款", "nothing (replaced)"),
)

KIND = Kind(
    key="sales_return",
    zh="销售退货单",
    en="Sales return",
    prefix="RET",
    version=1,
    header=document_header(
        date("return_date", "退货日期", "Return date", required=True),
        docno("notice_no", "发货单号", "Shipment notice", "shipment_notice", required=True),
        text("customer_code", "客户编号", "Customer code"),
        text("reason", "退货原因", "Reason", required=True),
        text("request_person", "退货要求负责人", "Responsible for the request", required=True),
        text("money_person", "货款处理负责人", "Responsible for the money", required=True),
        text("goods_person", "货物处理负责人", "Responsible for the goods", required=True),
        choice("goods_disposition", "货物处理", "Goods", GOODS, required=True),
        choice("money_disposition", "货款处理", "Money", MONEY, required=True),
        money("requested_amount", "客户要求金额", "Amount the customer asks"),
        money("agreed_amount", "商定金额", "Agreed amount",
              hint_zh="双方商定后再次发送本单时填写；商定前不退款不入结余。",
              hint_en="Fill when agreed, sending this form again; nothing is refunded or credited before."),
        currency_field(),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "退货明细",
        "Return lines",
        (
            text("product_code", "产品编号", "Product code", required=True),
            quantity("quantity", "退货数量", "Quantity returned", required=True),
            money("unit_price", "退款单价", "Refund unit price", hint_zh="留空为发货单价。", hint_en="Empty means the notice price."),
            text("warehouse", "退回仓库", "Receiving warehouse"),
            text("lot", "批号", "Lot"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)
