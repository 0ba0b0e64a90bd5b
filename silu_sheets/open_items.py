"""What every document still owes: the ledger table ``open_items``, computed here and only here.

One row per open obligation (the keys below), kept by the pipeline in the same transaction as the
document that changes it: the document recorded, amended or cancelled, and every document it
draws on up the chain (a slip refreshes its notice and the notice's contract, a payment the
notices it pays). A row disappears when its obligation is met, closed or cancelled. Readers —
``silu status``, the reminder centre, the manager workbooks — read the table through
``open_items``; nothing recomputes an obligation elsewhere.

    follow_up_due        inquiry open, due on its next follow-up date (sales)
    inquiry_no_date      inquiry open with no next follow-up date (sales)
    quote_validity       quote no order cites yet, due on its valid-until date (sales)
    sample_feedback      sample whose inquiry has had no follow-up since it was sent (sales)
    order_decision       order neither accepted nor declined, due on its validity if any (sales)
    firm_offer_validity  firm offer (实盘) not declined and not contracted, due on its validity
    contract_to_notice   contract line quantity not yet on a notice, due on delivery (sales)
    notice_to_issue      notice line not fully issued, in its named warehouse/lot (warehouse)
    notice_owed          issued value less credits less payments, due on the last issue date
                         plus the contract's (else the customer's) payment days (finance)
    return_agreement     return whose money is still to be agreed (sales)
    replacement_owed     return line to be replaced, not yet on a replacement notice (sales)
    refund_owed          agreed refund not yet paid (finance)
    return_to_receive    return line not fully received back (warehouse)
    service_next_action  service record not closed, due on its next action date (service)

``owner`` is the document's responsible person (its salesperson, else its sender); rows for the
warehouse name the ``warehouse`` (the keepers of that warehouse are the audience) and never
carry an amount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from silu_sheets import drawdown

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

ZERO = Decimal(0)
#: every obligation key, in the order of the sales process
OBLIGATIONS = (
    "follow_up_due",
    "inquiry_no_date",
    "quote_validity",
    "sample_feedback",
    "order_decision",
    "firm_offer_validity",
    "contract_to_notice",
    "notice_to_issue",
    "notice_owed",
    "return_agreement",
    "replacement_owed",
    "refund_owed",
    "return_to_receive",
    "service_next_action",
    "receipt_to_sign",
)


class OpenItem(NamedTuple):
    """One open obligation of one document (or one of its lines)."""

    docno: str
    kind: str
    line_no: int | None
    obligation: str
    role: str
    measure: str  # quantity | amount | flag
    owner: str | None = None
    customer_code: str | None = None
    salesperson: str | None = None
    warehouse: str | None = None
    product_code: str | None = None
    lot: str | None = None
    remaining: Decimal | None = None
    total: Decimal | None = None
    currency: str | None = None
    due_on: dt.date | None = None
    since: dt.date | None = None

    def days_late(self, today: dt.date) -> int:
        """Days past ``due_on`` (0 when not late or when there is no date)."""
        if self.due_on is None or today <= self.due_on:
            return 0
        return (today - self.due_on).days

    def row(self) -> dict[str, Any]:
        """The ledger row: decimals and dates as text, a whole-document item on line 0."""
        found: dict[str, Any] = {}
        for name, value in zip(self._fields, self, strict=True):
            if isinstance(value, Decimal):
                value = _text(value)
            elif isinstance(value, dt.date):
                value = value.isoformat()
            found[name] = value
        found["line_no"] = self.line_no or 0
        return found

    @classmethod
    def from_row(cls, row: dict) -> OpenItem:
        def day(v: str | None) -> dt.date | None:
            return dt.date.fromisoformat(v) if v else None

        def number(v: str | None) -> Decimal | None:
            return None if v in (None, "") else Decimal(v)

        return cls(
            docno=row["docno"],
            kind=row["kind"],
            line_no=row["line_no"] or None,
            obligation=row["obligation"],
            role=row["role"],
            measure=row["measure"],
            owner=row["owner"],
            customer_code=row["customer_code"],
            salesperson=row["salesperson"],
            warehouse=row["warehouse"],
            product_code=row["product_code"],
            lot=row["lot"],
            remaining=number(row["remaining"]),
            total=number(row["total"]),
            currency=row["currency"],
            due_on=day(row["due_on"]),
            since=day(row["since"]),
        )


# --- reading -------------------------------------------------------------------------------------
def open_items(
    view: LedgerView,
    *,
    owner: str | None = None,
    role: str | None = None,
    customer: str | None = None,
    obligations: Iterable[str] | None = None,
    due_by: dt.date | None = None,
    docno: str | None = None,
    warehouse: str | None = None,
) -> list[OpenItem]:
    """Open items, oldest due first (undated last), filtered by whatever is given. ``due_by``
    keeps the items due on or before that day (undated items are left out)."""
    where, params = [], []
    for column, value in (
        ("owner", owner),
        ("role", role),
        ("customer_code", customer),
        ("docno", docno),
        ("warehouse", warehouse),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if obligations is not None:
        keys = list(obligations)
        where.append(f"obligation IN ({', '.join('?' * len(keys))})" if keys else "0")
        params += keys
    if due_by is not None:
        where.append("due_on IS NOT NULL AND due_on <= ?")
        params.append(due_by.isoformat())
    sql = "SELECT * FROM open_items" + (f" WHERE {' AND '.join(where)}" if where else "")
    sql += " ORDER BY due_on IS NULL, due_on, docno, obligation, line_no"
    cursor = view.db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [OpenItem.from_row(dict(zip(names, r, strict=True))) for r in cursor.fetchall()]


def remaining_by_line(view: LedgerView, docno: str, obligation: str) -> dict[int, Decimal]:
    """Per line, what remains open of one obligation of one document (lines met are absent)."""
    rows = view.db.execute(
        "SELECT line_no, remaining FROM open_items WHERE docno = ? AND obligation = ?",
        [docno, obligation],
    ).fetchall()
    return {int(n): Decimal(r) for n, r in rows if r is not None}


# --- keeping the table ---------------------------------------------------------------------------
def refresh(writer: LedgerWriter, docnos: Iterable[str], currency: str = "CNY") -> None:
    """Recompute the open items of ``docnos`` and every document they draw on up the chain (an
    inquiry brings its samples along: their feedback is judged by its follow-ups). Call it inside
    the transaction that recorded the change; ``currency`` is the firm's default."""
    view = writer.view
    for docno in sorted(affected(view, docnos)):
        writer.db.execute("DELETE FROM open_items WHERE docno = ?", [docno])
        writer.insert_all("open_items", [i.row() for i in obligations_of(view, docno, currency)])


