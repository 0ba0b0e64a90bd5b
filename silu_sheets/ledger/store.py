"""Reading and writing the ledger (one SQLite file, WAL), through the standard library's sqlite3:
a form's rows are written with prepared SQL (``LedgerWriter.insert``); sqlite-utils shapes the
tables only when the schema changes (``schema``), because importing it costs ~0.3 s (it pulls in
pandas and numpy) and every ``silu`` command opens the ledger.

``LedgerView`` is the read side the rules see; ``LedgerWriter`` records one form inside one
transaction (``Ledger.transaction``): its revision, the kind's table rows, the links, stock
movements and the queued replies commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from silu_sheets.declare import Kind
from silu_sheets.document import Document
from silu_sheets.ledger import schema
from silu_sheets.values import phone_digits


def to_json_value(value: Any) -> Any:
    """Decimals as exact text, dates as ISO text: what JSON and SQLite keep without loss."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...], key: tuple[str, ...] = ()) -> str:
    """One INSERT per table and column set, written once: sqlite-utils' insert asks SQLite for
    the table list and its columns on every call, which cost a mailed form ~1 ms."""
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    if key:
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
        keys = ", ".join(f'"{c}"' for c in key)
        sql += f" ON CONFLICT ({keys}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
    return sql


class DiskFull(Exception):
    """The firm folder's disk is full: nothing was recorded; the same input is handled again
    once there is space. Never a sender's fault, so never answered as one."""

    #: for a batch (``silu ingest``): what was done before it stopped, and the files left
    outcomes: list = []
    left: list[str] = []


def disk_full(exc: BaseException, where: Path | None = None) -> bool:
    """Whether ``exc`` means no space is left: SQLite's SQLITE_FULL, ENOSPC, a quota; or a
    SQLite I/O error (what a WAL index that cannot grow becomes) while ``where`` has no space."""
    import errno
    import shutil
    import sqlite3

    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if not isinstance(exc, sqlite3.Error):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return True
    if where is not None and (code is None or code & 0xFF == sqlite3.SQLITE_IOERR):
        try:
            return shutil.disk_usage(where).free < 1024 * 1024
        except OSError:
            return False
    return False


#: the exit status of a command stopped by a full disk (EX_TEMPFAIL: run it again later)
DISK_FULL_EXIT = 75
DISK_FULL_LINE = (
    "the server's disk is full ({where}): nothing was recorded; it will be retried when there "
    "is space"
)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Source(NamedTuple):
    """Where a form came from: who sent it, which message and which attachment."""

    channel: str
    sender: str
    attachment_sha256: str
    attachment_name: str | None = None
    message_id: str | None = None
    received_at: str | None = None
    #: which mail it came in (Message-ID and content, ``Incoming.key``); None for a file
    mail_key: str | None = None


