"""Warehouse issue slip (出库单): goods leave only here, against a recorded shipment notice, by
staff of that warehouse. Per notice line all slips never exceed the notice quantity; stock per
warehouse, product and lot never goes below zero. The declaration has no price field: the
warehouse never sees a selling price (its handling cost is its own expense, not a price)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from silu_sheets import drawdown
from silu_sheets import fulfilment as F
from silu_sheets.declare import (
    Kind,
    LineTable,
    cost,
    date,
    docno,
    document_header,
    line_no,
    lot_field,
    product_field,
    quantity,
    text,
    warehouse_field,
)
from silu_sheets.document import Context, Document, Line
from silu_sheets.hooks import Hooks, NextForm
from silu_sheets.kinds import common
from silu_sheets.problems import NOT_POSITIVE, Problem, problem_type

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter
    from silu_sheets.pipeline import Gateway
    from silu_sheets.replies import Reply
    from silu_sheets.roster import Roster

KIND = Kind(
    key="issue_slip",
    zh="出库单",
    en="Issue slip",
    prefix="ISS",
    version=1,
    senders=("warehouse",),
    header=document_header(
        date("issue_date", "出库日期", "Issue date", required=True),
        docno("notice_no", "发货单号", "Shipment notice number", "shipment_notice", required=True),
        warehouse_field(),
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
            product_field(),
            lot_field(),
            quantity("quantity", "出库数量", "Quantity issued", required=True),
            quantity("damaged_quantity", "破损数量", "Damaged quantity"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)

NOT_KEEPER = problem_type(
    "issue-not-warehouse-keeper",
    "您不是仓库 {warehouse} 的仓管员（您负责：{yours}），不能为该仓库出库。请由 {warehouse} 的仓管员填写。",
    "You do not keep warehouse {warehouse} (you keep: {yours}); only its keeper may issue from it.",
)
BEFORE_NOTICE = problem_type(
    "issue-before-notice",
    "出库日期 {date} 早于发货单 {docno} 的日期 {notice_date}。",
    "Issue date {date} is before the date of shipment notice {docno}, {notice_date}.",
)
LINE_UNKNOWN = problem_type(
    "issue-notice-line-unknown",
    "发货单 {docno} 没有第 {notice_line} 行（共 {count} 行）。",
    "Shipment notice {docno} has no line {notice_line} (it has {count}).",
)
PRODUCT_DIFFERS = problem_type(
    "issue-product-differs",
    "发货单 {docno} 第 {notice_line} 行的产品是 {expected}，本行填写 {given}。",
    "Line {notice_line} of shipment notice {docno} is product {expected}; this line says {given}.",
)
NOT_ON_NOTICE = problem_type(
    "issue-product-not-on-notice",
    "产品 {code} 不在发货单 {docno} 上（发货产品：{products}）。",
    "Product {code} is not on shipment notice {docno} (it lists {products}).",
)
LINE_AMBIGUOUS = problem_type(
    "issue-notice-line-ambiguous",
    "发货单 {docno} 有多行产品 {code}（第 {lines} 行），请在“发货单行号”填写对应的行号。",
    "Shipment notice {docno} has product {code} on several lines ({lines}); write the notice line number.",
)
WRONG_WAREHOUSE = problem_type(
    "issue-wrong-warehouse",
    "发货单 {docno} 第 {notice_line} 行指定从仓库 {named} 出库，本单是仓库 {warehouse}。请由 {named} 出库。",
    "Line {notice_line} of shipment notice {docno} is to be issued from warehouse {named}; this slip is from {warehouse}. {named} issues it.",
)
LOT_NOT_AS_NAMED = problem_type(
    "issue-lot-not-as-named",
    "发货单 {docno} 第 {notice_line} 行指定批号 {named}，本行填写 {given}。请按指定批号 {named} 出库。",
    "Line {notice_line} of shipment notice {docno} names lot {named}; this line says {given}. Issue lot {named}.",
)
LOT_NEEDED = problem_type(
    "issue-lot-required",
    "产品 {code} 实行批次管理，请填写批号。仓库 {warehouse} 现有该产品批号：{held}。",
    "Product {code} is lot-tracked: write the lot. Lots of it in {warehouse}: {held}.",
)
LOT_NOT_HERE = problem_type(
    "issue-lot-not-in-warehouse",
    "批号 {lot} 在仓库 {warehouse} 没有库存。{warehouse} 现有该产品批号：{held}。",
    "Lot {lot} has no stock in warehouse {warehouse}. Lots of this product there: {held}.",
)
LOT_EXPIRED = problem_type(
    "issue-lot-expired",
    "批号 {lot} 已于 {expiry} 到期，早于出库日期 {date}，不能出库（除非销售在发货单上指定该批号）。{warehouse} 其他批号：{held}。",
    "Lot {lot} expired on {expiry}, before the issue date {date}; it may not be issued unless sales named it on the notice. Other lots in {warehouse}: {held}.",
)
EXCEEDS_NOTICE = problem_type(
    "issue-exceeds-notice",
    "发货单 {docno} 第 {notice_line} 行（{code}）还可出库 {left}（发货 {noticed}，已出库 {issued}），本单填写 {given}。请改为不超过 {left}，或请销售修改发货单。",
    "Line {notice_line} of shipment notice {docno} ({code}) has {left} left to issue (notice {noticed}, issued {issued}); this slip says {given}. Write at most {left}, or ask sales to amend the notice.",
)
EXCEEDS_STOCK = problem_type(
    "issue-exceeds-stock",
    "仓库 {warehouse} 产品 {code} 批号 {lot} 库存 {on_hand}，本单出库 {given}，库存不能为负。{warehouse} 现有该产品批号：{held}。",
    "Warehouse {warehouse} holds {on_hand} of product {code} lot {lot}; this slip issues {given}, and stock cannot go below zero. Lots of it there: {held}.",
)
LOT_RESERVED = problem_type(
    "issue-lot-reserved",
    "仓库 {warehouse} 批号 {lot} 库存 {on_hand}，其中 {reserved} 已为发货单 {notices} 预留，本单最多可从此批出库 {left}，本单填写 {given}。请改用其他批号：{held}。",
    "Lot {lot} in {warehouse} holds {on_hand}, of which {reserved} is reserved for notices {notices}; this slip may take at most {left} from it and says {given}. Use another lot: {held}.",
)
DAMAGED_ABOVE = problem_type(
    "issue-damaged-exceeds-quantity",
    "破损数量 {damaged} 超过出库数量 {quantity}。破损数量是出库数量中破损的部分。",
    "Damaged {damaged} is more than the {quantity} issued; damaged is the part of the issued quantity found damaged.",
)
# the notice amended below what its slips issued (placed on the notice)
BELOW_ISSUED = problem_type(
    "notice-below-issued",
    "第 {number} 行已出库 {issued}（{slips}），数量不能少于 {issued}（本单填写 {given}）。",
    "Line {number} has {issued} issued already ({slips}); it cannot go below {issued} (this says {given}).",
)
ISSUED_LINE_CHANGED = problem_type(
    "notice-issued-line-changed",
    "第 {number} 行（产品 {code}）已出库 {issued}（{slips}），不能删除该行或改成其他产品。新产品请加在新行。",
    "Line {number} (product {code}) has {issued} issued already ({slips}); it cannot be removed or changed to another product. Add new products on new lines.",
)

HANDLING_NOTE_NEEDED = problem_type(
    "issue-handling-note-needed",
    "填写了出库杂费 {cost}，请在“杂费说明”写明用途。",
    "A handling cost of {cost} needs a note saying what it was for.",
)


class Resolved(NamedTuple):
    """A slip line tied to its notice line and the place its goods come from."""

    line: Line
    notice_line: dict
    warehouse: str
    lot: str


def _exceeds_notice(doc: Document, line: Line, share: drawdown.Share) -> Problem:
    return doc.problem(
        EXCEEDS_NOTICE,
        "quantity",
        line,
        docno=share.source,
        notice_line=share.key,
        code=line["product_code"],
        left=max(share.left, Decimal(0)),
        noticed=share.gives,
        issued=share.drawn,
        given=share.given,
    )


def _notice_gives(
    view: LedgerView, notice_no: str, change: drawdown.Change | None
) -> dict[drawdown.Key, Decimal]:
    """Per notice line, its quantity; after an amendment that changed a line's product, nothing
    (what was issued from it was another product)."""
    recorded = {int(x["line_no"]): x for x in F.lines_of(view, "shipment_notice", notice_no)}
    if change is None or change.docno != notice_no:
        return {n: F.dec(x.get("quantity")) for n, x in recorded.items()}
    if change.cancelling:
        return {}
    return {
        line.number: (line["quantity"] or Decimal(0))
        if recorded.get(line.number, {}).get("product_code") in (None, line["product_code"])
        else Decimal(0)
        for line in change.doc.lines
    }


def _notice_below_issued(
    change: drawdown.Change, share: drawdown.Share, line: Line | None
) -> Problem:
    """A notice amended below what was issued from a line, or that line removed or changed to
    another product."""
    doc, slips = change.doc, list(share.takers) or "-"
    if line is None or line["quantity"] is None or share.gives == 0 and line["quantity"]:
        recorded = F.lines_of(change.view, "shipment_notice", share.source)
        code = next((x["product_code"] for x in recorded if x["line_no"] == share.key), None)
        return doc.problem(
            ISSUED_LINE_CHANGED,
            "product_code" if line else "docno",
            line,
            number=share.key,
            code=code or "-",
            issued=share.drawn,
            slips=slips,
        )
    return doc.problem(
        BELOW_ISSUED,
        "quantity",
        line,
        number=share.key,
        issued=share.drawn,
        slips=slips,
        given=line["quantity"],
    )


#: a slip line draws on its notice line's quantity
DRAWS = (
    drawdown.DrawsOn(
        kind="issue_slip",
        source="shipment_notice",
        via="notice_no",
        key="notice_line",
        gives=_notice_gives,
        exceeds=_exceeds_notice,
        below=_notice_below_issued,
    ),
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Only against an active notice, only by a keeper of the slip's warehouse; each line on a
    notice line of its product, from the warehouse and lot sales named (or a lot the warehouse
    holds, not expired, where sales named none); per notice line all slips within the notice
    quantity; per warehouse, product and lot never below zero, nor into what other notices
    reserved."""
    found: list[Problem] = []
    warehouse = doc["warehouse"]
    if warehouse and ledger.warehouse(warehouse) is None:
        known = ", ".join(w["code"] for w in ledger.warehouses()) or "-"
        found.append(
            doc.problem(common.WAREHOUSE_UNKNOWN, "warehouse", code=warehouse, known=known)
        )
        warehouse = None
    elif warehouse and warehouse not in ctx.sender.warehouses:
        found.append(
            doc.problem(
                NOT_KEEPER,
                "warehouse",
                warehouse=warehouse,
                yours=list(ctx.sender.warehouses) or "-",
            )
        )
    if doc["handling_cost"] and not doc["handling_note"]:
        cost = doc.money(doc["handling_cost"])  # the keeper's own cost, in the firm's currency
        found.append(doc.problem(HANDLING_NOTE_NEEDED, "handling_note", cost=cost))
    for line in doc.lines:
        if line["quantity"] is not None and line["quantity"] <= 0:
            found.append(doc.problem(NOT_POSITIVE, "quantity", line, value=line["quantity"]))
        if (
            line["damaged_quantity"]
            and line["quantity"] is not None
            and line["damaged_quantity"] > line["quantity"]
        ):
            found.append(
                doc.problem(
                    DAMAGED_ABOVE,
                    "damaged_quantity",
                    line,
                    damaged=line["damaged_quantity"],
                    quantity=line["quantity"],
                )
            )
    notice, problems = common.referenced(doc, ledger, "notice_no", "shipment_notice")
    found += problems
    if notice is None or warehouse is None:
        return found
    started = notice["header"].get("notice_date")
    if doc["issue_date"] and started and doc["issue_date"] < dt.date.fromisoformat(started):
        found.append(
            doc.problem(
                BEFORE_NOTICE,
                "issue_date",
                date=doc["issue_date"],
                docno=notice["docno"],
                notice_date=started,
            )
        )
    resolved, problems = resolve(doc, notice, warehouse)
    found += problems
    for r in resolved:  # the notice line each line draws on (silu_sheets/drawdown.py measures)
        r.line.values["notice_line"] = int(r.notice_line["line_no"])
    found += _stock(doc, notice, resolved, ledger)
    return found


