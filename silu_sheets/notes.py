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


def notes_blocks(found: list[dict], language: str) -> list:
    """The notepad as a person reads it (NOTES, ``silu note list``): how many, then a table of
    number, when written (the firm's clock, to the minute) and text; an empty notepad says how
    to write the first note."""
    from silu_sheets.answers import Column, table

    zh = language == "zh"
    if not found:
        return [
            "您的记事本还是空的。发一封主题为“NOTE 要记的内容”的邮件即可记下一条。"
            if zh
            else 'Your notepad is empty. Send a mail with the subject "NOTE what to keep" to keep one.'
        ]
    columns = (
        Column("id", "编号", "No.", figure=True),
        Column("written", "记于", "Written"),
        Column("text", "内容", "Note"),
    )
    rows = [{**n, "written": str(n["written_at"])[:16].replace("T", " ")} for n in found]
    head = f"共 {len(found)} 条记事，最新的在前。" if zh else f"{len(found)} notes, newest first."
    return [head, table(columns, rows, language)]
