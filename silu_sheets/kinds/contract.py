"""Sales contract (销售合同): only from an accepted order, at most one per order, lines within the
order's; carries delivery date, payment terms and transport / customs / import-export details.
It is the hub for every shipment notice after it."""

from __future__ import annotations

import datetime as dt
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
    integer,
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
    senders=("sales", "sales_manager"),
    header=document_header(
        date("contract_date", "合同日期", "Contract date", required=True),
        docno("order_no", "订单号", "Order number", "order", required=True),
        customer_field(),
        salesperson_field(),
        date("delivery_date", "交货日期", "Delivery date", required=True),
        integer("payment_days", "付款期限(天)", "Payment terms (days)", required=True),
        currency_field(),
        choice("trade", "贸易类型", "Trade", TRADE),
        text("carrier", "承运人", "Carrier"),
        text("transport_mode", "运输方式", "Transport mode"),
        text(
            "incoterm",
            "贸易术语",
            "Incoterm",
            hint_zh="如 FOB、CIF、EXW。",
            hint_en="e.g. FOB, CIF, EXW.",
        ),
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
            product_field(),
            quantity("quantity", "数量", "Quantity", required=True),
            money("unit_price", "单价", "Unit price", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity", "unit_price"),
    ),
)

ORDER_NOT_ACCEPTED = problem_type(
    "contract-order-not-accepted",
    "订单 {docno} 的处理结果是“{decision}”，只有已接受的订单才能签合同。请先在订单上选择“接受”并再次发送订单。",
    "Order {docno} is “{decision}”; only an accepted order becomes a contract. Send the order again marked accepted first.",
)
ORDER_HAS_CONTRACT = problem_type(
    "contract-order-has-contract",
    "订单 {docno} 已有合同 {contract}，一张订单只能签一份合同。要改合同请在合同 {contract} 上修改。",
    "Order {docno} already has contract {contract}; an order becomes at most one contract. Amend {contract} instead.",
)
NOT_ON_ORDER = problem_type(
    "contract-product-not-on-order",
    "产品 {code} 不在订单 {docno} 上（订单产品：{ordered}），是本合同新增的。",
    "Product {code} is not on order {docno} (ordered: {ordered}); this contract adds it.",
)
QUANTITY_DIFFERS = problem_type(
    "contract-quantity-differs-from-order",
    "产品 {code}：订单 {docno} 数量 {ordered}，本合同 {given}。",
    "Product {code}: order {docno} has {ordered}, this contract {given}.",
)
PRICE_DIFFERS = problem_type(
    "contract-price-differs-from-order",
    "产品 {code}：订单单价 {ordered}，本合同 {given}（订单 {docno}）。",
    "Product {code}: the order's unit price is {ordered}, this contract's {given} (order {docno}).",
)
MISSING_FROM_ORDER = problem_type(
    "contract-product-missing-from-order",
    "订单 {docno} 上的产品 {codes} 不在本合同中。",
    "Products {codes} of order {docno} are not in this contract.",
)
TOTAL_DIFFERS = problem_type(
    "contract-total-differs-from-order",
    "订单总额 {ordered}，本合同总额 {given}（订单 {docno}）。",
    "The order's total is {ordered}, this contract's {given} (order {docno}).",
)
#: what a contract may change from its order, each said in the confirmation and to the managers
DIFFERENCES = (
    NOT_ON_ORDER,
    QUANTITY_DIFFERS,
    PRICE_DIFFERS,
    MISSING_FROM_ORDER,
    TOTAL_DIFFERS,
)
BEFORE_ORDER = problem_type(
    "contract-before-order",
    "合同日期 {date} 早于订单 {docno} 的日期 {order_date}。",
    "Contract date {date} is before the date of order {docno}, {order_date}.",
)
AFTER_FIRM_OFFER = problem_type(
    "contract-after-firm-offer",
    "订单 {docno} 是实盘，有效期至 {valid_until}；合同日期 {date} 已过有效期，客户已不受该报盘约束，请与客户确认。",
    "Order {docno} was a firm offer valid until {valid_until}; the contract date {date} is past it, so the customer is no longer bound. Confirm with them.",
)

