"""Payment receipt (收款单, finance): a receivable applied to shipment notices, an advance into
the customer's balance (结余款), the balance applied to notices, or a refund of an agreed return.
No notice is paid above what it owes; the balance is never applied above what it holds."""

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
    text,
)

PAYMENT_TYPES = (
    C("receivable", "应收款", "receivable"),
    C("advance", "预收款", "advance"),
    C("apply_balance", "结余冲抵", "apply balance"),
    C("refund", "退款", "refund"),
)
METHODS = (
    C("bank", "银行转账", "bank transfer"),
    C("cash", "现金", "cash"),
    C("cheque", "支票", "cheque"),
    C("online", "在线支付", "online payment"),
    C("other", "其他", "other"),
)

KIND = Kind(
    key="payment",
    zh="收款单",
    en="Payment receipt",
    prefix="PAY",
    version=1,
    header=document_header(
        date("payment_date", "收款日期", "Payment date", required=True),
        text("customer_code", "客户编号", "Customer code", required=True),
        choice("payment_type", "收款类型", "Payment type", PAYMENT_TYPES, required=True),
        money("amount", "金额", "Amount",
              hint_zh="实收（或退款）金额；结余冲抵时留空。", hint_en="Amount received (or refunded); empty when applying the balance."),
        currency_field(),
        choice("method", "收款方式", "Method", METHODS),
        text("bank_reference", "银行流水号", "Bank reference"),
        docno("sales_return_no", "退货单号(退款时)", "Sales return (for a refund)", "sales_return"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "核销明细",
        "Applied to shipment notices",
        (
            docno("notice_no", "发货单号", "Shipment notice", "shipment_notice", required=True),
            money("applied", "核销金额", "Amount applied", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("notice_no", "applied"),
    ),
)