def resolve(doc: Document, notice: dict, warehouse: str) -> tuple[list[Resolved], list[Problem]]:
    """Each slip line's notice line (its number, or the one line of its product that fits this
    warehouse and lot) and the place its goods come from."""
    lines = {int(x["line_no"]): x for x in notice["lines"]}
    found: list[Problem] = []
    resolved = []
    number = notice["docno"]
    for line in doc.lines:
        code = line["product_code"]
        if not code:
            continue
        target = None
        if line["notice_line"] is not None:
            target = lines.get(line["notice_line"])
            if target is None:
                found.append(
                    doc.problem(
                        LINE_UNKNOWN,
                        "notice_line",
                        line,
                        docno=number,
                        notice_line=line["notice_line"],
                        count=len(lines),
                    )
                )
                continue
            if target.get("product_code") != code:
                found.append(
                    doc.problem(
                        PRODUCT_DIFFERS,
                        "product_code",
                        line,
                        docno=number,
                        notice_line=line["notice_line"],
                        expected=target.get("product_code"),
                        given=code,
                    )
                )
                continue
        else:
            same = [x for x in lines.values() if x.get("product_code") == code]
            if not same:
                products = sorted(
                    {x.get("product_code") for x in lines.values() if x.get("product_code")}
                )
                found.append(
                    doc.problem(
                        NOT_ON_NOTICE,
                        "product_code",
                        line,
                        code=code,
                        docno=number,
                        products=products or "-",
                    )
                )
                continue
            fits = [x for x in same if x.get("warehouse") in (None, "", warehouse)]
            fits = [x for x in fits if x.get("lot") in (None, "", line["lot"])] or fits
            if len(fits) == 1 or (not fits and len(same) == 1):
                target = fits[0] if fits else same[0]
            else:
                found.append(
                    doc.problem(
                        LINE_AMBIGUOUS,
                        "notice_line",
                        line,
                        docno=number,
                        code=code,
                        lines=[int(x["line_no"]) for x in (fits or same)],
                    )
                )
                continue
        named_wh, named_lot = target.get("warehouse") or "", target.get("lot") or ""
        if named_wh and named_wh != warehouse:
            found.append(
                doc.problem(
                    WRONG_WAREHOUSE,
                    "product_code",
                    line,
                    docno=number,
                    notice_line=int(target["line_no"]),
                    named=named_wh,
                    warehouse=warehouse,
                )
            )
            continue
        if named_lot and (line["lot"] or "") != named_lot:
            found.append(
                doc.problem(
                    LOT_NOT_AS_NAMED,
                    "lot",
                    line,
                    docno=number,
                    notice_line=int(target["line_no"]),
                    named=named_lot,
                    given=line["lot"] or "-",
                )
            )
            continue
        resolved.append(Resolved(line, target, warehouse, line["lot"] or ""))
    return resolved, found


