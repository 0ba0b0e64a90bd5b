"""The Python API the CLI, the mail gateway and the tests share."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from silu_sheets import problems as P
from silu_sheets.duplicates import already_recorded, earlier_copy
from silu_sheets.firm import FirmFolder
from silu_sheets.kinds import KINDS
from silu_sheets.ledger.store import DiskFull, Source, disk_full
from silu_sheets.outbox import deliver_local
from silu_sheets.pipeline import Gateway, Outcome, attach_printouts, ingest
from silu_sheets.problems import Problem
from silu_sheets.roster import Roster
from silu_sheets.workbook import safety, template


def fill_form(
    kind: str, header: Mapping[str, Any] | None = None, lines: Sequence[Mapping[str, Any]] = ()
) -> bytes:
    """A form of ``kind`` filled with values, as an .xlsx file's bytes (what a person would save)."""
    return template.to_bytes(template.build(KINDS[kind], header, lines))


def ingest_file(gw: Gateway, path: Path, sender: str) -> Outcome:
    """One file, by the mail path's rules: the very same file already recorded from the same
    person is answered "already recorded" (a batch run again after a crash records nothing
    twice); a file over the size cap is refused before it is read into memory. A full disk
    raises ``DiskFull``: nothing recorded, the caller stops and says so."""
    sender = sender.strip().lower()
    caps = safety.Caps()
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= caps.file_bytes else b""
    except OSError as exc:  # a file that vanished or cannot be read is one refused file
        return Outcome(
            path.name,
            sender,
            problems=[
                Problem(
                    P.FILE_DAMAGED,
                    {"detail": P.words("文件无法读取", f"it cannot be read: {exc.strerror}")},
                )
            ],
        )
    if size > caps.file_bytes:
        too_large = {"size": safety.megabytes(size), "limit": safety.megabytes(caps.file_bytes)}
        return Outcome(path.name, sender, problems=[Problem(P.FILE_TOO_LARGE, too_large)])
    person = gw.roster.find(sender)
    sha = hashlib.sha256(data).hexdigest()
    earlier = earlier_copy(gw, sha, sender) if person else None
    if person and earlier:
        return already_recorded(gw, person, Source("file", sender, sha, path.name), *earlier)
    return ingest(gw, data, path.name, sender)


def ingest_files(
    folder: FirmFolder,
    paths: Sequence[Path],
    sender: str,
    gateway: Gateway | None = None,
    roster: Roster | None = None,
) -> list[Outcome]:
    """Each file checked and recorded (or refused) in its own transaction, then the replies
    delivered: by mail where silu.toml configures SMTP (as the outbox worker would), else as
    .eml files in the firm folder's local outbox. One bad file never stops the next.
    ``roster``: the firm's, when the caller has read it already (read once a command)."""
    try:
        gw = gateway or Gateway.open(folder, roster)
    except Exception as exc:
        if not disk_full(exc, folder.ledger_path.parent):
            raise
        stopped = DiskFull(str(exc))
        stopped.left = [p.name for p in paths]
        raise stopped from exc
    outcomes: list[Outcome] = []
    try:
        for path in paths:
            outcomes.append(ingest_file(gw, path, sender))
    except DiskFull as exc:  # the files before it are recorded; their replies still go out
        exc.outcomes = outcomes
        exc.left = [p.name for p in paths[len(outcomes) :]]
        with contextlib.suppress(Exception):
            _deliver(gw, folder)
        raise
    else:
        _deliver(gw, folder)
    finally:
        if gateway is None:  # the ledger this call opened, closed by it
            gw.ledger.close()
    return outcomes


def _deliver(gw: Gateway, folder: FirmFolder) -> None:
    attach_printouts(gw)  # what an earlier, killed run left waiting for its printed copy
    if not folder.settings.get("mail", {}).get("smtp"):  # no [mail.smtp], as mail_settings.load
        deliver_local(gw.ledger, folder.outbox_dir)
    else:  # never written aside as files: that would mark mail sent that nobody receives
        # imported here: the mail settings and sender are no business of a firm without SMTP
        from silu_sheets.mail import settings as mail_settings
        from silu_sheets.mail.smtp import send_queued

        send_queued(gw, mail_settings.load(folder))
