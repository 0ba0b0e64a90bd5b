"""A module's logger, made when it first logs: importing ``logging`` (and the ``traceback``
it brings) costs a one-form ``silu ingest`` ~4 ms of CPU, and the modules on that path log
only when something goes wrong."""

from __future__ import annotations

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
