"""Every index of the ledger serves a question the code asks, and none repeats another.

Each index is a b-tree that every form touching its table writes again (a page or three into the
WAL, copied again at the checkpoint): one that no query searches is pure cost. So each index
beside a table's keys names here the query it is for, and EXPLAIN QUERY PLAN shows that query
searching by it; an index on a left part of another index or key (the docno of a lines table
beside its unique docno and line number) is never needed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from silu_sheets.ledger import schema
from silu_sheets.ledger.store import Ledger

#: index -> (where the code asks, the question as it asks it)
QUERIES = {
    "documents_by_kind": (
        "demo/money.py notices",
        "SELECT docno FROM documents WHERE kind = 'shipment_notice' AND status = 'active'",
    ),
    "documents_by_customer": (
        "money.py customer_notices",
        "SELECT n.* FROM documents d JOIN shipment_notice n ON n.docno = d.docno"
        " WHERE d.customer_code = ? AND d.kind = 'shipment_notice' AND d.status = 'active'",
    ),
    "links_by_target": (
        "ledger/store.py LedgerView.dependents",
        "SELECT DISTINCT d.docno, d.kind FROM links l JOIN documents d ON d.docno = l.docno"
        " WHERE l.target = ? AND d.status = 'active' AND d.docno != ? ORDER BY d.docno",
    ),
    "links_by_docno": ("ledger/store.py LedgerWriter.record", "DELETE FROM links WHERE docno = ?"),
    "customers_by_name": (
        "ledger/store.py LedgerView.customers_named",
        "SELECT * FROM customers WHERE name_key = ? ORDER BY code",
    ),
    "customers_by_phone": (
        "ledger/store.py LedgerView.customers_with_phone",
        "SELECT * FROM customers WHERE phone_digits = ? ORDER BY code",
    ),
    "stock_by_place": (
        "ledger/store.py LedgerView.on_hand",
        "SELECT quantity FROM stock_movements WHERE warehouse = ? AND product_code = ? AND lot = ?",
    ),
    "stock_by_docno": (
        "kinds/return_inbound.py",
        "SELECT warehouse, product_code, lot, quantity FROM stock_movements WHERE docno = ?",
    ),
    "stock_by_against": (
        "money.py",
        "SELECT warehouse, lot, quantity FROM stock_movements WHERE against = ? AND against_line = ?",
    ),
    "money_by_customer": (
        "money.py",
        "SELECT amount, docno FROM money_movements"
        " WHERE customer_code = ? AND currency = ? AND account = 'balance'",
    ),
    "money_by_notice": (
        "money.py",
        "SELECT amount, docno FROM money_movements WHERE notice_no = ? AND account = 'notice'",
    ),
    "money_by_docno": (
        "kinds/payment.py",
        "SELECT account, movement, amount, notice_no, return_no FROM money_movements"
        " WHERE docno = ? ORDER BY id",
    ),
    "money_by_return": (
        "money.py",
        "SELECT amount, docno FROM money_movements WHERE return_no = ? AND account = 'refundable'",
    ),
    "notes_by_owner": (
        "notes.py",
        "SELECT id, text, written_at FROM notes WHERE owner = ? ORDER BY id DESC",
    ),
    "open_items_by_owner": ("open_items.py select", "SELECT * FROM open_items WHERE owner = ?"),
    "open_items_by_role": (
        "open_items.py select",
        "SELECT * FROM open_items WHERE role = ? AND warehouse = ?",
    ),
    "open_items_by_customer": (
        "open_items.py select",
        "SELECT * FROM open_items WHERE customer_code = ?",
    ),
    "open_items_by_due": (
        "open_items.py select",
        "SELECT * FROM open_items WHERE due_on IS NOT NULL AND due_on <= ?",
    ),
    "handled_by_message": (
        "mail/gateway.py handle",
        "SELECT outcome, forms FROM handled_messages WHERE message_id = ?"
        " AND (mail_key = ? OR mail_key IS NULL) ORDER BY id LIMIT 1",
    ),
    "handled_by_arrival": (
        "mail/gateway.py WITHIN_THE_HOUR",
        "SELECT 1 FROM handled_messages WHERE sender = ? AND arrived_at BETWEEN ? AND ?",
    ),
    "outbox_by_status_held": (
        "outbox.py queued",
        "SELECT id, recipient, purpose, message, attempts"
        " FROM outbox JOIN outbox_messages ON outbox_id = id WHERE status = 'queued'"
        " AND (? IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
    ),
    "sources_by_sha": (
        "duplicates.py earlier_copy",
        "SELECT r.docno, r.kind, s.received_at FROM sources s JOIN revisions r"
        " ON r.source_id = s.id WHERE s.attachment_sha256 = ? AND s.sender = ?",
    ),
    "revisions_by_source": (
        "duplicates.py earlier_copy",
        "SELECT r.docno FROM sources s JOIN revisions r ON r.source_id = s.id"
        " WHERE s.attachment_sha256 = ? AND s.sender = ?",
    ),
    "sources_by_mail_key": (
        "mail/gateway.py handle_forms",
        "SELECT 1 FROM sources WHERE mail_key = ? AND attachment_sha256 = ? LIMIT 1",
    ),
    "rejections_by_source": (
        "mail/gateway.py _finish",
        "SELECT count(*) FROM sources s WHERE s.mail_key = ?"
        " AND NOT EXISTS (SELECT 1 FROM rejections j WHERE j.source_id = s.id)",
    ),
    "shipment_notice_lines_by_lot": (
        "fulfilment.py reservations",
        "SELECT n.docno, n.line_no, n.quantity FROM shipment_notice_lines n"
        " JOIN documents d ON d.docno = n.docno"
        " WHERE n.product_code = ? AND n.lot = ? AND n.warehouse = ? AND d.status = 'active'",
    ),
    "stock_held": (
        "fulfilment.py lots_held",
        "SELECT s.lot, s.on_hand_milli FROM stock_on_hand s"
        " WHERE s.warehouse = ? AND s.product_code = ? AND s.on_hand_milli > 0",
    ),
}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> sqlite3.Connection:
    made = Ledger(tmp_path_factory.mktemp("ledger") / "silu.db")
    yield made.db
    made.close()


def indexes(db: sqlite3.Connection) -> dict[str, tuple[str, list[str], bool, bool]]:
    """Every index: (its table, its columns in order, unique, partial)."""
    found = {}
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for _, name, unique, _origin, partial in db.execute(
            'SELECT seq, name, "unique", origin, partial FROM pragma_index_list(?)', (table,)
        ).fetchall():
            columns = [
                r[0]
                for r in db.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,))
            ]
            found[name] = (table, columns, bool(unique), bool(partial))
    return found


def test_every_index_beside_a_key_serves_a_named_query(ledger) -> None:
    beside_keys = {name for name, (_, _, unique, _) in indexes(ledger).items() if not unique}
    assert beside_keys - set(QUERIES) == set(), "name the query each new index is for"
    assert set(QUERIES) - beside_keys == set(), "an index named here is gone: drop its entry"
    unused = {}
    for name, (where, sql) in QUERIES.items():
        plan = " | ".join(
            row[3] for row in ledger.execute(f"EXPLAIN QUERY PLAN {sql}", [None] * sql.count("?"))
        )
        if f"INDEX {name} " not in plan + " ":
            unused[name] = f"{where}: {plan}"
    assert unused == {}


def test_no_index_is_the_left_part_of_another(ledger) -> None:
    found = indexes(ledger)
    covered = []
    for name, (table, columns, unique, partial) in found.items():
        if unique or partial:  # a key says something; a partial index holds fewer rows
            continue
        for other, (other_table, other_columns, _, other_partial) in found.items():
            beside = other != name and other_table == table and not other_partial
            if beside and other_columns[: len(columns)] == columns:
                covered.append(f"{name} {columns} is the left part of {other} {other_columns}")
    assert covered == []


def test_an_old_ledger_drops_the_indexes_no_query_uses(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "silu.db"
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] < 11])
        made = Ledger(path)
        # what ensure_table made beside each lines table before version 11 (sqlite-utils' name)
        made.db.execute('CREATE INDEX "idx_quote_lines_docno" ON "quote_lines" ("docno")')
        made.db.execute('CREATE INDEX "idx_issue_slip_lines_docno" ON "issue_slip_lines" ("docno")')
        made.db.execute(
            "INSERT INTO quote_lines (docno, line_no, product_code) VALUES ('QT-2026-00001', 1, 'P')"
        )
        before = set(indexes(made.db))
        made.close()
    assert {"handled_by_sender", "handled_by_key", "sources_by_message"} < before
    assert {"idx_quote_lines_docno", "idx_issue_slip_lines_docno"} < before

    again = Ledger(path)
    after = set(indexes(again.db))
    assert before - after == {
        "handled_by_sender",
        "handled_by_key",
        "sources_by_message",
        "idx_quote_lines_docno",
        "idx_issue_slip_lines_docno",
    }
    assert after == set(indexes(Ledger(tmp_path / "new.db").db))  # as a ledger made today
    assert again.db.execute("SELECT docno, line_no FROM quote_lines").fetchall() == [
        ("QT-2026-00001", 1)
    ]
    again.close()
