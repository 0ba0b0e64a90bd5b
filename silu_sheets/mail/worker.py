"""The backlog's outbox worker: a process of its own that prints and sends the replies.

In a backlog ``silu poll`` hands the replies over as it records each mail and goes on to the
next, while this process, on the second core, attaches the printed copies of the replies left
``printing`` (a third of a form's CPU: ``pipeline.attach_printouts``) and sends what is queued
over one SMTP session of its own (``smtp.send_queued``). The pass's process only fetches,
checks, records, releases and moves. Its own process, not a thread: the GIL would make a thread
wait for the pass. A fresh interpreter (``python -m``), not a fork: the pass has threads, and a
forked copy could inherit a lock one of them held. Without ``[mail.smtp]`` it only prints; the
pass's final send writes the replies to the local sent folder.

Never lost, never sent twice: the rows say what to attach, so a worker killed anywhere (or never
started) leaves them ``printing`` for the next pass, ``silu send`` or ``silu ingest``; each reply
is claimed with this process's token before it is sent (``smtp._claim``), so ``silu send`` or
another pass beside it never sends the same one, and a claim of a dead worker is queued again.
It stops when the pass ends (``finish``: what waits is printed and sent first), and by itself
when the pass's process dies (its stdin, our pipe, reaches end of file). What it sent, retried
and failed comes back over its stdout, one JSON line per batch, for the pass's report.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO, TextIO

from silu_sheets.crashpoints import crash_point
from silu_sheets.firm import open_firm
from silu_sheets.logs import FORMAT, log_errors_to
from silu_sheets.mail import smtp
from silu_sheets.mail.settings import MailSettings, SmtpSettings
from silu_sheets.pipeline import Gateway, printed_copies, store_copies

log = logging.getLogger(__name__)

#: how often the worker looks for waiting replies when not told (a nudge lost, a ``silu ingest``)
LOOK_EVERY_SECONDS = 0.5
#: how long the pass waits at its end for the worker to print and send what is left
FINISH_SECONDS = 600.0
NUDGE, STOP = b".", b"!"
#: copies built between two writes: a reply waits at most this many builds for its copy
BATCH = 8
#: replies sent between two looks for copies to build
SEND_BATCH = 20
#: after a batch that met only temporary failures, the worker leaves the server alone this long
#: (the pass's final send tries again, as a lone ``silu send`` would)
PAUSE_SECONDS = 5.0


class OutboxWorker:
    """The pass's side: start it, ``nudge`` it when a reply waits, ``finish`` it at the end."""

    def __init__(self, firm_root: Path, settings: MailSettings):
        self.firm_root = firm_root
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None
        self.heard = bytearray()

    def start(self) -> None:
        # its own interpreter (``python -m``): it imports only what printing and sending need,
        # and its stdin is our pipe, so our death (however we die) is its end of file
        args = [sys.executable, "-m", __name__, str(Path(self.firm_root).resolve())]
        if self.settings.smtp is not None:  # the pass's own settings (a test may change them)
            args += [str(self.settings.local), json.dumps(dataclasses.asdict(self.settings.smtp))]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches the pass, which stops it
        )
        assert self.process.stdout is not None
        os.set_blocking(self.process.stdout.fileno(), False)

    def nudge(self) -> None:
        """A reply was handed over: look now rather than at the next half second."""
        self._say(NUDGE)
        self._hear()  # its reports, read as they come: a full pipe would stop it

    def finish(self) -> smtp.SendReport:
        """Print and send what waits, then stop; what it sent, retried and failed. When it died
        (killed) instead, what it left waits ``printing`` or ``queued`` for the next send."""
        assert self.process is not None
        self._say(STOP)
        try:
            out, _ = self.process.communicate(timeout=FINISH_SECONDS)
        except subprocess.TimeoutExpired:
            log.error("the outbox worker did not finish in %.0f s: stopped", FINISH_SECONDS)
            self.process.kill()
            out, _ = self.process.communicate()
        self.heard += out or b""
        if self.process.returncode != 0:
            log.error(
                "the outbox worker ended with %s; the replies it left wait for the next send",
                self.process.returncode,
            )
        return _report(bytes(self.heard))

    def _say(self, word: bytes) -> None:
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(word)
            self.process.stdin.flush()
        except OSError:  # the worker died: what it left waits for the next send
            pass

    def _hear(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        try:
            while chunk := os.read(self.process.stdout.fileno(), 65536):
                self.heard += chunk
        except BlockingIOError:
            pass


def _report(heard: bytes) -> smtp.SendReport:
    """The worker's lines added up (the last one cut short when it was killed mid-write)."""
    report = smtp.SendReport()
    for line in heard.splitlines():
        try:
            batch = json.loads(line)
        except ValueError:
            continue
        report.sent += batch["sent"]
        report.retrying += batch["retrying"]
        report.failed += batch["failed"]
        report.waiting = report.waiting or batch["waiting"]
    return report


class Sender:
    """The worker's sending: batches over one SMTP session, each batch's result on ``out``."""

    def __init__(self, gw: Gateway, settings: MailSettings, out: TextIO):
        self.gw = gw
        self.settings = settings
        self.out = out
        self.session = smtp.Session()
        self.paused_until = 0.0

    def send_some(self, limit: int = SEND_BATCH) -> int:
        """Send up to ``limit`` due replies; how many were tried."""
        if time.monotonic() < self.paused_until:
            return 0
        r = smtp.send_queued(self.gw, self.settings, limit, self.session, attach=False)
        if r.waiting:  # a setting only the administrator can fix: the pass's final send says it
            self.paused_until = float("inf")
        elif r.retrying and not r.sent:
            self.session.close()
            self.paused_until = time.monotonic() + PAUSE_SECONDS
        tried = len(r.sent) + len(r.retrying) + len(r.failed)
        if tried or r.waiting:
            self.out.write(json.dumps(dataclasses.asdict(r)) + "\n")
            self.out.flush()
        return tried

    def rest(self) -> None:
        """At the end of the pass: everything due, in one go."""
        self.send_some(limit=-1)

    def close(self) -> None:
        self.session.close()


def run(firm_root: Path, told: BinaryIO, sender_settings: MailSettings | None = None) -> None:
    """The worker process: attach waiting copies and send queued replies in turns, then wait
    to be told (or look again)."""
    gw = Gateway.open(open_firm(firm_root))
    sender = Sender(gw, sender_settings, sys.stdout) if sender_settings else None
    try:
        while True:
            worked = attach_some(gw)
            if sender is not None:
                worked += sender.send_some()
            if worked:
                continue
            ready, _, _ = select.select([told], [], [], LOOK_EVERY_SECONDS)
            if not ready:  # the pass went quiet: the session is kept only while replies come
                if sender is not None:
                    sender.close()
                continue
            said = os.read(told.fileno(), 4096)
            if not said:  # end of file: the pass's process is gone; its next run finishes
                return
            if STOP in said:
                while attach_some(gw):
                    pass
                if sender is not None:
                    sender.rest()
                return
    except BrokenPipeError:  # the pass is gone mid-report: what is left waits for the next send
        return
    finally:
        if sender is not None:
            sender.close()
        gw.ledger.close()


def attach_some(gw: Gateway) -> int:
    """Attach up to ``BATCH`` waiting copies in one short write; how many were attached."""
    copies = printed_copies(gw, limit=BATCH)
    if copies:
        with gw.ledger.transaction() as writer:
            store_copies(writer, copies)
            crash_point("printer-store")
    return len(copies)


def _settings(local: str, smtp_json: str) -> MailSettings:
    return MailSettings(local=Path(local), smtp=SmtpSettings(**json.loads(smtp_json)))


if __name__ == "__main__":
    # its warnings on the pass's stderr, its errors in the firm's fault log, as the pass's
    logging.basicConfig(level=logging.WARNING, format=FORMAT, stream=sys.stderr)
    log_errors_to(open_firm(Path(sys.argv[1])).errors_log)
    run(
        Path(sys.argv[1]),
        sys.stdin.buffer,
        _settings(sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else None,
    )
