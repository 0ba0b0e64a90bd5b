"""What the warehouse receives about a shipment notice, and what sales hears back.

The warehouse never sees a price (DOMAIN.md "Confidentiality"): its copy of a notice is an issue
slip built from the ``issue_slip`` declaration, which has no price field, so no price can reach a
cell, a hidden sheet, a defined name, a comment or the document properties; the mail around it
is rendered from quantities only. Free text sales wrote (address, notes) is passed on only when
it cannot be about money: text naming a currency or price word, or holding a number equal to one
of the notice's prices or amounts, is withheld and the keeper is told so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from silu_sheets import fulfilment as F
from silu_sheets.hooks import NextForm
from silu_sheets.kinds import KINDS
from silu_sheets.replies import Attachment, Reply, render
from silu_sheets.workbook import fill

if TYPE_CHECKING:
    from silu_sheets.declare import Field
    from silu_sheets.document import Context, Document, Staff
    from silu_sheets.ledger.store import LedgerView
    from silu_sheets.roster import Roster

SLIP = KINDS["issue_slip"]
#: the picking copy prints a page per so many lines: a keeper ticks them off sheet by sheet
PICKING_LINES_PER_PAGE = 20
assert not SLIP.priced, "the issue slip declaration must have no price field"

#: words that make a free-text note about money; such a note never reaches the warehouse
MONEY_WORDS = re.compile(
    r"价|\d\s*元|人民币|¥|￥|\$|€|金额|货款|付款|结余|余额|折扣|price|amount|cost|paid|pay|balance|discount|"
    r"\b(?:CNY|RMB|USD|EUR|HKD|JPY|GBP)\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d[\d,，]*(?:[.．]\d+)?")
WITHHELD = {
    "zh": "（销售的这条说明未转给仓库；如需了解请问销售）",
    "en": "(this note from sales was not passed on to the warehouse; ask sales if needed)",
}


def money_values(lines: list[dict]) -> set[Decimal]:
    """The notice's unit prices, line amounts and total: numbers a warehouse must not read."""
    found: set[Decimal] = set()
    total = Decimal(0)
    for line in lines:
        price = F.dec(line.get("unit_price"))
        amount = price * F.dec(line.get("quantity"))
        total += amount
        found |= {price, amount}
    found.add(total)
    return {v for v in found if v}


def safe_text(value: object, secret: set[Decimal], language: str) -> str:
    """``value`` when it cannot be about money, else a note that it was withheld."""
    if value is None or value == "":
        return ""
    text = str(value)
    if MONEY_WORDS.search(text):
        return WITHHELD[language]
    for match in NUMBER.findall(text):
        try:
            number = Decimal(match.replace(",", "").replace("，", "").replace("．", "."))
        except InvalidOperation:
            continue
        if number in secret:
            return WITHHELD[language]
    return text


def _hint(p: F.Proposal, language: str) -> str:
    zh = language == "zh"
    if p.short:
        return (
            f"库存不足：还差 {F.text(p.quantity)}"
            if zh
            else f"not enough stock: {F.text(p.quantity)} short"
        )
    if p.named:
        return "销售指定批号" if zh else "lot named by sales"
    if p.lot:
        when = p.expiry or "-"
        return f"先到期先出：到期 {when}" if zh else f"first to expire: {when}"
    return ""


def slip_lines(
    view: LedgerView, proposals: list[F.Proposal], language: str
) -> tuple[list[dict], list[dict]]:
    """(form lines, mail lines) of a warehouse's share of a notice: no price anywhere."""
    form, mail = [], []
    for p in proposals:
        product = view.product(p.product_code) or {}
        hint = _hint(p, language)
        form.append(
            {
                "notice_line": p.line_no,
                "product_code": p.product_code,
                "lot": p.lot or None,
                "quantity": p.quantity,
                "note": hint or None,
            }
        )
        mail.append(
            {
                "line_no": p.line_no,
                "product_code": p.product_code,
                "product_name": product.get("name") or "",
                "unit": product.get("unit") or "",
                "quantity": F.text(p.quantity),
                "lot": p.lot,
                "hint": hint,
            }
        )
    return form, mail


