"""Where a document stands, and what the warehouses hold: ``silu status`` and ``silu stock``.

``document_status`` answers for any recorded document: who, when, which revision, what it links
to and what links to it, then one section per kind under ``sections``, keyed by the kind: the
document's own kind's (its ``HOOKS.status``: an order's decision and contract, a contract's
noticed and issued per line, a notice's issued per line, warehouse and lot and its slips, an
inquiry's state and history…) and what other kinds say about it (``HOOKS.status_elsewhere``: a
delivery receipt on its slip). Each section carries its own words (``text``), so no two kinds
share a key. ``prices=False`` gives the view for someone who must not see prices (a warehouse
keeper): every field declared as a price is left out, and free text that names money or one of
the document's prices or amounts is withheld, as in the warehouse's copies.

``stock_report`` lists on hand, reserved and available per warehouse, product and lot with the
lot's expiry. It never carries a price, so it is the same for every reader.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets import fulfilment as F
from silu_sheets.amounts import money_text
from silu_sheets.answers import NONE, Column, local_time, table, text_lines
from silu_sheets.kinds import HOOKS, KINDS
from silu_sheets.warehouse_copy import money_values, safe_text

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView


def _clean(kind_key: str, values: dict, secret: set[Decimal] | None, language: str) -> dict:
    """A document's stored values; for a reader without prices (``secret`` given), without price
    fields and with free text about money withheld."""
    kind = KINDS[kind_key]
    found = {}
    for key, value in values.items():
        try:
            declared = kind.field(key)
        except KeyError:
            found[key] = value
            continue
        if secret is None:
            found[key] = value
        elif not declared.priced:
            found[key] = safe_text(value, secret, language) if declared.type == "text" else value
    return found


def _money_in(kind_key: str, header: dict) -> set[Decimal]:
    """The header's money values (a payment's amount, a return's agreed refund…)."""
    kind = KINDS[kind_key]
    found = set()
    for key, value in header.items():
        try:
            priced = kind.field(key).priced
        except KeyError:
            continue
        if priced and value not in (None, ""):
            found.add(F.dec(value))
    return found


def document_status(
    view: LedgerView, docno: str, prices: bool = True, language: str = "en"
) -> dict | None:
    """Everything worth knowing about ``docno`` now, as plain JSON-ready values; None if unknown."""
    doc = view.document(docno)
    if doc is None:
        return None
    kind = KINDS[doc["kind"]]
    secret = None if prices else money_values(doc["lines"]) | _money_in(kind.key, doc["header"])
    found: dict[str, Any] = {
        "docno": docno,
        "kind": kind.key,
        "title": {"zh": kind.zh, "en": kind.en},
        "status": doc["status"],
        "revision": doc["revision"],
        "customer_code": doc["customer_code"],
        "customer_name": _customer_name(view, doc["customer_code"]),
        "owner": doc["owner"],
        "first_recorded_at": doc["first_recorded_at"],
        "updated_at": doc["updated_at"],
        "header": _clean(
            kind.key,
            {k: v for k, v in doc["header"].items() if v not in (None, "")},
            secret,
            language,
        ),
        "lines": [
            _clean(kind.key, {k: v for k, v in x.items() if v not in (None, "")}, secret, language)
            for x in doc["lines"]
        ],
        "revisions": [
            {
                "revision": r["revision"],
                "action": r["action"],
                "sender": r["sender"],
                "recorded_at": r["recorded_at"],
                "channel": r["channel"],
                "attachment": r["attachment_name"],
            }
            for r in view.revisions(docno)
        ],
        "refers_to": [
            {"field": r["field"], "docno": r["target"], "kind": r["kind"]}
            for r in view.rows(
                "SELECT l.field, l.target, d.kind FROM links l LEFT JOIN documents d "
                "ON d.docno = l.target WHERE l.docno = ? ORDER BY l.target",
                [docno],
            )
        ],
        # a payment is finance's and sales' business: not even its number goes to the warehouse
        "referred_by": [d for d in view.dependents(docno) if prices or d["kind"] != "payment"],
    }
    # one section per kind, under its own key: the document's own kind first (HOOKS.status),
    # then what other kinds say about it (a delivery receipt on its slip: status_elsewhere)
    sections = {}
    own = HOOKS[kind.key].status(view, doc, prices)
    if own:
        sections[kind.key] = own
    for key, hooks in HOOKS.items():
        section = hooks.status_elsewhere(view, doc, prices)
        if section:
            sections.setdefault(key, section)
    if sections:
        found["sections"] = sections
    return found


