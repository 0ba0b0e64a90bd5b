"""The personal notepad (个人记事本): each person's own lines, kept in the ledger (``notes``).

Only the owner reads them; nothing else in the system looks at them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

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


def list_notes(
    view: LedgerView, owner: str, limit: int | None = None, timezone: str = "Asia/Shanghai"
) -> list[dict]:
    """The owner's notes, newest first: number, text, when written. The ledger keeps UTC; the
    time is shown on the firm's clock (``timezone`` from silu.toml), as its people read it."""
    sql = "SELECT id, text, written_at FROM notes WHERE owner = ? ORDER BY id DESC"
    params: list = [owner.strip().lower()]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    zone = ZoneInfo(timezone)
    found = view.rows(sql, params)
    for note in found:
        written = dt.datetime.fromisoformat(note["written_at"])
        if written.tzinfo is None:  # written before times carried their zone: they were UTC
            written = written.replace(tzinfo=dt.UTC)
        note["written_at"] = written.astimezone(zone).isoformat(timespec="seconds")
    return found