def by_warehouse(proposals: list[F.Proposal]) -> dict[str, list[F.Proposal]]:
    found: dict[str, list[F.Proposal]] = defaultdict(list)
    for p in proposals:
        if p.warehouse:
            found[p.warehouse].append(p)
    return dict(found)


def notice_copies(
    doc: Document, docno: str, action: str, view: LedgerView, ctx: Context, roster: Roster
) -> list[Reply]:
    """One mail per keeper of each warehouse involved: on record and amendment the pre-filled
    issue slip of that warehouse's lines (FEFO lots where sales named none); on cancellation, or
    when an amendment leaves a warehouse nothing, word that nothing is to be issued."""
    lines = F.lines_of(view, "shipment_notice", docno)
    secret = money_values(lines)
    previous = _previous_warehouses(view, docno)
    if action == "cancel":
        shares: dict[str, list[F.Proposal]] = {}
        gone = previous | set(by_warehouse(F.propose(view, docno, lines, ctx.today)))
    else:
        shares = by_warehouse(F.propose(view, docno, lines, ctx.today))
        gone = previous - set(shares)
    customer = view.customer(doc["customer_code"] or "") or {}
    replies = []
    for warehouse in sorted(set(shares) | gone):
        state = (
            "cancelled"
            if action == "cancel"
            else (
                "withdrawn"
                if warehouse not in shares
                else ("amended" if action == "amend" else "new")
            )
        )
        place = view.warehouse(warehouse) or {}
        for keeper in roster.warehouse_staff(warehouse):
            language = keeper.language
            form, lines_said = slip_lines(view, shares.get(warehouse, []), language)
            context = {
                "person": keeper.name,
                "docno": docno,
                "warehouse": warehouse,
                "warehouse_name": place.get("name") or "",
                "state": state,
                "customer": " ".join(x for x in (doc["customer_code"], customer.get("name")) if x),
                "ship_to": safe_text(doc["ship_to"], secret, language),
                "ship_by": doc["ship_by"].isoformat() if doc["ship_by"] else "",
                "note": safe_text(doc["note"], secret, language),
                "lines": lines_said,
                "administrator": ctx.firm.mailbox,
            }
            slip = NextForm("issue_slip", {"notice_no": docno, "warehouse": warehouse}, form)

            def said(_: Staff, context: dict = context) -> tuple[str, dict]:
                return "warehouse_copy", context

            replies += keeper_copies(
                [keeper], warehouse, docno, slip if form else None, said, set(),
                PICKING_LINES_PER_PAGE,
            )  # fmt: skip
    return replies


def _previous_warehouses(view: LedgerView, docno: str) -> set[str]:
    """Warehouses the notice's previous revision named (they may need to hear it changed)."""
    found = view.row(
        "SELECT r.data FROM revisions r JOIN documents d ON d.docno = r.docno "
        "WHERE r.docno = ? AND r.revision = d.revision - 1",
        [docno],
    )
    if not found:
        return set()
    import json

    return {x["warehouse"] for x in json.loads(found["data"])["lines"] if x.get("warehouse")}


def remainder_forms(
    view: LedgerView, notice_no: str | None, warehouse: str | None
) -> list[NextForm]:
    """What ``warehouse`` still has to issue on the notice, as a pre-filled slip (no prices)."""
    if not notice_no or not warehouse:
        return []
    notice = view.document(notice_no)
    if notice is None or notice["status"] != "active":
        return []
    lines = F.lines_of(view, "shipment_notice", notice_no)
    share = [
        p for p in F.propose(view, notice_no, lines) if p.warehouse == warehouse and not p.short
    ]
    if not share:
        return []
    form, _ = slip_lines(view, share, "zh")
    return [NextForm("issue_slip", {"notice_no": notice_no, "warehouse": warehouse}, form)]


