"""Shipment notice (销售发货单): sales tells the warehouse what to ship against a contract, with
selling prices. It moves no goods; per contract line all notices never exceed the contract
quantity; a named warehouse and lot must be followed by the warehouse and reserve that lot."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets import drawdown, replacements
from silu_sheets import fulfilment as F
from silu_sheets.declare import (
    Kind,
    LineTable,
    currency_field,
    customer_field,
    date,
    docno,
    document_header,
    lot_field,
    money,
    product_field,
    quantity,
    salesperson_field,
    text,
    warehouse_field,
)
from silu_sheets.document import Context, Document, Line
from silu_sheets.hooks import Hooks, NextForm
from silu_sheets.kinds import common
from silu_sheets.kinds.inquiry import salesperson_allowed
from silu_sheets.problems import Problem, problem_type

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter
    from silu_sheets.replies import Reply
    from silu_sheets.roster import Roster

KIND = Kind(
    key="shipment_notice",
    zh="销售发货单",
    en="Shipment notice",
    prefix="SN",
    version=1,
    senders=("sales", "sales_manager"),
    header=document_header(
        date("notice_date", "发货日期", "Notice date", required=True),
        docno("contract_no", "合同号", "Contract number", "contract", required=True),
        customer_field(required=False),
        salesperson_field(),
        currency_field(),
        docno(
            "replaces_return",
            "换货对应退货单号",
            "Replaces sales return",
            "sales_return",
            hint_zh="为换货而发货时填写退货单号。",
            hint_en="For a replacement shipment, the sales return it replaces.",
        ),
        text("ship_to", "收货地址", "Ship to"),
        date("ship_by", "要求出库日期", "Ship by"),
        text(
            "note",
            "备注",
            "Note",
            hint_zh="会转给仓库，请勿写价格或金额。",
            hint_en="Goes to the warehouse: no prices or amounts here.",
        ),
    ),
    lines=LineTable(
        "lines",
        "发货明细",
        "Notice lines",
        (
            product_field(),
            quantity("quantity", "数量", "Quantity", required=True),
            money("unit_price", "单价", "Unit price", required=True),
            warehouse_field("指定仓库", "Warehouse (optional)", required=False),
            lot_field("指定批号", "Lot (optional)"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)

NOT_ON_CONTRACT = problem_type(
    "notice-product-not-on-contract",
    "产品 {code} 不在合同 {docno} 上（合同产品：{contracted}）。",
    "Product {code} is not on contract {docno} (contracted: {contracted}).",
)
EXCEEDS_CONTRACT = problem_type(
    "notice-exceeds-contract",
    "合同 {docno} 产品 {code} 还可发货 {left}（合同 {contracted}，已开发货 {noticed}，含本单前面各行），本行填写 {given}。请改为不超过 {left}。",
    "Contract {docno} has {left} of product {code} left to ship (contract {contracted}, on notices {noticed}, earlier lines of this one included); this line asks {given}. Write at most {left}.",
)
BEFORE_CONTRACT = problem_type(
    "notice-before-contract",
    "发货日期 {date} 早于合同 {docno} 的日期 {contract_date}。",
    "Notice date {date} is before the date of contract {docno}, {contract_date}.",
)
LOT_NEEDS_WAREHOUSE = problem_type(
    "notice-lot-needs-warehouse",
    "指定批号 {lot} 时须同时指定仓库。该批号所在仓库：{places}。",
    "A named lot needs its warehouse too. Lot {lot} is held in: {places}.",
)
LOT_UNKNOWN = problem_type(
    "lot-unknown",
    "产品 {code} 没有批号 {lot}。{warehouse} 现有该产品批号：{held}。",
    "Product {code} has no lot {lot}. Lots of it in {warehouse}: {held}.",
)
LOT_NOT_IN_WAREHOUSE = problem_type(
    "lot-not-in-warehouse",
    "批号 {lot} 在仓库 {warehouse} 没有库存。{warehouse} 现有该产品批号：{held}。",
    "Lot {lot} has no stock in warehouse {warehouse}. Lots of this product there: {held}.",
)
LOT_OVER_RESERVED = problem_type(
    "notice-lot-over-reserved",
    "仓库 {warehouse} 批号 {lot} 库存 {on_hand}，其他发货单已预留 {reserved}（{notices}），本单最多还可指定 {left}，本单需要 {given}。请改为不超过 {left}，或改指定其他批号。",
    "Lot {lot} in {warehouse} has {on_hand} on hand, {reserved} already reserved by other notices ({notices}); this notice may name at most {left} of it and needs {given}. Write at most {left}, or name another lot.",
)
LOT_EXPIRED_NAMED = problem_type(
    "notice-lot-expired",
    "指定批号 {lot} 已于 {expiry} 到期；仓库会按指定出库，请确认客户接受。",
    "The named lot {lot} expired on {expiry}; the warehouse will issue it as named. Make sure the customer accepts it.",
)
STOCK_SHORT = problem_type(
    "notice-stock-short",
    "产品 {code} 目前{where}可发 {available}，本行 {given}；仓库会先出有货的部分。",
    "Only {available} of product {code} is available {where} now, this line asks {given}; the warehouse will issue what there is first.",
)
PRICE_DIFFERS = problem_type(
    "notice-price-differs",
    "产品 {code} 合同 {docno} 单价 {contracted}，本单 {given}。",
    "Product {code} costs {contracted} in contract {docno}; this notice says {given}.",
)
# the contract amended below what its notices ask for (placed on the contract)
BELOW_NOTICED = problem_type(
    "contract-below-noticed",
    "产品 {code} 已开发货单 {noticed}（{notices}），合同数量不能少于 {noticed}（本单填写 {given}）。",
    "Shipment notices ({notices}) already ask for {noticed} of product {code}; the contract cannot go below {noticed} (this says {given}).",
)
EXCEEDS_REPLACEMENT = problem_type(
    "notice-exceeds-replacement",
    "退货单 {docno} 产品 {code} 还需换货 {left}（退货换货 {returned}，其他换货发货单已发 {replaced}），本行填写 {given}。请改为不超过 {left}。",
    "Sales return {docno} has {left} of product {code} left to replace ({returned} to be replaced, {replaced} on other replacement notices); this line says {given}. Write at most {left}.",
)
RETURN_BELOW_REPLACED = problem_type(
    "return-below-replaced",
    "产品 {code} 已开换货发货单 {replaced}（{notices}），退货换货数量不能少于 {replaced}（本单为 {given}）。",
    "Replacement notices ({notices}) already ship {replaced} of product {code}; the goods to be replaced cannot go below {replaced} (this makes it {given}).",
)
NO_KEEPER = problem_type(
    "notice-warehouse-no-keeper",
    "仓库 {warehouse} 在员工名单中没有仓管员，出库通知无人接收。请联系管理员在 inbox_rules/staff.toml 中指定。",
    "Warehouse {warehouse} has no keeper on the staff roster, so nobody receives its copy. Ask the administrator to name one in inbox_rules/staff.toml.",
)


def _exceeds_contract(doc: Document, line: Line, share: drawdown.Share) -> Problem:
    return doc.problem(
        EXCEEDS_CONTRACT,
        "quantity",
        line,
        docno=share.source,
        code=share.key,
        left=max(share.left, Decimal(0)),
        contracted=share.gives,
        noticed=share.drawn,
        given=share.given,
    )


def _contract_below_noticed(
    change: drawdown.Change, share: drawdown.Share, line: Line | None
) -> Problem:
    given = line["quantity"] if line and line["quantity"] is not None else Decimal(0)
    return change.doc.problem(
        BELOW_NOTICED,
        "quantity" if line else "docno",
        line,
        code=share.key,
        noticed=share.drawn,
        notices=list(share.takers),
        given=given,
    )


def _replacement_owed(
    view: LedgerView, return_no: str, change: drawdown.Change | None
) -> dict[drawdown.Key, Decimal]:
    """Per product, what a return's lines ask to be replaced (nothing unless its goods are to be
    replaced), after ``change`` where the return itself is amended or cancelled."""
    found: dict[drawdown.Key, Decimal] = defaultdict(Decimal)
    if change is not None and change.docno == return_no:
        if change.cancelling or change.doc["goods_disposition"] != "replace":
            return {}
        for line in change.doc.lines:
            found[line["product_code"]] += line["quantity"] or Decimal(0)
        return dict(found)
    header = view.db.execute(
        "SELECT goods_disposition FROM sales_return WHERE docno = ?", [return_no]
    ).fetchone()
    if not header or header[0] != "replace":
        return {}
    for row in F.lines_of(view, "sales_return", return_no):
        found[row["product_code"]] += F.dec(row.get("quantity"))
    return dict(found)


def _exceeds_replacement(doc: Document, line: Line, share: drawdown.Share) -> Problem:
    return doc.problem(
        EXCEEDS_REPLACEMENT,
        "quantity",
        line,
        docno=share.source,
        code=share.key,
        left=max(share.left, Decimal(0)),
        returned=share.gives,
        replaced=share.drawn,
        given=share.given,
    )


def _return_below_replaced(
    change: drawdown.Change, share: drawdown.Share, line: Line | None
) -> Problem:
    return change.doc.problem(
        RETURN_BELOW_REPLACED,
        "quantity" if line else "goods_disposition",
        line,
        code=share.key,
        replaced=share.drawn,
        notices=list(share.takers),
        given=share.gives,
    )


#: a notice line draws on its contract's quantity of the product (one contract line per
#: product); a replacement notice's line also on what its return asks to be replaced
DRAWS = (
    drawdown.DrawsOn(
        kind="shipment_notice",
        source="sales_return",
        via="replaces_return",
        key="product_code",
        source_key="product_code",
        gives=_replacement_owed,
        exceeds=_exceeds_replacement,
        below=_return_below_replaced,
        applies=lambda header: bool(header.get("replaces_return")),
    ),
    drawdown.DrawsOn(
        kind="shipment_notice",
        source="contract",
        via="contract_no",
        key="product_code",
        source_key="product_code",
        exceeds=_exceeds_contract,
        below=_contract_below_noticed,
        applies=lambda header: not replacements.is_replacement(header),
    ),
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Against an active contract of the same customer and currency; per contract product all
    notices together within the contract quantity; a named warehouse exists, a named lot exists,
    is of that product, has stock in that warehouse and is not reserved beyond its stock by other
    open notices; an amendment keeps every line at least at what was issued from it."""
    found = (
        common.customer_known(doc, ledger)
        + common.products_known(doc, ledger)
        + common.currency_valid(doc)
    )
    found += salesperson_allowed(doc, ctx, ctx.roster_addresses("sales", "sales_manager"))
    contract, problems = common.referenced(doc, ledger, "contract_no", "contract")
    found += problems
    if doc["replaces_return"]:
        problems = common.referenced(doc, ledger, "replaces_return", "sales_return")[1]
        found += problems or replacements.check(doc, ledger)
    if contract:
        found += common.same_customer(doc, contract, "contract_no")
        found += common.same_currency(doc, contract, ctx.firm.currency)
        found += _within_contract(doc, contract, ledger, replacements.is_replacement(doc.header))
    found += _places(doc, ledger)
    found += common.not_before(doc, "ship_by", "notice_date")
    kept = {w for person in ctx.staff for w in person.warehouses}
    for wh in sorted({x["warehouse"] for x in doc.lines if x["warehouse"]}):
        if wh not in kept and ledger.warehouse(wh) is not None:
            line = next(x for x in doc.lines if x["warehouse"] == wh)
            found.append(
                doc.problem(NO_KEEPER, "warehouse", line, severity="warning", warehouse=wh)
            )
    return found


