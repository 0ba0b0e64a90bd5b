"""The outbox worker: queued replies leave the ledger's ``outbox`` table, exactly once each.

- Over SMTP when ``[mail.smtp]`` is set (TLS, STARTTLS or plain on loopback; AUTH when a user is
  set, the password from the environment); otherwise into the local Maildir ``mail/sent``.
- Only to people on the roster and the firm's administrator: a reply to anyone else is never
  sent (failed, the administrator told) — the gateway must not become a way to mail strangers.
- A 4xx answer, a timeout or a dropped connection is temporary: ``attempts`` grows and
  ``next_attempt_at`` moves out (doubling from ``retry_first_seconds`` up to
  ``retry_max_seconds``); after ``max_attempts`` it counts as failed.
- A 5xx answer is final: the row is ``failed`` with the server's words in ``last_error``, and a
  mail tells the administrator who did not get which reply. Nothing is silently dropped.
- Each row is claimed (``sending``, with the worker's token) before it is sent, so two workers
  (``silu send`` beside ``silu serve``, or the background sender of a backlog) never send the
  same reply. Each worker holds an OS lock on ``mail/.senders/<token>.lock`` while it lives; a
  worker that finds the lock of a claim free knows its owner died and queues the row again at
  once (no ten-minute wait). A reply can then arrive twice only if the owner died after the
  server's 250 and before marking it sent — the one case where twice beats never. Claims
  without a token (or whose lock cannot be checked) are queued again after ten minutes.
- The envelope sender is the shared mailbox, so bounces come back there, where the gateway
  recognises them and never answers them.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import logging
import os
import re
import smtplib
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from silu_sheets.crashpoints import armed, crash_point
from silu_sheets.document import Staff
from silu_sheets.firm import FirmError
from silu_sheets.ledger.store import now
from silu_sheets.mail import maildir
from silu_sheets.mail.settings import MailSettings, SmtpSettings, tls_context
from silu_sheets.outbox import finish_local, queued
from silu_sheets.pipeline import Gateway, attach_printouts
from silu_sheets.replies import as_mail

log = logging.getLogger(__name__)

_CRLF = re.compile(rb"\r?\n")


class TemporaryFailure(Exception):
    """Try again later. ``connection`` failures stop the batch: the rest waits untouched."""

    def __init__(self, message: str, connection: bool = False):
        super().__init__(message)
        self.connection = connection


class PermanentFailure(Exception):
    pass


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    #: why nothing could be tried (a setting only the administrator can fix); replies wait
    waiting: str = ""


def now_precise() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Session:
    """An SMTP session kept open from one ``send_queued`` call to the next, for a worker that
    sends batch after batch (the backlog's background sender): one connection, handshake and
    login instead of one per batch. Its owner closes it when the batches stop coming."""

    def __init__(self) -> None:
        self.connection: Connection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def send_queued(
    gw: Gateway,
    settings: MailSettings,
    limit: int = 10_000,
    session: Session | None = None,
    attach: bool = True,
) -> SendReport:
    """Send every reply that is due; returns what happened to each. Over ``session`` when
    given (left open), else over a connection of its own. With ``attach`` the replies waiting
    for their printed copy get it first (not while the printer process does that)."""
    report = SendReport()
    if attach:  # what a killed ``silu ingest`` or pass left waiting for its printed copy
        attach_printouts(gw)
    if gw.firm.outbox_dir.is_dir():  # what a killed ``silu ingest`` left half written there
        finish_local(gw.ledger, gw.firm.outbox_dir)
    token = _worker_token(settings.local)
    _unclaim_dead(gw, settings.local, token)
    _unclaim_stale(gw)
    if settings.smtp is not None:
        try:
            settings.smtp.password()
        except FirmError as exc:  # no attempt spent: sending cannot work until it is set
            report.waiting = f"{exc}; the replies wait in the outbox until it is set"
            log.error("not sending: %s", report.waiting)
            return report
    rows = queued(gw.ledger.db, now_precise(), limit)
    if not rows:
        return report
    # claimed all at once: one write, not one per reply, beside a pass that is writing forms
    claimed = _claim(gw, [row[0] for row in rows], token)
    rows = [row for row in rows if row[0] in claimed]  # others are another worker's
    kept = session or Session()
    try:
        for id_, recipient, purpose, data, attempts in rows:
            claimed.discard(id_)
            if not _may_receive(gw, recipient):
                _fail(
                    gw,
                    id_,
                    recipient,
                    purpose,
                    f"{recipient} is not on the roster: never sent",
                    report,
                )
                continue
            try:
                if settings.smtp is None:
                    crash_point("smtp-send")
                    try:  # keyed by the row: written again after a kill, it replaces itself
                        maildir.deliver(settings.sent_dir, data, key=f"silu-outbox-{id_:08d}")
                    except OSError as exc:  # disk full, folder not writable: try again later
                        raise TemporaryFailure(
                            f"cannot write to {settings.sent_dir}: {exc}", connection=True
                        ) from exc
                else:
                    if kept.connection is None:
                        kept.connection = Connection(settings.smtp)
                    kept.connection.send(gw.firm.firm.mailbox, recipient, data)
            except TemporaryFailure as exc:
                kept.close()
                _retry(gw, settings.smtp, id_, recipient, purpose, attempts, str(exc), report)
                if exc.connection:
                    break
                continue
            except PermanentFailure as exc:
                _fail(gw, id_, recipient, purpose, str(exc), report)
                continue
            crash_point("after-250")
            with gw.ledger.transaction() as writer:
                writer.db.execute(
                    "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                    [now(), id_],
                )
            report.sent.append(id_)
    finally:
        if session is None:
            kept.close()
        if claimed:  # left unsent when the connection broke: queued again, due as they were
            _unclaim(gw, claimed)
    return report


#: a reply claimed for sending longer ago than this was held by a worker that died mid-send
STALE_CLAIM = dt.timedelta(minutes=10)


#: this process's sender token per mail folder, and the open lock files that prove it alive
_tokens: dict[Path, str] = {}
_alive: list[IO[bytes]] = []


def _worker_token(local: Path) -> str:
    """This process's name on its claims; it holds ``.senders/<token>.lock`` while it lives
    (the OS drops the lock when the process dies, however it dies). The file is locked before
    it gets its name, so a lock file that can be taken belongs to a dead worker."""
    folder = local / ".senders"
    if folder in _tokens:
        return _tokens[folder]
    token = f"{socket.gethostname()}-{os.getpid()}-{time.time_ns()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _sweep_dead_locks(folder)
        handle = open(folder / f".{token}.new", "a+b")  # noqa: SIM115 - held for the process's life
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(folder / f".{token}.new", folder / f"{token}.lock")
    except OSError:
        return ""  # no lock (a read-only or full disk): claims fall back to the stale sweep
    _alive.append(handle)
    _tokens[folder] = token
    atexit.register((folder / f"{token}.lock").unlink, missing_ok=True)
    return token


def _owner_dead(folder: Path, owner: str) -> bool:
    """Whether the worker ``owner`` is gone: its lock file missing, or its lock free."""
    try:
        fd = os.open(folder / f"{owner}.lock", os.O_RDWR)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: the ten-minute sweep decides
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False  # alive and sending
    finally:
        os.close(fd)


def _sweep_dead_locks(folder: Path) -> None:
    """Lock files of workers that ended hold nothing: removed (rows they claimed are queued
    again by ``_unclaim_dead`` first, which finds the file missing)."""
    for path in folder.glob("*.lock"):
        owner = path.name[: -len(".lock")]
        if owner not in _tokens.values() and _owner_dead(folder, owner):
            path.unlink(missing_ok=True)
    for path in folder.glob(".*.new"):  # a worker killed while naming its lock file
        if time.time() - path.stat().st_mtime > 60:
            path.unlink(missing_ok=True)


def _unclaim_dead(gw: Gateway, local: Path, mine: str) -> None:
    """Queue again at once the replies claimed by a worker that died (its lock is free)."""
    owners = [
        row[0]
        for row in gw.ledger.db.execute(
            "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'sending' AND claimed_by != ''"
        ).fetchall()
        if row[0] != mine
    ]
    for owner in owners:
        if not _owner_dead(local / ".senders", owner):
            continue
        with gw.ledger.transaction() as writer:
            cursor = writer.db.execute(
                "UPDATE outbox SET status = 'queued', next_attempt_at = NULL, claimed_by = NULL"
                " WHERE status = 'sending' AND claimed_by = ?",
                [owner],
            )
        (local / ".senders" / f"{owner}.lock").unlink(missing_ok=True)
        if cursor.rowcount:
            log.warning(
                "%d reply(ies) left mid-send by a stopped worker queued again", cursor.rowcount
            )


def _claim(gw: Gateway, ids: list[int], token: str = "") -> set[int]:
    """Mark the rows ``sending`` (the claim time kept in next_attempt_at) unless another worker
    claimed them first: two workers never send the same reply. Returns the ids claimed here."""
    claimed: set[int] = set()
    with gw.ledger.transaction() as writer:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            claimed.update(
                row[0]
                for row in writer.db.execute(
                    f"UPDATE outbox SET status = 'sending', next_attempt_at = ?, claimed_by = ? "
                    f"WHERE status = 'queued' AND id IN ({marks}) RETURNING id",
                    [now_precise(), token, *chunk],
                ).fetchall()
            )
    return claimed


def _unclaim(gw: Gateway, ids: set[int]) -> None:
    with gw.ledger.transaction() as writer:
        writer.db.executemany(
            "UPDATE outbox SET status = 'queued', next_attempt_at = NULL, claimed_by = NULL"
            " WHERE id = ? AND status = 'sending'",
            [[i] for i in ids],
        )


def _unclaim_stale(gw: Gateway) -> None:
    """A worker that died between claim and result leaves ``sending`` rows: queue them again
    (the one case where a reply may arrive twice, rather than never)."""
    before = (dt.datetime.now(dt.UTC) - STALE_CLAIM).isoformat(timespec="milliseconds")
    stale = "SELECT 1 FROM outbox WHERE status = 'sending' AND next_attempt_at < ? LIMIT 1"
    if not gw.ledger.db.execute(stale, [before]).fetchone():
        return  # the usual case, found without taking the write lock from a pass recording forms
    with gw.ledger.transaction() as writer:
        cursor = writer.db.execute(
            "UPDATE outbox SET status = 'queued' WHERE status = 'sending' AND next_attempt_at < ?",
            [before],
        )
        if cursor.rowcount:
            log.warning(
                "%d reply(ies) left mid-send by a stopped worker queued again", cursor.rowcount
            )


def _may_receive(gw: Gateway, recipient: str) -> bool:
    address = recipient.strip().lower()
    return gw.roster.find(address) is not None or address == (gw.firm.administrator or "").lower()


def _retry(
    gw: Gateway,
    smtp: SmtpSettings | None,
    id_: int,
    recipient: str,
    purpose: str,
    attempts: int,
    error: str,
    report: SendReport,
) -> None:
    attempts += 1
    if smtp is not None and attempts >= smtp.max_attempts:
        _fail(
            gw,
            id_,
            recipient,
            purpose,
            f"gave up after {attempts} temporary failures; last: {error}",
            report,
        )
        return
    first = smtp.retry_first_seconds if smtp else 60.0
    cap = smtp.retry_max_seconds if smtp else 3600.0
    wait = min(first * 2 ** (attempts - 1), cap)
    at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait)).isoformat(timespec="milliseconds")
    log.warning(
        "reply %d to %s: temporary failure (%s); attempt %d, next in %.0f s",
        id_,
        recipient,
        error,
        attempts,
        wait,
    )
    with gw.ledger.transaction() as writer:
        writer.db.execute(
            "UPDATE outbox SET status = 'queued', attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
            [attempts, at, error, id_],
        )
    report.retrying.append(id_)


def _fail(
    gw: Gateway, id_: int, recipient: str, purpose: str, error: str, report: SendReport
) -> None:
    """Final: the row says why, and the administrator is told (unless the row *is* that notice:
    a failing administrator address must not loop)."""
    log.error("reply %d (%s) to %s failed: %s", id_, purpose, recipient, error)
    admin = (gw.firm.administrator or "").lower()
    with gw.ledger.transaction() as writer:
        writer.db.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
            [error, id_],
        )
        if admin and purpose != "delivery-failure":
            row = writer.db.execute(
                "SELECT subject, docno, created_at FROM outbox WHERE id = ?", [id_]
            ).fetchone()
            writer_queue_failure(gw, writer, admin, id_, recipient, error, row)
    report.failed.append(id_)


def writer_queue_failure(
    gw: Gateway, writer, admin: str, id_: int, recipient: str, error: str, row: tuple
) -> int:
    from silu_sheets.mail.commands import notice

    person = gw.roster.find(admin) or Staff(
        admin,
        "管理员" if gw.firm.language == "zh" else "Administrator",
        ("admin",),
        gw.firm.language,
    )
    zh = person.language == "zh"
    subject, docno, created = row
    reply = notice(
        gw,
        person,
        f"回复未能送达：{recipient}" if zh else f"A reply could not be delivered to {recipient}",
        [
            f"发给 {recipient} 的回复（outbox 第 {id_} 条，{created}）未能送达，服务器答复：{error}"
            if zh
            else f"The reply to {recipient} (outbox row {id_}, {created}) could not be delivered; the server said: {error}",
        ],
        [
            f"主题：{subject}" if zh else f"Subject: {subject}",
            *([f"单号：{docno}" if zh else f"Document: {docno}"] if docno else []),
        ],
        next_step="请检查该地址（名册 inbox_rules/staff.toml），并把该回复的内容转告本人。"
        if zh
        else "Check that address (roster inbox_rules/staff.toml) and pass the reply on to the person.",
        purpose="delivery-failure",
    )
    msg = as_mail(reply, gw.firm.firm.mailbox, gw.firm.firm.name, auto="auto-generated")
    return writer.queue_mail(reply.recipient, reply.subject, reply.purpose, msg, docno)


def _kill_inside_data(client: smtplib.SMTP) -> None:
    """For the reliability suite only: the ``smtp-send`` crash point fires in the middle of the
    message body, after the server said 354 and before the final dot, the way a process killed
    mid-send leaves a server (it never answers 250, so the message must go again)."""
    whole = client.send

    def send(s: bytes | str) -> None:
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            half = len(s) // 2
            whole(s[:half])
            crash_point("smtp-send")
            whole(s[half:])
        else:
            whole(s)

    client.send = send  # type: ignore[method-assign, assignment]


class Connection:
    """One SMTP session, opened on first use and reused for the rest of the batch."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        try:
            self.client = self._open()
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(
                f"cannot reach {settings.host}:{settings.port}: {exc!r}", connection=True
            ) from exc

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=tls_context(s.ca_file)
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                client.starttls(context=tls_context(s.ca_file))
        if s.user:
            client.login(s.user, s.password())
        if armed("smtp-send"):
            _kill_inside_data(client)
        return client

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        # SMTP lines end in CRLF (RFC 5321); messages are stored with bare LF as Python writes
        # them, and smtplib converts only str, not bytes (aiosmtpd then sees one endless line);
        # without a CR anywhere a plain replace does it (0.36 ms -> 0.004 for 18 KB)
        data = data.replace(b"\n", b"\r\n") if b"\r" not in data else _CRLF.sub(b"\r\n", data)
        try:
            refused = self.client.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, words = next(iter(exc.recipients.values()))
            raise _by_code(code, words) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data error
            raise _by_code(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as exc:
            raise TemporaryFailure(f"connection lost: {exc!r}", connection=True) from exc
        if refused:
            code, words = next(iter(refused.values()))
            raise _by_code(code, words)

    def close(self) -> None:
        try:
            self.client.quit()
        except Exception:  # noqa: BLE001 - closing a broken session
            with contextlib.suppress(Exception):
                self.client.close()


def _by_code(code: int, words: bytes | str) -> Exception:
    text = words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
    message = f"{code} {text}"
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)
