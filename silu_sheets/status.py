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

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets import fulfilment as F
from silu_sheets.amounts import money_text
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
    # one section per kind, under its own key: the document's own kind first (HOOKS.status),
    # then what other kinds say about it (a delivery receipt on its slip: status_elsewhere)
    sections = {}
    own = HOOKS[kind.key].status(view, doc, prices)
    if own:
        currency = doc["header"].get("currency")
        sections[kind.key] = own | {
            "text": {lang: _section_text(own, lang, currency) for lang in ("zh", "en")}
        }
    for key, hooks in HOOKS.items():
        section = hooks.status_elsewhere(view, doc, prices)
        if section:
            sections.setdefault(key, section)
    if sections:
        found["sections"] = sections
    return found


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
    """``document_status`` as lines a person reads, in their language (terminal and mail): who
    and when, then each kind's section in its own words, then what refers to the document."""
    i = 0 if language == "zh" else 1
    sep = "：" if i == 0 else ": "
    status = WORDS.get(found["status"], (found["status"],) * 2)[i]
    out = [
        f"{found['docno']}  {found['title']['zh' if i == 0 else 'en']}  [{status}]  "
        f"{WORDS['revision'][i].format(found['revision'])}  {found['owner']}"
    ]
    if found.get("customer_code"):
        out.append(f"{WORDS['customer'][i]} {found['customer_code']}")
    for section in found.get("sections", {}).values():
        out += section["text"]["zh" if i == 0 else "en"]
    if found["referred_by"]:
        out.append(
            f"{WORDS['referred_by'][i]}{sep}" + ", ".join(d["docno"] for d in found["referred_by"])
        )
    return "\n".join(out)


def _section_text(found: dict, language: str, currency: str | None) -> list[str]:
    """A kind's own section (``HOOKS.status``) in words."""
    i = 0 if language == "zh" else 1

    def w(key: str) -> str:
        return WORDS[key][i]

    def chosen(kind: str, field: str, key: str) -> str:
        """A stored choice in the words its form offers."""
        choice = KINDS[kind].field(field).choice(key)
        return choice.label(language) if choice else key

    sep = "：" if i == 0 else ": "
    out: list[str] = []
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
    return out


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