def progress(view: LedgerView, notice_no: str) -> list[dict]:
    """Per notice line: noticed, issued, left, damaged and where the goods came from."""
    lines = F.lines_of(view, "shipment_notice", notice_no)
    issued = F.issued_by_line(view, notice_no)
    places = F.issued_by_place(view, notice_no)
    damaged: dict[int, Decimal] = defaultdict(Decimal)
    for slip in F.slips_of_notice(view, notice_no):
        for x in F.lines_of(view, "issue_slip", slip):
            if x.get("notice_line") is not None:
                damaged[int(x["notice_line"])] += F.dec(x.get("damaged_quantity"))
    found = []
    for line in lines:
        number = int(line["line_no"])
        product = view.product(line.get("product_code") or "") or {}
        noticed, done = F.dec(line.get("quantity")), issued.get(number, Decimal(0))
        where = [
            {"warehouse": wh, "lot": lot, "issued": q}
            for (n, wh, lot), q in sorted(places.items())
            if n == number
        ]
        found.append(
            {
                "line_no": number,
                "product_code": line.get("product_code"),
                "product_name": product.get("name") or "",
                "noticed": noticed,
                "issued": done,
                "left": noticed - done,
                "damaged": damaged.get(number, Decimal(0)),
                "warehouse": line.get("warehouse") or "",
                "lot": line.get("lot") or "",
                "issued_from": where,
            }
        )
    return found


def _issued_so_far(rows: list[dict], language: str, shown: int = 3) -> str:
    """``P-M8 20/30、P-W10 0/1200`` (issued of noticed, per line): what a subject can say about
    a partly issued notice; a count of fully issued lines said "0/1" while 20 of 30 were out."""
    parts = [f"{r['product_code']} {F.text(r['issued'])}/{F.text(r['noticed'])}" for r in rows]
    more = len(parts) - shown
    text = ("、" if language == "zh" else ", ").join(parts[:shown])
    if more > 0:
        text += f" 等 {len(parts)} 行" if language == "zh" else f" and {more} more line(s)"
    return text


def issue_progress(
    doc: Document, docno: str, action: str, view: LedgerView, ctx: Context, roster: Roster
) -> list[Reply]:
    """The notice's salesperson hears what is issued so far, per line, warehouse and lot."""
    notice = view.document(doc["notice_no"] or "")
    if notice is None:
        return []
    person = roster.find(notice["owner"])
    if person is None:
        return []
    language = person.language
    rows = progress(view, notice["docno"])
    lines = [
        {
            "line_no": r["line_no"],
            "product_code": r["product_code"],
            "product_name": r["product_name"],
            "noticed": F.text(r["noticed"]),
            "issued": F.text(r["issued"]),
            "left": F.text(r["left"]),
            "damaged": F.text(r["damaged"]) if r["damaged"] else "",
            "places": "; ".join(
                f"{w['warehouse']} {w['lot'] or '-'} {F.text(w['issued'])}"
                for w in r["issued_from"]
            ),
        }
        for r in rows
    ]
    words = {
        "record": ("登记", "recorded"),
        "amend": ("修改", "amended"),
        "cancel": ("作废", "cancelled"),
    }[action]
    context = {
        "person": person.name,
        "notice": notice["docno"],
        "slip": docno,
        "warehouse": doc["warehouse"] or "",
        "action_word": words[0] if language == "zh" else words[1],
        "lines": lines,
        "issued_so_far": _issued_so_far(rows, language),
        "all_done": all(r["left"] <= 0 for r in rows),
        "slips": F.slips_of_notice(view, notice["docno"]),
        "administrator": ctx.firm.mailbox,
        "receipt": action != "cancel",
    }
    subject, text, html = render("issue_progress", language, context)
    if action == "cancel":
        return [Reply(person.address, subject, text, html, "issue_progress", notice["docno"])]
    # the slip's delivery note is attached once the slip is committed (pipeline.attach_printouts)
    return [
        Reply(
            person.address,
            subject,
            text,
            html,
            "issue_progress",
            docno,
            [receipt_form(doc, docno)],
            printout_of=docno,
        )
    ]


