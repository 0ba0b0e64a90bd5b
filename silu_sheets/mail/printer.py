"""The printer: a process of its own that attaches the printed copies of a backlog's replies.

A quote's or contract's confirmation waits in the outbox as ``printing`` until its customer copy
is attached (``pipeline.attach_printouts``); building that copy is a third of a form's CPU. In a
backlog the pass hands those replies over (released ``printing``, held for no mail) and goes on
to the next mail while this process, on the second core, builds the copies from the committed
ledger over its own connection and stores them in short writes of its own; each reply is then
``queued`` and the sender sends it. Its own process, not a thread: the GIL would make a thread
wait for the pass. A fresh interpreter (``python -m``), not a fork: the pass has threads, and a
forked copy could inherit a lock one of them held.

Never lost: the rows say what to attach, so a printer killed anywhere (or never started) leaves
them ``printing`` for the next pass, ``silu send`` or ``silu ingest`` (``attach_printouts``).
It stops when the pass ends (``finish``), and by itself when the pass's process dies (its
stdin, our pipe, reaches end of file).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

from silu_sheets.crashpoints import crash_point
from silu_sheets.firm import open_firm
from silu_sheets.pipeline import Gateway, printed_copies, store_copies

log = logging.getLogger(__name__)

#: how often the printer looks for waiting replies when not told (a nudge lost, a ``silu ingest``)
LOOK_EVERY_SECONDS = 0.5
#: how long the pass waits at its end for the printer to attach what is left
FINISH_SECONDS = 600.0
NUDGE, STOP = b".", b"!"


class Printer:
    """The pass's side: start it, ``nudge`` it when a reply waits, ``finish`` it at the end."""

    def __init__(self, firm_root: Path):
        self.firm_root = firm_root
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # its own interpreter (``python -m``): it imports only what printing needs, and its
        # stdin is our pipe, so our death (however we die) is its end of file
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(Path(self.firm_root).resolve())],
            stdin=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches the pass, which stops it
        )

    def nudge(self) -> None:
        """A reply was handed over: look now rather than at the next half second."""
        self._say(NUDGE)

    def finish(self) -> bool:
        """Attach what waits, then stop; False when the printer died (killed) instead: its
        replies wait ``printing`` for the next pass."""
        assert self.process is not None
        self._say(STOP)
        try:
            self.process.wait(FINISH_SECONDS)
        except subprocess.TimeoutExpired:
            log.error("the printer did not finish in %.0f s: stopped", FINISH_SECONDS)
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # type: ignore[union-attr]
        if self.process.returncode != 0:
            log.error(
                "the printer ended with %s; the replies it left wait for the next pass",
                self.process.returncode,
            )
        return self.process.returncode == 0

    def _say(self, word: bytes) -> None:
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(word)
            self.process.stdin.flush()
        except OSError:  # the printer died: what it left waits for the next pass
            pass


def run(firm_root: Path, told: BinaryIO) -> None:
    """The printer process: attach every waiting copy, then wait to be told (or look again)."""
    gw = Gateway.open(open_firm(firm_root))
    try:
        while True:
            if attach_some(gw):
                continue
            ready, _, _ = select.select([told], [], [], LOOK_EVERY_SECONDS)
            if not ready:
                continue
            said = os.read(told.fileno(), 4096)
            if not said:  # end of file: the pass's process is gone; its next run finishes
                return
            if STOP in said:
                while attach_some(gw):
                    pass
                return
    finally:
        gw.ledger.close()


#: copies built between two writes: a reply waits at most this many builds for its copy
BATCH = 8


def attach_some(gw: Gateway) -> int:
    """Attach up to ``BATCH`` waiting copies in one short write; how many were attached."""
    copies = printed_copies(gw, limit=BATCH)
    if copies:
        with gw.ledger.transaction() as writer:
            store_copies(writer, copies)
            crash_point("printer-store")
    return len(copies)


if __name__ == "__main__":
    run(Path(sys.argv[1]), sys.stdin.buffer)
