"""The personal notepad (个人记事本): each person's own lines, kept in the ledger (``notes``).

Only the owner reads them; nothing else in the system looks at them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silu_sheets.ledger.store import Ledger, LedgerView


def add_note(ledger: Ledger, owner: str, text: str) -> int:
    """Keep one note for ``owner`` (an address on the roster); returns its number."""
    from silu_sheets.ledger.store import now

    text = text.strip()
    if not text:
        raise ValueError("a note needs some text")
    with ledger.transaction() as writer:
        return writer.insert(
            "notes", {"owner": owner.strip().lower(), "text": text, "written_at": now()}
        )


def list_notes(view: LedgerView, owner: str, limit: int | None = None) -> list[dict]:
    """The owner's notes, newest first: number, text, when written."""
    sql = "SELECT id, text, written_at FROM notes WHERE owner = ? ORDER BY id DESC"
    params: list = [owner.strip().lower()]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return view._all(sql, params)