class Ledger:
    """The ledger file. Open it once per process; ``transaction()`` for each form."""

    def __init__(self, path: Path | str, currency: str = "CNY"):
        """``currency``: the firm's default, for what a ledger made before the open items
        table owes in documents that name none."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit outside explicit transactions, as sqlite-utils' execute() did
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA recursive_triggers=ON")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute("PRAGMA foreign_keys=ON")
        from silu_sheets.kinds import KINDS

        done = schema.migrate(self.db, list(KINDS.values()))
        self.view = LedgerView(self.db)
        if schema.OPEN_ITEMS in done:  # a ledger made before the table: what is open so far
            from silu_sheets import open_items

            with self.transaction() as writer:
                open_items.rebuild(writer, currency)

    @contextmanager
    def transaction(self) -> Iterator[LedgerWriter]:
        """All or nothing. The outermost one takes the write lock at once (BEGIN IMMEDIATE), so
        what a check read cannot change before its booking commits; inner ones are savepoints."""
        outermost = not self.db.in_transaction
        self.db.execute("BEGIN IMMEDIATE" if outermost else "SAVEPOINT inner")
        try:
            yield LedgerWriter(self.db, self.view)
        except BaseException:
            # a RAISE(ROLLBACK) trigger may already have ended the whole transaction
            if self.db.in_transaction:
                self.db.execute("ROLLBACK" if outermost else "ROLLBACK TO inner")
                if not outermost:
                    self.db.execute("RELEASE inner")
            raise
        try:
            self.db.execute("COMMIT" if outermost else "RELEASE inner")
        except BaseException:
            # a COMMIT refused (disk full) leaves the transaction open: end it here, or the next
            # transaction() would nest inside it as a savepoint
            if outermost and self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()


class LedgerView:
    """What the rules may ask of the ledger. Every query uses an index; none scans a table."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def row(self, sql: str, params: list | tuple = ()) -> dict | None:
        """One row of a read-only query as a dict (None when there is none)."""
        cursor = self.db.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    #: the old private names, for branches written before ``row``/``rows``; nothing outside
    #: ``ledger/`` may call them (tests/test_drawdown.py checks)
    def _one(self, sql: str, params: list | tuple = ()) -> dict | None:
        return self.row(sql, params)

    def _all(self, sql: str, params: list | tuple = ()) -> list[dict]:
        return self.rows(sql, params)

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict]:
        """Every row of a read-only query as dicts: the one way code outside ``ledger/`` asks
        the ledger something it has no named question for."""
        cursor = self.db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # documents ---------------------------------------------------------------------------
    def document(self, docno: str) -> dict | None:
        """A document's current state, with the values of its latest revision."""
        found = self.row("SELECT * FROM documents WHERE docno = ?", [docno])
        if found is None:
            return None
        data = self.row(
            "SELECT data FROM revisions WHERE docno = ? AND revision = ?",
            [docno, found["revision"]],
        )
        values = json.loads(data["data"]) if data else {"header": {}, "lines": []}
        found["header"] = values["header"]
        found["lines"] = values["lines"]
        return found

    def dependents(self, docno: str) -> list[dict]:
        """Active documents that refer to ``docno`` (they block its cancellation)."""
        return self.rows(
            "SELECT DISTINCT d.docno, d.kind FROM links l JOIN documents d ON d.docno = l.docno "
            "WHERE l.target = ? AND d.status = 'active' AND d.docno != ? ORDER BY d.docno",
            [docno, docno],
        )

    def revisions(self, docno: str) -> list[dict]:
        return self.rows(
            "SELECT r.revision, r.action, r.sender, r.recorded_at, s.channel, s.message_id, "
            "s.attachment_name, s.attachment_sha256 FROM revisions r JOIN sources s ON s.id = r.source_id "
            "WHERE r.docno = ? ORDER BY r.revision",
            [docno],
        )

    def inquiry_state(self, docno: str) -> dict | None:
        """Open, won or lost, derived from the inquiry's active follow-ups (never stored)."""
        inquiry = self.row("SELECT * FROM inquiry WHERE docno = ?", [docno])
        if inquiry is None:
            return None
        follow_ups = self.rows(
            "SELECT f.docno, f.follow_up_date, f.result, f.next_follow_up FROM follow_up f "
            "JOIN documents d ON d.docno = f.docno WHERE f.inquiry_no = ? AND d.status = 'active' "
            "ORDER BY f.follow_up_date, f.docno",
            [docno],
        )
        closing = next((f for f in follow_ups if f["result"] in ("won", "lost")), None)
        last = follow_ups[-1] if follow_ups else None
        return {
            "docno": docno,
            "status": closing["result"] if closing else "open",
            "closed_by": closing["docno"] if closing else None,
            "closed_on": closing["follow_up_date"] if closing else None,
            "follow_ups": len(follow_ups),
            "last_follow_up": last["follow_up_date"] if last else None,
            "next_follow_up": (last["next_follow_up"] if last else inquiry["next_follow_up"])
            if not closing
            else None,
        }

    # master data -------------------------------------------------------------------------
    def customer(self, code: str) -> dict | None:
        return self.row("SELECT * FROM customers WHERE code = ?", [code])

    def customers_named(self, name_key: str) -> list[dict]:
        return self.rows("SELECT * FROM customers WHERE name_key = ? ORDER BY code", [name_key])

    def customers_with_phone(self, digits: str) -> list[dict]:
        return self.rows("SELECT * FROM customers WHERE phone_digits = ? ORDER BY code", [digits])

    def next_customer_code(self) -> str:
        """New customers from inquiries are numbered C00001, C00002, … skipping codes in use."""
        row = self.row(
            "SELECT MAX(CAST(SUBSTR(code, 2) AS INTEGER)) AS n FROM customers "
            "WHERE code GLOB 'C[0-9][0-9][0-9][0-9][0-9]'"
        )
        return f"C{(row['n'] if row and row['n'] else 0) + 1:05d}"

    def product(self, code: str) -> dict | None:
        return self.row("SELECT * FROM products WHERE code = ?", [code])

    def products(self, codes: Iterable[str]) -> dict[str, dict]:
        """The products among ``codes``, by code: one query for a document's lines, not one
        per line (a printed 20-line quote read each product apart)."""
        found: dict[str, dict] = {}
        listed = sorted(set(codes))
        for at in range(0, len(listed), 500):
            chunk = listed[at : at + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.rows(f"SELECT * FROM products WHERE code IN ({marks})", chunk):
                found[row["code"]] = row
        return found

    def product_codes(self, codes: set[str]) -> set[str]:
        """Which of ``codes`` are products: one query for a form's lines, not one per line."""
        found: set[str] = set()
        listed = sorted(codes)
        for at in range(0, len(listed), 500):  # SQLite's bound-parameter limit is far above
            chunk = listed[at : at + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT code FROM products WHERE code IN ({marks})", chunk)
            found.update(r[0] for r in rows)
        return found

    def warehouse(self, code: str) -> dict | None:
        return self.row("SELECT * FROM warehouses WHERE code = ?", [code])

    def warehouses(self) -> list[dict]:
        return self.rows("SELECT * FROM warehouses ORDER BY code")

    def lot(self, product_code: str, lot: str) -> dict | None:
        return self.row(
            "SELECT * FROM lots WHERE product_code = ? AND lot = ?", [product_code, lot]
        )

    # stock -------------------------------------------------------------------------------
    def _stock_sum(self, where: str, params: list) -> Decimal:
        rows = self.db.execute(
            f"SELECT quantity FROM stock_movements WHERE {where}", params
        ).fetchall()
        return sum((Decimal(r[0]) for r in rows), Decimal(0))

    def on_hand(self, warehouse: str, product_code: str, lot: str | None) -> Decimal:
        return self._stock_sum(
            "warehouse = ? AND product_code = ? AND lot = ?", [warehouse, product_code, lot or ""]
        )

    def opening_quantity(self, warehouse: str, product_code: str, lot: str | None) -> Decimal:
        return self._stock_sum(
            "warehouse = ? AND product_code = ? AND lot = ? AND movement = 'opening'",
            [warehouse, product_code, lot or ""],
        )


class LedgerWriter:
    """Writes inside one open transaction; reads through ``view`` see its own writes."""

    def __init__(self, db: sqlite3.Connection, view: LedgerView):
        self.db = db
        self.view = view

    def insert(self, table: str, row: dict, key: Sequence[str] = ()) -> int:
        """Insert ``row``; with ``key``, a row already there under that key gets these values
        (its other columns are kept). Returns the new row's id."""
        sql = _insert_sql(table, tuple(row), tuple(key))
        return int(self.db.execute(sql, tuple(row.values())).lastrowid or 0)

    def insert_all(self, table: str, rows: list[dict]) -> None:
        """Insert rows that all have the same columns."""
        if rows:
            sql = _insert_sql(table, tuple(rows[0]))
            self.db.executemany(sql, [tuple(r.values()) for r in rows])

    def add_source(self, source: Source) -> int:
        row = {
            "channel": source.channel,
            "sender": source.sender,
            "message_id": source.message_id,
            "attachment_name": source.attachment_name,
            "attachment_sha256": source.attachment_sha256,
            "received_at": source.received_at or now(),
            "mail_key": source.mail_key,
        }
        return self.insert("sources", row)

    def next_number(self, kind: Kind, year: int) -> str:
        """``INQ-2026-00042``: per prefix and year, never reused."""
        row = self.view.row(
            "SELECT last FROM numbers WHERE prefix = ? AND year = ?", [kind.prefix, year]
        )
        last = (row["last"] if row else 0) + 1
        self.db.execute(
            "INSERT INTO numbers (prefix, year, last) VALUES (?, ?, ?) "
            "ON CONFLICT (prefix, year) DO UPDATE SET last = excluded.last",
            [kind.prefix, year, last],
        )
        return f"{kind.prefix}-{year}-{last:05d}"

    def record(self, doc: Document, docno: str, action: str, source_id: int, sender: str) -> int:
        """Record a revision of ``doc`` and make it the document's current state."""
        kind = doc.kind
        existing = self.view.row("SELECT * FROM documents WHERE docno = ?", [docno])
        revision = (existing["revision"] + 1) if existing else 1
        header = {k: to_json_value(v) for k, v in doc.header.items()}
        header["docno"] = docno
        lines = [
            {"line_no": line.number, **{k: to_json_value(v) for k, v in line.values.items()}}
            for line in doc.lines
        ]
        stamp = now()
        self.insert(
            "revisions",
            {
                "docno": docno,
                "kind": kind.key,
                "revision": revision,
                "action": action,
                "data": json.dumps({"header": header, "lines": lines}, ensure_ascii=False),
                "source_id": source_id,
                "sender": sender,
                "recorded_at": stamp,
            },
        )
        status = "cancelled" if action == "cancel" else "active"
        owner = header.get("salesperson") or (existing["owner"] if existing else sender)
        customer = header.get("customer_code") or (existing["customer_code"] if existing else None)
        self.insert(
            "documents",
            {
                "docno": docno,
                "kind": kind.key,
                "status": status,
                "revision": revision,
                "customer_code": customer,
                "owner": owner,
                "first_recorded_at": existing["first_recorded_at"] if existing else stamp,
                "updated_at": stamp,
            },
            key=("docno",),
        )
        if kind.master:
            return revision
        columns = schema.header_columns(kind)
        row = {k: header.get(k) for k in columns}
        row.update(docno=docno, revision=revision, status=status, recorded_by=sender)
        row["customer_code"], row["salesperson"] = customer, owner
        self.insert(kind.key, row, key=("docno",))
        self.db.execute("DELETE FROM links WHERE docno = ?", [docno])
        if status == "active":
            self.insert_all("links", self._links(kind, header, lines, docno))
        if kind.lines:
            table = f"{kind.key}_lines"
            self.db.execute(f"DELETE FROM [{table}] WHERE docno = ?", [docno])
            keep = schema.line_columns(kind)
            self.insert_all(
                table, [{k: line.get(k) for k in keep} | {"docno": docno} for line in lines]
            )
        return revision

    @staticmethod
    def _links(kind: Kind, header: dict, lines: list[dict], docno: str) -> list[dict]:
        found = set()
        for f in kind.header:
            if schema.is_reference(f) and header.get(f.key):
                found.add((f.key, header[f.key]))
        for c in kind.lines.columns if kind.lines else ():
            if schema.is_reference(c):
                found.update((c.key, line[c.key]) for line in lines if line.get(c.key))
        return [{"docno": docno, "field": f, "target": t} for f, t in sorted(found)]

    def upsert_master(self, table: str, values: dict, key: str, sender: str = "") -> None:
        row = {k: to_json_value(v) for k, v in values.items()}
        if table == "customers":
            row["phone_digits"] = phone_digits(row.get("phone")) or None
        if sender:
            row["updated_by"] = sender
        schema.add_columns(self.db, table, row)
        self.insert(table, row, key=(key,))

    def upsert_lot(self, product_code: str, lot: str, produced: Any, expiry: Any) -> None:
        self.insert(
            "lots",
            {
                "product_code": product_code,
                "lot": lot,
                "production_date": to_json_value(produced),
                "expiry_date": to_json_value(expiry),
            },
            key=("product_code", "lot"),
        )

    def move_stock(
        self,
        warehouse: str,
        product_code: str,
        lot: str | None,
        quantity: Decimal,
        movement: str,
        docno: str,
        line_no: int | None,
        against: str | None = None,
        against_line: int | None = None,
    ) -> None:
        self.insert(
            "stock_movements",
            {
                "warehouse": warehouse,
                "product_code": product_code,
                "lot": lot or "",
                "quantity": format(quantity, "f"),
                "movement": movement,
                "docno": docno,
                "line_no": line_no,
                "against": against,
                "against_line": against_line,
                "moved_at": now(),
            },
        )

    def reject(
        self, source_id: int, kind: str | None, docno: str | None, problems: list[dict]
    ) -> None:
        self.insert(
            "rejections",
            {
                "source_id": source_id,
                "kind": kind,
                "docno": docno,
                "problems": json.dumps(problems, ensure_ascii=False),
                "rejected_at": now(),
            },
        )

    def queue_mail(
        self,
        recipient: str,
        subject: str,
        purpose: str,
        message: bytes,
        docno: str | None,
        status: str = "queued",
        held_for: str | None = None,
    ) -> int:
        """Queue a mail to send (``queued``), or to hold until the forms of mail ``held_for``
        are all done (``held``, mail/gateway.py) or its printed copy is attached (``printing``,
        pipeline.attach_printouts). The message goes in a row of its own (``outbox_bodies``),
        written once: the reply's status changes rewrite only its small ``outbox`` row, and its
        printed copy goes in a row of its own too (``outbox_printouts``)."""
        row = {
            "created_at": now(),
            "recipient": recipient,
            "subject": subject,
            "purpose": purpose,
            "docno": docno,
            "status": status,
            "attempts": 0,
        }
        if held_for:
            row["held_for"] = held_for
        id_ = self.insert("outbox", row)
        self.db.execute(
            "INSERT INTO outbox_bodies (outbox_id, message) VALUES (?, ?)", [id_, message]
        )
        return id_