def _customer_name(view: LedgerView, code: str | None) -> str:
    customer = view.customer(code) if code else None
    return (customer or {}).get("name") or ""


def stock_report(view: LedgerView, warehouse: str | None = None) -> list[dict]:
    """On hand, reserved (by open notices naming the lot) and available per warehouse, product
    and lot, with the product's name and the lot's expiry. Places never stocked are left out;
    places emptied stay listed at zero while notices still reserve them."""
    where, params = ("WHERE s.warehouse = ?", [warehouse]) if warehouse else ("", [])
    rows = view.rows(
        "SELECT s.warehouse, s.product_code, s.lot, s.on_hand_milli, l.expiry_date, p.name, p.unit "
        "FROM stock_on_hand s LEFT JOIN lots l ON l.product_code = s.product_code AND l.lot = s.lot "
        f"LEFT JOIN products p ON p.code = s.product_code {where} "
        "ORDER BY s.warehouse, s.product_code, l.expiry_date, s.lot",
        params,
    )
    found = []
    for r in rows:
        on_hand = F.from_milli(r["on_hand_milli"])
        held = F.reservations(view, r["warehouse"], r["product_code"], r["lot"])
        reserved = sum((x["open"] for x in held), F.ZERO)
        if not on_hand and not reserved:
            continue
        found.append(
            {
                "warehouse": r["warehouse"],
                "product_code": r["product_code"],
                "product_name": r["name"] or "",
                "unit": r["unit"] or "",
                "lot": r["lot"],
                "expiry_date": r["expiry_date"],
                "on_hand": F.text(on_hand),
                "reserved": F.text(reserved),
                "available": F.text(on_hand - reserved),
                "reserved_by": [f"{x['docno']}#{x['line_no']}" for x in held],
            }
        )
    return found


#: the words of the head and the tail of ``render_status``; each kind's section brings its own
HEAD = {
    "active": ("有效", "in force"),
    "cancelled": ("已作废", "cancelled"),
    "revision": ("第 {} 版", "revision {}"),
    "customer": ("客户", "Customer"),
    "owner": ("负责人", "Owner"),
    "next": ("下一步", "Next"),
    "note": ("备注", "Note"),
    "cancel_reason": ("作废原因", "Cancelled because"),
    "related": ("相关单据", "Related documents"),
    "revisions": ("修改记录", "Revisions"),
    "refers_to": ("依据", "based on"),
    "referred_by": ("后续", "followed by"),
    "record": ("登记", "recorded"),
    "amend": ("修改", "amended"),
    "cancel": ("作废", "cancelled"),
    "mail": ("邮件", "mail"),
    "file": ("文件", "file"),
    "drop": ("共享文件夹", "shared folder"),
}
RELATED = (
    Column("relation", "关系", "Relation"),
    Column("kind", "单据", "Document"),
    Column("docno", "单号", "Number"),
)
REVISIONS = (
    Column("revision", "版本", "Rev.", figure=True),
    Column("action", "操作", "Action"),
    Column("by", "经办人", "By"),
    Column("at", "时间", "When"),
    Column("channel", "途径", "Via"),
)


def render_status(
    found: dict,
    language: str = "zh",
    names: Callable[[str], str] | None = None,
    timezone: str = "Asia/Shanghai",
) -> str:
    """``document_status`` as a person reads it (terminal and plain-text mail)."""
    return "\n".join(text_lines(status_blocks(found, language, names, timezone)))


