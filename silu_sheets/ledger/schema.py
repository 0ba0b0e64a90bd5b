"""The ledger's tables: numbered migrations for the fixed tables, and one table (plus a lines
table) per document kind, made from the kind's declaration.

Names are the business's words so a manager can open ``silu.db`` in any SQLite browser:
``documents``, ``revisions``, ``inquiry``, ``inquiry_lines``, ``stock_movements``… Money and
quantities are stored as exact decimal text ("12.50"), never as binary floats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Callable

from silu_sheets.declare import Field, Kind


def _milli(q: str) -> str:
    """SQL for a signed decimal text (``-12.5``) as integer thousandths (``-12500``), without floats."""
    digits = f"ltrim({q}, '-+')"
    point = f"instr({digits}, '.')"
    whole = f"CAST(CASE WHEN {point} > 0 THEN substr({digits}, 1, {point} - 1) ELSE {digits} END AS INTEGER)"
    part = f"CASE WHEN {point} > 0 THEN CAST(substr(substr({digits}, {point} + 1) || '000', 1, 3) AS INTEGER) ELSE 0 END"
    return f"((CASE WHEN substr({q}, 1, 1) = '-' THEN -1 ELSE 1 END) * ({whole} * 1000 + {part}))"


#: the name of the migration that makes the ``open_items`` table (the ledger fills it once made)
OPEN_ITEMS = "open items"

#: (version, name, SQL); the SQL may be worked out from the file as it is (a function of it)
MIGRATIONS: list[tuple[int, str, str | Callable[[sqlite3.Connection], str]]] = [
    (
        1,
        "core tables",
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,            -- file, mail, drop folder
            sender TEXT NOT NULL,
            message_id TEXT,
            attachment_name TEXT,
            attachment_sha256 TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE INDEX sources_by_message ON sources (message_id, attachment_sha256);

        CREATE TABLE documents (              -- one row per document: its current state
            docno TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,             -- active, cancelled
            revision INTEGER NOT NULL,
            customer_code TEXT,
            owner TEXT NOT NULL,              -- the responsible person's address
            first_recorded_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX documents_by_kind ON documents (kind, status);
        CREATE INDEX documents_by_customer ON documents (customer_code);

        CREATE TABLE revisions (              -- every version ever recorded; never updated
            id INTEGER PRIMARY KEY,
            docno TEXT NOT NULL,
            kind TEXT NOT NULL,
            revision INTEGER NOT NULL,
            action TEXT NOT NULL,             -- record, amend, cancel
            data TEXT NOT NULL,               -- the form's values as JSON
            source_id INTEGER NOT NULL REFERENCES sources(id),
            sender TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            UNIQUE (docno, revision)
        );

        CREATE TABLE links (                  -- which document refers to which (current revisions)
            docno TEXT NOT NULL,
            field TEXT NOT NULL,
            target TEXT NOT NULL
        );
        CREATE INDEX links_by_target ON links (target);
        CREATE INDEX links_by_docno ON links (docno);

        CREATE TABLE numbers (prefix TEXT, year INTEGER, last INTEGER, PRIMARY KEY (prefix, year));

        CREATE TABLE customers (
            code TEXT PRIMARY KEY, name TEXT, name_key TEXT, contact_person TEXT, phone TEXT,
            phone_digits TEXT, email TEXT, address TEXT, salesperson TEXT, currency TEXT,
            payment_days INTEGER, note TEXT, updated_by TEXT
        );
        CREATE INDEX customers_by_name ON customers (name_key);
        CREATE INDEX customers_by_phone ON customers (phone_digits);
        CREATE TABLE products (
            code TEXT PRIMARY KEY, name TEXT, spec TEXT, unit TEXT, list_price TEXT,
            lot_tracked INTEGER, shelf_life_days INTEGER, note TEXT, updated_by TEXT
        );
        CREATE TABLE warehouses (
            code TEXT PRIMARY KEY, name TEXT, address TEXT, note TEXT, updated_by TEXT
        );
        CREATE TABLE lots (
            product_code TEXT NOT NULL, lot TEXT NOT NULL, production_date TEXT, expiry_date TEXT,
            PRIMARY KEY (product_code, lot)
        );

        CREATE TABLE stock_movements (        -- append-only; on-hand stock is their sum
            id INTEGER PRIMARY KEY,
            warehouse TEXT NOT NULL,
            product_code TEXT NOT NULL,
            lot TEXT NOT NULL DEFAULT '',
            quantity TEXT NOT NULL,           -- signed decimal
            movement TEXT NOT NULL,           -- opening, issue, return_inbound, reversal
            docno TEXT NOT NULL,              -- the document that moved the goods (a slip)
            line_no INTEGER,
            against TEXT,                     -- what it was written against (notice, return)
            against_line INTEGER,
            moved_at TEXT NOT NULL
        );
        CREATE INDEX stock_by_place ON stock_movements (warehouse, product_code, lot);
        CREATE INDEX stock_by_docno ON stock_movements (docno);
        CREATE INDEX stock_by_against ON stock_movements (against, against_line);

        CREATE TABLE rejections (             -- forms refused: nothing recorded, kept for the record
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            kind TEXT,
            docno TEXT,
            problems TEXT NOT NULL,           -- JSON list of problem codes and cells
            rejected_at TEXT NOT NULL
        );

        CREATE TABLE outbox (                 -- replies, queued in the same transaction as the form
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            purpose TEXT NOT NULL,            -- confirmation, rejection, warehouse_copy, …
            docno TEXT,
            message BLOB NOT NULL,            -- the whole RFC 5322 message
            status TEXT NOT NULL DEFAULT 'queued',   -- queued, sent, failed
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT
        );
        CREATE INDEX outbox_by_status ON outbox (status, next_attempt_at);
        """,
    ),
    (
        2,
        "fulfilment: on-hand stock per place, notice lines by lot",
        # On-hand stock per warehouse/product/lot, kept by a trigger on every movement: checking a
        # slip reads one row instead of summing a place's whole history. Exact, no floats: the
        # decimal text is split into integer thousandths (quantities have at most 3 places).
        """
        CREATE TABLE stock_on_hand (
            warehouse TEXT NOT NULL,
            product_code TEXT NOT NULL,
            lot TEXT NOT NULL DEFAULT '',
            on_hand_milli INTEGER NOT NULL,   -- on-hand quantity in thousandths (exact)
            PRIMARY KEY (warehouse, product_code, lot)
        );
        INSERT INTO stock_on_hand (warehouse, product_code, lot, on_hand_milli)
            SELECT warehouse, product_code, lot, SUM({q}) FROM stock_movements
            GROUP BY warehouse, product_code, lot;
        CREATE TRIGGER stock_on_hand_after_move AFTER INSERT ON stock_movements BEGIN
            INSERT INTO stock_on_hand (warehouse, product_code, lot, on_hand_milli)
            VALUES (NEW.warehouse, NEW.product_code, NEW.lot, {new_q})
            ON CONFLICT (warehouse, product_code, lot)
            DO UPDATE SET on_hand_milli = on_hand_milli + excluded.on_hand_milli;
        END;
        CREATE INDEX shipment_notice_lines_by_lot ON shipment_notice_lines (product_code, lot, warehouse);
        CREATE INDEX stock_held ON stock_on_hand (warehouse, product_code, lot) WHERE on_hand_milli > 0;
        """.format(q=_milli("quantity"), new_q=_milli("NEW.quantity")),
    ),
    (
        3,
        "money movements and personal notes",
        """
        CREATE TABLE money_movements (        -- append-only; balances and what a notice owes are sums
            id INTEGER PRIMARY KEY,
            customer_code TEXT NOT NULL,
            currency TEXT NOT NULL,
            account TEXT NOT NULL,            -- balance (结余款), notice (paid/credited), refundable
            movement TEXT NOT NULL,           -- receipt_applied, receipt_to_balance, advance, …, reversal
            amount TEXT NOT NULL,             -- signed decimal
            docno TEXT NOT NULL,              -- the document that moved the money
            line_no INTEGER,
            notice_no TEXT,                   -- the shipment notice it applies to
            return_no TEXT,                   -- the sales return it comes from
            moved_on TEXT,                    -- the business date (payment date, return date, …)
            moved_at TEXT NOT NULL
        );
        CREATE INDEX money_by_customer ON money_movements (customer_code, currency, account);
        CREATE INDEX money_by_notice ON money_movements (notice_no, account);
        CREATE INDEX money_by_docno ON money_movements (docno);
        CREATE INDEX money_by_return ON money_movements (return_no, account);

        CREATE TABLE notes (                  -- personal notepad (个人记事本), one person's own lines
            id INTEGER PRIMARY KEY,
            owner TEXT NOT NULL,
            text TEXT NOT NULL,
            written_at TEXT NOT NULL
        );
        CREATE INDEX notes_by_owner ON notes (owner, id);
        """,
    ),
    (
        4,
        "mail gateway",
        """
        CREATE TABLE handled_messages (       -- each mail (or dropped file) handled once, and how
            id INTEGER PRIMARY KEY,
            mailbox TEXT NOT NULL,            -- imap:user@host/INBOX, maildir:inbox, drop
            uidvalidity TEXT NOT NULL,        -- IMAP UIDVALIDITY; for a dropped file its sha256
            uid TEXT NOT NULL,                -- IMAP UID, Maildir key, or the dropped file's path
            message_id TEXT NOT NULL,         -- Message-ID (or a stable stand-in when missing)
            sender TEXT NOT NULL,
            outcome TEXT NOT NULL,            -- processed, rejected, ignored, rate-limited
            forms INTEGER NOT NULL DEFAULT 0,
            handled_at TEXT NOT NULL,
            UNIQUE (mailbox, uidvalidity, uid)
        );
        CREATE INDEX handled_by_message ON handled_messages (message_id);
        CREATE INDEX handled_by_sender ON handled_messages (sender, handled_at);
        -- replies of one mail are held until all its forms are done, then sent as one
        ALTER TABLE outbox ADD COLUMN held_for TEXT;
        CREATE INDEX outbox_by_held ON outbox (held_for);
        -- the same file resent by the same person in another mail is not recorded twice
        CREATE INDEX IF NOT EXISTS sources_by_sha ON sources (attachment_sha256, sender);
        """,
    ),
    (
        5,
        OPEN_ITEMS,
        # What every document still owes (silu_sheets/open_items.py keeps it, in the same
        # transaction as each document; Ledger fills it for a ledger made before it).
        """
        CREATE TABLE open_items (
            docno TEXT NOT NULL,              -- the document that owes something
            kind TEXT NOT NULL,
            line_no INTEGER NOT NULL DEFAULT 0,   -- the line that owes; 0 for the whole document
            obligation TEXT NOT NULL,         -- follow_up_due, contract_to_notice, notice_owed, …
            owner TEXT,                       -- the responsible person's address
            role TEXT NOT NULL,               -- audience: sales, warehouse, finance, service
            customer_code TEXT,
            salesperson TEXT,
            warehouse TEXT,
            product_code TEXT,
            lot TEXT,
            measure TEXT NOT NULL,            -- quantity, amount, flag
            remaining TEXT,                   -- exact decimal still open; NULL for a flag
            total TEXT,                       -- what it was out of
            currency TEXT,                    -- for amounts
            due_on TEXT,                      -- ISO date it is due
            since TEXT,                       -- ISO date it opened
            PRIMARY KEY (docno, obligation, line_no),
            CHECK (NOT (role = 'warehouse' AND measure = 'amount'))
        );
        CREATE INDEX open_items_by_owner ON open_items (owner, due_on);
        CREATE INDEX open_items_by_role ON open_items (role, warehouse, due_on);
        CREATE INDEX open_items_by_customer ON open_items (customer_code);
        CREATE INDEX open_items_by_due ON open_items (due_on);
        """,
    ),
    (
        6,
        "periodic runs",
        # versions apply by number, not by their place in this list
        """
        CREATE TABLE periodic_runs (          -- mail on a timetable, once per job, person, period
            job TEXT NOT NULL,                -- digest, report, …
            person TEXT NOT NULL,             -- the roster address it went to
            period TEXT NOT NULL,             -- 2026-11-29, 2026-W48, 2026-11
            outcome TEXT NOT NULL,            -- sent, nothing (nothing was due)
            outbox_id INTEGER REFERENCES outbox(id),
            ran_at TEXT NOT NULL,
            PRIMARY KEY (job, person, period)
        );
        """,
    ),
    (
        7,
        "mail: one Message-ID, two mails; arrival times; who holds a reply mid-send",
        """
        -- a mail is the same mail only when its content is the same too (a Message-ID alone is
        -- reused by careless clients); the forms and held replies of a mail are keyed by both
        ALTER TABLE handled_messages ADD COLUMN content_sha256 TEXT;
        ALTER TABLE handled_messages ADD COLUMN mail_key TEXT;
        CREATE INDEX handled_by_key ON handled_messages (mail_key);
        ALTER TABLE sources ADD COLUMN mail_key TEXT;
        CREATE INDEX sources_by_mail_key ON sources (mail_key, attachment_sha256);
        -- the rate limit counts mails by when they arrived, not when they were handled
        ALTER TABLE handled_messages ADD COLUMN arrived_at TEXT;
        CREATE INDEX handled_by_arrival ON handled_messages (sender, arrived_at);
        -- the worker holding a reply mid-send: a dead one's replies are queued again at once
        ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
        """,
    ),
    (
        8,
        "indexes the mail path asks by",
        # each mailed form asked both, and each read its whole table: a backlog of 300 quotes
        # read every revision ~300 times (tests/mail/test_backlog_queries.py)
        """
        -- the document a file sent again was recorded as (duplicates.earlier_copy)
        CREATE INDEX revisions_by_source ON revisions (source_id);
        -- whether a mail's forms were refused (gateway.handle_forms)
        CREATE INDEX rejections_by_source ON rejections (source_id);
        """,
    ),
    (
        9,
        "outbox messages in a table of their own",
        # each status change of a reply (printing, held, queued, sending, sent) rewrote its row,
        # 30-45 KB of message with it, into the WAL; the message now has a row of its own
        """
        CREATE TABLE outbox_messages (        -- the whole RFC 5322 message of each outbox reply
            outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id),
            message BLOB NOT NULL
        );
        INSERT INTO outbox_messages (outbox_id, message) SELECT id, message FROM outbox;
        ALTER TABLE outbox DROP COLUMN message;
        -- the replies waiting in one state (printing, held, queued, sending) found without
        -- walking those sent (printed_copies asks for held_for IS NULL, as every sent one is)
        CREATE INDEX outbox_by_status_held ON outbox (status, held_for);
        """,
    ),
    (
        10,
        "one index for the outbox queue",
        # every query for replies in a state asks by status (and held_for), which
        # outbox_by_status_held answers; each status change of a reply rewrote these two as well
        """
        DROP INDEX outbox_by_status;
        DROP INDEX outbox_by_held;
        """,
    ),
    (
        11,
        "no index that serves no query",
        # each is one more b-tree page (or three) every mailed form writes into the WAL, and its
        # checkpoint copies again; tests/test_indexes.py names the query each kept index serves
        lambda db: "\n".join(
            [
                # the rate limit counts by arrival (handled_by_arrival), not by handling time
                "DROP INDEX IF EXISTS handled_by_sender;",
                # a mail is found by its Message-ID (handled_by_message), then its key compared
                "DROP INDEX IF EXISTS handled_by_key;",
                # a form of a mail is skipped by the mail's key (sources_by_mail_key) since v7
                "DROP INDEX IF EXISTS sources_by_message;",
                # a lines table's unique (docno, line_no) finds a document's lines already
                *(f'DROP INDEX IF EXISTS "{name}";' for name in _docno_alone_on_lines(db)),
            ]
        ),
    ),
    (
        12,
        "printed copies in rows of their own",
        # the printer wrote each confirmation's whole message again (~32 KB) to add its printed
        # copy (~11 KB of base64); the copy's MIME part now has a row of its own and
        # outbox_messages shows the two as one, byte for byte what the rewrite made
        """
        ALTER TABLE outbox_messages RENAME TO outbox_bodies;
        CREATE TABLE outbox_printouts (       -- a reply's printed copy, added to its message
            outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id),
            at INTEGER NOT NULL,              -- where in the message: before its closing boundary
            part BLOB NOT NULL                -- the MIME part put there
        );
        CREATE VIEW outbox_messages (outbox_id, message) AS   -- each reply's whole message
            SELECT b.outbox_id, CASE WHEN p.part IS NULL THEN b.message
                ELSE CAST(substr(b.message, 1, p.at) || p.part || substr(b.message, p.at + 1) AS BLOB)
                END
            FROM outbox_bodies b LEFT JOIN outbox_printouts p ON p.outbox_id = b.outbox_id;
        """,
    ),
]


