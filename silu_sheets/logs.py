"""A module's logger, made when it first logs: importing ``logging`` (and the ``traceback``
it brings) costs a one-form ``silu ingest`` ~4 ms of CPU, and the modules on that path log
only when something goes wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Logger:
    """``log = Logger(__name__)`` at a module's top, then ``log.error(...)``: the very logger
    ``logging.getLogger(__name__)`` gives, looked up on each call (logging keeps one per name),
    so the handlers and levels the CLI or a test sets apply as usual."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        import logging

        return getattr(logging.getLogger(self.name), attr)


#: how a logged line reads, on stderr and in the firm's fault log
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_errors_to(path: Path) -> None:
    """Errors and their traces also go to the firm folder's log, for the administrator (a
    ``silu`` mail command, and the backlog's outbox worker beside it). Set again, it replaces
    the one set before; a write that fails (a full disk) is not itself a traceback."""
    import logging

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        return
    handler.handleError = lambda record: None  # type: ignore[method-assign]
    handler.set_name("silu-errors")
    logger = logging.getLogger("silu_sheets")
    for old in [h for h in logger.handlers if h.get_name() == "silu-errors"]:
        logger.removeHandler(old)
        old.close()
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
