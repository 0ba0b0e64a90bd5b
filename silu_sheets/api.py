"""The Python API the CLI, the mail gateway and the tests share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from silu_sheets.firm import FirmFolder
from silu_sheets.kinds import KINDS
from silu_sheets.mail import settings as mail_settings
from silu_sheets.mail.smtp import send_queued
from silu_sheets.outbox import deliver_local
from silu_sheets.pipeline import Gateway, Outcome, ingest
from silu_sheets.workbook import template


def fill_form(
    kind: str, header: Mapping[str, Any] | None = None, lines: Sequence[Mapping[str, Any]] = ()
) -> bytes:
    """A form of ``kind`` filled with values, as an .xlsx file's bytes (what a person would save)."""
    return template.to_bytes(template.build(KINDS[kind], header, lines))


def ingest_files(
    folder: FirmFolder, paths: Sequence[Path], sender: str, gateway: Gateway | None = None
) -> list[Outcome]:
    """Each file checked and recorded (or refused) in its own transaction, then the replies
    delivered: by mail where silu.toml configures SMTP (as the outbox worker would), else as
    .eml files in the firm folder's local outbox. One bad file never stops the next."""
    gw = gateway or Gateway.open(folder)
    outcomes = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:  # a file that vanished or cannot be read is one refused file
            outcome = Outcome(path.name, sender)
            from silu_sheets import problems as P
            from silu_sheets.problems import Problem

            outcome.problems = [Problem(P.FILE_DAMAGED, {"detail": exc.strerror or str(exc)})]
            outcomes.append(outcome)
            continue
        outcomes.append(ingest(gw, data, path.name, sender))
    settings = mail_settings.load(folder)
    if settings.smtp is None:
        deliver_local(gw.ledger, folder.outbox_dir)
    else:  # never written aside as files: that would mark mail sent that nobody receives
        send_queued(gw, settings)
    return outcomes