def _docno_alone_on_lines(db: sqlite3.Connection) -> list[str]:
    """The indexes on docno alone of every lines table (ensure_table made them until v11)."""
    found = []
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name LIKE '%\\_lines' ESCAPE '\\' ORDER BY name"
    ).fetchall():
        columns = [r[0] for r in db.execute("SELECT name FROM pragma_index_info(?)", (name,))]
        if columns == ["docno"]:
            found.append(name)
    return found


#: SQLite column type per field type; decimals as text so they stay exact.
COLUMN_TYPES = {
    "text": str,
    "code": str,
    "date": str,
    "quantity": str,
    "money": str,
    "cost": str,
    "integer": int,
    "choice": str,
    "docno": str,
    "email": str,
    "phone": str,
    "bool": int,
}
#: fields every document form has that are not stored as columns of the kind's table
CONTROL_FIELDS = ("docno", "action", "cancel_reason")


def header_columns(kind: Kind) -> dict[str, type]:
    columns: dict[str, type] = {"docno": str, "revision": int, "status": str}
    for f in kind.header:
        if f.key not in CONTROL_FIELDS:
            columns[f.key] = COLUMN_TYPES[f.type]
    columns.setdefault("customer_code", str)
    columns.setdefault("salesperson", str)
    columns["recorded_by"] = str
    return columns


