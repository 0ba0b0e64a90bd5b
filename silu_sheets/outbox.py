"""Delivering queued replies. With no mail server configured (the embedded default), each reply
is written as an .eml file into the firm folder's local outbox, exactly once.

Each reply is written to a hidden ``.name.tmp`` first, marked sent in the ledger, then renamed
into place. A process killed midway leaves either a temporary file of a reply still queued
(removed, and the reply written again) or one already marked sent (renamed into place): the
next delivery finishes the job, so no reply is lost, none appears twice, no ``.tmp`` stays.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from silu_sheets.crashpoints import crash_point
from silu_sheets.ledger.store import DISK_FULL_LINE, Ledger, disk_full, now
from silu_sheets.logs import Logger

log = Logger(__name__)

_TMP = re.compile(r"^\.(\d{6,})-.*\.eml\.tmp$")


def deliver_local(ledger: Ledger, folder: Path) -> list[Path]:
    """Write every queued reply to ``folder`` and mark it sent; returns the files written.
    A full disk stops the delivery; the rest stays queued for the next one."""
    folder.mkdir(parents=True, exist_ok=True)
    finish_local(ledger, folder)
    written = []
    for id_, recipient, purpose, message, _ in queued(ledger.db):
        safe = re.sub(r"[^A-Za-z0-9@._-]", "_", recipient)
        path = folder / f"{id_:06d}-{purpose}-{safe}.eml"
        tmp = folder / f".{path.name}.tmp"
        try:
            tmp.write_bytes(message)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if not disk_full(exc, folder):
                raise
            log.error(DISK_FULL_LINE.format(where=folder) + " (replies wait in the outbox)")
            break
        with ledger.transaction() as writer:
            taken = writer.db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1"
                " WHERE id = ? AND status = 'queued'",
                [now(), id_],
            ).rowcount
        if not taken:  # another worker (silu send) took it meanwhile: it delivers it
            tmp.unlink(missing_ok=True)
            continue
        crash_point("reply-marked")
        os.replace(tmp, path)
        written.append(path)
    return written


def queued(
    db: sqlite3.Connection, due_at: str | None = None, limit: int = -1
) -> list[tuple[int, str, str, bytes, int]]:
    """The queued replies with their messages, oldest first, as (id, recipient, purpose,
    message, attempts); with ``due_at``, only those not waiting to retry later than that."""
    return db.execute(
        "SELECT id, recipient, purpose, message, attempts"
        " FROM outbox JOIN outbox_messages ON outbox_id = id WHERE status = 'queued'"
        " AND (? IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        [due_at, due_at, limit],
    ).fetchall()


def finish_local(ledger: Ledger, folder: Path) -> None:
    """What a killed delivery left: a reply marked sent is put in place, one still queued is
    dropped here (it is written again)."""
    # the folder's names matched here: Path.glob would translate and compile its pattern on
    # every silu ingest (fnmatch, ~1 ms)
    for entry in folder.iterdir():
        m = _TMP.match(entry.name)
        if not m:
            continue
        row = ledger.db.execute(
            "SELECT status FROM outbox WHERE id = ?", [int(m.group(1))]
        ).fetchone()
        if row and row[0] == "sent":
            os.replace(entry, folder / entry.name[1 : -len(".tmp")])
        else:
            entry.unlink(missing_ok=True)
