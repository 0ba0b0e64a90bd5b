"""Delivering queued replies. With no mail server configured (the embedded default), each reply
is written as an .eml file into the firm folder's local outbox, exactly once."""

from __future__ import annotations

import re
from pathlib import Path

from silu_sheets.ledger.store import Ledger, now


def deliver_local(ledger: Ledger, folder: Path) -> list[Path]:
    """Write every queued reply to ``folder`` and mark it sent; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    rows = ledger.db.execute(
        "SELECT id, recipient, purpose, message FROM outbox WHERE status = 'queued' ORDER BY id"
    ).fetchall()
    for id_, recipient, purpose, message in rows:
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", recipient)
        path = folder / f"{id_:06d}-{purpose}-{safe}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message)
        tmp.replace(path)
        with ledger.transaction() as writer:
            writer.db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
                [now(), id_],
            )
        written.append(path)
    return written
