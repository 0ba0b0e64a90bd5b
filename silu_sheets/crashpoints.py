"""Named places where the reliability suite kills the process (``bench/reliability.py``).

``SILU_CRASH_AT=step`` (or ``step:n``, the n-th time) sends this process SIGKILL when it reaches
``crash_point(step)``; with the variable unset a crash point does nothing.
"""

from __future__ import annotations

import os
from collections import Counter

#: the mail path's steps, in the order a mail meets them; the reliability suite kills
#: ``silu poll`` at each (at ``printer-store`` its printer process) and fails if one is never
#: reached
MAIL_PATH = (
    "after-fetch",
    "in-transaction",
    "printout-pending",  # a quote or contract committed, its printed copy not yet attached
    "printer-store",  # the printer process (mail/printer.py) storing copies, not yet committed
    "before-move",
    "smtp-send",  # half-way through the message body sent to the SMTP server (or the sent folder)
    "after-250",
)
#: writing a reply to the local sent folder (no mail server: ``silu ingest``), marked sent and
#: not yet in place; killed there in tests/test_ingest_again.py
LOCAL = ("reply-marked",)
STEPS = MAIL_PATH + LOCAL

_reached: Counter[str] = Counter()


def armed(step: str) -> bool:
    """Whether this process is asked to die at ``step`` (to set up a crash point it needs)."""
    return os.environ.get("SILU_CRASH_AT", "").partition(":")[0] == step


def crash_point(step: str) -> None:
    wanted = os.environ.get("SILU_CRASH_AT")
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != step:
        return
    _reached[step] += 1
    if _reached[step] >= int(nth or 1):
        import signal  # only the reliability suite's runs get here

        os.kill(os.getpid(), signal.SIGKILL)
