"""Where a document stands, and what the warehouses hold: ``silu status`` and ``silu stock``.

``document_status`` answers for any recorded document: who, when, which revision, what it links
to and what links to it, plus what its kind makes worth knowing — an order's decision and
contract, a contract's noticed and issued per line, a notice's issued per line, warehouse and lot
and its slips, an inquiry's state and history. ``prices=False`` gives the view for someone who
must not see prices (a warehouse keeper): every field declared as a price is left out, and free
text that names money or one of the document's prices or amounts is withheld, as in the
warehouse's copies.

``stock_report`` lists on hand, reserved and available per warehouse, product and lot with the
lot's expiry. It never carries a price, so it is the same for every reader.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets import fulfilment as F
from silu_sheets.amounts import money_text
from silu_sheets.kinds import HOOKS, KINDS
from silu_sheets.open_items import remaining_by_line
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
            {"field": r["field"], "docno": r["target"]}
            for r in view.rows(
                "SELECT field, target FROM links WHERE docno = ? ORDER BY target", [docno]
            )
        ],
        "referred_by": view.dependents(docno),
    }
    extra = EXTRAS.get(kind.key)
    if extra:
        found.update(extra(view, doc, prices))
    # what other kinds say about this document (a delivery receipt on its slip): one section
    # per kind, under its own key
    sections = {}
    for key, hooks in HOOKS.items():
        section = hooks.status_elsewhere(view, doc, prices)
        if section:
            sections[key] = section
    if sections:
        found["sections"] = sections
    return found


def _order(view: LedgerView, doc: dict, prices: bool) -> dict:
    header = doc["header"]
    contract = F.contract_of_order(view, doc["docno"])
    return {
        "decision": header.get("decision") or "pending",
        "decline_reason": header.get("decline_reason"),
        "offer_type": header.get("offer_type"),
        "valid_until": header.get("valid_until"),
        "quote_no": header.get("quote_no"),
        "contract": contract,
    }


def _contract(view: LedgerView, doc: dict, prices: bool) -> dict:
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
    return {"order_no": doc["header"].get("order_no"), "notices": notices, "progress": lines}


def _notice(view: LedgerView, doc: dict, prices: bool) -> dict:
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
    return {
        "contract_no": doc["header"].get("contract_no"),
        "progress": rows,
        "slips": slips,
        "fully_issued": bool(rows) and all(F.dec(r["left"]) <= 0 for r in rows),
    }


def _slip(view: LedgerView, doc: dict, prices: bool) -> dict:
    moved = view.rows(
        "SELECT warehouse, product_code, lot, quantity, movement, against_line FROM stock_movements "
        "WHERE docno = ? ORDER BY id",
        [doc["docno"]],
    )
    return {"notice_no": doc["header"].get("notice_no"), "stock_movements": moved}


def _inquiry(view: LedgerView, doc: dict, prices: bool) -> dict:
    state = view.inquiry_state(doc["docno"]) or {}
    linked = view.dependents(doc["docno"])
    return {
        "state": state,
        "follow_ups": [d["docno"] for d in linked if d["kind"] == "follow_up"],
        "quotes": [d["docno"] for d in linked if d["kind"] == "quote"],
        "samples": [d["docno"] for d in linked if d["kind"] == "sample"],
    }


def _follow_up(view: LedgerView, doc: dict, prices: bool) -> dict:
    inquiry = doc["header"].get("inquiry_no")
    return {
        "inquiry_no": inquiry,
        "inquiry_state": view.inquiry_state(inquiry) if inquiry else None,
    }


def _quote(view: LedgerView, doc: dict, prices: bool) -> dict:
    orders = F.linked(view, doc["docno"], "quote_no", "order")
    return {
        "valid_until": doc["header"].get("valid_until"),
        "inquiry_no": doc["header"].get("inquiry_no"),
        "orders": orders,
    }


EXTRAS = {
    "order": _order,
    "contract": _contract,
    "shipment_notice": _notice,
    "issue_slip": _slip,
    "inquiry": _inquiry,
    "follow_up": _follow_up,
    "quote": _quote,
}
from silu_sheets.money_status import EXTRAS as _MONEY_EXTRAS  # noqa: E402 - returns, payments, inbound slips

EXTRAS.update(_MONEY_EXTRAS)


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


#: the words of ``render_status`` (zh, en)
WORDS = {
    "active": ("有效", "active"),
    "cancelled": ("已作废", "cancelled"),
    "revision": ("第 {} 版", "revision {}"),
    "customer": ("客户", "customer"),
    "decision": ("决定", "decision"),
    "contract": ("合同", "contract"),
    "order_no": ("订单", "order"),
    "contract_no": ("合同", "contract"),
    "notice_no": ("发货单", "notice"),
    "return_no": ("退货单", "return"),
    "valid_until": ("有效期至", "valid until"),
    "state": ("状态", "state"),
    "next_follow_up": ("下次跟进", "next follow-up"),
    "follow_ups": ("跟进", "follow-ups"),
    "quotes": ("报价", "quotes"),
    "samples": ("样品", "samples"),
    "noticed": ("已通知发货", "noticed"),
    "issued": ("已出库", "issued"),
    "left_to_notice": ("待通知", "left to notice"),
    "left": ("未出库", "left"),
    "notices": ("发货单", "notices"),
    "slips": ("出库单", "slips"),
    "returned": ("退货", "returned"),
    "received": ("已入库", "received"),
    "not_received": ("待入库", "left"),
    "replacement_open": (
        "换货待发：还没有发货单注明此退货",
        "replacement still owed: no shipment notice names this return yet",
    ),
    "replaced_by": ("换货发货单", "replaced by"),
    "money": ("退款", "money"),
    "not_agreed": ("尚未商定（未冲抵任何金额）", "not agreed yet (nothing credited)"),
    "agreed": ("商定", "agreed"),
    "credited": ("已冲抵", "credited"),
    "refunded": ("已退款", "refunded"),
    "refund_due": ("待退款", "refund due"),
    "referred_by": ("被引用", "referred by"),
    "open": ("跟进中", "open"),  # an inquiry no follow-up has closed (won, lost: its result)
    # money movements (ledger table money_movements): what moved, and on which account
    "receipt_applied": ("收款核销", "payment applied"),
    "receipt_to_balance": ("收款转结余", "payment into the balance"),
    "advance": ("预收款", "advance"),
    "balance_applied": ("结余冲抵", "balance applied"),
    "auto_applied": ("结余自动冲抵", "balance applied automatically"),
    "refund": ("退款", "refund"),
    "reversal": ("冲回", "reversal"),
    "account:notice": ("发货单", "notice"),
    "account:balance": ("结余", "balance"),
    "account:refund_due": ("待退款", "refund due"),
    "account:refundable": ("待退款", "refund due"),
    "return_credit": ("退货冲抵欠款", "return credited to the notice"),
    "return_to_balance": ("退货转结余", "return into the balance"),
    "return_refundable": ("退货待退款", "return to refund"),
}


def render_status(found: dict, language: str = "zh") -> str:
    """``document_status`` as lines a person reads, in their language (terminal and mail)."""
    i = 0 if language == "zh" else 1

    def w(key: str) -> str:
        return WORDS[key][i]

    def chosen(kind: str, field: str, key: str) -> str:
        """A stored choice in the words its form offers."""
        choice = KINDS[kind].field(field).choice(key)
        return choice.label(language) if choice else key

    sep = "：" if i == 0 else ": "
    status = WORDS.get(found["status"], (found["status"],) * 2)[i]
    out = [
        f"{found['docno']}  {found['title']['zh' if i == 0 else 'en']}  [{status}]  "
        f"{w('revision').format(found['revision'])}  {found['owner']}"
    ]
    if found.get("customer_code"):
        out.append(f"{w('customer')} {found['customer_code']}")
    if found.get("decision"):
        out.append(f"{w('decision')}{sep}{chosen('order', 'decision', found['decision'])}")
    for key in ("contract", "order_no", "contract_no", "notice_no", "return_no"):
        if found.get(key):
            out.append(f"{w(key)}{sep}{found[key]}")
    if found.get("valid_until"):
        out.append(f"{w('valid_until')}{sep}{found['valid_until']}")
    if "state" in found:
        state = found["state"].get("status", "open")
        shown = w("open") if state == "open" else chosen("follow_up", "result", state)
        out.append(
            f"{w('state')}{sep}{shown}  "
            f"{w('next_follow_up')}{sep}{found['state'].get('next_follow_up') or '-'}"
        )
        for key in ("follow_ups", "quotes", "samples"):
            if found[key]:
                out.append(f"{w(key)}{sep}{', '.join(found[key])}")
    for row in found.get("progress", []):
        head = f"  #{row['line_no']} {row['product_code']}: {row['quantity']}"
        if "left_to_notice" in row:
            out.append(
                f"{head}  {w('noticed')} {row['noticed']}  {w('issued')} {row['issued']}  "
                f"{w('left_to_notice')} {row['left_to_notice']}"
            )
        else:
            places = "; ".join(
                f"{x['warehouse']} {x['lot'] or '-'} {x['issued']}" for x in row["issued_from"]
            )
            out.append(
                f"{head}  {w('issued')} {row['issued']}  {w('left')} {row['left']}"
                + (f"  ({places})" if places else "")
            )
    for row in found.get("received", []):  # a sales return's lines
        out.append(
            f"  #{row['line_no']} {row['product_code']}: {w('returned')} {row['quantity']}  "
            f"{w('received')} {row['received']}  {w('not_received')} {row['left']}"
        )
    if found.get("replacement_open"):
        out.append(w("replacement_open"))
    elif found.get("replaced_by"):
        out.append(f"{w('replaced_by')}{sep}{', '.join(found['replaced_by'])}")
    currency = found.get("header", {}).get("currency")
    money = found.get("money")
    if money:
        out.append(
            f"{w('money')}{sep}"
            + (
                w("not_agreed")
                if money["agreed"] in (None, "")
                else ", ".join(
                    f"{w(k)} {money_text(money[k], currency)}"
                    for k in ("agreed", "credited", "refunded", "refund_due")
                )
            )
        )
    for r in found.get("stock_movements", []):  # an issue slip's goods, out (or back)
        out.append(
            f"  {w('issued') if F.dec(r['quantity']) < 0 else w('reversal')}{sep}"
            f"{r['warehouse']} {r['product_code']} {r['lot'] or '-'} "
            f"{F.text(abs(F.dec(r['quantity'])))}"
            + (f"  ({w('notice_no')} #{r['against_line']})" if r.get("against_line") else "")
        )
    for r in found.get("movements", []):  # a payment's effect
        movement = WORDS.get(r["movement"], (r["movement"],) * 2)[i]
        account = WORDS.get(f"account:{r['account']}", (r["account"],) * 2)[i]
        target = r["notice_no"] or r["return_no"] or ""
        amount = money_text(r["amount"], currency)
        out.append(f"  {movement}{sep}{account} {amount} {target}".rstrip())
    if found.get("notices"):
        out.append(f"{w('notices')}{sep}{', '.join(found['notices'])}")
    if found.get("slips"):
        out.append(
            f"{w('slips')}{sep}"
            + ", ".join(f"{s['docno']} {s.get('warehouse') or ''}".strip() for s in found["slips"])
        )
    for section in found.get("sections", {}).values():
        out += section["text"]["zh" if i == 0 else "en"]
    if found["referred_by"]:
        out.append(f"{w('referred_by')}{sep}" + ", ".join(d["docno"] for d in found["referred_by"]))
    return "\n".join(out)


def render_stock(rows: list[dict]) -> str:
    out = [
        f"{'warehouse':<8} {'product':<8} {'lot':<12} {'expiry':<10} {'on hand':>10} {'reserved':>10} {'available':>10}"
    ]
    for r in rows:
        out.append(
            f"{r['warehouse']:<8} {r['product_code']:<8} {r['lot'] or '-':<12} {r['expiry_date'] or '-':<10} "
            f"{r['on_hand']:>10} {r['reserved']:>10} {r['available']:>10}"
        )
    return "\n".join(out)
