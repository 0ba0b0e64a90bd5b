"""Return inbound slip (退货入库单): goods come back only here, against a sales return, by staff of
the receiving warehouse; never above the return quantity per line; into the warehouse sales
named if it named one. Like the issue slip, its declaration has no price field."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets import drawdown
from silu_sheets import money as accounts
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
from silu_sheets.hooks import Hooks
from silu_sheets.kinds import common
from silu_sheets.money import ZERO
from silu_sheets.problems import Problem, errors, problem_type

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

KIND = Kind(
    key="return_inbound",
    zh="退货入库单",
    en="Return inbound slip",
    prefix="RIN",
    version=1,
    senders=("warehouse",),
    header=document_header(
        date("inbound_date", "入库日期", "Inbound date", required=True),
        docno("return_no", "退货单号", "Sales return number", "sales_return", required=True),
        warehouse_field(),
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
            product_field(),
            lot_field(),
            quantity("quantity", "入库数量", "Quantity received", required=True),
            quantity("damaged_quantity", "破损数量", "Damaged quantity"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "quantity"),
    ),
)


# --- rules --------------------------------------------------------------------------------------
NOT_YOUR_WAREHOUSE = problem_type(
    "inbound-not-your-warehouse",
    "您不是仓库 {warehouse} 的人员（您负责：{yours}），不能为该仓库登记退货入库。",
    "You are not staff of warehouse {warehouse} (you keep: {yours}); you cannot record goods received there.",
)
WRONG_WAREHOUSE = problem_type(
    "inbound-wrong-warehouse",
    "退货单 {docno} 第 {line_no} 行指定退回仓库 {named}，不能入到 {warehouse}。",
    "Line {line_no} of sales return {docno} names warehouse {named} for the goods; they cannot be received into {warehouse}.",
)
RETURN_LINE_UNKNOWN = problem_type(
    "inbound-return-line-unknown",
    "退货单 {docno} 没有第 {line_no} 行（共 {count} 行）。",
    "Sales return {docno} has no line {line_no} (it has {count}).",
)
PRODUCT_NOT_ON_RETURN = problem_type(
    "inbound-product-not-on-return",
    "产品 {code} 不在退货单 {docno} 上。退货单上的产品：{products}。",
    "Product {code} is not on sales return {docno}. Its products: {products}.",
)
PRODUCT_MISMATCH = problem_type(
    "inbound-product-mismatch",
    "退货单 {docno} 第 {line_no} 行是产品 {expected}，本行填写 {actual}。",
    "Line {line_no} of sales return {docno} is product {expected}; this line names {actual}.",
)
LINE_AMBIGUOUS = problem_type(
    "inbound-line-ambiguous",
    "产品 {code} 在退货单 {docno} 上有多行（第 {lines} 行），请在“退货单行号”填写是哪一行。",
    "Product {code} is on several lines of sales return {docno} (lines {lines}); write which one in Return line.",
)
EXCEEDS_RETURN = problem_type(
    "inbound-exceeds-return",
    "退货单 {docno} 第 {line_no} 行退货 {returned}，已入库 {received}，还可入库 {left}；本行填写 {quantity}。请改为不超过 {left}。",
    "Line {line_no} of sales return {docno}: {returned} returned, {received} already received, {left} left to receive; this line receives {quantity}. Receive at most {left}.",
)
BELOW_RECEIVED = problem_type(
    "return-below-received",
    "仓库已按本行入库 {received}，退货数量不能少于 {received}。",
    "The warehouse already received {received} against this line; the quantity may not drop below {received}.",
)
NOT_POSITIVE = problem_type(
    "inbound-quantity-not-positive",
    "入库数量必须大于 0。",
    "The quantity received must be above 0.",
)
DAMAGED_ABOVE = problem_type(
    "inbound-damaged-above-quantity",
    "破损数量 {damaged} 超过入库数量 {quantity}。破损数量是入库数量中破损的部分。",
    "Damaged {damaged} is more than the {quantity} received; damaged counts the broken part of what was received.",
)
WRONG_LOT = problem_type(
    "inbound-wrong-lot",
    "退货单 {docno} 第 {line_no} 行的批号是 {named}，本行填写 {lot}。",
    "Line {line_no} of sales return {docno} is lot {named}; this line names lot {lot}.",
)
LOT_NEEDED = problem_type(
    "inbound-lot-needed",
    "产品 {code} 按批号管理，请填写退回货物的批号（发出的批号：{issued}）。",
    "Product {code} is tracked by lot: write the lot of the goods received (lots issued: {issued}).",
)
LOT_UNKNOWN = problem_type(
    "inbound-lot-unknown",
    "批号 {lot} 不是产品 {code} 的批号。",
    "Lot {lot} is not a lot of product {code}.",
)
STOCK_USED = problem_type(
    "inbound-stock-used",
    "仓库 {warehouse} 产品 {code}（批号 {lot}）现有库存 {on_hand}，撤回本单入库的 {quantity} 后将为负数。",
    "Warehouse {warehouse} holds {on_hand} of {code} (lot {lot}); taking back the {quantity} this slip received would go below zero.",
)


def _exceeds_return(doc: Document, line: Line, share: drawdown.Share) -> Problem:
    return doc.problem(
        EXCEEDS_RETURN,
        "quantity",
        line,
        docno=share.source,
        line_no=share.key,
        returned=share.gives,
        received=share.drawn,
        left=max(share.left, ZERO),
        quantity=share.given,
    )


def _return_below_received(
    change: drawdown.Change, share: drawdown.Share, line: Line | None
) -> Problem:
    return change.doc.problem(
        BELOW_RECEIVED, "quantity" if line else "docno", line, received=share.drawn
    )


#: an inbound line draws on its return line's quantity
DRAWS = (
    drawdown.DrawsOn(
        kind="return_inbound",
        source="sales_return",
        via="return_no",
        key="return_line",
        exceeds=_exceeds_return,
        below=_return_below_received,
    ),
)


def _resolve(
    doc: Document, line: Line, ret: dict, lines: list[dict], found: list[Problem]
) -> dict | None:
    code = line["product_code"]
    if line["return_line"]:
        match = next((r for r in lines if r["line_no"] == line["return_line"]), None)
        if match is None:
            found.append(
                doc.problem(
                    RETURN_LINE_UNKNOWN,
                    "return_line",
                    line,
                    docno=ret["docno"],
                    line_no=line["return_line"],
                    count=len(lines),
                )
            )
        elif code and match["product_code"] != code:
            found.append(
                doc.problem(
                    PRODUCT_MISMATCH,
                    "product_code",
                    line,
                    docno=ret["docno"],
                    line_no=match["line_no"],
                    expected=match["product_code"],
                    actual=code,
                )
            )
            return None
        return match
    candidates = [r for r in lines if r["product_code"] == code]
    if not candidates:
        products = "、".join(sorted({r["product_code"] for r in lines}))
        found.append(
            doc.problem(
                PRODUCT_NOT_ON_RETURN,
                "product_code",
                line,
                code=code,
                docno=ret["docno"],
                products=products,
            )
        )
        return None
    if len(candidates) > 1:
        found.append(
            doc.problem(
                LINE_AMBIGUOUS,
                "return_line",
                line,
                code=code,
                docno=ret["docno"],
                lines=[r["line_no"] for r in candidates],
            )
        )
        return None
    return candidates[0]


def _lot_for(view: LedgerView, ret: dict, match: dict, line: Line) -> tuple[str | None, list[str]]:
    """The lot goods come back into: the one written, else the return's, else the only lot
    issued for that notice line. Also the lots issued (to tell the warehouse)."""
    places = accounts.issued_by_warehouse(
        view, ret["header"].get("notice_no") or "", match["notice_line"] or 0
    )
    issued_lots = sorted({lot for (_, lot) in places if lot})
    if line["lot"]:
        return line["lot"], issued_lots
    if match["lot"]:
        return match["lot"], issued_lots
    return (issued_lots[0] if len(issued_lots) == 1 else None), issued_lots


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Every rule of a return inbound slip at once (see the module docstring)."""
    found: list[Problem] = []
    warehouse = doc["warehouse"]
    if warehouse and ledger.warehouse(warehouse) is None:
        known = "、".join(w["code"] for w in ledger.warehouses()) or "-"
        found.append(
            doc.problem(common.WAREHOUSE_UNKNOWN, "warehouse", code=warehouse, known=known)
        )
    elif warehouse and warehouse not in ctx.sender.warehouses:
        found.append(
            doc.problem(
                NOT_YOUR_WAREHOUSE,
                "warehouse",
                warehouse=warehouse,
                yours=list(ctx.sender.warehouses) or "-",
            )
        )
    ret, problems = common.referenced(doc, ledger, "return_no", "sales_return")
    found += problems
    for line in doc.lines:
        if line["quantity"] is not None and line["quantity"] <= 0:
            found.append(doc.problem(NOT_POSITIVE, "quantity", line))
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
    if ret is None:
        return found
    lines = ledger.rows(
        "SELECT * FROM sales_return_lines WHERE docno = ? ORDER BY line_no", [ret["docno"]]
    )
    for line in doc.lines:
        match = _resolve(doc, line, ret, lines, found)
        if match is None:
            continue
        at = match["line_no"]
        line.values["return_line"] = at  # what it draws on (DRAWS above)
        if match["warehouse"] and warehouse and match["warehouse"] != warehouse:
            found.append(
                doc.problem(
                    WRONG_WAREHOUSE,
                    "warehouse",
                    docno=ret["docno"],
                    line_no=at,
                    named=match["warehouse"],
                    warehouse=warehouse,
                )
            )
        lot, issued_lots = _lot_for(ledger, ret, match, line)
        named_lots = [match["lot"]] if match["lot"] else issued_lots
        if line["lot"] and named_lots and line["lot"] not in named_lots:
            found.append(
                doc.problem(
                    WRONG_LOT,
                    "lot",
                    line,
                    docno=ret["docno"],
                    line_no=at,
                    named=named_lots,
                    lot=line["lot"],
                )
            )
        elif (
            line["lot"]
            and ledger.lot(line["product_code"] or match["product_code"], line["lot"]) is None
        ):
            found.append(
                doc.problem(LOT_UNKNOWN, "lot", line, lot=line["lot"], code=line["product_code"])
            )
        product = ledger.product(match["product_code"])
        if not lot and product and product["lot_tracked"]:
            found.append(
                doc.problem(
                    LOT_NEEDED, "lot", line, code=match["product_code"], issued=issued_lots or "-"
                )
            )
    if doc.docno and not errors(found):
        found += _stock_kept(doc, ledger, planned=_planned(doc, ledger, ret, lines))
    return found


