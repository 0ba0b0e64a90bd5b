"""Sales return (销售退货单): against a shipment notice whose goods were issued; per line the
returned quantity never exceeds issued less earlier returns. It moves no goods and no money by
itself: the warehouse's return inbound slip moves goods, and only an agreed amount (never above
returned quantity × the set unit price) is credited or refunded."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets import drawdown
from silu_sheets import money as accounts
from silu_sheets.amounts import Money, money_text
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
    line_no,
    lot_field,
    money,
    product_field,
    quantity,
    text,
    warehouse_field,
)
from silu_sheets.document import Context, Document, Line, Staff
from silu_sheets.hooks import Hooks, NextForm
from silu_sheets.kinds import common
from silu_sheets.money import ZERO
from silu_sheets.problems import Problem, errors, problem_type, show

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter
    from silu_sheets.replies import Reply
    from silu_sheets.roster import Roster

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
    senders=("sales", "sales_manager"),
    header=document_header(
        date("return_date", "退货日期", "Return date", required=True),
        docno("notice_no", "发货单号", "Shipment notice", "shipment_notice", required=True),
        customer_field(required=False),
        text("reason", "退货原因", "Reason", required=True),
        text("request_person", "退货要求负责人", "Responsible for the request", required=True),
        text("money_person", "货款处理负责人", "Responsible for the money", required=True),
        text("goods_person", "货物处理负责人", "Responsible for the goods", required=True),
        choice("goods_disposition", "货物处理", "Goods", GOODS, required=True),
        choice("money_disposition", "货款处理", "Money", MONEY, required=True),
        money("requested_amount", "客户要求金额", "Amount the customer asks"),
        money(
            "agreed_amount",
            "商定金额",
            "Agreed amount",
            hint_zh="双方商定后再次发送本单时填写；商定前不退款不入结余。",
            hint_en="Fill when agreed, sending this form again; nothing is refunded or credited before.",
        ),
        currency_field(),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "退货明细",
        "Return lines",
        (
            line_no(
                "notice_line",
                "发货单行号",
                "Notice line",
                hint_zh="发货单上的行号；留空时按产品编号对应。",
                hint_en="The line number on the notice; empty means matched by product code.",
            ),
            product_field(),
            quantity("quantity", "退货数量", "Quantity returned", required=True),
            money(
                "unit_price",
                "退款单价",
                "Refund unit price",
                hint_zh="留空为发货单价。",
                hint_en="Empty means the notice price.",
            ),
            warehouse_field("退回仓库", "Receiving warehouse", required=False),
            lot_field(),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)


# --- rules --------------------------------------------------------------------------------------
NOTHING_ISSUED = problem_type(
    "return-nothing-issued",
    "发货单 {docno} 还没有任何出库，不能退货（货物尚未发出）。",
    "Nothing was issued against shipment notice {docno} yet; there is nothing to return.",
)
NOTICE_LINE_UNKNOWN = problem_type(
    "return-notice-line-unknown",
    "发货单 {docno} 没有第 {line_no} 行（共 {count} 行）。",
    "Shipment notice {docno} has no line {line_no} (it has {count}).",
)
PRODUCT_NOT_ON_NOTICE = problem_type(
    "return-product-not-on-notice",
    "产品 {code} 不在发货单 {docno} 上。发货单上的产品：{products}。",
    "Product {code} is not on shipment notice {docno}. Its products: {products}.",
)
PRODUCT_MISMATCH = problem_type(
    "return-product-mismatch",
    "发货单 {docno} 第 {line_no} 行是产品 {expected}，本行填写 {actual}。",
    "Line {line_no} of shipment notice {docno} is product {expected}; this line names {actual}.",
)
LINE_AMBIGUOUS = problem_type(
    "return-line-ambiguous",
    "产品 {code} 在发货单 {docno} 上有多行（第 {lines} 行），请在“发货单行号”填写退的是哪一行。",
    "Product {code} is on several lines of shipment notice {docno} (lines {lines}); write which one in Notice line.",
)
EXCEEDS_ISSUED = problem_type(
    "return-exceeds-issued",
    "发货单 {docno} 第 {line_no} 行已出库 {issued}，此前已退 {returned}，还可退 {left}；本行填写 {quantity}。请改为不超过 {left}。",
    "Line {line_no} of shipment notice {docno}: {issued} issued, {returned} already returned, {left} left to return; this line returns {quantity}. Return at most {left}.",
)
BELOW_RETURNED = problem_type(
    "issue-below-returned",
    "发货单 {docno} 第 {notice_line} 行已有退货 {returned}（{returns}），修改或作废本单后该行只剩出库 {issued}，少于退货数量。请先由销售修改退货单。",
    "Line {notice_line} of shipment notice {docno} has {returned} returned ({returns}); with this slip amended or cancelled only {issued} would be issued, less than returned. Sales must amend the return first.",
)
NOT_POSITIVE_QTY = problem_type(
    "return-quantity-not-positive",
    "退货数量必须大于 0。",
    "The quantity returned must be above 0.",
)
PRICE_NEEDS_MANAGER = problem_type(
    "return-price-needs-manager",
    "退款单价 {price} 与发货单价 {notice_price} 不同；只有主管可以另定退款单价。请留空（按发货单价）或请主管发送。",
    "The refund unit price {price} differs from the notice price {notice_price}; only a manager may set another. Leave it empty (notice price) or ask a manager to send it.",
)
NONE_NEEDS_REPLACE = problem_type(
    "return-none-needs-replace",
    "货款处理“不退款”只用于换货；货物处理为“退回”时请选择“退款”或“转结余”。",
    "Money “nothing” is only for replaced goods; for goods returned for good choose refund or keep as balance.",
)
NO_MONEY_WHEN_NONE = problem_type(
    "return-amount-with-none",
    "货款处理为“不退款”，不应填写金额。",
    "Money is “nothing (replaced)”: leave the amounts empty.",
)
REQUESTED_NEEDED = problem_type(
    "return-requested-needed",
    "请填写客户要求的金额（之后再商定）。",
    "Write the amount the customer asks for (the agreed amount comes later).",
)
AGREED_NEEDS_AMENDMENT = problem_type(
    "return-agreed-needs-amendment",
    "商定金额在退货单登记后再填：先登记客户要求金额，商定后在“单号”填写退货单号、填写商定金额再次发送。",
    "The agreed amount comes after the return is recorded: record the customer's request first, then send the return again with its number and the agreed amount.",
)
AGREED_ABOVE_VALUE = problem_type(
    "return-agreed-above-value",
    "商定金额 {agreed} 超过退货货值 {value}（退货数量 × 退款单价）。请改为不超过 {value}。",
    "The agreed amount {agreed} is more than the returned goods are worth, {value} (quantity × refund unit price). Agree at most {value}.",
)
AGREED_BELOW_REFUNDED = problem_type(
    "return-agreed-below-refunded",
    "财务已为本退货单退款 {refunded}，商定金额不能少于 {refunded}。",
    "Finance already refunded {refunded} for this return; the agreed amount may not be below {refunded}.",
)
NOTICE_FIXED = problem_type(
    "return-notice-fixed",
    "退货单已有入库或款项，不能改为其他发货单（原为 {was}）。请作废后新开。",
    "This return already has goods received or money settled; its notice ({was}) cannot change. Cancel it and write a new one.",
)
WAREHOUSE_UNKNOWN = common.WAREHOUSE_UNKNOWN
LOT_UNKNOWN = problem_type(
    "return-lot-unknown",
    "批号 {lot} 不是产品 {code} 的批号。",
    "Lot {lot} is not a lot of product {code}.",
)
PRICE_ABOVE_SOLD = problem_type(
    "return-price-above-sold",
    "退款单价 {price} 高于售价 {sold}（发货单 {docno} 第 {line_no} 行）：主管可以这样定，退货货值按 {price} 计算，请确认无误。",
    "The refund unit price {price} is above the price sold, {sold} (shipment notice {docno} line {line_no}): a manager may set it so, and the returned goods are valued at {price}. Make sure it is meant.",
)
PERSON_UNKNOWN = problem_type(
    "return-person-unknown",
    "“{given}”不在员工名单上。请填写名单中的姓名或邮箱：{names}。",
    "“{given}” is not on the staff roster. Write the name or address of someone on it: {names}.",
)
PERSONS = ("request_person", "money_person", "goods_person")
BALANCE_USED = problem_type(
    "return-balance-used",
    "客户 {customer} 的结余款（{currency}）已被使用，撤回本退货单转入的结余后只剩 {left}。请先修改或作废使用该结余的单据。",
    "Customer {customer}'s balance ({currency}) has been used; without this return's credit it would be {left}. Amend or cancel what used it first.",
)


def _notice_products(lines: list[dict]) -> str:
    return "、".join(sorted({line["product_code"] for line in lines}))


def resolve_notice_line(
    doc: Document, line: Line, notice_no: str, lines: list[dict], found: list[Problem]
) -> dict | None:
    """The notice line a return line refers to: by its number, else by a product on one line only."""
    code = line["product_code"]
    if line["notice_line"]:
        match = next((n for n in lines if n["line_no"] == line["notice_line"]), None)
        if match is None:
            found.append(
                doc.problem(
                    NOTICE_LINE_UNKNOWN,
                    "notice_line",
                    line,
                    docno=notice_no,
                    line_no=line["notice_line"],
                    count=len(lines),
                )
            )
        elif code and match["product_code"] != code:
            found.append(
                doc.problem(
                    PRODUCT_MISMATCH,
                    "product_code",
                    line,
                    docno=notice_no,
                    line_no=match["line_no"],
                    expected=match["product_code"],
                    actual=code,
                )
            )
            return None
        return match
    candidates = [n for n in lines if n["product_code"] == code]
    if line["lot"]:
        candidates = [n for n in candidates if (n["lot"] or "") in ("", line["lot"])] or candidates
    if not candidates:
        found.append(
            doc.problem(
                PRODUCT_NOT_ON_NOTICE,
                "product_code",
                line,
                code=code,
                docno=notice_no,
                products=_notice_products(lines),
            )
        )
        return None
    if len(candidates) > 1:
        found.append(
            doc.problem(
                LINE_AMBIGUOUS,
                "notice_line",
                line,
                code=code,
                docno=notice_no,
                lines=[n["line_no"] for n in candidates],
            )
        )
        return None
    return candidates[0]


def value_of(doc: Document, prices: dict[int, Decimal]) -> Decimal:
    """Returned quantity × the refund unit price (the notice price where none is set)."""
    total = ZERO
    for line in doc.lines:
        price = (
            line["unit_price"] if line["unit_price"] is not None else prices.get(line.number, ZERO)
        )
        total += (line["quantity"] or ZERO) * price
    return total


def persons_on_roster(doc: Document, ctx: Context) -> list[Problem]:
    """The three persons responsible (request, money, goods) are staff on the roster, named by
    name or address: someone must answer for each, and a typo would leave nobody."""
    known = {s.name.strip().lower() for s in ctx.staff} | {s.address for s in ctx.staff}
    names = "、".join(s.name for s in ctx.staff) or "-"
    return [
        doc.problem(PERSON_UNKNOWN, key, given=doc[key], names=names)
        for key in PERSONS
        if doc[key] and str(doc[key]).strip().lower() not in known
    ]


def _exceeds_issued(doc: Document, line: Line, share: drawdown.Share) -> Problem:
    return doc.problem(
        EXCEEDS_ISSUED,
        "quantity",
        line,
        docno=share.source,
        line_no=share.key,
        issued=share.gives,
        returned=share.drawn,
        left=max(share.left, ZERO),
        quantity=share.given,
    )


def _issued(
    view: LedgerView, notice_no: str, change: drawdown.Change | None
) -> dict[drawdown.Key, Decimal]:
    """Per notice line, what its issue slips took (after ``change`` if it is one of them)."""
    found: dict[drawdown.Key, Decimal] = {
        n["line_no"]: ZERO for n in accounts.notice_lines(view, notice_no)
    }
    slips = drawdown.relation("issue_slip", "shipment_notice")
    found.update(drawdown.drawn_after(view, slips, notice_no, change))
    return found


def _slip_below_returned(
    change: drawdown.Change, share: drawdown.Share, line: Line | None
) -> Problem:
    return change.doc.problem(
        BELOW_RETURNED,
        "action" if change.cancelling else "docno",
        docno=share.source,
        notice_line=share.key,
        returned=share.drawn,
        returns=list(share.takers),
        issued=share.gives,
    )


#: a return line draws on what was issued from its notice line
DRAWS = (
    drawdown.DrawsOn(
        kind="sales_return",
        source="shipment_notice",
        via="notice_no",
        key="notice_line",
        gives=_issued,
        depends_on=("issue_slip",),
        exceeds=_exceeds_issued,
        below=_slip_below_returned,
    ),
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Every rule of a sales return at once (see the module docstring)."""
    notice, found = common.referenced(doc, ledger, "notice_no", "shipment_notice")
    found += common.currency_valid(doc) + common.customer_known(doc, ledger)
    found += persons_on_roster(doc, ctx)
    goods, money_way = doc["goods_disposition"], doc["money_disposition"]
    if money_way == "none" and goods == "return":
        found.append(doc.problem(NONE_NEEDS_REPLACE, "money_disposition"))
    if money_way == "none":
        for key in ("requested_amount", "agreed_amount"):
            if doc[key]:
                found.append(doc.problem(NO_MONEY_WHEN_NONE, key))
    if money_way in ("refund", "balance") and doc["requested_amount"] is None:
        found.append(doc.problem(REQUESTED_NEEDED, "requested_amount"))
    if doc["agreed_amount"] is not None and not doc.docno:
        found.append(doc.problem(AGREED_NEEDS_AMENDMENT, "agreed_amount"))
    earlier = ledger.document(doc.docno) if doc.docno else None
    moved = doc.docno and (
        ledger.dependents(doc.docno)
        or ledger.row("SELECT 1 AS x FROM money_movements WHERE docno = ? LIMIT 1", [doc.docno])
    )
    if (
        moved
        and earlier
        and doc["notice_no"]
        and earlier["header"].get("notice_no") != doc["notice_no"]
    ):
        found.append(doc.problem(NOTICE_FIXED, "notice_no", was=earlier["header"].get("notice_no")))
    for line in doc.lines:
        if line["quantity"] is not None and line["quantity"] <= 0:
            found.append(doc.problem(NOT_POSITIVE_QTY, "quantity", line))
        if line["warehouse"] and ledger.warehouse(line["warehouse"]) is None:
            known = "、".join(w["code"] for w in ledger.warehouses()) or "-"
            found.append(
                doc.problem(
                    WAREHOUSE_UNKNOWN, "warehouse", line, code=line["warehouse"], known=known
                )
            )
        if (
            line["lot"]
            and line["product_code"]
            and ledger.lot(line["product_code"], line["lot"]) is None
        ):
            found.append(
                doc.problem(LOT_UNKNOWN, "lot", line, lot=line["lot"], code=line["product_code"])
            )
    if notice is None:
        return found
    number = notice["docno"]
    if doc["customer_code"]:
        found += common.same_customer(doc, notice, "notice_no")
    found += common.same_currency(doc, notice, ctx.firm.currency)
    # a return's money is in its notice's currency when the form leaves it empty
    currency = (doc["currency"] or notice["header"].get("currency") or ctx.firm.currency).upper()
    lines = accounts.notice_lines(ledger, number)
    if sum((accounts.issued(ledger, number, n["line_no"]) for n in lines), ZERO) <= 0:
        return [*found, doc.problem(NOTHING_ISSUED, "notice_no", docno=number)]
    prices: dict[int, Decimal] = {}
    for line in doc.lines:
        match = resolve_notice_line(doc, line, number, lines, found)
        if match is None or line["quantity"] is None or line["quantity"] <= 0:
            continue
        at = line.values["notice_line"] = match["line_no"]  # what it draws on (DRAWS above)
        notice_price = accounts.dec(match["unit_price"])
        prices[line.number] = notice_price
        if (
            line["unit_price"] is not None
            and line["unit_price"] != notice_price
            and not ctx.sender.manager
        ):
            found.append(
                doc.problem(
                    PRICE_NEEDS_MANAGER,
                    "unit_price",
                    line,
                    price=Money(line["unit_price"], currency),
                    notice_price=Money(notice_price, currency),
                )
            )
        elif line["unit_price"] is not None and line["unit_price"] > notice_price:
            found.append(
                doc.problem(
                    PRICE_ABOVE_SOLD,
                    "unit_price",
                    line,
                    severity="warning",
                    price=Money(line["unit_price"], currency),
                    sold=Money(notice_price, currency),
                    docno=number,
                    line_no=at,
                )
            )
    agreed = doc["agreed_amount"]
    if agreed is not None and not errors(found):
        value = value_of(doc, prices)
        if agreed > value:
            found.append(
                doc.problem(
                    AGREED_ABOVE_VALUE,
                    "agreed_amount",
                    agreed=Money(agreed, currency),
                    value=Money(value, currency),
                )
            )
        if doc.docno:
            paid = accounts.refunded(ledger, doc.docno)
            if agreed < paid:
                found.append(
                    doc.problem(
                        AGREED_BELOW_REFUNDED, "agreed_amount", refunded=Money(paid, currency)
                    )
                )
    if doc.docno and not errors(found):
        effects = _planned_effects(doc, ledger, ctx, number)
        for c, cur, left in accounts.balance_shortfalls(ledger, doc.docno, effects):
            found.append(
                doc.problem(
                    BALANCE_USED,
                    "agreed_amount",
                    customer=c,
                    currency=cur,
                    left=Money(left + effects.get((c, cur), ZERO), cur),
                )
            )
    return found


