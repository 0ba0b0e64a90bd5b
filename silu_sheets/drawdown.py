"""Draw-downs: a later document takes no more than an earlier one left, and the earlier one is
never amended or cancelled below what was taken. Each rule is one ``DrawsOn`` declared by the
kind that draws (its module's ``DRAWS``); this engine enforces every one of them both ways.

    issue_slip.lines    draws on shipment_notice.lines   (notice_line ↔ line_no) quantity
    sales_return.lines  draws on what issue slips drew from shipment_notice.lines
    return_inbound.lines draws on sales_return.lines     (return_line ↔ line_no) quantity
    shipment_notice.lines draws on contract.lines        (per product) quantity
    …

Example: a notice line of 100 with 60 issued: a slip of 50 against it is refused at its quantity
cell (``issue-exceeds-notice``: 40 left = notice 100 - issued 60), and the notice amended to 50 is
refused at its quantity cell (``notice-below-issued``). The drawing kind's own check resolves
which line each of its lines draws on (writing it into the line, e.g. ``notice_line``) before
the engine measures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from silu_sheets.problems import Problem

if TYPE_CHECKING:
    from silu_sheets.document import Document, Line
    from silu_sheets.ledger.store import LedgerView

ZERO = Decimal(0)
Key = Hashable


class Change(NamedTuple):
    """A document being amended or cancelled, with its new values."""

    doc: Document
    cancelling: bool
    view: LedgerView

    @property
    def kind(self) -> str:
        return self.doc.kind.key

    @property
    def docno(self) -> str:
        return self.doc.docno or ""


class Share(NamedTuple):
    """One drawn-on line (or document) as a drawing line sees it: what it gives, what others
    (and earlier lines of the same form) took, and who took it."""

    source: str
    key: Key
    gives: Decimal
    drawn: Decimal
    given: Decimal = ZERO
    takers: tuple[str, ...] = ()
    code: str | None = None

    @property
    def left(self) -> Decimal:
        return self.gives - self.drawn


#: builds the refusal of a drawing line that takes more than is left
Exceeds = Callable[["Document", "Line", Share], Problem]
#: builds the refusal of a change that leaves a drawn-on line below what was drawn; gets the
#: changed document, the share after the change and the changed line of the same key (if any)
Below = Callable[[Change, Share, "Line | None"], Problem | None]
#: what a drawn-on document gives per key, the ledger as it would be after ``Change`` (if any)
Measure = Callable[["LedgerView", str, "Change | None"], dict[Key, Decimal]]


class DrawsOn(NamedTuple):
    """Lines of ``kind`` draw on ``source`` documents: the document named by ``via`` (a header
    field, or a line column when ``via_line``), the line whose ``source_key`` equals the drawing
    line's ``key`` (``None``: the whole document), the columns ``takes`` added up."""

    kind: str
    source: str
    via: str
    key: str | None
    exceeds: Exceeds
    below: Below | None = None
    source_key: str = "line_no"
    takes: tuple[str, ...] = ("quantity",)
    #: a column of the source's lines, or a Measure
    gives: str | Measure = "quantity"
    #: kinds whose changes alter what a source gives (a slip changes what a notice line has issued)
    depends_on: tuple[str, ...] = ()
    via_line: bool = False
    #: which drawing documents draw (by header values); all when None
    applies: Callable[[dict], bool] | None = None
    #: the drawn total per key, other than the generic sum of the drawing lines
    drawn_by: Callable[[LedgerView, str, str | None], dict[Key, Decimal]] | None = None


# --- measuring -----------------------------------------------------------------------------------
def _rows(view: LedgerView, sql: str, params: Iterable[Any]) -> list[dict]:
    cursor = view.db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _dec(value: Any) -> Decimal:
    return ZERO if value in (None, "") else Decimal(str(value))


def drawing_documents(
    view: LedgerView, rel: DrawsOn, source: str, excluding: str | None = None
) -> list[str]:
    """Active documents of the drawing kind that name ``source`` (indexed ``links``)."""
    rows = view.db.execute(
        "SELECT DISTINCT l.docno FROM links l JOIN documents d ON d.docno = l.docno "
        "WHERE l.target = ? AND l.field = ? AND d.kind = ? AND d.status = 'active' ORDER BY l.docno",
        [source, rel.via, rel.kind],
    ).fetchall()
    found = [r[0] for r in rows if r[0] != excluding]
    if rel.applies is None or not found:
        return found
    return [d for d in found if rel.applies(_header(view, rel.kind, d))]