def rebuild(writer: LedgerWriter, currency: str = "CNY") -> int:
    """Every active document's open items from scratch (a ledger made before the table)."""
    writer.db.execute("DELETE FROM open_items")
    count = 0
    for (docno,) in writer.db.execute(
        "SELECT docno FROM documents WHERE status = 'active' ORDER BY docno"
    ).fetchall():
        items = [i.row() for i in obligations_of(writer.view, docno, currency)]
        writer.insert_all("open_items", items)
        count += len(items)
    return count


def cited(view: LedgerView, docno: str) -> set[str]:
    """What a document draws on: its links, and what its stock and money movements moved
    against (an amended slip's reversals still name the notice it used to draw on)."""
    found = {r[0] for r in view.db.execute("SELECT target FROM links WHERE docno = ?", [docno])}
    found |= {
        r[0]
        for r in view.db.execute(
            "SELECT DISTINCT against FROM stock_movements WHERE docno = ? AND against IS NOT NULL",
            [docno],
        )
    }
    for notice, ret in view.db.execute(
        "SELECT DISTINCT notice_no, return_no FROM money_movements WHERE docno = ?", [docno]
    ):
        found |= {x for x in (notice, ret) if x}
    found.discard(docno)
    return found


def affected(view: LedgerView, docnos: Iterable[str]) -> set[str]:
    """``docnos``, what they cite up the chain, the samples of any inquiry and the notices of
    any contract among them."""
    todo = list(docnos)
    seen: set[str] = set()
    while todo:
        docno = todo.pop()
        if docno in seen:
            continue
        seen.add(docno)
        todo += cited(view, docno) - seen
    # obligations judged by what they cite: a sample's feedback by its inquiry's follow-ups,
    # a notice's payment due date by its contract's payment days
    below = {"inquiry": ("inquiry_no", "sample"), "contract": ("contract_no", "shipment_notice")}
    for docno in list(seen):
        kind = _kind(view, docno)
        if kind not in below:
            continue
        field, dependent = below[kind]
        seen |= {
            r[0]
            for r in view.db.execute(
                "SELECT l.docno FROM links l JOIN documents d ON d.docno = l.docno "
                "WHERE l.target = ? AND l.field = ? AND d.kind = ?",
                [docno, field, dependent],
            )
        }
    return seen