TRADE_TERMS_MISSING = problem_type(
    "contract-trade-terms-missing",
    "{trade}合同通常需要写明{missing}，以便报关和安排运输。",
    "An {trade} contract usually states its {missing}, for customs and transport.",
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Only from an accepted order, at most one active contract per order, same customer and
    currency; what differs from the order is listed (warnings); delivery not before the
    contract date; an amendment keeps every product at least at what notices already ask."""
    found = (
        common.customer_known(doc, ledger)
        + common.products_known(doc, ledger)
        + common.currency_valid(doc)
    )
    found += salesperson_allowed(doc, ctx, ctx.roster_addresses("sales", "sales_manager"))
    found += common.not_before(doc, "delivery_date", "contract_date")
    if doc["trade"] in ("export", "import"):
        labels = [
            (k, KIND.field(k))
            for k in ("incoterm", "port_of_loading", "port_of_discharge")
            if not doc[k]
        ]
        if labels:
            c = KIND.field("trade").choice(doc["trade"])
            found.append(
                doc.problem(
                    TRADE_TERMS_MISSING,
                    labels[0][0],
                    severity="warning",
                    trade=words(c.zh, c.en) if c else doc["trade"],
                    missing=words(
                        "、".join(f.zh for _, f in labels), ", ".join(f.en for _, f in labels)
                    ),
                )
            )
    order, problems = common.referenced(doc, ledger, "order_no", "order")
    found += problems
    if order:
        found += _from_order(doc, order, ledger, ctx)
    return found


def _from_order(doc: Document, order: dict, ledger: LedgerView, ctx: Context) -> list[Problem]:
    from silu_sheets.kinds.order import KIND as ORDER

    found = common.same_customer(doc, order, "order_no") + common.same_currency(
        doc, order, ctx.firm.currency
    )
    header = order["header"]
    if header.get("decision") != "accepted":
        c = ORDER.field("decision").choice(header.get("decision") or "pending")
        found.append(
            doc.problem(
                ORDER_NOT_ACCEPTED,
                "order_no",
                docno=order["docno"],
                decision=words(c.zh, c.en) if c else "-",
            )
        )
    other = F.contract_of_order(ledger, order["docno"], excluding=doc.docno)
    if other:
        found.append(
            doc.problem(ORDER_HAS_CONTRACT, "order_no", docno=order["docno"], contract=other)
        )
    date = doc["contract_date"]
    if date and header.get("order_date") and date < dt.date.fromisoformat(header["order_date"]):
        found.append(
            doc.problem(
                BEFORE_ORDER,
                "contract_date",
                date=date,
                docno=order["docno"],
                order_date=header["order_date"],
            )
        )
    if (
        date
        and header.get("offer_type") == "firm"
        and header.get("valid_until")
        and date > dt.date.fromisoformat(header["valid_until"])
    ):
        found.append(
            doc.problem(
                AFTER_FIRM_OFFER,
                "contract_date",
                severity="warning",
                docno=order["docno"],
                valid_until=header["valid_until"],
                date=date,
            )
        )
    return found + differences(doc, order)


def differences(doc: Document, order: dict) -> list[Problem]:
    """What the contract changes from its order — totals, products missing, per product the
    quantity, each line's price, products added — as warnings: a contract may differ (the
    customer agreed), but the salesperson and the managers see how (like an order against its
    quote). A product may sit on several lines at different prices, as on the order."""
    docno_ = order["docno"]
    ordered: dict[str, Decimal] = {}
    prices: dict[str, list[Decimal]] = {}
    order_total = Decimal(0)
    for x in order["lines"]:
        code = x.get("product_code")
        if not code:
            continue
        quantity, price = F.dec(x.get("quantity")), F.dec(x.get("unit_price"))
        ordered[code] = ordered.get(code, Decimal(0)) + quantity
        prices.setdefault(code, []).append(price)
        order_total += quantity * price
    given: dict[str, Decimal] = {}
    total = Decimal(0)
    for line in doc.lines:
        if line["product_code"]:
            given[line["product_code"]] = given.get(line["product_code"], Decimal(0)) + (
                line["quantity"] or Decimal(0)
            )
            total += (line["quantity"] or Decimal(0)) * (line["unit_price"] or Decimal(0))
    found = []
    if doc.lines and total != order_total:
        found.append(
            doc.problem(
                TOTAL_DIFFERS,
                "order_no",
                severity="warning",
                docno=docno_,
                ordered=doc.money(order_total),
                given=doc.money(total),
            )
        )
    missing = [code for code in ordered if code not in given]
    if doc.lines and missing:
        found.append(
            doc.problem(
                MISSING_FROM_ORDER, "order_no", severity="warning", docno=docno_, codes=missing
            )
        )
    said: set[str] = set()
    for line in doc.lines:
        code, price = line["product_code"], line["unit_price"]
        if not code:
            continue
        if code not in ordered:
            found.append(
                doc.problem(
                    NOT_ON_ORDER,
                    "product_code",
                    line,
                    severity="warning",
                    code=code,
                    docno=docno_,
                    ordered=list(ordered) or "-",
                )
            )
            continue
        if code not in said and given[code] != ordered[code]:
            said.add(code)
            found.append(
                doc.problem(
                    QUANTITY_DIFFERS,
                    "quantity",
                    line,
                    severity="warning",
                    code=code,
                    docno=docno_,
                    ordered=ordered[code],
                    given=given[code],
                )
            )
        if price is not None and price not in prices[code]:
            found.append(
                doc.problem(
                    PRICE_DIFFERS,
                    "unit_price",
                    line,
                    severity="warning",
                    code=code,
                    docno=docno_,
                    ordered=[doc.money(p) for p in prices[code]],
                    given=doc.money(price),
                )
            )
    return found


def remaining_lines(ledger: LedgerView, contract_no: str) -> list[dict]:
    """Per contract line, what is left to notice, with the contract's price: the next notice."""
    contract = ledger.document(contract_no)
    if contract is None:
        return []
    noticed = F.noticed_by_contract_line(ledger, contract)
    lines = []
    for line in contract["lines"]:
        code = line.get("product_code")
        left = F.dec(line.get("quantity")) - noticed.get(int(line["line_no"]), Decimal(0))
        if code and left > 0:
            lines.append(
                {
                    "product_code": code,
                    "quantity": left,
                    "unit_price": F.dec(line.get("unit_price")),
                }
            )
    return lines


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """The first shipment notice, pre-filled with what is left to ship of each line."""
    lines = remaining_lines(ledger, docno)
    if not lines:
        return []
    header = {
        "contract_no": docno,
        "customer_code": doc["customer_code"],
        "currency": doc["currency"],
        "salesperson": doc["salesperson"],
    }
    return [NextForm("shipment_notice", header, lines)]