def _planned(
    doc: Document, view: LedgerView, ret: dict, lines: list[dict]
) -> dict[tuple[str, str, str], Decimal]:
    plan: dict[tuple[str, str, str], Decimal] = {}
    for line in doc.lines:
        match = _resolve(doc, line, ret, lines, [])
        if match is None or not line["quantity"]:
            continue
        lot, _ = _lot_for(view, ret, match, line)
        key = (doc["warehouse"], match["product_code"], lot or "")
        plan[key] = plan.get(key, ZERO) + line["quantity"]
    return plan


def _stock_kept(
    doc: Document,
    view: LedgerView,
    planned: dict[tuple[str, str, str], Decimal],
    field: str = "quantity",
) -> list[Problem]:
    """Taking back what this slip received must not leave any place below zero."""
    had: dict[tuple[str, str, str], Decimal] = {}
    for r in view.rows(
        "SELECT warehouse, product_code, lot, quantity FROM stock_movements WHERE docno = ?",
        [doc.docno],
    ):
        key = (r["warehouse"], r["product_code"], r["lot"])
        had[key] = had.get(key, ZERO) + accounts.dec(r["quantity"])
    found = []
    for key, got in sorted(had.items()):
        on_hand = view.on_hand(*key)
        if on_hand - got + planned.get(key, ZERO) < 0:
            found.append(
                doc.problem(
                    STOCK_USED,
                    "action" if field == "action" else "warehouse",
                    warehouse=key[0],
                    code=key[1],
                    lot=key[2] or "-",
                    on_hand=on_hand,
                    quantity=got - planned.get(key, ZERO),
                )
            )
    return found


