"""A watched drop folder for firms that save forms to a shared drive instead of mailing them.

    mail/drop/li.na@firm.test/报价单.xlsx   → processed as if li.na@firm.test had mailed it

One subfolder per staff address on the roster. Each file is processed exactly once, keyed by
its path and its sha256: saving a changed file again (an amendment) is a new form; the same
bytes at the same path are never recorded twice. Files stay where they are (it is the staff's
drive); the answer goes by mail, or into the local sent folder. A subfolder named after nobody
on the roster is logged and left alone. Office lock files (``~$…``) and files still being
written (changed within ``settle_seconds``) wait for the next pass.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from silu_sheets.mail.gateway import Handled, handle_forms
from silu_sheets.mail.message import FORM_EXTENSIONS, FormFile, Incoming
from silu_sheets.pipeline import Gateway

log = logging.getLogger(__name__)

MAILBOX = "drop"


@dataclass
class DropReport:
    handled: list[Handled] = field(default_factory=list)


def run_pass(gw: Gateway, drop_dir: Path, settle_seconds: float = 1.0) -> DropReport:
    report = DropReport()
    if not drop_dir.is_dir():
        return report
    db = gw.ledger.db
    for folder in sorted(p for p in drop_dir.iterdir() if p.is_dir()):
        person = gw.roster.find(folder.name)
        if person is None:
            log.warning("drop folder %s is named after nobody on the roster: left alone", folder)
            continue
        for path in sorted(folder.rglob("*")):
            if (
                not path.is_file()
                or path.name.startswith(("~$", "."))
                or not path.name.lower().endswith(FORM_EXTENSIONS)
            ):
                continue
            stat = path.stat()
            if time.time() - stat.st_mtime < settle_seconds:
                continue  # still being saved
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            relative = path.relative_to(drop_dir).as_posix()
            if db.execute(
                "SELECT 1 FROM handled_messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
                [MAILBOX, sha, relative],
            ).fetchone():
                continue
            path_key = hashlib.sha256(relative.encode()).hexdigest()[:16]
            incoming = Incoming(
                raw=b"",
                message_id=f"<drop-{sha[:32]}-{path_key}@silu-sheets.invalid>",
                has_message_id=False,
                sender=person.address,
                sender_name=person.name,
                subject=path.name,
                forms=[FormFile(path.name, data)],
            )
            report.handled.append(
                handle_forms(gw, incoming, person, MAILBOX, sha, relative, channel="drop")
            )
    return report