def _stock(
    doc: Document, notice: dict, resolved: list[Resolved], ledger: LedgerView
) -> list[Problem]:
    """The place exists and holds enough: lot given where the product is lot-tracked, the lot
    held here and not expired (unless named by sales), stock and others' reservations respected.
    An amendment first gives back what the slip took before."""
    found: list[Problem] = []
    own = (
        {(k[0], k[1], k[2]): -v for k, v in F.slip_net(ledger, doc.docno).items()}
        if doc.docno
        else {}
    )
    own_place: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for (wh, code, lot), q in own.items():
        own_place[(wh, code, lot)] += q
    wanted: dict[tuple[str, str, str], list[Resolved]] = defaultdict(list)
    for r in resolved:
        code = r.line["product_code"]
        product = ledger.product(code)
        named = bool(r.notice_line.get("lot"))
        if product is None:
            found.append(doc.problem(common.PRODUCT_UNKNOWN, "product_code", r.line, code=code))
            continue
        if not r.lot and product["lot_tracked"]:
            found.append(
                doc.problem(
                    LOT_NEEDED,
                    "lot",
                    r.line,
                    code=code,
                    warehouse=r.warehouse,
                    held=F.held_words(F.lots_held(ledger, r.warehouse, code)),
                )
            )
            continue
        place = (r.warehouse, code, r.lot)
        if F.on_hand(ledger, *place) + own_place.get(place, Decimal(0)) <= 0:
            found.append(
                doc.problem(
                    LOT_NOT_HERE,
                    "lot",
                    r.line,
                    lot=r.lot or "-",
                    warehouse=r.warehouse,
                    held=F.held_words(F.lots_held(ledger, r.warehouse, code)),
                )
            )
            continue
        expiry = F.expiry(ledger, code, r.lot)
        if expiry and doc["issue_date"] and expiry < doc["issue_date"] and not named:
            others = [h for h in F.lots_held(ledger, r.warehouse, code) if h["lot"] != r.lot]
            found.append(
                doc.problem(
                    LOT_EXPIRED,
                    "lot",
                    r.line,
                    lot=r.lot,
                    expiry=expiry,
                    date=doc["issue_date"],
                    warehouse=r.warehouse,
                    held=F.held_words(others),
                )
            )
            continue
        wanted[place].append(r)
    for place, group in wanted.items():
        wh, code, lot = place
        on_hand = F.on_hand(ledger, wh, code, lot) + own_place.get(place, Decimal(0))
        others = F.reservations(ledger, wh, code, lot, excluding=notice["docno"])
        reserved = sum((x["open"] for x in others), Decimal(0))
        total = Decimal(0)
        for r in group:
            quantity = r.line["quantity"]
            if quantity is None:
                continue
            total += quantity
            if total > on_hand:
                found.append(
                    doc.problem(
                        EXCEEDS_STOCK,
                        "quantity",
                        r.line,
                        warehouse=wh,
                        code=code,
                        lot=lot or "-",
                        on_hand=on_hand,
                        given=total,
                        # every lot here, this one too: "现有…：无" beside a lot holding 35 misleads
                        held=F.held_words(F.lots_held(ledger, wh, code)),
                    )
                )
                break
            if total > on_hand - reserved:
                found.append(
                    doc.problem(
                        LOT_RESERVED,
                        "lot",
                        r.line,
                        warehouse=wh,
                        lot=lot or "-",
                        on_hand=on_hand,
                        reserved=reserved,
                        notices=sorted({x["docno"] for x in others}),
                        left=max(on_hand - reserved - (total - quantity), Decimal(0)),
                        given=quantity,
                        held=_other_lots(ledger, wh, code, lot),
                    )
                )
                break
    return found


