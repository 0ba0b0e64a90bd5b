"""Customer's signed delivery receipt (客户签收单): what the customer signed for, against one
issue slip. Per slip line, received + damaged never exceed what the line issued less earlier
receipts of it (a draw-down, ``DRAWS``), and the slip is never amended below what was signed
for. Sent by the contract's salesperson or a manager; the keeper of the slip's warehouse gets a
copy (the declaration has no price field); damaged goods come back as a pre-filled sales
return. Proof of delivery for the receivable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets import drawdown
from silu_sheets.declare import (
    Kind,
    LineTable,
    date,
    docno,
    document_header,
    line_no,
    lot_field,
    product_field,
    quantity,
    text,
)
from silu_sheets.document import Context, Document, Line, Staff
from silu_sheets.hooks import Hooks, NextForm
from silu_sheets.kinds import common
from silu_sheets.problems import Problem, problem_type, show

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter
    from silu_sheets.replies import Reply
    from silu_sheets.roster import Roster

ZERO = Decimal(0)

KIND = Kind(
    key="delivery_receipt",
    zh="客户签收单",
    en="Delivery receipt",
    prefix="DLV",
    version=1,
    senders=("sales", "sales_manager"),
    header=document_header(
        date("receipt_date", "签收日期", "Date signed", required=True),
        docno("slip_no", "出库单号", "Issue slip number", "issue_slip", required=True),
        text("signed_by", "签收人", "Signed by", required=True),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "签收明细",
        "Received lines",
        (
            line_no("slip_line", "出库单行号", "Slip line"),
            product_field(),
            lot_field(),
            quantity("received_quantity", "实收数量", "Quantity received", required=True),
            quantity("damaged_quantity", "破损数量", "Quantity damaged"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "received_quantity"),
    ),
    hint_zh="客户签收后由合同业务员或主管发送；破损的货物会附上预填的退货单。",
    hint_en="Sent by the contract's salesperson or a manager once the customer signs; damaged goods come back with a pre-filled sales return.",
)

NOT_SALESPERSON = problem_type(
    "receipt-not-salesperson",
    "签收单由合同 {contract} 的业务员 {owner} 或主管发送。",
    "A delivery receipt is sent by the salesperson of contract {contract}, {owner}, or a manager.",
)
LINE_UNKNOWN = problem_type(
    "receipt-slip-line-unknown",
    "出库单 {docno} 没有第 {slip_line} 行（共 {count} 行）。",
    "Issue slip {docno} has no line {slip_line} (it has {count}).",
)
PRODUCT_DIFFERS = problem_type(
    "receipt-product-differs",
    "出库单 {docno} 第 {slip_line} 行的产品是 {expected}，本行填写 {given}。",
    "Line {slip_line} of issue slip {docno} is product {expected}; this line says {given}.",
)
NOT_ON_SLIP = problem_type(
    "receipt-product-not-on-slip",
    "产品 {code} 不在出库单 {docno} 上（出库产品：{products}）。",
    "Product {code} is not on issue slip {docno} (it lists {products}).",
)
LINE_AMBIGUOUS = problem_type(
    "receipt-slip-line-ambiguous",
    "出库单 {docno} 有多行产品 {code}（第 {lines} 行），请在“出库单行号”填写对应的行号。",
    "Issue slip {docno} has product {code} on several lines ({lines}); write the slip line number.",
)
BEFORE_ISSUE = problem_type(
    "receipt-before-issue",
    "签收日期 {date} 早于出库单 {docno} 的出库日期 {issue_date}。",
    "The date signed, {date}, is before issue slip {docno} was issued on {issue_date}.",
)
NOTHING_SIGNED = problem_type(
    "receipt-nothing-signed",
    "实收数量与破损数量合计须大于 0。",
    "Received and damaged together must be above 0.",
)
EXCEEDS_SLIP = problem_type(
    "receipt-exceeds-slip",
    "出库单 {docno} 第 {slip_line} 行（{code}）还可签收 {left}（出库 {issued}，已签收 {signed}），本行实收加破损 {given}。请改为不超过 {left}。",
    "Line {slip_line} of issue slip {docno} ({code}) has {left} left to sign for (issued {issued}, signed for {signed}); this line's received and damaged add up to {given}. Write at most {left}.",
)
SLIP_BELOW_SIGNED = problem_type(
    "issue-below-signed",
    "第 {number} 行客户已签收 {signed}（{receipts}），出库数量不能少于 {signed}（本单为 {given}）。",
    "The customer signed for {signed} of line {number} ({receipts}); the quantity issued cannot go below {signed} (this makes it {given}).",
)


def _exceeds_slip(doc: Document, line: Line, share: drawdown.Share) -> Problem:
    return doc.problem(
        EXCEEDS_SLIP,
        "received_quantity",
        line,
        docno=share.source,
        slip_line=share.key,
        code=line["product_code"],
        left=max(share.left, ZERO),
        issued=share.gives,
        signed=share.drawn,
        given=share.given,
    )


def _slip_below_signed(
    change: drawdown.Change, share: drawdown.Share, line: Line | None
) -> Problem:
    given = line["quantity"] if line is not None and line["quantity"] is not None else ZERO
    return change.doc.problem(
        SLIP_BELOW_SIGNED,
        "quantity" if line is not None else ("action" if change.cancelling else "docno"),
        line,
        number=share.key,
        signed=share.drawn,
        receipts=list(share.takers),
        given=given,
    )


#: a receipt line draws on its slip line's quantity: received and damaged together
DRAWS = (
    drawdown.DrawsOn(
        kind="delivery_receipt",
        source="issue_slip",
        via="slip_no",
        key="slip_line",
        takes=("received_quantity", "damaged_quantity"),
        exceeds=_exceeds_slip,
        below=_slip_below_signed,
    ),
)


def _chain(view: LedgerView, slip: dict) -> tuple[dict | None, dict | None]:
    """The slip's notice and the notice's contract (either may be missing)."""
    notice = view.document(slip["header"].get("notice_no") or "")
    contract = view.document(notice["header"].get("contract_no") or "") if notice else None
    return notice, contract


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Against an active issue slip, by the contract's salesperson or a manager, not dated before
    the goods left; each line on a slip line of its product (by number, or the one line of that
    product and lot); something received or damaged on every line. How much: ``DRAWS``."""
    found = common.products_known(doc, ledger)
    for line in doc.lines:
        if (line["received_quantity"] or ZERO) + (line["damaged_quantity"] or ZERO) <= 0:
            found.append(doc.problem(NOTHING_SIGNED, "received_quantity", line))
    slip, problems = common.referenced(doc, ledger, "slip_no", "issue_slip")
    found += problems
    if slip is None:
        return found
    notice, contract = _chain(ledger, slip)
    owner = (contract or notice or {}).get("owner")
    if owner and owner != ctx.sender.address and not ctx.sender.manager:
        found.append(
            doc.problem(
                NOT_SALESPERSON,
                "slip_no",
                contract=(contract or notice or {}).get("docno"),
                owner=owner,
            )
        )
    issued_on = slip["header"].get("issue_date")
    if doc["receipt_date"] and issued_on and doc["receipt_date"].isoformat() < issued_on:
        found.append(
            doc.problem(
                BEFORE_ISSUE,
                "receipt_date",
                date=doc["receipt_date"],
                docno=slip["docno"],
                issue_date=issued_on,
            )
        )
    found += _resolve(doc, slip)
    return found


