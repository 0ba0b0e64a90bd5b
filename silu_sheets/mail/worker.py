"""The backlog's outbox worker: a process of its own that prints and sends the replies.

In a backlog ``silu poll`` hands the replies over as it records each mail and goes on to the
next, while this process, on the second core, attaches the printed copies of the replies left
``printing`` (a third of a form's CPU: ``pipeline.attach_printouts``) and sends what is queued
over one SMTP session of its own (``smtp.send_queued``), from a thread that overlaps the
waiting for the server with the printing. The pass's process only fetches, checks, records,
releases and moves. Its own process, not a thread of the pass's: the GIL would make it wait
for the pass (the sending took ~12 % of the pass's process when it was done there). A fresh interpreter (``python -m``), not a fork: the pass has threads, and a
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
import threading
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
#: replies claimed at once by the worker's sender
SEND_BATCH = 20
#: how long the printing keeps the GIL while the sender waits for it
SWITCH_SECONDS = 0.0002
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
    """The worker's sending, on a thread of its own: most of a send is waiting for the SMTP
    server, which the thread overlaps with the printing (sending between two prints, the
    worker waited ~9 ms a reply on loopback and fell behind the pass). Batch after batch over
    one session, each batch's result a line on ``out``; a reply is claimed before it is sent,
    so no other sender (``silu send``, another pass) sends the same one."""

    def __init__(self, firm_root: Path, settings: MailSettings, out: TextIO, turn: threading.Lock):
        self.firm_root = firm_root
        self.settings = settings
        self.out = out
        self.turn = turn
        self.wake = threading.Event()
        self.ending = self.stopping = False
        self.paused_until = 0.0
        self.thread = threading.Thread(target=self._run, name="silu-sender", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def nudge(self) -> None:
        """A reply may be queued: look now."""
        self.wake.set()

    def finish(self) -> None:
        """At the end of the pass: send everything due, then stop."""
        self.ending = True
        self.wake.set()
        self.thread.join()

    def stop(self) -> None:
        """The pass is gone: stop after the batch under way."""
        self.stopping = True
        self.wake.set()
        self.thread.join()

    def _run(self) -> None:
        gw = Gateway.open(open_firm(self.firm_root))
        session = smtp.Session()
        try:
            while not self.stopping:
                ending = self.ending
                self.wake.clear()  # a nudge from now on is seen at the next wait
                tried = self._send(gw, session, -1 if ending else SEND_BATCH)
                if ending:
                    return
                if not tried and not self.wake.wait(LOOK_EVERY_SECONDS):
                    session.close()  # the pass went quiet: kept only while replies come
        except BrokenPipeError:  # the pass is gone mid-report: what is left waits
            pass
        except Exception:  # noqa: BLE001 - the pass's final send picks up the rest
            log.exception("the outbox worker stopped sending")
        finally:
            session.close()
            gw.ledger.close()

    def _send(self, gw: Gateway, session: smtp.Session, limit: int) -> int:
        """Send up to ``limit`` due replies; how many were tried."""
        if time.monotonic() < self.paused_until:
            return 0
        r = smtp.send_queued(gw, self.settings, limit, session, attach=False, turn=self.turn)
        if r.waiting:  # a setting only the administrator can fix: the pass's final send says it
            self.paused_until = float("inf")
        elif r.retrying and not r.sent:
            session.close()
            self.paused_until = time.monotonic() + PAUSE_SECONDS
        tried = len(r.sent) + len(r.retrying) + len(r.failed)
        if tried or r.waiting:
            self.out.write(json.dumps(dataclasses.asdict(r)) + "\n")
            self.out.flush()
        return tried


def run(firm_root: Path, told: BinaryIO, sender_settings: MailSettings | None = None) -> None:
    """The worker process: attach waiting copies (sending each batch on), then wait to be
    told (or look again)."""
    gw = Gateway.open(open_firm(firm_root))
    # the printing's writes and each reply's send-and-mark take turns: a kill of the worker
    # while it stores copies never falls between a reply's 250 and its mark (sent twice)
    turn = threading.Lock()
    sender = Sender(firm_root, sender_settings, sys.stdout, turn) if sender_settings else None
    nudge = sender.nudge if sender is not None else lambda: None
    if sender is not None:
        # the sender waits on its socket many times a reply, then for the GIL the printing
        # holds: given back within 0.2 ms instead of 5, it kept pace with the pass (at 5 ms
        # half of a 300-mail backlog's replies were still to send when the pass ended)
        sys.setswitchinterval(SWITCH_SECONDS)
        sender.start()
    try:
        while True:
            if attach_some(gw, turn):
                nudge()
                continue
            ready, _, _ = select.select([told], [], [], LOOK_EVERY_SECONDS)
            if not ready:
                continue
            said = os.read(told.fileno(), 4096)
            if not said:  # end of file: the pass's process is gone; its next run finishes
                return
            nudge()  # the pass released a reply, maybe one with nothing to print
            if STOP in said:
                while attach_some(gw, turn):
                    pass
                if sender is not None:
                    sender.finish()
                return
    finally:
        if sender is not None and sender.thread.is_alive():
            sender.stop()
        gw.ledger.close()


def attach_some(gw: Gateway, turn: threading.Lock) -> int:
    """Attach up to ``BATCH`` waiting copies in one short write, in ``turn``; how many were
    attached."""
    copies = printed_copies(gw, limit=BATCH)
    if copies:
        with turn, gw.ledger.transaction() as writer:
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