def _other_lots(ledger: LedgerView, warehouse: str, code: str, lot: str) -> dict[str, str]:
    """The other lots of the product held here, in words: what the keeper may take instead."""
    return F.held_words([h for h in F.lots_held(ledger, warehouse, code) if h["lot"] != lot])


def _reverse(docno: str, writer: LedgerWriter) -> None:
    """Append-only: what the slip moved before is moved back, row by row of its net effect."""
    for (wh, code, lot, against, against_line), moved in F.slip_net(writer.view, docno).items():
        writer.move_stock(wh, code, lot, -moved, "reversal", docno, None, against, against_line)


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """Goods leave: one ``issue`` movement (negative) per line against the notice line; an
    amendment first reverses what the slip moved before. The resolved notice line is written
    into the recorded slip."""
    _reverse(docno, writer)
    notice = writer.view.document(doc["notice_no"])
    if notice is None:
        return
    resolved, _ = resolve(doc, notice, doc["warehouse"])
    for r in resolved:
        number = int(r.notice_line["line_no"])
        r.line.values["notice_line"] = number
        writer.move_stock(
            r.warehouse,
            r.line["product_code"],
            r.lot,
            -r.line["quantity"],
            "issue",
            docno,
            r.line.number,
            doc["notice_no"],
            number,
        )