def _resolve(doc: Document, slip: dict) -> list[Problem]:
    """Each line's slip line, written into the line (what it draws on)."""
    lines = {int(x["line_no"]): x for x in slip["lines"]}
    found: list[Problem] = []
    for line in doc.lines:
        code = line["product_code"]
        if line["slip_line"] is not None:
            target = lines.get(line["slip_line"])
            if target is None:
                found.append(
                    doc.problem(
                        LINE_UNKNOWN,
                        "slip_line",
                        line,
                        docno=slip["docno"],
                        slip_line=line["slip_line"],
                        count=len(lines),
                    )
                )
            elif code and target.get("product_code") != code:
                found.append(
                    doc.problem(
                        PRODUCT_DIFFERS,
                        "product_code",
                        line,
                        docno=slip["docno"],
                        slip_line=line["slip_line"],
                        expected=target.get("product_code"),
                        given=code,
                    )
                )
            continue
        same = [n for n, x in lines.items() if x.get("product_code") == code]
        fits = [n for n in same if (lines[n].get("lot") or "") in ("", line["lot"] or "")] or same
        if not same:
            products = sorted({x["product_code"] for x in lines.values() if x.get("product_code")})
            found.append(
                doc.problem(
                    NOT_ON_SLIP,
                    "product_code",
                    line,
                    code=code,
                    docno=slip["docno"],
                    products=products or "-",
                )
            )
        elif len(fits) > 1:
            found.append(
                doc.problem(
                    LINE_AMBIGUOUS, "slip_line", line, docno=slip["docno"], code=code, lines=fits
                )
            )
        else:
            line.values["slip_line"] = fits[0]
    return found


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """The customer is the slip's notice's; each line keeps the slip line it was matched to."""
    slip = writer.view.document(doc["slip_no"] or "")
    if slip is None:
        return
    notice, _ = _chain(writer.view, slip)
    doc.header["customer_code"] = notice["customer_code"] if notice else None
    _resolve(doc, slip)


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """Damaged goods: a sales return of them against the slip's notice, pre-filled."""
    slip = ledger.document(doc["slip_no"] or "")
    if slip is None:
        return []
    slip_lines = {int(x["line_no"]): x for x in slip["lines"]}
    lines = []
    for line in doc.lines:
        damaged = line["damaged_quantity"] or ZERO
        issued = slip_lines.get(line["slip_line"] or 0, {})
        if damaged > 0:
            lines.append(
                {
                    "notice_line": issued.get("notice_line"),
                    "product_code": line["product_code"],
                    "quantity": damaged,
                    "lot": line["lot"] or issued.get("lot"),
                }
            )
    if not lines:
        return []
    header = {
        "notice_no": slip["header"].get("notice_no"),
        "return_date": doc["receipt_date"],
        "reason": f"签收破损 damaged on delivery ({docno})",
    }
    return [NextForm("sales_return", header, lines)]


