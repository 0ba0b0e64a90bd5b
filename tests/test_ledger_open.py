"""Opening the ledger, as every ``silu`` call does: its kind tables are looked at one by one only
when the kinds' declarations differ from those the file was last brought up to date with.

A real SQLite file each time; what SQLite was asked is read from its own trace callback.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from silu_sheets.kinds import KINDS
from silu_sheets.ledger import schema
from silu_sheets.ledger.store import Ledger


def asked(path: Path, kinds: list) -> tuple[list[str], list[str]]:
    """What ``migrate`` did to the file at ``path`` with ``kinds``, and the statements it ran."""
    db = sqlite3.connect(path, isolation_level=None)
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        return schema.migrate(db, kinds), statements
    finally:
        db.close()


def columns(path: Path, table: str) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return schema.table_columns(db, table)
    finally:
        db.close()


def test_a_ledger_opened_again_looks_at_no_kind_table(tmp_path: Path) -> None:
    path = tmp_path / "silu.db"
    Ledger(path).close()
    done, statements = asked(path, list(KINDS.values()))
    assert done == []
    assert not [s for s in statements if "pragma_table_info" in s]
    assert len(statements) < 10  # not one question per table (~25 of them)


def test_a_field_added_to_a_kind_becomes_a_column_on_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "silu.db"
    quote = KINDS["quote"]
    older = quote._replace(header=tuple(f for f in quote.header if f.key != "valid_until"))
    lines = quote.lines
    assert lines is not None
    older = older._replace(
        lines=lines._replace(columns=tuple(c for c in lines.columns if c.key != "unit_price"))
    )
    before = [older if k.key == "quote" else k for k in KINDS.values()]
    asked(path, before)
    assert "valid_until" not in columns(path, "quote")
    assert "unit_price" not in columns(path, "quote_lines")
    done, _ = asked(path, before)  # the same declarations again: nothing looked at, nothing done
    assert done == []

    done, _ = asked(path, list(KINDS.values()))
    assert done == ["column quote.valid_until", "column quote_lines.unit_price"]
    assert "valid_until" in columns(path, "quote")
    assert "unit_price" in columns(path, "quote_lines")
    done, statements = asked(path, list(KINDS.values()))
    assert done == [] and not [s for s in statements if "pragma_table_info" in s]


def test_a_ledger_whose_kind_tables_were_never_recorded_is_looked_at_whole(tmp_path: Path) -> None:
    """A file made before the declarations were recorded in it (or by a silu that does not record
    them) has its tables looked at, then the declarations recorded."""
    path = tmp_path / "silu.db"
    Ledger(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TABLE declared_tables")
    db.execute("ALTER TABLE quote DROP COLUMN valid_until")
    db.close()
    done, statements = asked(path, list(KINDS.values()))
    assert done == ["column quote.valid_until"]
    assert [s for s in statements if "pragma_table_info" in s]
    assert asked(path, list(KINDS.values()))[0] == []