def status_blocks(
    found: dict,
    language: str = "zh",
    names: Callable[[str], str] | None = None,
    timezone: str = "Asia/Shanghai",
) -> list:
    """The head in words (what it is, where it stands, what to do next), then each kind's
    section in its own words and tables, then the related documents and the revisions.
    ``names`` turns a roster address into the person's name; times are on the firm's clock."""
    i = 0 if language == "zh" else 1
    sep = "：" if i == 0 else ": "

    def w(key: str) -> str:
        return HEAD[key][i] if key in HEAD else key

    def who(address: str | None) -> str:
        return (names(address) if names and address else address) or NONE

    sections = list(found.get("sections", {}).values())
    own = found.get("sections", {}).get(found["kind"], {})
    cancelled = found["status"] == "cancelled"
    summary = (own.get("summary") or {}).get(language)
    head = w("cancelled") if cancelled else (summary or w(found["status"]))
    out: list = [f"{found['title'][language]} {found['docno']}{sep}{head}"]
    party = []
    if found.get("customer_code"):
        customer = " ".join(x for x in (found["customer_code"], found.get("customer_name")) if x)
        party.append(f"{w('customer')}{sep}{customer}")
    party.append(f"{w('owner')}{sep}{who(found['owner'])}")
    party.append(w("revision").format(found["revision"]))
    out.append(("　" if i == 0 else "  ").join(party))
    reason = found["header"].get("cancel_reason")
    if cancelled and reason:
        out.append(f"{w('cancel_reason')}{sep}{reason}")
    if found["header"].get("note"):  # withheld already for a reader who may not see money
        out.append(f"{w('note')}{sep}{found['header']['note']}")
    step = (own.get("next") or {}).get(language)
    if step and not cancelled:
        out.append(f"{w('next')}{sep}{step}")
    shown: set[str] = set()
    for section in sections:
        blocks = section.get("text", {}).get(language, [])
        if blocks:
            out.append("")
            out += blocks
        shown.update(section.get("shown", ()))
    if not own.get("text"):
        out += _lines_table(found, language)
    related = [
        {"relation": w("refers_to"), "kind": _kind_title(r["kind"], language), "docno": r["docno"]}
        for r in found["refers_to"]
        if r.get("kind") and r["docno"] not in shown
    ] + [
        {
            "relation": w("referred_by"),
            "kind": _kind_title(r["kind"], language),
            "docno": r["docno"],
        }
        for r in found["referred_by"]
        if r["docno"] not in shown
    ]
    if related:
        out.append(table(RELATED, related, language, w("related")))
    out.append(
        table(
            REVISIONS,
            (
                {
                    "revision": r["revision"],
                    "action": w(r["action"]),
                    "by": who(r["sender"]),
                    "at": local_time(r["recorded_at"], timezone),
                    "channel": w(r["channel"]),
                }
                for r in found["revisions"]
            ),
            language,
            w("revisions"),
        )
    )
    return out


def _kind_title(kind: str, language: str) -> str:
    return KINDS[kind].title(language) if kind in KINDS else kind


def _lines_table(found: dict, language: str) -> list:
    """A kind with no section of its own (a delivery receipt, a master workbook): its lines under the
    form's own column labels, choices in their words (price fields are gone already for a
    reader who may not see them)."""
    kind = KINDS[found["kind"]]
    if not kind.lines or not found["lines"]:
        return []
    used = [
        c for c in kind.lines.columns if any(x.get(c.key) not in (None, "") for x in found["lines"])
    ]
    columns = [Column(c.key, c.zh, c.en, c.type in ("quantity", "money", "integer")) for c in used]
    rows = []
    for line in found["lines"]:
        row = {}
        for c in used:
            value = line.get(c.key)
            choice = c.choice(str(value)) if c.choices and value not in (None, "") else None
            if choice:
                value = choice.label(language)
            elif c.type == "money":
                value = money_text(value, found["header"].get("currency"))
            row[c.key] = value
        rows.append(row)
    caption = kind.lines.zh if language == "zh" else kind.lines.en
    return [table(columns, rows, language, caption)]


#: the columns of ``silu stock``
STOCK = (
    Column("warehouse", "仓库", "Warehouse"),
    Column("product_code", "产品", "Product"),
    Column("product_name", "品名", "Name"),
    Column("lot", "批号", "Lot"),
    Column("expiry_date", "到期", "Expiry"),
    Column("on_hand", "库存", "On hand", figure=True),
    Column("reserved", "已占用", "Reserved", figure=True),  # by open shipment notices
    Column("available", "可用", "Available", figure=True),
)


def render_stock(rows: list[dict], language: str = "zh") -> str:
    """``stock_report`` as a table in the reader's language (no prices: the same for all)."""
    if not rows:
        return "没有库存。" if language == "zh" else "Nothing in stock."
    return "\n".join(text_lines([table(STOCK, rows, language)]))
