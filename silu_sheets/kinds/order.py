"""Sales order (销售订单): a firm offer (实盘, binding until its validity date) or a non-firm one
(虚盘); it may cite a quote; it is decided accepted or declined (with a reason) by sending it again.
Only an accepted order becomes a contract, and at most one."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets import fulfilment as F
from silu_sheets.declare import Choice as C
from silu_sheets.declare import (
    Kind,
    LineTable,
    choice,
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
from silu_sheets.problems import Problem, problem_type, words

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter
    from silu_sheets.replies import Reply
    from silu_sheets.roster import Roster

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
    senders=("sales", "sales_manager"),
    header=document_header(
        date("order_date", "订单日期", "Order date", required=True),
        customer_field(),
        docno("quote_no", "报价单号", "Quote number", "quote"),
        text("customer_po", "客户订单号", "Customer's PO number"),
        choice("offer_type", "盘类", "Offer type", OFFER_TYPES, required=True),
        date(
            "valid_until",
            "实盘有效期至",
            "Firm offer valid until",
            hint_zh="实盘必填，含当天。",
            hint_en="Required for a firm offer; that day included.",
        ),
        currency_field(),
        salesperson_field(),
        choice(
            "decision",
            "处理结果",
            "Decision",
            DECISIONS,
            hint_zh="接受后可签合同；拒绝须填原因。",
            hint_en="Accepted orders become contracts; a decline needs a reason.",
        ),
        text("decline_reason", "拒绝原因", "Reason for declining"),
        date("delivery_date", "要求交货日期", "Requested delivery date"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "订单明细",
        "Order lines",
        (
            product_field(),
            quantity("quantity", "数量", "Quantity", required=True),
            money("unit_price", "单价", "Unit price", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity", "unit_price"),
    ),
)

FIRM_NEEDS_VALIDITY = problem_type(
    "firm-offer-needs-validity",
    "实盘必须填写有效期（含当天）；不约束的报盘请选“虚盘”。",
    "A firm offer needs its validity date (that day included); choose non-firm for an offer that does not bind.",
)
QUOTE_EXPIRED = problem_type(
    "order-quote-expired",
    "报价单 {docno} 有效期至 {valid_until}，订单日期 {order_date} 已过期。请重新报价后引用新报价单，或不引用报价。",
    "Quote {docno} was valid until {valid_until}; the order date {order_date} is past it. Quote again and cite the new quote, or cite none.",
)
PRICE_DIFFERS = problem_type(
    "order-price-differs-from-quote",
    "产品 {code} 报价单 {docno} 的单价是 {quoted}，本订单是 {given}。",
    "Product {code} is quoted at {quoted} in {docno}; this order says {given}.",
)
NOT_ON_QUOTE = problem_type(
    "order-product-not-on-quote",
    "产品 {code} 不在报价单 {docno} 上（报价产品：{quoted}）。",
    "Product {code} is not on quote {docno} (quoted: {quoted}).",
)
FIRM_OFFER_LAPSED = problem_type(
    "order-firm-offer-lapsed",
    "{order}是实盘，有效期至 {valid_until}；今天 {today} 才记录接受，已过有效期，客户已不再受该报盘约束。请先与客户确认仍按此订单成交。",
    "{order} is a firm offer valid until {valid_until}; it is accepted today, {today}, after that, so the customer is no longer bound by it. Confirm with the customer that the order still stands.",
)
DECLINE_NEEDS_REASON = problem_type(
    "order-decline-needs-reason",
    "拒绝订单必须填写拒绝原因。",
    "Declining an order needs a reason.",
)
HAS_CONTRACT = problem_type(
    "order-has-contract",
    "订单 {docno} 已签合同 {contract}，处理结果不能再改为“{decision}”。如确需改变，请先作废合同 {contract}。",
    "Order {docno} already has contract {contract}; its decision cannot become “{decision}”. Cancel contract {contract} first if you must.",
)
BELOW_CONTRACT = problem_type(
    "order-below-contract",
    "合同 {contract} 已约定产品 {code} 数量 {contracted}，订单数量不能少于 {contracted}（本单填写 {given}）。",
    "Contract {contract} already holds {contracted} of product {code}; the order cannot go below {contracted} (this says {given}).",
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Customer, products and currency known; a firm offer has its validity; a cited quote is of
    this customer and currency and not expired on the order date (different prices are listed as
    notes, not refused); a decline gives its reason; an order with a contract stays accepted and
    keeps at least the contract's quantities."""
    found = (
        common.customer_known(doc, ledger)
        + common.products_known(doc, ledger)
        + common.currency_valid(doc)
    )
    found += salesperson_allowed(doc, ctx, ctx.roster_addresses("sales", "sales_manager"))
    if doc["offer_type"] == "firm" and doc["valid_until"] is None:
        found.append(doc.problem(FIRM_NEEDS_VALIDITY, "valid_until"))
    found += common.not_before(doc, "valid_until", "order_date")
    found += common.not_before(doc, "delivery_date", "order_date")
    if doc["decision"] == "declined" and not doc["decline_reason"]:
        found.append(doc.problem(DECLINE_NEEDS_REASON, "decline_reason"))
    found += _accepted_in_time(doc, ledger, ctx)
    quote, problems = common.referenced(doc, ledger, "quote_no", "quote")
    found += problems
    if quote:
        found += common.same_customer(doc, quote, "quote_no")
        found += common.same_currency(doc, quote, ctx.firm.currency)
        found += _against_quote(doc, quote)
    if doc.docno:
        found += _keeps_contract(doc, ledger)
    return found