def _within_contract(
    doc: Document, contract: dict, ledger: LedgerView, replacing: bool = False
) -> list[Problem]:
    found = []
    started = contract["header"].get("contract_date")
    if doc["notice_date"] and started and doc["notice_date"] < dt.date.fromisoformat(started):
        found.append(
            doc.problem(
                BEFORE_CONTRACT,
                "notice_date",
                date=doc["notice_date"],
                docno=contract["docno"],
                contract_date=started,
            )
        )
    contracted = F.contract_quantities(contract)
    prices: dict[str, list[Decimal]] = defaultdict(list)  # a product may sit on several lines
    for x in contract["lines"]:
        if x.get("product_code"):
            prices[x["product_code"]].append(F.dec(x.get("unit_price")))
    for line in doc.lines:
        code = line["product_code"]
        if not code:
            continue
        if code not in contracted:
            found.append(
                doc.problem(
                    NOT_ON_CONTRACT,
                    "product_code",
                    line,
                    code=code,
                    docno=contract["docno"],
                    contracted=list(contracted) or "-",
                )
            )
            continue
        if (
            not replacing
            and line["unit_price"] is not None
            and line["unit_price"] not in prices[code]
        ):
            found.append(
                doc.problem(
                    PRICE_DIFFERS,
                    "unit_price",
                    line,
                    severity="warning",
                    code=code,
                    docno=contract["docno"],
                    contracted=[doc.money(p) for p in prices[code]],
                    given=doc.money(line["unit_price"]),
                )
            )
    return found