def _header(view: LedgerView, kind: str, docno: str) -> dict:
    rows = _rows(view, f"SELECT * FROM [{kind}] WHERE docno = ?", [docno])
    return rows[0] if rows else {}


def drawn(
    view: LedgerView, rel: DrawsOn, source: str, excluding: str | None = None
) -> tuple[dict[Key, Decimal], dict[Key, list[str]]]:
    """Per key, what active drawing documents (but ``excluding``) took from ``source``, and who:
    one query over the indexed ``links`` and the drawing kind's lines."""
    if rel.drawn_by is not None:
        return rel.drawn_by(view, source, excluding), {}
    rows = _rows(
        view,
        f"SELECT x.* FROM links l JOIN documents d ON d.docno = l.docno "
        f"JOIN [{rel.kind}_lines] x ON x.docno = l.docno "
        "WHERE l.target = ? AND l.field = ? AND d.kind = ? AND d.status = 'active' "
        "ORDER BY x.docno, x.line_no",
        [source, rel.via, rel.kind],
    )
    drawing = {r["docno"] for r in rows if r["docno"] != excluding}
    if rel.applies is not None and drawing:
        drawing = {d for d in drawing if rel.applies(_header(view, rel.kind, d))}
    total: dict[Key, Decimal] = defaultdict(Decimal)
    takers: dict[Key, list[str]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()  # a line linked twice (via a line column) counts once
    for line in rows:
        docno = line["docno"]
        if docno not in drawing or (docno, line["line_no"]) in seen:
            continue
        seen.add((docno, line["line_no"]))
        if rel.via_line and line.get(rel.via) != source:
            continue
        key = line.get(rel.key) if rel.key else None
        amount = sum((_dec(line.get(c)) for c in rel.takes), ZERO)
        if amount:
            total[key] += amount
            if docno not in takers[key]:
                takers[key].append(docno)
    return dict(total), dict(takers)


def _own(rel: DrawsOn, doc: Document, source: str) -> dict[Key, Decimal]:
    """What ``doc`` (a drawing document, being recorded) takes from ``source`` per key."""
    found: dict[Key, Decimal] = defaultdict(Decimal)
    if rel.applies is not None and not rel.applies(doc.header):
        return found
    for line in doc.lines:
        if _source_of(rel, doc, line) != source:
            continue
        key = line[rel.key] if rel.key else None
        found[key] += sum((line[c] or ZERO for c in rel.takes), ZERO)
    return found


def _source_of(rel: DrawsOn, doc: Document, line: Line) -> str | None:
    return line[rel.via] if rel.via_line else doc[rel.via]


def gives(view: LedgerView, rel: DrawsOn, source: str, change: Change | None) -> dict[Key, Decimal]:
    """Per key, what ``source`` gives to draw on, after ``change`` where it alters it."""
    if callable(rel.gives):
        return rel.gives(view, source, change)
    column = rel.gives
    found: dict[Key, Decimal] = defaultdict(Decimal)
    if change is not None and change.docno == source:
        if change.cancelling:
            return {}
        for line in change.doc.lines:
            key = line.number if rel.source_key == "line_no" else line[rel.source_key]
            found[key] += line[column] or ZERO
        return dict(found)
    for row in _rows(
        view, f"SELECT * FROM [{rel.source}_lines] WHERE docno = ? ORDER BY line_no", [source]
    ):
        found[row.get(rel.source_key)] += _dec(row.get(column))
    return dict(found)


def drawn_after(
    view: LedgerView, rel: DrawsOn, source: str, change: Change | None
) -> dict[Key, Decimal]:
    """What ``rel``'s drawing documents take from ``source`` with ``change`` applied: a measure
    for relations that draw on what another relation drew (returns on what slips issued)."""
    if change is None or change.kind != rel.kind:
        return drawn(view, rel, source)[0]
    total = defaultdict(Decimal, drawn(view, rel, source, excluding=change.docno)[0])
    if not change.cancelling:
        for key, amount in _own(rel, change.doc, source).items():
            total[key] += amount
    return dict(total)


def remaining(view: LedgerView, rel: DrawsOn, source: str) -> dict[Key, tuple[Decimal, Decimal]]:
    """Per key of ``source``: (what it gives, what was drawn) — what open items report."""
    given = gives(view, rel, source, None)
    total = drawn(view, rel, source)[0]
    return {key: (amount, total.get(key, ZERO)) for key, amount in given.items()}


# --- the registry --------------------------------------------------------------------------------
def relations() -> list[DrawsOn]:
    """Every draw-down relation declared by a kind."""
    from silu_sheets.kinds import DRAWS

    return DRAWS


def of(kind: str) -> list[DrawsOn]:
    return [r for r in relations() if r.kind == kind]


def relation(kind: str, source: str) -> DrawsOn:
    """The relation by which ``kind`` draws on ``source``."""
    return next(r for r in relations() if r.kind == kind and r.source == source)


# --- enforcing -----------------------------------------------------------------------------------
def check(doc: Document, view: LedgerView, found: list[Problem]) -> list[Problem]:
    """A drawing document being recorded or amended: per drawn-on line, its lines together never
    take more than is left (what the line gives less what other documents took). Lines already
    refused for what they cite (``found``) are not measured again."""
    refused = {p.line for p in found if p.severity == "error" and p.line is not None}
    problems: list[Problem] = []
    for rel in of(doc.kind.key):
        if rel.applies is not None and not rel.applies(doc.header):
            continue
        if any(p.field == rel.via and p.line is None and p.severity == "error" for p in found):
            continue  # refused for what it cites (unknown, cancelled, another's, nothing issued)
        measured: dict[str, tuple[dict[Key, Decimal], dict[Key, Decimal], dict]] = {}
        so_far: dict[tuple[str, Key], Decimal] = defaultdict(Decimal)
        for line in doc.lines:
            source = _source_of(rel, doc, line)
            key = line[rel.key] if rel.key else None
            taken = [line[c] for c in rel.takes]
            if not source or line.number in refused or all(t is None for t in taken):
                continue
            if rel.key and key is None:
                continue
            if source not in measured:
                if not _active(view, source, rel.source):
                    measured[source] = ({}, {}, {})
                else:
                    total, takers = drawn(view, rel, source, excluding=doc.docno)
                    measured[source] = (gives(view, rel, source, None), total, takers)
            given_by, total, takers = measured[source]
            if key not in given_by:
                continue  # not on the drawn-on document: the drawing kind says so
            take = sum((t or ZERO for t in taken), ZERO)
            share = Share(
                source,
                key,
                given_by[key],
                total.get(key, ZERO) + so_far[(source, key)],
                take,
                tuple(takers.get(key, ())),
                line["product_code"],
            )
            if take > share.left:
                problems.append(rel.exceeds(doc, line, share))
            so_far[(source, key)] += take
    return problems


def _active(view: LedgerView, docno: str, kind: str) -> bool:
    row = view.db.execute("SELECT kind, status FROM documents WHERE docno = ?", [docno]).fetchone()
    return bool(row) and row[0] == kind and row[1] == "active"


def check_change(doc: Document, view: LedgerView) -> list[Problem]:
    """A document amended or cancelled: nothing drawn on it (or on what it gives) ends up above
    what it gives after the change. A cancelled document with documents citing it is already
    refused (``cancel-has-dependents``); what depends on it through a measure is checked here."""
    if not doc.docno:
        return []
    change = Change(doc, doc.cancelling, view)
    problems: list[Problem] = []
    for rel in relations():
        sources: list[str] = []
        if rel.source == change.kind and not change.cancelling:
            sources.append(change.docno)
        if change.kind in rel.depends_on:
            sources += sorted(_drawn_on_by(view, change, rel.source) - set(sources))
        for source in sources:
            after = gives(view, rel, source, change)
            # what the changed document itself moved (a slip's auto-applied balance) goes with it
            total, takers = drawn(view, rel, source, excluding=change.docno)
            for key, amount in sorted(total.items(), key=lambda kv: str(kv[0])):
                share = Share(
                    source, key, after.get(key, ZERO), amount, ZERO, tuple(takers.get(key, ()))
                )
                if amount <= share.gives or rel.below is None:
                    continue
                line = _line_of(change, rel, key) if source == change.docno else None
                problem = rel.below(change, share, line)
                if problem is not None:
                    problems.append(problem)
    return problems


def _line_of(change: Change, rel: DrawsOn, key: Key) -> Line | None:
    for line in change.doc.lines:
        if (line.number if rel.source_key == "line_no" else line[rel.source_key]) == key:
            return line
    return None


def _drawn_on_by(view: LedgerView, change: Change, source_kind: str) -> set[str]:
    """The ``source_kind`` documents the changed document draws on, before and after."""
    found: set[str] = set()
    for rel in of(change.kind):
        if rel.source != source_kind:
            continue
        found |= {
            r[0]
            for r in view.db.execute(
                "SELECT target FROM links WHERE docno = ? AND field = ?", [change.docno, rel.via]
            )
        }
        if not change.cancelling:
            found |= {s for line in change.doc.lines if (s := _source_of(rel, change.doc, line))}
    return found
