"""Replacement shipments (换货): a shipment notice naming a sales return in 换货对应退货单号.

Its rules, kept together here so they move as one (the open-items engine is their lasting home):

* it names a return of the same customer whose goods are to be replaced (goods disposition
  换货); any other return has nothing to replace;
* it draws on what that return asks to replace, not on its contract's remainder: a contract
  already noticed in full still ships a replacement (``shipment_notice.DRAWS``: the contract
  relation leaves replacement notices out, the return relation takes them);
* its lines carry no charge while the return gives no money back (货款处理 不退款: the goods
  are replaced instead), so their unit price is 0 and nothing is owed for them once issued.
  A return that refunds or credits the goods makes the replacement a sale again, at its price.

Example: RET-1 returns 5 P-M8 of C001 to be replaced, money "none". A notice on C001's contract
naming RET-1 with P-M8 5 @ 0 is recorded even when the contract has nothing left to notice; the
same notice at 1.15 is refused at the price cell; a C002 notice naming RET-1 is refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets.problems import Problem, problem_type, words

if TYPE_CHECKING:
    from silu_sheets.document import Document
    from silu_sheets.hooks import NextForm
    from silu_sheets.ledger.store import LedgerView

OTHER_CUSTOMER = problem_type(
    "notice-replacement-other-customer",
    "退货单 {docno} 是客户 {expected} 的，本发货单是客户 {actual} 的。换货只能发给退货的客户。",
    "Sales return {docno} is customer {expected}'s; this notice is for {actual}. A replacement goes to the customer who returned the goods.",
)
NOT_REPLACEMENT = problem_type(
    "notice-return-not-replacement",
    "退货单 {docno} 的货物处理是“{goods}”，不是换货，没有要补发的货物。如客户要换货，请先把退货单的货物处理改为“换货”。",
    "Sales return {docno} has its goods “{goods}”, not to be replaced: there is nothing to replace. If the customer wants a replacement, amend the return to “to be replaced” first.",
)
NOT_ON_RETURN = problem_type(
    "notice-product-not-on-return",
    "产品 {code} 不在退货单 {docno} 上（退货产品：{returned}）。换货只补发退回的产品。",
    "Product {code} is not on sales return {docno} (returned: {returned}). A replacement ships the returned products.",
)
FREE = problem_type(
    "notice-replacement-free",
    "退货单 {docno} 的货款处理是“不退款（换货）”，换货不向客户收费：单价请填 0（本行 {given}）。如确需收费，请把退货单的货款处理改为退款或转结余。",
    "Sales return {docno} gives no money back (the goods are replaced), so the replacement is not charged: write 0 as the unit price (this line says {given}). To charge it, amend the return to refund or keep as balance.",
)


def is_replacement(header: dict) -> bool:
    """Whether a notice (its header values) replaces a return."""
    return bool(header.get("replaces_return"))


def check(doc: Document, ledger: LedgerView) -> list[Problem]:
    """A replacement notice against its return: same customer, goods to be replaced, only the
    returned products, and no price while the return gives no money back."""
    from silu_sheets.kinds.sales_return import KIND as RETURN

    number = doc["replaces_return"]
    ret = ledger.document(number) if number else None
    if ret is None or ret["kind"] != "sales_return" or ret["status"] != "active":
        return []  # unknown, another kind or cancelled: common.referenced says so
    contract = ledger.document(doc["contract_no"] or "")
    customer = doc["customer_code"] or (contract or {}).get("customer_code")
    if customer and ret["customer_code"] and customer != ret["customer_code"]:
        return [
            doc.problem(
                OTHER_CUSTOMER,
                "replaces_return",
                docno=number,
                expected=ret["customer_code"],
                actual=customer,
            )
        ]
    header = ret["header"]
    if header.get("goods_disposition") != "replace":
        c = RETURN.field("goods_disposition").choice(header.get("goods_disposition") or "")
        goods = words(c.zh, c.en) if c else "-"
        return [doc.problem(NOT_REPLACEMENT, "replaces_return", docno=number, goods=goods)]
    returned = sorted({x["product_code"] for x in ret["lines"] if x.get("product_code")})
    found = []
    for line in doc.lines:
        code = line["product_code"]
        if code and code not in returned:
            found.append(
                doc.problem(
                    NOT_ON_RETURN,
                    "product_code",
                    line,
                    code=code,
                    docno=number,
                    returned=returned or "-",
                )
            )
        elif (
            header.get("money_disposition") == "none"
            and line["unit_price"] is not None
            and line["unit_price"] != Decimal(0)
        ):
            found.append(
                doc.problem(
                    FREE, "unit_price", line, docno=number, given=doc.money(line["unit_price"])
                )
            )
    return found


def prefilled_notice(view: LedgerView, return_no: str) -> NextForm | None:
    """The replacement notice a return's confirmation carries: its contract, the return named,
    what is still to be replaced per line, at price 0 while the return gives no money back (else
    the returned line's notice price)."""
    from silu_sheets.hooks import NextForm
    from silu_sheets.open_items import remaining_by_line

    ret = view.document(return_no)
    if ret is None or ret["header"].get("goods_disposition") != "replace":
        return None
    owed = remaining_by_line(view, return_no, "replacement_owed")
    notice = view.document(ret["header"].get("notice_no") or "")
    if not owed or notice is None:
        return None
    prices = {int(x["line_no"]): x.get("unit_price") for x in notice["lines"]}
    free = ret["header"].get("money_disposition") == "none"
    lines = [
        {
            "product_code": x.get("product_code"),
            "quantity": owed[int(x["line_no"])],
            "unit_price": Decimal(0) if free else prices.get(int(x.get("notice_line") or 0)),
        }
        for x in ret["lines"]
        if int(x["line_no"]) in owed
    ]
    header = {
        "contract_no": notice["header"].get("contract_no"),
        "customer_code": ret["customer_code"],
        "currency": notice["header"].get("currency"),
        "salesperson": notice["header"].get("salesperson"),
        "replaces_return": return_no,
    }
    return NextForm("shipment_notice", header, lines)