def _split(agreed: Decimal, owed: Decimal) -> tuple[Decimal, Decimal]:
    """Agreed return money first lowers what the notice still owes; the rest was already paid
    and goes back to the customer (balance or refund)."""
    credit = min(agreed, max(owed, ZERO))
    return credit, agreed - credit


def _planned_effects(
    doc: Document, ledger: LedgerView, ctx: Context, notice_no: str
) -> dict[tuple[str, str], Decimal]:
    agreed = doc["agreed_amount"]
    if agreed is None or doc["money_disposition"] != "balance":
        return {}
    notice = ledger.document(notice_no)
    customer = notice["customer_code"] if notice else doc["customer_code"]
    currency = (doc["currency"] or ctx.firm.currency).upper()
    _, rest = _split(agreed, accounts.notice_owed(ledger, notice_no, excluding=doc.docno))
    return {(customer, currency): rest} if rest else {}


def check_cancel(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Cancelling takes back what the return credited: refused where that balance was used
    (refunds and received goods already block it as later documents)."""
    if not doc.docno:
        return []
    return [
        doc.problem(BALANCE_USED, "action", customer=c, currency=cur, left=Money(left, cur))
        for c, cur, left in accounts.balance_shortfalls(ledger, doc.docno, {})
    ]


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """Fill what the form left to the notice (customer, currency, notice line, unit price);
    once the amount is agreed, credit it: first against what the notice still owes, the rest to
    the customer's balance or as a refund finance must pay. Nothing before agreement."""
    view = writer.view
    notice = view.document(doc["notice_no"])
    assert notice is not None
    doc.header["customer_code"] = notice["customer_code"]
    currency = (doc["currency"] or notice["header"].get("currency") or ctx.firm.currency).upper()
    doc.header["currency"] = currency
    lines = accounts.notice_lines(view, notice["docno"])
    for line in doc.lines:
        match = resolve_notice_line(doc, line, notice["docno"], lines, [])
        if match is not None:
            line.values["notice_line"] = match["line_no"]
            if line["unit_price"] is None:
                line.values["unit_price"] = accounts.dec(match["unit_price"])
    accounts.reverse(writer, docno, doc["return_date"])
    agreed = doc["agreed_amount"]
    if agreed is None or agreed <= 0 or doc["money_disposition"] == "none":
        return
    credit, rest = _split(agreed, accounts.notice_owed(view, notice["docno"]))
    base = {
        "customer_code": notice["customer_code"],
        "currency": currency,
        "docno": docno,
        "return_no": docno,
        "moved_on": doc["return_date"],
    }
    if credit:
        accounts.move(
            writer,
            **base,
            account="notice",
            movement="return_credit",
            amount=credit,
            notice_no=notice["docno"],
        )
    if rest:
        if doc["money_disposition"] == "balance":
            accounts.move(
                writer, **base, account="balance", movement="return_to_balance", amount=rest
            )
        else:
            accounts.move(
                writer, **base, account="refundable", movement="return_refundable", amount=rest
            )


def on_cancel(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    accounts.reverse(writer, docno, ctx.today)


def confirmation_facts(doc: Document, docno: str, ledger: LedgerView, ctx: Context) -> list[str]:
    """What the return did with the money, and what is still open (agreement, refund, replacement)."""
    state = accounts.return_state(ledger, docno)
    if state is None:
        return []
    zh = ctx.sender.language == "zh"
    cur = state["currency"] or ctx.firm.currency
    facts = []
    if doc["agreed_amount"] is None and doc["money_disposition"] != "none":
        facts.append(
            "金额尚未商定：商定后填写“商定金额”再次发送本单；商定前不退款、不入结余"
            if zh
            else "Money not agreed yet: send this return again with the agreed amount; nothing is refunded or credited before"
        )
    else:
        facts.append(
            f"已冲减发货单欠款/转结余 {money_text(state['credited'], cur)} {cur}，待财务退款 {money_text(state['refund_due'], cur)} {cur}"
            if zh
            else f"Credited to the notice or balance {money_text(state['credited'], cur)} {cur}; refund finance still has to pay {money_text(state['refund_due'], cur)} {cur}"
        )
    if state["replacement_open"]:
        facts.append(
            f"换货待发：附件是预填的换货发货单（已填“换货对应退货单号” {docno}），填写发货日期后发回即可"
            if zh
            else f"Replacement owed: the replacement shipment notice is attached, pre-filled (naming {docno}); add the date and send it"
        )
    if _warehouse_copied(docno, ledger, ctx):  # said only when more_replies sends one
        facts.append(
            "仓库已收到预填的退货入库单（不含价格）"
            if zh
            else "The warehouse was sent a pre-filled return inbound slip (no prices)"
        )
    return facts


def _warehouse_copied(docno: str, ledger: LedgerView, ctx: Context) -> bool:
    """Whether this recording sends the warehouse its copy (see ``more_replies``): goods new or
    changed, something left to receive, and a keeper on the roster to send it to."""
    if not _goods_changed(ledger, docno):
        return False
    for warehouse in inbound_lines(ledger, docno):
        if any(warehouse in s.warehouses for s in ctx.staff) or any(
            s.has("warehouse") for s in ctx.staff
        ):
            return True
    return False


def inbound_lines(view: LedgerView, return_no: str) -> dict[str, list[dict]]:
    """Per receiving warehouse, the return lines still to receive, for the warehouse copy: where
    sales named a warehouse, that one; otherwise the warehouse that issued the goods."""
    state = accounts.return_state(view, return_no)
    out: dict[str, list[dict]] = {}
    if state is None:
        return out
    for line in state["lines"]:
        left = line["quantity"] - line["received"]
        if left <= 0:
            continue
        warehouse = line["warehouse"]
        stored = view.row(
            "SELECT lot FROM sales_return_lines WHERE docno = ? AND line_no = ?",
            [return_no, line["line_no"]],
        )
        lot = stored["lot"] if stored else None
        if not warehouse and line["notice_line"]:
            places = accounts.issued_by_warehouse(view, state["notice_no"], line["notice_line"])
            if places:
                warehouse, issued_lot = max(places.items(), key=lambda kv: kv[1])[0]
                lot = lot or issued_lot or None
        out.setdefault(warehouse or "", []).append(
            {
                "return_line": line["line_no"],
                "product_code": line["product_code"],
                "lot": lot,
                "quantity": left,
            }
        )
    return out


def _goods_changed(view: LedgerView, docno: str) -> bool:
    """Whether an amendment changed what the warehouse receives (an agreed amount does not)."""
    import json

    rows = view.rows(
        "SELECT data FROM revisions WHERE docno = ? ORDER BY revision DESC LIMIT 2", [docno]
    )
    if len(rows) < 2:
        return True
    keys = ("notice_line", "product_code", "quantity", "warehouse", "lot")
    new, old = (
        [tuple(x.get(k) for k in keys) for x in json.loads(r["data"])["lines"]] for r in rows
    )
    return new != old


def more_replies(
    doc: Document, docno: str, action: str, writer: LedgerWriter, ctx: Context, roster: Roster
) -> list[Reply]:
    """The warehouse's copy: a return inbound slip pre-filled for each receiving warehouse, built
    from the return_inbound declaration (no price field), and a mail with no amount in it."""
    if action == "cancel" or (action == "amend" and not _goods_changed(writer.view, docno)):
        return []
    from silu_sheets.warehouse_copy import keeper_copies

    replies = []
    for warehouse, lines in sorted(inbound_lines(writer.view, docno).items()):
        keepers = roster.warehouse_staff(warehouse) if warehouse else []

        def said(
            person: Staff, warehouse: str = warehouse, lines: list = lines
        ) -> tuple[str, dict]:
            return "return_inbound_copy", {
                "person": person.name,
                "docno": docno,
                "warehouse": warehouse or "-",
                "lines": [
                    (x["return_line"], x["product_code"], x["lot"] or "", show(x["quantity"]))
                    for x in lines
                ],
            }

        header = {"return_no": docno, "warehouse": warehouse or None}
        replies += keeper_copies(
            keepers or roster.with_role("warehouse"),
            warehouse,
            docno,
            NextForm("return_inbound", header, lines),
            said,
            set(),
        )
    return replies


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """Goods to be replaced: the replacement notice, pre-filled (silu_sheets/replacements.py)."""
    from silu_sheets import replacements

    found = replacements.prefilled_notice(ledger, docno)
    return [found] if found else []


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: received per return line, the replacement owed, and (with prices) its money."""
    from silu_sheets.answers import both, product_names

    state = accounts.return_state(view, doc["docno"]) or {}
    to_receive = state.get("to_receive", {})
    found: dict[str, Any] = {
        "notice_no": state.get("notice_no"),
        "goods_disposition": state.get("goods_disposition"),
        "money_disposition": state.get("money_disposition"),
        "received": [
            {
                "line_no": x["line_no"],
                "product_code": x["product_code"],
                "quantity": show(x["quantity"]),
                "received": show(x["received"]),
                "left": show(to_receive.get(int(x["line_no"]), 0)),
            }
            for x in state.get("lines", [])
        ],
        "replaced_by": state.get("replaced_by", []),
        "replacement_open": state.get("replacement_open", False),
    }
    if prices:
        agreed = state.get("agreed_amount")
        found["money"] = {
            "requested": state.get("requested_amount"),
            "agreed": agreed,
            "credited": show(state.get("credited", 0)),
            "refunded": show(state.get("refunded", 0)),
            "refund_due": show(state.get("refund_due", 0)),
        }
    names = product_names(view, (x["product_code"] for x in found["received"]))
    currency = doc["header"].get("currency")
    return found | {
        "summary": both(lambda language: _handled(found, language)),
        "next": both(lambda language: _next_step(found, language)),
        "text": both(lambda language: _status_text(found, names, currency, language)),
        "shown": [x for x in (found["notice_no"], *found["replaced_by"]) if x],
    }


def _handled(found: dict, language: str) -> str:
    """How the goods and the money are handled: ``退回，退款`` / ``to be replaced, nothing``."""
    said = [
        choice.label(language)
        for key in ("goods_disposition", "money_disposition")
        if (choice := KIND.field(key).choice(str(found.get(key) or "")))
    ]
    return ("，" if language == "zh" else ", ").join(said)


def _next_step(found: dict, language: str) -> str:
    zh = language == "zh"
    left = sum((Decimal(str(x["left"] or 0)) for x in found["received"]), ZERO)
    if left > 0:
        return (
            f"等仓库收货：还有 {show(left)} 未入库（退货入库单）。"
            if zh
            else f"The warehouse receives the goods: {show(left)} still to receive (return inbound slip)."
        )
    if found.get("replacement_open"):
        return (
            "开换货发货单（在发货单的“换货依据”填本退货单号）。"
            if zh
            else "Write the replacement's shipment notice, naming this return."
        )
    money = found.get("money")
    if money and money["agreed"] in (None, "") and found.get("money_disposition") != "none":
        return (
            "商定退款金额：在本退货单填写“商定金额”后发回。"
            if zh
            else "Agree the money: fill in the agreed amount on this return and send it back."
        )
    return ""


def _status_text(found: dict, names: dict, currency: str | None, language: str) -> list:
    from silu_sheets.answers import LINE, NAME, PRODUCT, Column, table

    zh = language == "zh"
    sep = "：" if zh else ": "
    out: list = []
    if found.get("notice_no"):
        out.append(f"{'依据发货单' if zh else 'From notice'}{sep}{found['notice_no']}")
    rows = [x | {"name": names.get(x["product_code"] or "", "")} for x in found["received"]]
    columns = [
        LINE,
        PRODUCT,
        NAME,
        Column("quantity", "退货", "Returned", figure=True),
        Column("received", "已入库", "Received", figure=True),
        Column("left", "待入库", "To receive", figure=True),
    ]
    if rows:
        out.append(table(columns, rows, language, "退货明细" if zh else "Lines"))
    if found.get("replacement_open"):
        out.append(
            "换货待发：还没有发货单注明此退货"
            if zh
            else "replacement still owed: no shipment notice names this return yet"
        )
    elif found.get("replaced_by"):
        out.append(f"{'换货发货单' if zh else 'Replaced by'}{sep}{', '.join(found['replaced_by'])}")
    money = found.get("money")
    if money:
        if money["agreed"] in (None, ""):
            said = "尚未商定（未冲抵任何金额）" if zh else "not agreed yet (nothing credited)"
        else:
            words = (
                ("商定", "已冲抵", "已退款", "待退款")
                if zh
                else ("agreed", "credited", "refunded", "refund due")
            )
            keys = ("agreed", "credited", "refunded", "refund_due")
            said = ("，" if zh else ", ").join(
                f"{w} {money_text(money[k], currency)}" for w, k in zip(words, keys, strict=True)
            )
        out.append(f"{'退款' if zh else 'Money'}{sep}{said}")
    return out


HOOKS = Hooks(
    status=status,
    check=check,
    check_cancel=check_cancel,
    book=book,
    on_cancel=on_cancel,
    next_forms=next_forms,
    confirmation_facts=confirmation_facts,
    more_replies=more_replies,
    draws=DRAWS,
)