def _kind(view: LedgerView, docno: str) -> str | None:
    row = view.db.execute("SELECT kind FROM documents WHERE docno = ?", [docno]).fetchone()
    return row[0] if row else None


# --- the obligations, one function per kind -------------------------------------------------------
class _Doc(NamedTuple):
    """What every obligation of a document shares: its number, kind, header row and people."""

    docno: str
    kind: str
    header: dict
    owner: str | None
    customer_code: str | None
    currency: str

    def item(self, obligation: str, role: str, measure: str, **values: Any) -> OpenItem:
        values.setdefault("owner", self.owner)
        values.setdefault("customer_code", self.customer_code)
        values.setdefault("salesperson", self.header.get("salesperson") or self.owner)
        if measure == "amount":
            assert role != "warehouse", "the warehouse never sees an amount"
            values.setdefault("currency", self.currency)
        return OpenItem(self.docno, self.kind, obligation=obligation, role=role, measure=measure,
                        **values)  # fmt: skip


def obligations_of(view: LedgerView, docno: str, currency: str = "CNY") -> list[OpenItem]:
    """The open items of one document as the ledger stands (none for a cancelled one)."""
    row = view.db.execute(
        "SELECT kind, status, owner, customer_code FROM documents WHERE docno = ?", [docno]
    ).fetchone()
    if row is None or row[1] != "active" or row[0] not in RULES:
        return []
    kind = row[0]
    header = view.db.execute(f"SELECT * FROM [{kind}] WHERE docno = ?", [docno])
    names = [d[0] for d in header.description]
    values = dict(zip(names, header.fetchone() or (None,) * len(names), strict=True))
    doc = _Doc(docno, kind, values, row[2], row[3], (values.get("currency") or currency).upper())
    return RULES[kind](view, doc)


