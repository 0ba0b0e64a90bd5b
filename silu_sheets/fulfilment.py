"""What sales promised and what the warehouse did: the quantities the fulfilment rules compare.

* noticed: per contract, what its active shipment notices ask for, per product;
* issued: per notice line, what the warehouse's issue slips took out (stock movements of type
  ``issue`` against the notice and line, negative; an amended or cancelled slip adds
  ``reversal`` rows, positive, against the same notice line);
* on hand: per warehouse, product and lot (the ``stock_on_hand`` table a trigger keeps from
  every movement, see ledger migration 2);
* reserved: what open notices naming a lot still need from it; available = on hand - reserved;
* FEFO: the lots to propose first where sales named none (earliest expiry first).

Every number is an exact ``Decimal``; every query goes through an index (the ``EXPLAIN QUERY
PLAN`` test checks it), so checking a slip stays as fast in a ledger of millions of lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView

ZERO = Decimal(0)
#: stock movements that make up what was issued against a notice line
ISSUE_MOVEMENTS = ("issue", "reversal")
_ISSUED_IN = "movement IN ('issue', 'reversal')"
#: a notice header (``h``) shipping on its contract, not a replacement (silu_sheets/replacements.py)
_ON_CONTRACT = "COALESCE(h.replaces_return, '') = ''"


def dec(value: Any) -> Decimal:
    """A stored decimal (text, number or Decimal) as a Decimal; blank is zero."""
    if value is None or value == "":
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def from_milli(milli: int | None) -> Decimal:
    """Thousandths as a Decimal without trailing zeros (``120``, ``12.5``)."""
    found = Decimal(milli or 0).scaleb(-3)
    return found.quantize(Decimal(1)) if found == found.to_integral_value() else found.normalize()


def text(value: Decimal) -> str:
    """A quantity as people write it: ``120``, ``12.5`` (never ``1.2E+2``)."""
    s = format(value, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


# --- documents linked to each other ---------------------------------------------------------
def linked(
    view: LedgerView, target: str, field: str, kind: str, excluding: str | None = None
) -> list[str]:
    """Active documents of ``kind`` whose ``field`` names ``target`` (through ``links``)."""
    rows = view.db.execute(
        "SELECT DISTINCT l.docno FROM links l JOIN documents d ON d.docno = l.docno "
        "WHERE l.target = ? AND l.field = ? AND d.kind = ? AND d.status = 'active' ORDER BY l.docno",
        [target, field, kind],
    ).fetchall()
    return [r[0] for r in rows if r[0] != excluding]


def contract_of_order(view: LedgerView, order_no: str, excluding: str | None = None) -> str | None:
    found = linked(view, order_no, "order_no", "contract", excluding)
    return found[0] if found else None


def notices_of_contract(
    view: LedgerView, contract_no: str, excluding: str | None = None
) -> list[str]:
    return linked(view, contract_no, "contract_no", "shipment_notice", excluding)


def slips_of_notice(view: LedgerView, notice_no: str, excluding: str | None = None) -> list[str]:
    return linked(view, notice_no, "notice_no", "issue_slip", excluding)


def lines_of(view: LedgerView, kind: str, docno: str) -> list[dict]:
    """The current lines of a document, from its kind's lines table (primary key lookup)."""
    return view.rows(f"SELECT * FROM [{kind}_lines] WHERE docno = ? ORDER BY line_no", [docno])


def noticed_by_product(
    view: LedgerView, contract_no: str, excluding: str | None = None
) -> dict[str, Decimal]:
    """Per product, what the contract's active notices (but ``excluding``) ask for."""
    rows = view.db.execute(
        "SELECT n.docno, n.product_code, n.quantity FROM links l "
        "JOIN documents d ON d.docno = l.docno "
        "JOIN shipment_notice_lines n ON n.docno = l.docno "
        "JOIN shipment_notice h ON h.docno = l.docno "
        "WHERE l.target = ? AND l.field = 'contract_no' AND d.kind = 'shipment_notice' AND d.status = 'active' "
        f"AND {_ON_CONTRACT}",
        [contract_no],
    ).fetchall()
    found: dict[str, Decimal] = defaultdict(Decimal)
    for docno, product, quantity in rows:
        if docno != excluding:
            found[product] += dec(quantity)
    return dict(found)


