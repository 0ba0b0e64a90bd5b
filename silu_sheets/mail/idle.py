"""``silu poll`` (one pass) and ``silu serve`` (long-running): read, answer, send, wait.

``serve`` waits in IMAP IDLE (RFC 2177) so a form is answered seconds after it arrives. IDLE is
left and re-entered every ``idle_seconds`` (default 4 min), well before servers cut it (RFC 2177
allows 29 min; NAT boxes often drop silent connections after 5), and sooner when a queued reply
is due for another attempt. A dropped connection, a timeout or a server error closes the
session and reconnects with backoff (1 s doubling to 60 s). A server without IDLE is polled every
``poll_seconds``; the local Maildir every second. Each cycle also checks the drop folder and
sends what the outbox holds. One pass runs at a time per firm (a file lock in the mail folder),
so ``silu poll`` beside ``silu serve`` waits rather than reading the same mail twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import imaplib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from imap_tools.errors import MailboxLoginError, MailboxTaggedResponseError

from silu_sheets.ledger.store import DISK_FULL_LINE, disk_full
from silu_sheets.mail import drop, gateway, smtp
from silu_sheets.mail.gateway import Handled
from silu_sheets.mail.mailbox import ImapError, ImapMailbox
from silu_sheets.mail.maildir import MaildirInbox
from silu_sheets.mail.printer import Printer
from silu_sheets.mail.settings import MailSettings
from silu_sheets.pipeline import Gateway
from silu_sheets.schedule_runs import Timetable

log = logging.getLogger(__name__)

#: what a lost or broken IMAP session raises
CONNECTION_ERRORS = (
    imaplib.IMAP4.abort,
    imaplib.IMAP4.error,
    OSError,
    socket.timeout,
    ImapError,
    MailboxTaggedResponseError,
)


@dataclass
class CycleReport:
    handled: list[Handled] = field(default_factory=list)
    sent: smtp.SendReport = field(default_factory=smtp.SendReport)
    #: why the cycle stopped early (the disk is full), one line for the administrator
    stopped: str = ""

    @property
    def outcomes(self):
        return [o for h in self.handled for o in h.outcomes]


def open_mailbox(settings: MailSettings) -> ImapMailbox | MaildirInbox:
    if settings.imap is None:
        return MaildirInbox(settings.inbox_dir)
    return ImapMailbox(settings.imap)


def cycle(
    gw: Gateway,
    settings: MailSettings,
    mailbox: ImapMailbox | MaildirInbox,
    settle_seconds: float = 1.0,
    on_handled: Callable[[Handled], None] | None = None,
) -> CycleReport:
    """One pass over the mailbox and the drop folder, then send what is due. With a backlog
    waiting, replies already leave over SMTP while later mails are still being read."""
    with pass_lock(settings.local):
        return _cycle(gw, settings, mailbox, settle_seconds, on_handled)


@contextlib.contextmanager
def pass_lock(local: Path) -> Iterator[None]:
    """One gateway pass at a time per firm: a ``silu poll`` started while ``silu serve`` runs
    waits for the running pass instead of reading the same mail beside it (both would find the
    form not yet recorded). An OS file lock: released even when a process dies."""
    local.mkdir(parents=True, exist_ok=True)
    with open(local / ".gateway.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cycle(
    gw: Gateway,
    settings: MailSettings,
    mailbox: ImapMailbox | MaildirInbox,
    settle_seconds: float,
    on_handled: Callable[[Handled], None] | None,
) -> CycleReport:
    report = CycleReport()
    sender = printer = None
    if mailbox.uidvalidity() and len(mailbox.uids()) >= BACKLOG:
        printer = Printer(gw.firm.root)  # printed copies on the other core
        printer.start()
        if settings.smtp is not None:
            sender = BackgroundSender(gw, settings)
            sender.start()

    def handled(h: Handled) -> None:
        if printer is not None:
            printer.nudge()
        if on_handled:
            on_handled(h)

    try:
        passed = gateway.run_pass(gw, mailbox, settings, on_handled=handled)
        report.handled += passed.handled
        report.stopped = passed.stopped
        if not report.stopped:
            try:
                report.handled += drop.run_pass(
                    gw, settings.drop_dir, settle_seconds=settle_seconds
                ).handled
            except Exception as exc:
                if not disk_full(exc, gw.ledger.path.parent):
                    raise
                report.stopped = DISK_FULL_LINE.format(where=gw.firm.root)
                log.error("%s; the drop folder waits", report.stopped)
    finally:
        if printer is not None:  # a printer that died leaves its replies for the next pass
            printer.finish()
        if sender is not None:
            sender.finish()
    if report.stopped:  # a reply sent now could not be marked sent: it would go twice
        return report
    report.sent = smtp.send_queued(gw, settings, attach=printer is None)
    if sender is not None:
        for name in ("sent", "retrying", "failed"):
            getattr(report.sent, name)[:0] = getattr(sender.report, name)
        report.sent.waiting = report.sent.waiting or sender.report.waiting
    return report


#: from this many waiting mails on, a second thread sends replies and a process of its own
#: attaches the printed copies (mail/printer.py) while the pass goes on
BACKLOG = 50


class BackgroundSender:
    """Sends due replies from its own ledger connection while the pass records forms: with a
    real (remote) SMTP server most of a send is waiting, which a thread overlaps with the pass.
    (Measured on loopback, where the server is as fast as the pass, it gains little; a process
    of its own gained nothing on 2 CPUs shared with Dovecot.) Its SMTP session is kept while
    batches come back to back. Rows are claimed in one write (smtp._claim), so it and the final
    send never collide."""

    def __init__(self, gw: Gateway, settings: MailSettings):
        self.firm = gw.firm
        self.settings = settings
        self.report = smtp.SendReport()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="silu-sender", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        own = Gateway.open(self.firm)
        session = smtp.Session()
        try:
            while not self.done.is_set():  # the printer process attaches the printed copies
                r = smtp.send_queued(own, self.settings, limit=20, session=session, attach=False)
                self.report.sent += r.sent
                self.report.retrying += r.retrying
                self.report.failed += r.failed
                if r.waiting:  # a setting only the administrator can fix: the final send says it
                    self.report.waiting = r.waiting
                    return
                if r.retrying or not r.sent:
                    session.close()  # kept only while batches come back to back
                    self.done.wait(0.05)
        except Exception:  # noqa: BLE001 - the final send in the main thread picks up the rest
            log.exception("background sender stopped")
        finally:
            session.close()
            own.ledger.close()

    def finish(self) -> None:
        self.done.set()
        self.thread.join(timeout=60)


def poll(gw: Gateway, settings: MailSettings, settle_seconds: float = 1.0) -> CycleReport:
    """``silu poll``: one cycle on a fresh connection."""
    mailbox = open_mailbox(settings)
    try:
        return cycle(gw, settings, mailbox, settle_seconds)
    finally:
        mailbox.close()


def _seconds_to_next_retry(gw: Gateway) -> float | None:
    row = gw.ledger.db.execute(
        "SELECT min(next_attempt_at) FROM outbox WHERE status = 'queued' AND next_attempt_at IS NOT NULL"
    ).fetchone()
    if not row or not row[0]:
        return None
    due = dt.datetime.fromisoformat(row[0])
    return max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds())


def _has_drop_folders(settings: MailSettings) -> bool:
    d = settings.drop_dir
    return d.is_dir() and any(p.is_dir() for p in d.iterdir())


#: how long ``serve`` waits before trying again when the disk was full
DISK_FULL_WAIT = 30.0


def serve(
    gw: Gateway,
    settings: MailSettings,
    stop: threading.Event | None = None,
    on_cycle: Callable[[CycleReport], None] | None = None,
    settle_seconds: float = 1.0,
    timetable: Timetable | None = None,
) -> None:
    """Run until ``stop`` is set: cycle, then wait in IDLE (or poll), reconnecting on faults.
    What ``timetable`` holds (daily digests) runs before each cycle, so its mail leaves with it,
    and the wait ends when its next job is due."""
    stop = stop or threading.Event()
    backoff = 1.0
    while not stop.is_set():
        mailbox: ImapMailbox | MaildirInbox | None = None
        try:
            mailbox = open_mailbox(settings)
            while not stop.is_set():
                if timetable is not None:
                    timetable.run_pending()
                report = cycle(gw, settings, mailbox, settle_seconds)
                backoff = 1.0  # a whole cycle worked: the connection is good
                if on_cycle:
                    on_cycle(report)
                if report.stopped:  # the disk is full: look again in a while, not on new mail
                    stop.wait(DISK_FULL_WAIT)
                    continue
                _wait(gw, settings, mailbox, stop, timetable)
        except MailboxLoginError as exc:
            log.error(
                "IMAP login as %s refused: %s", settings.imap.user if settings.imap else "?", exc
            )
        except CONNECTION_ERRORS as exc:
            log.warning("mail connection lost (%r); reconnecting in %.0f s", exc, backoff)
        except Exception:  # noqa: BLE001 - serve keeps serving; the administrator reads the log
            log.exception("mail gateway cycle failed; starting again in %.0f s", backoff)
        finally:
            if mailbox is not None:
                mailbox.close()
        stop.wait(backoff)
        backoff = min(backoff * 2, 60.0)


def _wait(
    gw: Gateway,
    settings: MailSettings,
    mailbox: ImapMailbox | MaildirInbox,
    stop: threading.Event,
    timetable: Timetable | None = None,
) -> None:
    limits = []
    scheduled = timetable.seconds_to_next() if timetable is not None else None
    if scheduled is not None:
        limits.append(scheduled + 0.05)
    retry = _seconds_to_next_retry(gw)
    if retry is not None:
        limits.append(retry + 0.05)
    if _has_drop_folders(settings):
        limits.append(2.0)
    if isinstance(mailbox, MaildirInbox):
        stop.wait(min([1.0, *limits]))
        return
    assert settings.imap is not None
    if not mailbox.can_idle:
        stop.wait(min([settings.imap.poll_seconds, *limits]))
        return
    # IDLE in slices so a stop request is noticed within a second
    timeout = min([settings.imap.idle_seconds, *limits])
    started = time.monotonic()
    idle = mailbox.box.idle
    idle.start()
    try:
        while not stop.is_set():
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                break
            responses = idle.poll(timeout=min(1.0, left))
            if any(b"EXISTS" in r or b"RECENT" in r for r in responses):
                break
            if responses == [] and _connection_closed(mailbox):
                raise imaplib.IMAP4.abort("connection closed during IDLE")
    finally:
        idle.stop()


def _connection_closed(mailbox: ImapMailbox) -> bool:
    """imap-tools' poll returns nothing both on a quiet second and on EOF; peek at the socket."""
    sock = mailbox.client.sock
    try:
        sock.setblocking(False)
        try:
            data = sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, ssl_want_read()):
            return False
        return data == b""
    except OSError:
        return True
    finally:
        try:
            sock.setblocking(True)
            sock.settimeout(mailbox.settings.timeout)
        except OSError:
            pass


def ssl_want_read() -> type[Exception]:
    import ssl

    return ssl.SSLWantReadError