def line_columns(kind: Kind) -> dict[str, type]:
    assert kind.lines is not None
    columns: dict[str, type] = {"docno": str, "line_no": int}
    columns.update({c.key: COLUMN_TYPES[c.type] for c in kind.lines.columns})
    return columns


def migrate(db: sqlite3.Connection, kinds: list[Kind]) -> list[str]:
    """Bring the file up to date: each kind's tables and columns, then numbered migrations.

    A new field in a declaration becomes a new column; nothing is ever dropped.
    """
    done: list[str] = []
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
    )
    applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations").fetchall()}
    # kind tables first, so that a numbered migration may index them (version 2 does); looked at
    # table by table (~0.5 ms, on every silu call) only when the declarations differ from those
    # the file was last brought up to date with
    tables = declared_tables(kinds)
    digest = hashlib.sha256(repr(tables).encode("utf-8")).hexdigest()
    db.execute(
        "CREATE TABLE IF NOT EXISTS declared_tables"
        " (id INTEGER PRIMARY KEY CHECK (id = 1), digest TEXT NOT NULL)"
    )
    if db.execute("SELECT 1 FROM declared_tables WHERE digest = ?", [digest]).fetchone() is None:
        for name, (columns, pk) in tables.items():
            done += ensure_table(db, name, columns, pk)
        db.execute("INSERT OR REPLACE INTO declared_tables VALUES (1, ?)", [digest])
    for version, name, sql in MIGRATIONS:
        if version in applied:
            continue
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if callable(sql):
            sql = sql(db)
        # one script, one transaction: a migration applies whole or not at all
        db.executescript(
            f"BEGIN;\n{sql}\nINSERT INTO schema_migrations VALUES ({version}, '{name}', '{stamp}');\nCOMMIT;"
        )
        done.append(name)
    return done