def _places(doc: Document, ledger: LedgerView) -> list[Problem]:
    """Named warehouses and lots exist and hold the goods; named lots are not over-reserved."""
    found: list[Problem] = []
    warehouses = [w["code"] for w in ledger.warehouses()]  # asked once, not once a line
    known = ", ".join(warehouses) or "-"
    issued = F.issued_by_line(ledger, doc.docno) if doc.docno else {}
    needs: dict[tuple[str, str, str], list[tuple[Line, Decimal]]] = defaultdict(list)
    unnamed: dict[str, list[Line]] = defaultdict(list)
    for line in doc.lines:
        code, wh, lot = line["product_code"], line["warehouse"], line["lot"]
        if not code or ledger.product(code) is None:
            continue
        if wh and ledger.warehouse(wh) is None:
            found.append(
                doc.problem(common.WAREHOUSE_UNKNOWN, "warehouse", line, code=wh, known=known)
            )
            continue
        if lot and not wh:
            places = [
                f"{w} {F.text(F.on_hand(ledger, w, code, lot))}"
                for w in warehouses
                if F.on_hand(ledger, w, code, lot) > 0
            ]
            found.append(
                doc.problem(LOT_NEEDS_WAREHOUSE, "warehouse", line, lot=lot, places=places or "-")
            )
            continue
        if not lot:
            if not wh or ledger.warehouse(wh) is not None:
                unnamed[code].append(line)
            continue
        held = F.lots_held(ledger, wh, code)
        if ledger.lot(code, lot) is None:
            found.append(
                doc.problem(
                    LOT_UNKNOWN,
                    "lot",
                    line,
                    code=code,
                    lot=lot,
                    warehouse=wh,
                    held=F.held_words(held),
                )
            )
            continue
        if F.on_hand(ledger, wh, code, lot) <= 0:
            found.append(
                doc.problem(
                    LOT_NOT_IN_WAREHOUSE,
                    "lot",
                    line,
                    lot=lot,
                    warehouse=wh,
                    held=F.held_words(held),
                )
            )
            continue
        expiry = F.expiry(ledger, code, lot)
        if expiry and doc["notice_date"] and expiry < doc["notice_date"]:
            found.append(
                doc.problem(
                    LOT_EXPIRED_NAMED, "lot", line, severity="warning", lot=lot, expiry=expiry
                )
            )
        if line["quantity"] is not None:
            need = max(line["quantity"] - issued.get(line.number, Decimal(0)), Decimal(0))
            needs[(wh, code, lot)].append((line, need))
    for (wh, code, lot), wanted in needs.items():
        on_hand = F.on_hand(ledger, wh, code, lot)
        others = F.reservations(ledger, wh, code, lot, excluding=doc.docno)
        reserved = sum((r["open"] for r in others), Decimal(0))
        left = on_hand - reserved
        for line, need in wanted:
            if need > left:
                found.append(
                    doc.problem(
                        LOT_OVER_RESERVED,
                        "quantity",
                        line,
                        warehouse=wh,
                        lot=lot,
                        on_hand=on_hand,
                        reserved=reserved,
                        notices=sorted({r["docno"] for r in others}) or "-",
                        left=max(left, Decimal(0)),
                        given=need,
                    )
                )
            left -= need
    for code, lines in unnamed.items():
        for line in lines:
            if line["quantity"] is None:
                continue
            wh = line["warehouse"]
            held = (
                F.lots_held(ledger, wh, code)
                if wh
                else [h for w in warehouses for h in F.lots_held(ledger, w, code)]
            )
            free = sum(
                (
                    h["on_hand"]
                    - F.reserved(ledger, h["warehouse"], code, h["lot"], excluding=doc.docno)
                    for h in held
                ),
                Decimal(0),
            )
            need = line["quantity"] - issued.get(line.number, Decimal(0))
            if need > max(free, Decimal(0)):
                where = (
                    {"zh": f"在仓库 {wh} ", "en": f"in {wh}"}
                    if wh
                    else {"zh": "各仓合计", "en": "in all warehouses"}
                )
                found.append(
                    doc.problem(
                        STOCK_SHORT,
                        "quantity",
                        line,
                        severity="warning",
                        code=code,
                        where=where,
                        available=max(free, Decimal(0)),
                        given=need,
                    )
                )
    return found


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """The customer comes from the contract when left empty."""
    if not doc["customer_code"] and doc["contract_no"]:
        contract = writer.view.document(doc["contract_no"])
        if contract:
            doc.header["customer_code"] = contract["customer_code"]


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """The next notice of the same contract, pre-filled with what is left to ship."""
    from silu_sheets.kinds.contract import remaining_lines

    if not doc["contract_no"]:
        return []
    lines = remaining_lines(ledger, doc["contract_no"])
    if not lines:
        return []
    header = {
        "contract_no": doc["contract_no"],
        "customer_code": doc["customer_code"],
        "currency": doc["currency"],
        "salesperson": doc["salesperson"],
    }
    return [NextForm("shipment_notice", header, lines)]