def check_cancel(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Cancelling takes the goods back out of stock: refused when they were issued again since."""
    if not doc.docno:
        return []
    found = []
    if (
        doc["warehouse"]
        and doc["warehouse"] not in ctx.sender.warehouses
        and not ctx.sender.manager
    ):
        found.append(
            doc.problem(
                NOT_YOUR_WAREHOUSE,
                "warehouse",
                warehouse=doc["warehouse"],
                yours=list(ctx.sender.warehouses) or "-",
            )
        )
    return found + _stock_kept(doc, ledger, {}, field="action")


def _reverse_stock(writer: LedgerWriter, docno: str) -> None:
    net: dict[tuple, Decimal] = {}
    for r in writer.view.rows("SELECT * FROM stock_movements WHERE docno = ? ORDER BY id", [docno]):
        key = (
            r["warehouse"],
            r["product_code"],
            r["lot"],
            r["line_no"],
            r["against"],
            r["against_line"],
        )
        net[key] = net.get(key, ZERO) + accounts.dec(r["quantity"])
    for (warehouse, product, lot, number, against, against_line), moved in net.items():
        if moved:
            writer.move_stock(
                warehouse,
                product,
                lot,
                -moved,
                "reversal",
                docno,
                number,
                against=against,
                against_line=against_line,
            )


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """Stock rises in the receiving warehouse and lot, against the return line."""
    view = writer.view
    ret = view.document(doc["return_no"])
    assert ret is not None
    doc.header["customer_code"] = ret["customer_code"]
    lines = view.rows(
        "SELECT * FROM sales_return_lines WHERE docno = ? ORDER BY line_no", [ret["docno"]]
    )
    _reverse_stock(writer, docno)
    for line in doc.lines:
        match = _resolve(doc, line, ret, lines, [])
        if match is None:
            continue
        lot, _ = _lot_for(view, ret, match, line)
        line.values["return_line"], line.values["lot"] = match["line_no"], lot
        writer.move_stock(
            doc["warehouse"],
            match["product_code"],
            lot,
            line["quantity"],
            "return_inbound",
            docno,
            line.number,
            against=ret["docno"],
            against_line=match["line_no"],
        )


def on_cancel(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    _reverse_stock(writer, docno)


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: the return this inbound slip receives and what it took
    back into stock, line by line."""
    from silu_sheets.answers import both, product_names

    found = {"return_no": doc["header"].get("return_no")}
    lines = doc["lines"]
    names = product_names(view, (x.get("product_code") for x in lines))
    warehouse = doc["header"].get("warehouse")
    return found | {
        "text": both(lambda language: _status_text(found, lines, names, warehouse, language)),
        "shown": [found["return_no"]] if found["return_no"] else [],
    }


def _status_text(
    found: dict, lines: list, names: dict, warehouse: str | None, language: str
) -> list:
    from silu_sheets.answers import LOT, NAME, PRODUCT, Column, table

    zh = language == "zh"
    sep = "：" if zh else ": "
    out: list = []
    if found.get("return_no"):
        out.append(f"{'依据退货单' if zh else 'For return'}{sep}{found['return_no']}")
    if warehouse:
        out.append(f"{'入库仓库' if zh else 'Into warehouse'}{sep}{warehouse}")
    rows = [
        {
            "return_line": x.get("return_line"),
            "product_code": x.get("product_code"),
            "name": names.get(x.get("product_code") or "", ""),
            "lot": x.get("lot"),
            "quantity": x.get("quantity"),
            "damaged_quantity": x.get("damaged_quantity"),
        }
        for x in lines
    ]
    columns = [
        Column("return_line", "退货单行", "Return line", figure=True),
        PRODUCT,
        NAME,
        LOT,
        Column("quantity", "入库数量", "Received", figure=True),
        Column("damaged_quantity", "破损", "Damaged", figure=True),
    ]
    if rows:
        out.append(table(columns, rows, language, "入库明细" if zh else "Received"))
    return out


HOOKS = Hooks(
    status=status,
    check=check,
    check_cancel=check_cancel,
    book=book,
    on_cancel=on_cancel,
    draws=DRAWS,
)