def confirmation_facts(doc: Document, docno: str, ledger: LedgerView, ctx: Context) -> list[str]:
    zh = ctx.sender.language == "zh"
    damaged = sum((line["damaged_quantity"] or ZERO for line in doc.lines), ZERO)
    facts = []
    if _copied_to(doc, ledger, ctx.staff):  # said only when more_replies sends one
        facts.append(
            f"出库单 {doc['slip_no']} 的仓库已收到本签收单副本"
            if zh
            else f"The keeper of issue slip {doc['slip_no']}'s warehouse was sent a copy"
        )
    if damaged > 0:
        facts.append(
            f"破损 {show(damaged)}：附件是预填的销售退货单"
            if zh
            else f"Damaged {show(damaged)}: a pre-filled sales return is attached"
        )
    return facts


def more_replies(
    doc: Document, docno: str, action: str, writer: LedgerWriter, ctx: Context, roster: Roster
) -> list[Reply]:
    """The keeper of the slip's warehouse gets the receipt as recorded: the declaration has no
    price field, so the copy has none."""
    from silu_sheets import warehouse_copy

    warehouse = _copied_to(doc, writer.view, ctx.staff)
    if warehouse is None:
        return []
    return warehouse_copy.document_copies(doc, docno, action, warehouse, roster, ctx.firm.mailbox)