def noticed_by_contract_line(view: LedgerView, contract: dict) -> dict[int, Decimal]:
    """Per contract line, what the contract's active notices ask for. A product may sit on
    several lines at different prices (as on its order): a notice line fills the lines of its
    product at its own price first, then the others in line order, so the next pre-filled
    notice keeps each remaining line's own price."""
    rows = view.db.execute(
        "SELECT n.product_code, n.quantity, n.unit_price FROM links l "
        "JOIN documents d ON d.docno = l.docno "
        "JOIN shipment_notice_lines n ON n.docno = l.docno "
        "JOIN shipment_notice h ON h.docno = l.docno "
        "WHERE l.target = ? AND l.field = 'contract_no' AND d.kind = 'shipment_notice' AND d.status = 'active' "
        f"AND {_ON_CONTRACT}",
        [contract["docno"]],
    ).fetchall()
    lines = [x for x in contract["lines"] if x.get("product_code")]
    room = {int(x["line_no"]): dec(x.get("quantity")) for x in lines}
    filled: dict[int, Decimal] = defaultdict(Decimal)
    rest: list[tuple[str, Decimal]] = []
    for product, quantity, price in rows:
        left = dec(quantity)
        for x in lines:
            n = int(x["line_no"])
            if x["product_code"] == product and dec(x.get("unit_price")) == dec(price):
                take = min(left, room[n] - filled[n])
                filled[n] += take
                left -= take
        if left > 0:
            rest.append((product, left))
    for product, left in rest:
        same = [int(x["line_no"]) for x in lines if x["product_code"] == product]
        for n in same:
            take = min(left, room[n] - filled[n])
            filled[n] += take
            left -= take
        if left > 0 and same:  # beyond the contract (amended below): the last line carries it
            filled[same[-1]] += left
    return dict(filled)


def contract_quantities(contract: dict) -> dict[str, Decimal]:
    """Per product, the contract's quantity (lines of one product add up)."""
    found: dict[str, Decimal] = defaultdict(Decimal)
    for line in contract["lines"]:
        if line.get("product_code"):
            found[line["product_code"]] += dec(line.get("quantity"))
    return dict(found)


# --- issued ------------------------------------------------------------------------------------
def issued_rows(view: LedgerView, notice_no: str) -> list[dict]:
    return view.rows(
        "SELECT against_line, warehouse, product_code, lot, quantity, docno FROM stock_movements "
        f"WHERE against = ? AND {_ISSUED_IN}",
        [notice_no],
    )


def issued_by_line(
    view: LedgerView, notice_no: str, excluding_slip: str | None = None
) -> dict[int, Decimal]:
    """Per notice line, what slips (but ``excluding_slip``) issued: the negated movements."""
    found: dict[int, Decimal] = defaultdict(Decimal)
    for row in issued_rows(view, notice_no):
        if row["docno"] != excluding_slip:
            found[row["against_line"]] -= dec(row["quantity"])
    return dict(found)


def issued_by_place(view: LedgerView, notice_no: str) -> dict[tuple[int, str, str], Decimal]:
    """Per (notice line, warehouse, lot), what was issued."""
    found: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
    for row in issued_rows(view, notice_no):
        found[(row["against_line"], row["warehouse"], row["lot"])] -= dec(row["quantity"])
    return {k: v for k, v in found.items() if v}


def issued_on_line(view: LedgerView, notice_no: str, line_no: int) -> Decimal:
    rows = view.db.execute(
        f"SELECT quantity FROM stock_movements WHERE against = ? AND against_line = ? AND {_ISSUED_IN}",
        [notice_no, line_no],
    ).fetchall()
    return -sum((dec(r[0]) for r in rows), ZERO)


def slip_net(
    view: LedgerView, slip_no: str
) -> dict[tuple[str, str, str, str | None, int | None], Decimal]:
    """What a slip's movements add up to now, per (warehouse, product, lot, notice, notice line):
    the old effect an amendment or cancellation reverses."""
    found: dict[tuple[str, str, str, str | None, int | None], Decimal] = defaultdict(Decimal)
    for row in view.rows(
        "SELECT warehouse, product_code, lot, against, against_line, quantity FROM stock_movements WHERE docno = ?",
        [slip_no],
    ):
        key = (
            row["warehouse"],
            row["product_code"],
            row["lot"],
            row["against"],
            row["against_line"],
        )
        found[key] += dec(row["quantity"])
    return {k: v for k, v in found.items() if v}


# --- stock ---------------------------------------------------------------------------------------
def on_hand(view: LedgerView, warehouse: str, product: str, lot: str | None) -> Decimal:
    row = view.db.execute(
        "SELECT on_hand_milli FROM stock_on_hand WHERE warehouse = ? AND product_code = ? AND lot = ?",
        [warehouse, product, lot or ""],
    ).fetchone()
    return from_milli(row[0]) if row else ZERO


def lots_held(view: LedgerView, warehouse: str, product: str) -> list[dict]:
    """The lots of ``product`` with stock in ``warehouse``: lot, on hand, expiry (FEFO order)."""
    rows = view.rows(
        "SELECT s.lot, s.on_hand_milli, l.expiry_date FROM stock_on_hand s "
        "LEFT JOIN lots l ON l.product_code = s.product_code AND l.lot = s.lot "
        "WHERE s.warehouse = ? AND s.product_code = ? AND s.on_hand_milli > 0",
        [warehouse, product],
    )
    held = [
        {
            "warehouse": warehouse,
            "lot": r["lot"],
            "on_hand": from_milli(r["on_hand_milli"]),
            "expiry": r["expiry_date"],
        }
        for r in rows
    ]
    return sorted(held, key=lambda h: (h["expiry"] or "9999-12-31", h["lot"]))