def _lines(view: LedgerView, kind: str, docno: str) -> list[dict]:
    cursor = view.db.execute(
        f"SELECT * FROM [{kind}_lines] WHERE docno = ? ORDER BY line_no", [docno]
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _dec(value: Any) -> Decimal:
    return ZERO if value in (None, "") else Decimal(str(value))


def _text(value: Decimal) -> str:
    s = format(value, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _active(view: LedgerView, target: str, field: str, kind: str) -> list[str]:
    return [
        r[0]
        for r in view.db.execute(
            "SELECT DISTINCT l.docno FROM links l JOIN documents d ON d.docno = l.docno "
            "WHERE l.target = ? AND l.field = ? AND d.kind = ? AND d.status = 'active' ORDER BY l.docno",
            [target, field, kind],
        )
    ]


def _inquiry(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    state = view.inquiry_state(doc.docno)
    if not state or state["status"] != "open":
        return []
    since = _day(doc.header.get("inquiry_date"))
    due = _day(state["next_follow_up"])
    key = "follow_up_due" if due else "inquiry_no_date"
    return [doc.item(key, "sales", "flag", line_no=None, due_on=due, since=since)]


def _quote(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    if _active(view, doc.docno, "quote_no", "order"):
        return []
    due, since = _day(doc.header.get("valid_until")), _day(doc.header.get("quote_date"))
    return [doc.item("quote_validity", "sales", "flag", line_no=None, due_on=due, since=since)]


def _sample(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    """Feedback is awaited until the inquiry it was sent for has a follow-up on or after the
    day it was sent, or is closed; a sample sent for no inquiry waits for its own amendment."""
    sent = _day(doc.header.get("send_date"))
    inquiry = doc.header.get("inquiry_no")
    if inquiry:
        state = view.inquiry_state(inquiry)
        if state and state["status"] != "open":
            return []
        heard = view.db.execute(
            "SELECT 1 FROM follow_up f JOIN documents d ON d.docno = f.docno "
            "WHERE f.inquiry_no = ? AND d.status = 'active' AND f.follow_up_date >= ? LIMIT 1",
            [inquiry, sent.isoformat() if sent else ""],
        ).fetchone()
        if heard:
            return []
    return [doc.item("sample_feedback", "sales", "flag", line_no=None, since=sent)]


def _order(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    decision = doc.header.get("decision") or "pending"
    valid = _day(doc.header.get("valid_until"))
    since = _day(doc.header.get("order_date"))
    found = []
    if decision == "pending":
        found.append(
            doc.item("order_decision", "sales", "flag", line_no=None, due_on=valid, since=since)
        )
    firm = doc.header.get("offer_type") == "firm"
    if firm and decision != "declined" and not _active(view, doc.docno, "order_no", "contract"):
        found.append(
            doc.item(
                "firm_offer_validity", "sales", "flag", line_no=None, due_on=valid, since=since
            )
        )
    return found


def _contract(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    from silu_sheets.fulfilment import noticed_by_contract_line

    lines = _lines(view, "contract", doc.docno)
    # a product on several lines at different prices: each notice line fills the line at its
    # own price first, as the pre-filled next notice does (fulfilment.noticed_by_contract_line)
    noticed = noticed_by_contract_line(view, {"docno": doc.docno, "lines": lines})
    due, since = _day(doc.header.get("delivery_date")), _day(doc.header.get("contract_date"))
    found = []
    for line in lines:
        code = line.get("product_code") or ""
        quantity = _dec(line.get("quantity"))
        taken = min(noticed.get(int(line["line_no"]), ZERO), quantity)
        if code and quantity - taken > 0:
            found.append(
                doc.item(
                    "contract_to_notice",
                    "sales",
                    "quantity",
                    line_no=line["line_no"],
                    product_code=code,
                    remaining=quantity - taken,
                    total=quantity,
                    due_on=due,
                    since=since,
                )
            )
    return found


def _notice(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    from silu_sheets import money

    since = _day(doc.header.get("notice_date"))
    due = _day(doc.header.get("ship_by")) or since
    left_by = drawdown.remaining(
        view, drawdown.relation("issue_slip", "shipment_notice"), doc.docno
    )
    found = []
    for line in _lines(view, "shipment_notice", doc.docno):
        quantity, issued = left_by.get(line["line_no"], (ZERO, ZERO))
        left = quantity - issued
        if left > 0:
            found.append(
                doc.item(
                    "notice_to_issue",
                    "warehouse",
                    "quantity",
                    line_no=line["line_no"],
                    warehouse=line.get("warehouse") or None,
                    lot=line.get("lot") or None,
                    product_code=line.get("product_code"),
                    remaining=left,
                    total=quantity,
                    due_on=due,
                    since=since,
                )  # fmt: skip
            )
    gross = money.notice_gross(view, doc.docno)
    owed = gross - money.notice_settled(view, doc.docno)
    if owed > 0:
        found.append(
            doc.item(
                "notice_owed",
                "finance",
                "amount",
                line_no=None,
                remaining=owed,
                total=gross,
                due_on=_payment_due(view, doc),
                since=since,
            )  # fmt: skip
        )
    return found


def _payment_due(view: LedgerView, doc: _Doc) -> dt.date | None:
    """The last day goods were issued against the notice plus the contract's payment days (the
    customer's when the contract names none)."""
    last = view.db.execute(
        "SELECT MAX(s.issue_date) FROM links l JOIN documents d ON d.docno = l.docno "
        "JOIN issue_slip s ON s.docno = l.docno "
        "WHERE l.target = ? AND l.field = 'notice_no' AND d.kind = 'issue_slip' AND d.status = 'active'",
        [doc.docno],
    ).fetchone()[0]
    issued_on = _day(last)
    if issued_on is None:
        return None
    days = None
    contract = doc.header.get("contract_no")
    if contract:
        row = view.db.execute(
            "SELECT payment_days FROM contract WHERE docno = ?", [contract]
        ).fetchone()
        days = row[0] if row else None
    if days in (None, "") and doc.customer_code:
        row = view.db.execute(
            "SELECT payment_days FROM customers WHERE code = ?", [doc.customer_code]
        ).fetchone()
        days = row[0] if row else None
    return issued_on + dt.timedelta(days=int(days or 0))


def _sales_return(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    from silu_sheets import money

    h = doc.header
    since = _day(h.get("return_date"))
    lines = _lines(view, "sales_return", doc.docno)
    found = []
    if h.get("money_disposition") not in (None, "", "none") and h.get("agreed_amount") in (
        None,
        "",
    ):
        found.append(doc.item("return_agreement", "sales", "flag", line_no=None, since=since))
    if h.get("goods_disposition") == "replace":
        replaced = drawdown.remaining(
            view, drawdown.relation("shipment_notice", "sales_return"), doc.docno
        )
        shipped = {code: drawn for code, (_, drawn) in replaced.items()}
        for line in lines:
            code, quantity = line.get("product_code") or "", _dec(line.get("quantity"))
            taken = min(shipped.get(code, ZERO), quantity)  # a product on two lines: first first
            shipped[code] = shipped.get(code, ZERO) - taken
            if quantity - taken > 0:
                found.append(
                    doc.item(
                        "replacement_owed",
                        "sales",
                        "quantity",
                        line_no=line["line_no"],
                        product_code=code,
                        lot=line.get("lot") or None,
                        remaining=quantity - taken,
                        total=quantity,
                        since=since,
                    )  # fmt: skip
                )
    due = money.refundable(view, doc.docno)
    if due > 0:
        agreed = _dec(h.get("agreed_amount"))
        found.append(
            doc.item(
                "refund_owed",
                "finance",
                "amount",
                line_no=None,
                remaining=due,
                total=agreed or due,
                since=since,
            )  # fmt: skip
        )
    received = drawdown.remaining(
        view, drawdown.relation("return_inbound", "sales_return"), doc.docno
    )
    for line in lines:
        quantity, got = received.get(line["line_no"], (ZERO, ZERO))
        left = quantity - got
        if left > 0:
            found.append(
                doc.item(
                    "return_to_receive",
                    "warehouse",
                    "quantity",
                    line_no=line["line_no"],
                    warehouse=line.get("warehouse") or None,
                    lot=line.get("lot") or None,
                    product_code=line.get("product_code"),
                    remaining=left,
                    total=quantity,
                    since=since,
                )  # fmt: skip
            )
    return found


def _service(view: LedgerView, doc: _Doc) -> list[OpenItem]:
    due = _day(doc.header.get("next_action"))
    # the service table's ``status`` column is the document's (active/cancelled); the form's
    # own status field is in the revision
    recorded = view.document(doc.docno) or {"header": {}}
    if recorded["header"].get("status") == "closed" or due is None:
        return []
    since = _day(doc.header.get("service_date"))
    return [
        doc.item("service_next_action", "service", "flag", line_no=None, due_on=due, since=since)
    ]


#: per kind, its obligations; a kind not listed owes nothing itself (follow-ups, slips,
#: payments, inbound slips change what the documents they cite owe)
RULES: dict[str, Callable[[LedgerView, _Doc], list[OpenItem]]] = {
    "inquiry": _inquiry,
    "quote": _quote,
    "sample": _sample,
    "order": _order,
    "contract": _contract,
    "shipment_notice": _notice,
    "sales_return": _sales_return,
    "service": _service,
}