def on_cancel(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """A cancelled slip gives its goods back to the shelf (reversal rows)."""
    _reverse(docno, writer)


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """What this warehouse still has to issue on the notice, as the next slip (no prices)."""
    from silu_sheets import warehouse_copy

    return warehouse_copy.remainder_forms(ledger, doc["notice_no"], doc["warehouse"])


def more_replies(
    doc: Document, docno: str, action: str, writer: LedgerWriter, ctx: Context, roster: Roster
) -> list[Reply]:
    """The notice's salesperson hears how far the notice is issued, per line and warehouse."""
    from silu_sheets import warehouse_copy

    return warehouse_copy.issue_progress(doc, docno, action, writer.view, ctx, roster)


def _after_record(
    gw: Gateway, ctx: Context, doc: Document, docno: str, writer: LedgerWriter
) -> None:
    """Goods issued: apply the customer's balance where silu.toml says so (money_hooks.py)."""
    from silu_sheets.money_hooks import after_issue

    after_issue(gw, ctx, doc, docno, writer)


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: the slip's notice and the stock it moved (out, or back
    in when it was cancelled or amended), as a table of warehouse, product, lot and quantity."""
    from silu_sheets.answers import both, product_names

    moved = view.rows(
        "SELECT warehouse, product_code, lot, quantity, movement, against_line FROM stock_movements "
        "WHERE docno = ? ORDER BY id",
        [doc["docno"]],
    )
    found = {"notice_no": doc["header"].get("notice_no"), "stock_movements": moved}
    names = product_names(view, (r["product_code"] for r in moved))
    return found | {
        "text": both(lambda language: _status_text(found, names, language)),
        "shown": [found["notice_no"]] if found["notice_no"] else [],
    }


def _status_text(found: dict, names: dict, language: str) -> list:
    from silu_sheets.answers import LOT, NAME, PRODUCT, WAREHOUSE, Column, table

    zh = language == "zh"
    out: list = []
    if found.get("notice_no"):
        out.append(
            f"{'依据发货单' if zh else 'For notice'}{'：' if zh else ': '}{found['notice_no']}"
        )
    rows = [
        {
            "movement": ("出库" if zh else "out")
            if F.dec(r["quantity"]) < 0
            else ("冲回（退回库存）" if zh else "back into stock"),
            "against_line": r["against_line"],
            "warehouse": r["warehouse"],
            "product_code": r["product_code"],
            "name": names.get(r["product_code"] or "", ""),
            "lot": r["lot"],
            "quantity": F.text(abs(F.dec(r["quantity"]))),
        }
        for r in found["stock_movements"]
    ]
    columns = [
        Column("movement", "变动", "Movement"),
        Column("against_line", "发货单行", "Notice line", figure=True),
        WAREHOUSE,
        PRODUCT,
        NAME,
        LOT,
        Column("quantity", "数量", "Quantity", figure=True),
    ]
    if rows:
        out.append(table(columns, rows, language, "库存变动" if zh else "Stock moved"))
    return out


HOOKS = Hooks(
    status=status,
    check=check,
    book=book,
    on_cancel=on_cancel,
    next_forms=next_forms,
    more_replies=more_replies,
    draws=DRAWS,
    after_record=_after_record,
)