def expiry(view: LedgerView, product: str, lot: str | None) -> dt.date | None:
    if not lot:
        return None
    found = view.lot(product, lot)
    return dt.date.fromisoformat(found["expiry_date"]) if found and found["expiry_date"] else None


def reservations(
    view: LedgerView, warehouse: str, product: str, lot: str, excluding: str | None = None
) -> list[dict]:
    """Open notice lines naming this lot in this warehouse: notice, line and what they still need."""
    if not lot:
        return []
    rows = view.rows(
        "SELECT n.docno, n.line_no, n.quantity FROM shipment_notice_lines n "
        "JOIN documents d ON d.docno = n.docno "
        "WHERE n.product_code = ? AND n.lot = ? AND n.warehouse = ? AND d.status = 'active' "
        "ORDER BY n.docno, n.line_no",
        [product, lot, warehouse],
    )
    found = []
    for r in rows:
        if r["docno"] == excluding:
            continue
        still = dec(r["quantity"]) - issued_on_line(view, r["docno"], r["line_no"])
        if still > 0:
            found.append({"docno": r["docno"], "line_no": r["line_no"], "open": still})
    return found


def reserved(
    view: LedgerView, warehouse: str, product: str, lot: str, excluding: str | None = None
) -> Decimal:
    return sum((r["open"] for r in reservations(view, warehouse, product, lot, excluding)), ZERO)


def available(
    view: LedgerView, warehouse: str, product: str, lot: str, excluding: str | None = None
) -> Decimal:
    return on_hand(view, warehouse, product, lot) - reserved(
        view, warehouse, product, lot, excluding
    )


# --- FEFO proposals ------------------------------------------------------------------------------
class Proposal(NamedTuple):
    """Where to take part of a notice line from: a warehouse and lot, or ``short`` when no stock
    is left to propose."""

    line_no: int
    product_code: str
    warehouse: str | None
    lot: str
    quantity: Decimal
    expiry: str | None = None
    named: bool = False
    short: bool = False


def propose(
    view: LedgerView,
    notice_no: str,
    lines: list[dict],
    on: dt.date | None = None,
) -> list[Proposal]:
    """For each notice line's remainder (quantity less issued): the named warehouse and lot, or
    lots by earliest expiry (FEFO) among those with stock not reserved by other notices and not
    expired on ``on``; within the named warehouse, or across all warehouses when none is named."""
    issued = issued_by_line(view, notice_no)
    taken: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    warehouses = [w["code"] for w in view.warehouses()]
    proposals: list[Proposal] = []
    for line in lines:
        number, product = int(line["line_no"]), line.get("product_code") or ""
        left = dec(line.get("quantity")) - issued.get(number, ZERO)
        if left <= 0 or not product:
            continue
        named_wh, named_lot = line.get("warehouse") or None, line.get("lot") or ""
        if named_lot:
            exp = expiry(view, product, named_lot)
            proposals.append(
                Proposal(
                    number,
                    product,
                    named_wh,
                    named_lot,
                    left,
                    exp.isoformat() if exp else None,
                    named=True,
                )
            )
            continue
        held = []
        for wh in [named_wh] if named_wh else warehouses:
            held += lots_held(view, wh, product)
        held.sort(key=lambda h: (h["expiry"] or "9999-12-31", h["warehouse"], h["lot"]))
        for h in held:
            if left <= 0:
                break
            if on and h["expiry"] and h["expiry"] < on.isoformat():
                continue
            place = (h["warehouse"], product, h["lot"])
            free = (
                h["on_hand"]
                - reserved(view, h["warehouse"], product, h["lot"], excluding=notice_no)
                - taken[place]
            )
            if free <= 0:
                continue
            take = min(free, left)
            taken[place] += take
            left -= take
            proposals.append(Proposal(number, product, h["warehouse"], h["lot"], take, h["expiry"]))
        if left > 0:
            where = named_wh or next((p.warehouse for p in proposals if p.line_no == number), None)
            proposals.append(Proposal(number, product, where, "", left, short=True))
    return proposals


def held_words(held: list[dict]) -> dict[str, str]:
    """``L2026-007（到期 2027-03-01，库存 120）、…`` in both languages, for a problem's message."""
    zh, en = [], []
    for h in held:
        zh.append(
            f"{h['lot'] or '（无批号）'}（到期 {h['expiry'] or '-'}，库存 {text(h['on_hand'])}）"
        )
        en.append(
            f"{h['lot'] or '(no lot)'} (expires {h['expiry'] or '-'}, on hand {text(h['on_hand'])})"
        )
    return {"zh": "、".join(zh) or "无", "en": ", ".join(en) or "none"}