def more_replies(
    doc: Document, docno: str, action: str, writer: LedgerWriter, ctx: Context, roster: Roster
) -> list[Reply]:
    """A contract that differs from its order is news for the sales managers (the order was
    what they approved): each manager other than the sender gets the differences."""
    from silu_sheets.replies import Reply, describe, render

    order = writer.view.document(doc["order_no"] or "") if action != "cancel" else None
    if order is None:
        return []
    found = differences(doc, order)
    if not found or (action == "amend" and not _lines_changed(doc, docno, writer.view)):
        return []  # an amendment of the terms only (carrier, ports…) is not news to them
    order_no = order["docno"]
    owner = roster.find(doc["salesperson"] or ctx.sender.address)
    customer = writer.view.customer(doc["customer_code"] or "") or {}
    replies = []
    for manager in roster.with_role("sales_manager"):
        if manager.address == ctx.sender.address:
            continue
        zh = manager.language == "zh"
        who = owner.name if owner else ctx.sender.address
        context = {
            "title": (
                f"合同 {docno} 与订单 {order_no} 不一致（{who}）"
                if zh
                else f"Contract {docno} differs from order {order_no} ({who})"
            ),
            "person": manager.name,
            "paragraphs": [
                f"{who} 的合同 {docno}（客户 {doc['customer_code']} {customer.get('name') or ''}）"
                f"已登记，与已接受的订单 {order_no} 有以下不同："
                if zh
                else f"{who}'s contract {docno} (customer {doc['customer_code']} "
                f"{customer.get('name') or ''}) is recorded and differs from the accepted "
                f"order {order_no}:"
            ],
            "items": [describe(p, KIND, manager.language) for p in found],
            "next_step": (
                f"如不同意，请联系 {who}，由其修改合同 {docno}（在原表“单号”填写 {docno} 后再次发送）。"
                if zh
                else f"If you do not agree, ask {who} to amend contract {docno} (write {docno} "
                "in its Number cell and send it again)."
            ),
            "administrator": ctx.firm.mailbox,
        }
        subject, text, html = render("notice", manager.language, context)
        replies.append(Reply(manager.address, subject, text, html, "contract_differs", docno))
    return replies


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: per contract line: noticed, issued and left to notice
    (open items allocate it); in the head, how far shipping has come and what to do next."""
    from silu_sheets.answers import both, product_names
    from silu_sheets.open_items import remaining_by_line

    notices = F.notices_of_contract(view, doc["docno"])
    issued: dict[str, Decimal] = {}
    for n in notices:
        by_line = F.issued_by_line(view, n)
        for line in F.lines_of(view, "shipment_notice", n):
            code = line["product_code"]
            issued[code] = issued.get(code, F.ZERO) + by_line.get(int(line["line_no"]), F.ZERO)
    left = remaining_by_line(view, doc["docno"], "contract_to_notice")
    lines = []
    for line in doc["lines"]:
        code = line.get("product_code")
        quantity = F.dec(line.get("quantity"))
        row = {
            "line_no": line["line_no"],
            "product_code": code,
            "quantity": F.text(quantity),
            # per line, as open items allocate it (a product may sit on several lines)
            "noticed": F.text(quantity - left.get(int(line["line_no"]), F.ZERO)),
            "issued": F.text(issued.get(code, F.ZERO)),
            "left_to_notice": F.text(left.get(int(line["line_no"]), F.ZERO)),
        }
        if prices:
            row["unit_price"] = line.get("unit_price")
        lines.append(row)
    found = {"order_no": doc["header"].get("order_no"), "notices": notices, "progress": lines}
    names = product_names(view, (x["product_code"] for x in lines))
    currency = doc["header"].get("currency")
    return found | {
        "summary": both(lambda language: _shipped(lines, language)),
        "next": both(lambda language: _next_step(lines, language)),
        "text": both(lambda language: _status_text(found, names, currency, language)),
        "shown": [found["order_no"]] if found["order_no"] else [],
    }


def _shipped(lines: list[dict], language: str) -> str:
    """How far the contract has come: nothing noticed, partly noticed, all noticed, all issued."""
    zh = language == "zh"
    if lines and all(F.dec(x["issued"]) >= F.dec(x["quantity"]) for x in lines):
        return "已全部出库" if zh else "all issued"
    if lines and all(F.dec(x["left_to_notice"]) <= 0 for x in lines):
        return "已全部开发货单" if zh else "all on shipment notices"
    if any(F.dec(x["noticed"]) > 0 for x in lines):
        return "部分已开发货单" if zh else "partly on shipment notices"
    return "尚未开发货单" if zh else "no shipment notice yet"


def _next_step(lines: list[dict], language: str) -> str:
    waiting = [x for x in lines if F.dec(x["left_to_notice"]) > 0]
    if not waiting:
        return ""
    if language == "zh":
        return f"开发货单：还有 {len(waiting)} 行待开发货单（见下表“待开”一栏）。"
    return f"Write a shipment notice: {len(waiting)} line(s) still to notice (column “to notice”)."


def _status_text(found: dict, names: dict, currency: str | None, language: str) -> list:
    from silu_sheets.amounts import money_text
    from silu_sheets.answers import CONTRACT_PROGRESS, LINE, NAME, PRODUCT, UNIT_PRICE, table

    zh = language == "zh"
    out: list = []
    if found.get("order_no"):
        out.append(f"{'依据订单' if zh else 'From order'}{'：' if zh else ': '}{found['order_no']}")
    columns = [LINE, PRODUCT, NAME, *CONTRACT_PROGRESS]
    priced = any("unit_price" in x for x in found["progress"])
    if priced:
        columns.append(UNIT_PRICE)
    rows = [
        x
        | {"name": names.get(x["product_code"] or "", "")}
        | ({"unit_price": money_text(x.get("unit_price"), currency)} if priced else {})
        for x in found["progress"]
    ]
    out.append(table(columns, rows, language, "合同执行情况" if zh else "Progress by line"))
    return out


HOOKS = Hooks(status=status, check=check, next_forms=next_forms, more_replies=more_replies)


def _lines_changed(doc: Document, docno: str, view: LedgerView) -> bool:
    """Whether this amendment changes products, quantities or prices from the revision before."""
    import json

    recorded = view.document(docno)
    before = view.row(
        "SELECT data FROM revisions WHERE docno = ? AND revision = ?",
        [docno, (recorded["revision"] if recorded else 1) - 1],
    )
    if before is None:
        return True

    def shape(lines: list) -> list[tuple]:
        return [
            (x.get("product_code"), F.dec(x.get("quantity")), F.dec(x.get("unit_price")))
            for x in lines
        ]

    now = shape([line.values for line in doc.lines])
    return shape(json.loads(before["data"]).get("lines", [])) != now