def _accepted_in_time(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """A firm offer (实盘) binds the customer until its validity date, that day included; an
    acceptance recorded later is flagged: the customer may walk away. Said once, when the
    order becomes accepted."""
    if doc["decision"] != "accepted" or doc["offer_type"] != "firm" or not doc["valid_until"]:
        return []
    if ctx.today <= doc["valid_until"]:
        return []
    recorded = ledger.document(doc.docno) if doc.docno else None
    if recorded and recorded["header"].get("decision") == "accepted":
        return []
    return [
        doc.problem(
            FIRM_OFFER_LAPSED,
            "decision",
            severity="warning",
            order=words(f"订单 {doc.docno} ", f"Order {doc.docno}")
            if doc.docno
            else words("本订单", "This order"),
            valid_until=doc["valid_until"],
            today=ctx.today,
        )
    ]


def _against_quote(doc: Document, quote: dict) -> list[Problem]:
    found = []
    valid_until = quote["header"].get("valid_until")
    if valid_until and doc["order_date"] and doc["order_date"] > dt.date.fromisoformat(valid_until):
        found.append(
            doc.problem(
                QUOTE_EXPIRED,
                "quote_no",
                docno=quote["docno"],
                valid_until=valid_until,
                order_date=doc["order_date"],
            )
        )
    prices: dict[str, list[Decimal]] = defaultdict(list)
    for line in quote["lines"]:
        if line.get("product_code"):
            prices[line["product_code"]].append(F.dec(line.get("unit_price")))
    for line in doc.lines:
        code, price = line["product_code"], line["unit_price"]
        if not code:
            continue
        if code not in prices:
            found.append(
                doc.problem(
                    NOT_ON_QUOTE,
                    "product_code",
                    line,
                    severity="warning",
                    code=code,
                    docno=quote["docno"],
                    quoted=list(prices) or "-",
                )
            )
        elif price is not None and price not in prices[code]:
            found.append(
                doc.problem(
                    PRICE_DIFFERS,
                    "unit_price",
                    line,
                    severity="warning",
                    code=code,
                    docno=quote["docno"],
                    quoted=doc.money(prices[code][0]),
                    given=doc.money(price),
                )
            )
    return found


def _keeps_contract(doc: Document, ledger: LedgerView) -> list[Problem]:
    contract_no = F.contract_of_order(ledger, doc.docno or "")
    if not contract_no:
        return []
    found = []
    if doc["decision"] != "accepted":
        choice_ = KIND.field("decision").choice(doc["decision"] or "pending")
        found.append(
            doc.problem(
                HAS_CONTRACT,
                "decision",
                docno=doc.docno,
                contract=contract_no,
                decision=words(choice_.zh, choice_.en) if choice_ else "-",
            )
        )
    contract = ledger.document(contract_no)
    ordered = quantities(doc)
    for code, contracted in F.contract_quantities(contract).items() if contract else ():
        if ordered.get(code, Decimal(0)) < contracted:
            line = next((x for x in doc.lines if x["product_code"] == code), None)
            found.append(
                doc.problem(
                    BELOW_CONTRACT,
                    "quantity" if line else "docno",
                    line,
                    contract=contract_no,
                    code=code,
                    contracted=contracted,
                    given=ordered.get(code, Decimal(0)),
                )
            )
    return found


def quantities(doc: Document) -> dict[str, Decimal]:
    """Per product, the order's quantity (lines of one product add up)."""
    found: dict[str, Decimal] = defaultdict(Decimal)
    for line in doc.lines:
        if line["product_code"] and line["quantity"] is not None:
            found[line["product_code"]] += line["quantity"]
    return dict(found)


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """An accepted order without a contract: the contract, pre-filled with the order's lines."""
    if doc["decision"] != "accepted" or F.contract_of_order(ledger, docno):
        return []
    header = {
        "order_no": docno,
        "customer_code": doc["customer_code"],
        "currency": doc["currency"],
        "salesperson": doc["salesperson"],
        "delivery_date": doc["delivery_date"],
    }
    customer = ledger.customer(doc["customer_code"]) if doc["customer_code"] else None
    if customer and customer["payment_days"] is not None:  # the customer's usual terms
        header["payment_days"] = customer["payment_days"]
    return [NextForm("contract", header, common.priced_lines(doc))]


def more_replies(
    doc: Document, docno: str, action: str, writer: LedgerWriter, ctx: Context, roster: Roster
) -> list[Reply]:
    """When a manager (not the order's salesperson) decides the order, the salesperson hears it;
    an acceptance carries the contract pre-filled, ready to send."""
    from silu_sheets.kinds import KINDS
    from silu_sheets.replies import Attachment, Reply, render
    from silu_sheets.workbook import fill

    recorded = writer.view.document(docno)
    if action == "record" or recorded is None or recorded["owner"] == ctx.sender.address:
        return []
    person = roster.find(recorded["owner"])
    if person is None or not doc["decision"] or doc["decision"] == "pending" or action == "cancel":
        return []
    before = writer.view.row(
        "SELECT data FROM revisions WHERE docno = ? AND revision = ?",
        [docno, recorded["revision"] - 1],
    )
    if before and json.loads(before["data"])["header"].get("decision") == doc["decision"]:
        return []  # decided before: an amendment that keeps the decision is not news
    language = person.language
    choice_ = KIND.field("decision").choice(doc["decision"])
    customer = writer.view.customer(doc["customer_code"] or "") or {}
    attachments = []
    for kind, header, lines in next_forms(doc, docno, writer.view):
        data = fill.filled(KINDS[kind], header, lines)
        attachments.append(Attachment(f"{kind}-{KINDS[kind].zh}-{docno}.xlsx", data))
    context = {
        "person": person.name,
        "docno": docno,
        "decided_by": ctx.sender.name,
        "decision": choice_.label(language) if choice_ else doc["decision"],
        "reason": doc["decline_reason"] if doc["decision"] == "declined" else "",
        "customer": " ".join(x for x in (doc["customer_code"], customer.get("name")) if x),
        "attached": bool(attachments),
        "accepted": doc["decision"] == "accepted",
        "administrator": ctx.firm.mailbox,
    }
    subject, text, html = render("order_decided", language, context)
    return [Reply(person.address, subject, text, html, "order_decided", docno, attachments)]


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: the decision (and what follows from it), the offer, the
    quote it came from, the contract made of it, and its lines (priced for those who see prices)."""
    from silu_sheets.answers import both, priced_lines

    header = doc["header"]
    found = {
        "decision": header.get("decision") or "pending",
        # why it was declined may name a price: not for the warehouse
        "decline_reason": header.get("decline_reason") if prices else None,
        "offer_type": header.get("offer_type"),
        "valid_until": header.get("valid_until"),
        "quote_no": header.get("quote_no"),
        "contract": F.contract_of_order(view, doc["docno"]),
    }
    lines = priced_lines(view, doc["lines"], prices, header.get("currency"))
    return found | {
        "summary": both(lambda language: _decided(found, language)),
        "next": both(lambda language: _next_step(found, language)),
        "text": both(lambda language: _status_text(found, lines, language)),
        "shown": [x for x in (found["contract"], found["quote_no"]) if x],
    }


#: an order's decision as the head of its status says it
DECIDED = {
    "pending": ("待决定", "awaiting a decision"),
    "accepted": ("已接受", "accepted"),
    "declined": ("已拒绝", "declined"),
}


def _decided(found: dict, language: str) -> str:
    zh = language == "zh"
    said = DECIDED.get(found["decision"], (found["decision"],) * 2)[0 if zh else 1]
    if found["decision"] == "declined" and found.get("decline_reason"):
        said += f"（{found['decline_reason']}）" if zh else f" ({found['decline_reason']})"
    if found.get("contract"):
        said += f"，已签合同 {found['contract']}" if zh else f", contract {found['contract']}"
    return said


def _next_step(found: dict, language: str) -> str:
    zh = language == "zh"
    if found["decision"] == "pending":
        return (
            "请主管在订单的“决定”一栏选接受或拒绝，再发回本订单。"
            if zh
            else "A manager chooses Accept or Decline in the order's Decision cell and sends it back."
        )
    if found["decision"] == "accepted" and not found.get("contract"):
        return (
            "订单已接受，请填写销售合同（订单号填本单号）。"
            if zh
            else "The order is accepted: write the sales contract, with this order's number."
        )
    return ""


def _status_text(found: dict, lines: dict, language: str) -> list:
    from silu_sheets.answers import table

    zh = language == "zh"
    sep = "：" if zh else ": "
    out: list = []
    offer = KIND.field("offer_type").choice(found.get("offer_type") or "")
    if offer:
        said = offer.label(language)
        if found.get("valid_until"):
            said += (
                f"，有效期至 {found['valid_until']}"
                if zh
                else f", valid until {found['valid_until']}"
            )
        out.append(f"{'报盘' if zh else 'Offer'}{sep}{said}")
    if found.get("quote_no"):
        out.append(f"{'依据报价' if zh else 'From quote'}{sep}{found['quote_no']}")
    caption = "订单明细" if zh else "Lines"
    if lines["total"]:
        caption += f"（合计 {lines['total']}）" if zh else f" (total {lines['total']})"
    out.append(table(lines["columns"], lines["rows"], language, caption))
    return out


HOOKS = Hooks(status=status, check=check, next_forms=next_forms, more_replies=more_replies)