def _copied_to(doc: Document, view: LedgerView, staff: Iterable[Staff]) -> str | None:
    """The warehouse whose keepers get a copy: the slip's, when a keeper of it is on the roster."""
    slip = view.document(doc["slip_no"] or "")
    warehouse = slip["header"].get("warehouse") if slip else None
    if warehouse and any(warehouse.upper() in s.warehouses for s in staff):
        return str(warehouse)
    return None


def signed_for(view: LedgerView, doc: dict) -> dict[str, Any]:
    """What the customer signed for, on the status of a slip (per slip line), its notice (per
    notice line) or its contract (per product): received and damaged."""
    kind = doc["kind"]
    slips: list[str] = []
    if kind == "issue_slip":
        slips = [doc["docno"]]
    elif kind == "shipment_notice":
        slips = _linked(view, doc["docno"], "notice_no", "issue_slip")
    elif kind == "contract":
        for notice in _linked(view, doc["docno"], "contract_no", "shipment_notice"):
            slips += _linked(view, notice, "notice_no", "issue_slip")
    if not slips:
        return {}
    per: dict[object, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    receipts: list[str] = []
    for slip in slips:
        lines = {
            int(x["line_no"]): x
            for x in view.document(slip)["lines"]  # type: ignore[index]
        }
        for receipt in _linked(view, slip, "slip_no", "delivery_receipt"):
            receipts.append(receipt)
            for x in view.document(receipt)["lines"]:  # type: ignore[index]
                issued = lines.get(int(x.get("slip_line") or 0), {})
                key: object = {
                    "issue_slip": x.get("slip_line"),
                    "shipment_notice": issued.get("notice_line"),
                    "contract": x.get("product_code"),
                }[kind]
                per[key][0] += Decimal(str(x.get("received_quantity") or 0))
                per[key][1] += Decimal(str(x.get("damaged_quantity") or 0))
    if not receipts:
        return {}
    rows = [
        {"line": key, "received": show(r), "damaged": show(d)}
        for key, (r, d) in sorted(per.items(), key=lambda kv: str(kv[0]))
    ]
    return {"receipts": sorted(set(receipts)), "signed": rows}


def _linked(view: LedgerView, target: str, field: str, kind: str) -> list[str]:
    rows = view.db.execute(
        "SELECT DISTINCT l.docno FROM links l JOIN documents d ON d.docno = l.docno "
        "WHERE l.target = ? AND l.field = ? AND d.kind = ? AND d.status = 'active' ORDER BY l.docno",
        [target, field, kind],
    ).fetchall()
    return [r[0] for r in rows]


def status_elsewhere(view: LedgerView, doc: dict, prices: bool) -> dict:
    """On the status of the slip, its notice and its contract: what was signed for."""
    found = signed_for(view, doc)
    if not found:
        return {}
    from silu_sheets.answers import Column, both, table

    # what a row is on this document: a slip's line, a notice's line, a contract's product
    line = {
        "issue_slip": Column("line", "出库单行", "Slip line", figure=True),
        "shipment_notice": Column("line", "发货单行", "Notice line", figure=True),
    }.get(doc["kind"], Column("line", "产品", "Product"))
    columns = (
        line,
        Column("received", "实收", "Received", figure=True),
        Column("damaged", "破损", "Damaged", figure=True),
    )

    def said(language: str) -> list:
        zh = language == "zh"
        head = (
            ("签收单：" + "、".join(found["receipts"]))
            if zh
            else ("Delivery receipts: " + ", ".join(found["receipts"]))
        )
        return [head, table(columns, found["signed"], language, "客户签收" if zh else "Signed for")]

    words = both(said)
    return found | {"text": words}


HOOKS = Hooks(
    check=check,
    book=book,
    next_forms=next_forms,
    confirmation_facts=confirmation_facts,
    more_replies=more_replies,
    status_elsewhere=status_elsewhere,
    draws=DRAWS,
)