def more_replies(
    doc: Document, docno: str, action: str, writer: LedgerWriter, ctx: Context, roster: Roster
) -> list[Reply]:
    """Each warehouse involved gets its copy: a price-free issue slip, pre-filled."""
    from silu_sheets import warehouse_copy

    return warehouse_copy.notice_copies(doc, docno, action, writer.view, ctx, roster)


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: per notice line: issued, left and damaged, from which
    warehouse and lot; its slips; for a reader who sees prices, what the goods issued are worth,
    what was paid or credited and what is owed. The head says how far issuing has come."""
    from silu_sheets.answers import both, product_names
    from silu_sheets.open_items import remaining_by_line
    from silu_sheets.warehouse_copy import progress

    left = remaining_by_line(view, doc["docno"], "notice_to_issue")
    rows = []
    for r in progress(view, doc["docno"]):
        rows.append(
            {
                "line_no": r["line_no"],
                "product_code": r["product_code"],
                "warehouse": r["warehouse"],
                "lot": r["lot"],
                "quantity": F.text(r["noticed"]),
                "issued": F.text(r["issued"]),
                "left": F.text(left.get(int(r["line_no"]), F.ZERO)),
                "damaged": F.text(r["damaged"]),
                "issued_from": [
                    {"warehouse": w["warehouse"], "lot": w["lot"], "issued": F.text(w["issued"])}
                    for w in r["issued_from"]
                ],
            }
        )
    slips = []
    for s in F.slips_of_notice(view, doc["docno"]):
        row = (
            view.row(
                "SELECT warehouse, issue_date, recorded_by FROM issue_slip WHERE docno = ?", [s]
            )
            or {}
        )
        slips.append({"docno": s, **row})
    found: dict = {
        "contract_no": doc["header"].get("contract_no"),
        "progress": rows,
        "slips": slips,
        "fully_issued": bool(rows) and all(F.dec(r["left"]) <= 0 for r in rows),
    }
    currency = doc["header"].get("currency")
    if prices:
        from silu_sheets import money

        worth = money.notice_gross(view, doc["docno"])
        settled = money.notice_settled(view, doc["docno"])
        found["money"] = {
            "issued_value": str(worth),
            "settled": str(settled),
            "owed": str(worth - settled),
        }
    names = product_names(view, (r["product_code"] for r in rows))
    return found | {
        "summary": both(lambda language: _issued(found, language)),
        "next": both(lambda language: _next_step(found, language)),
        "text": both(lambda language: _status_text(found, names, currency, language)),
        "shown": [x for x in (found["contract_no"], *(s["docno"] for s in slips)) if x],
    }


def _issued(found: dict, language: str) -> str:
    zh = language == "zh"
    rows = found["progress"]
    if found["fully_issued"]:
        return "已全部出库" if zh else "all issued"
    if any(F.dec(r["issued"]) > 0 for r in rows):
        return "部分出库" if zh else "partly issued"
    return "待仓库出库" if zh else "waiting for the warehouse"


def _next_step(found: dict, language: str) -> str:
    """Who has to act: the warehouses still holding goods for this notice."""
    waiting: dict[str, Decimal] = defaultdict(Decimal)
    for r in found["progress"]:
        if F.dec(r["left"]) > 0:
            waiting[r["warehouse"] or ""] += F.dec(r["left"])
    if not waiting:
        return ""
    anywhere = "未指定仓库" if language == "zh" else "any warehouse"
    # the named warehouses first, then what any warehouse may issue
    places = [
        f"{w or anywhere} {F.text(q)}"
        for w, q in sorted(waiting.items(), key=lambda x: (not x[0], x[0]))
    ]
    if language == "zh":
        return f"等仓库出库（尚未出库：{'、'.join(places)}）。"
    return f"The warehouse issues the rest (still to issue: {', '.join(places)})."


def _status_text(found: dict, names: dict, currency: str | None, language: str) -> list:
    from silu_sheets.answers import LINE, LOT, NAME, PRODUCT, WAREHOUSE, Column, money_owed, table

    zh = language == "zh"
    sep = "：" if zh else ": "
    out: list = []
    if found.get("contract_no"):
        out.append(f"{'依据合同' if zh else 'From contract'}{sep}{found['contract_no']}")
    money = found.get("money")
    if money:
        said = money_owed(
            money["issued_value"], money["settled"], money["owed"], currency, language
        )
        out.append(f"{'货款' if zh else 'Money'}{sep}{said}")
    columns = [
        LINE,
        PRODUCT,
        NAME,
        WAREHOUSE,
        LOT,
        Column("quantity", "发货数量", "Notice", figure=True),
        Column("issued", "已出库", "Issued", figure=True),
        Column("left", "未出库", "Left", figure=True),
        Column("damaged", "破损", "Damaged", figure=True),
    ]
    rows = [r | {"name": names.get(r["product_code"] or "", "")} for r in found["progress"]]
    out.append(table(columns, rows, language, "发货单明细" if zh else "Lines"))
    issued_from = [
        {"line_no": r["line_no"], "product_code": r["product_code"], **w}
        for r in found["progress"]
        for w in r["issued_from"]
    ]
    # where it came from, when that is not simply the line's own warehouse and lot
    elsewhere = any(
        len(r["issued_from"]) > 1
        or any(
            (w["warehouse"], w["lot"] or "") != (r["warehouse"], r["lot"] or "")
            for w in r["issued_from"]
        )
        for r in found["progress"]
    )
    if elsewhere:
        columns = [LINE, PRODUCT, WAREHOUSE, LOT, Column("issued", "已出库", "Issued", figure=True)]
        out.append(table(columns, issued_from, language, "从哪里出库" if zh else "Issued from"))
    if found["slips"]:
        columns = [
            Column("docno", "出库单", "Issue slip"),
            WAREHOUSE,
            Column("issue_date", "出库日期", "Date"),
        ]
        out.append(table(columns, found["slips"], language, "出库单" if zh else "Issue slips"))
    return out


HOOKS = Hooks(
    status=status,
    check=check,
    book=book,
    next_forms=next_forms,
    more_replies=more_replies,
    draws=DRAWS,
)