def receipt_form(doc: Document, docno: str) -> Attachment:
    """The customer's delivery receipt (客户签收单) for the slip, its lines pre-filled (slip
    line, product, lot): when the signed delivery note comes back, sales writes in what the
    customer signed for and sends it. What was received is left for them: only the customer's
    signature says it."""
    kind = KINDS["delivery_receipt"]
    lines = [
        {"slip_line": line.number, "product_code": line["product_code"], "lot": line["lot"]}
        for line in doc.lines
        if line["product_code"]
    ]
    data = fill.filled(kind, {"slip_no": docno}, lines)
    return Attachment(f"{kind.key}-{kind.zh}-{docno}.xlsx", data)


def keeper_copies(
    keepers: Iterable[Staff],
    warehouse: str,
    docno: str,
    form: NextForm | None,
    mail: Callable[[Staff], tuple[str, dict]],
    secret: set[Decimal],
    lines_per_page: int | None = None,
) -> list[Reply]:
    """One mail per keeper: ``mail(keeper)`` names the template and its context, and ``form``
    (if any) is attached as its kind's declaration fills it: priced fields left out, free text
    about money (or holding one of ``secret``'s numbers) withheld. Every warehouse copy is made
    here, so no kind has to remember either rule."""
    replies = []
    for keeper in keepers:
        attachments = []
        if form is not None:
            kind = KINDS[form.kind]
            header = _price_free(kind.header, form.header, secret, keeper.language)
            columns = kind.lines.columns if kind.lines else ()
            lines = [_price_free(columns, line, secret, keeper.language) for line in form.lines]
            built = fill.filled(kind, header, lines, lines_per_page)
            name = f"{kind.key}-{kind.zh}-{docno}-{warehouse or 'WH'}.xlsx"
            attachments.append(Attachment(name, built))
        template, context = mail(keeper)
        subject, text, html = render(template, keeper.language, context)
        replies.append(
            Reply(keeper.address, subject, text, html, "warehouse_copy", docno, attachments)
        )
    return replies


def _price_free(
    fields: Iterable[Field], values: Mapping[str, object], secret: set[Decimal], language: str
) -> dict[str, object]:
    """``values`` with every priced field dropped and money-bearing free text withheld."""
    kept: dict[str, object] = {k: v for k, v in values.items() if k == "docno"}
    for f in fields:
        if f.key in values and not f.priced:
            value = values[f.key]
            kept[f.key] = safe_text(value, secret, language) if f.type == "text" else value
    return kept


def document_copies(
    doc: Document, docno: str, action: str, warehouse: str, roster: Roster, administrator: str
) -> list[Reply]:
    """The keepers of ``warehouse`` get a copy of ``doc`` itself, for any kind, with no amount in
    the mail; the numbers of its priced fields count as money in its free text."""
    kind = doc.kind
    secret = (
        {
            v
            for v in [
                *doc.header.values(),
                *(x for line in doc.lines for x in line.values.values()),
            ]
            if isinstance(v, Decimal) and v
        }
        if kind.priced
        else set()
    )
    header = {f.key: doc[f.key] for f in kind.header} | {"docno": docno}
    columns = kind.lines.columns if kind.lines else ()
    lines = [{c.key: line[c.key] for c in columns} for line in doc.lines]

    def mail(person: Staff) -> tuple[str, dict]:
        zh = person.language == "zh"
        word = {"record": ("已登记", "recorded"), "amend": ("已修改", "amended"),
                "cancel": ("已作废", "cancelled")}[action]  # fmt: skip
        title = (
            f"{kind.zh} {docno} {word[0]}（仓库 {warehouse} 副本）"
            if zh
            else f"{kind.en} {docno} {word[1]} (copy for warehouse {warehouse})"
        )
        return "notice", {
            "title": title,
            "person": person.name,
            "paragraphs": [
                f"附件是{kind.zh} {docno} 的副本，供仓库 {warehouse} 存档，无需回复。"
                if zh
                else f"The attached copy of {kind.en.lower()} {docno} is for warehouse "
                f"{warehouse}'s records; no reply is needed."
            ],
            "items": [],
            "next_step": "",
            "administrator": administrator,
        }

    form = NextForm(kind.key, header, lines)
    return keeper_copies(roster.warehouse_staff(warehouse), warehouse, docno, form, mail, secret)