def declared_tables(kinds: list[Kind]) -> dict[str, tuple[dict[str, type], str | tuple[str, ...]]]:
    """Each document kind's tables as its declaration makes them: name -> (columns, key)."""
    tables: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {}
    for kind in kinds:
        if kind.master:
            continue
        tables[kind.key] = (header_columns(kind), "docno")
        if kind.lines:
            tables[f"{kind.key}_lines"] = (line_columns(kind), ("docno", "line_no"))
    return tables


def ensure_table(
    db: sqlite3.Connection, name: str, columns: dict[str, type], pk: str | tuple[str, ...]
) -> list[str]:
    """Table ``name`` with every one of ``columns``. Run by ``migrate`` only when the kinds'
    declarations changed: what an existing file needs beyond that is a numbered migration."""
    present = table_columns(db, name)
    if present and present.issuperset(columns):
        return []
    # only when the schema changes: importing sqlite-utils costs ~0.3 s (pandas, numpy)
    import sqlite_utils

    table = sqlite_utils.Database(db).table(name)
    if not present:
        table.create(columns, pk=pk)  # a lines table's (docno, line_no) finds a document's lines
        return [f"table {name}"]
    added = []
    for column, kind in columns.items():
        if column not in present:
            table.add_column(column, kind)
            added.append(f"column {name}.{column}")
    return added


def table_columns(db: sqlite3.Connection, name: str) -> set[str]:
    """The table's column names; empty when there is no such table."""
    return {row[0] for row in db.execute("SELECT name FROM pragma_table_info(?)", (name,))}


def add_columns(db: sqlite3.Connection, table: str, row: dict) -> None:
    """A column for each key of ``row`` its table lacks (a master form's new field), typed by
    the value: integers as INTEGER, everything else as TEXT."""
    present = table_columns(db, table)
    for key, value in row.items():
        if key not in present:
            column_type = "INTEGER" if isinstance(value, int) else "TEXT"
            db.execute(f'ALTER TABLE "{table}" ADD COLUMN "{key}" {column_type}')


def is_reference(f: Field) -> bool:
    return f.type == "docno" and f.key != "docno"
