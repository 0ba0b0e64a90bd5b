"""The embedded default: a local Maildir in the firm folder, so everything works with no servers.

    mail/inbox/{new,cur,tmp}     forms arrive here (any mail client or script can deliver into it)
    mail/processed, mail/rejected, mail/ignored    where handled mail is moved (never deleted)
    mail/sent/{new,cur,tmp}      replies, one file per mail; open it with any Maildir client
                                 (mutt -f mail/sent) or read the files as .eml

Maildir delivery is atomic by construction (write into tmp/, rename into new/), so a reader
never sees half a message. The key of a message is its file name without the ``:2,`` flags.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

_counter = itertools.count()


def ensure(folder: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return folder


def deliver(folder: Path, message: bytes, key: str = "") -> str:
    """Put one message into a Maildir (tmp/ then rename into new/); returns its key. A given
    ``key`` makes delivery idempotent: the same key delivered again replaces the message."""
    ensure(folder)
    key = key or (
        f"{time.time_ns()}.P{os.getpid()}Q{next(_counter)}.{socket.gethostname().replace('/', '_')}"
    )
    tmp = folder / "tmp" / key
    tmp.write_bytes(message)
    os.replace(tmp, folder / "new" / key)
    return key


def messages(folder: Path) -> list[bytes]:
    """Every message in a Maildir, oldest first (for tests and the demo's summary)."""
    return [path.read_bytes() for _, path in _entries(folder)]


def _entries(folder: Path) -> list[tuple[str, Path]]:
    found = []
    for sub in ("new", "cur"):
        d = folder / sub
        if d.is_dir():
            for entry in os.scandir(d):
                if entry.is_file() and not entry.name.startswith("."):
                    found.append((entry.name.split(":", 1)[0], Path(entry.path)))
    # arrival order: the key starts with the delivery time in nanoseconds for our own deliveries;
    # other writers' keys start with seconds, which sort the same way within their own kind
    found.sort(key=lambda kp: (kp[1].stat().st_mtime_ns, kp[0]))
    return found


class MaildirInbox:
    """The local inbox, read like the shared IMAP mailbox: keys, bytes, and moves to the
    Processed, Rejected or Ignored folder next to it (never a delete)."""

    def __init__(self, inbox: Path, folders_root: Path | None = None):
        self.inbox = ensure(inbox)
        self.folders_root = folders_root or inbox.parent
        self.name = "maildir:" + inbox.name

    def uidvalidity(self) -> str:
        return "maildir"

    def uids(self) -> list[str]:
        return [key for key, _ in _entries(self.inbox)]

    def fetch(self, uids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        paths = dict(_entries(self.inbox))
        for uid in uids:
            path = paths.get(uid)
            if path is None:
                continue
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # moved meanwhile (by a person, or another process)
                continue
            yield uid, data

    def move(self, uid: str, folder: str) -> None:
        paths = dict(_entries(self.inbox))
        path = paths.get(uid)
        if path is None:
            return
        target = ensure(self.folders_root / folder.lower())
        with contextlib.suppress(FileNotFoundError):  # moved meanwhile: it is where it belongs
            os.replace(path, target / "cur" / path.name)

    def close(self) -> None:
        return None


def mail_form_locally(gw, settings, sender: str, data: bytes, filename: str, subject: str = ""):
    """Mail one form into the local inbox as a real client would (RFC 5322, the name in RFC
    2231), run one gateway pass, and return the form's outcome. Used by ``silu demo``."""
    import datetime as dt
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    from silu_sheets import problems as P
    from silu_sheets.mail.gateway import run_pass
    from silu_sheets.pipeline import Outcome
    from silu_sheets.problems import Problem

    person = gw.roster.find(sender)
    msg = EmailMessage()
    msg["From"] = f"{person.name} <{sender}>" if person else sender
    msg["To"] = gw.firm.firm.mailbox
    msg["Subject"] = subject or filename
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid("client", domain=sender.split("@")[-1])
    msg.set_content("请查收附件。\nPlease find the form attached.\n")
    msg.add_attachment(
        data,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=filename,
    )
    key = deliver(settings.inbox_dir, msg.as_bytes())
    report = run_pass(gw, MaildirInbox(settings.inbox_dir), settings)
    for handled in report.handled:
        if handled.uid == key and handled.outcomes:
            return handled.outcomes[0]
    outcome = Outcome(filename, sender.lower())
    outcome.problems = [Problem(P.SENDER_UNKNOWN, {"sender": sender})]
    return outcome


def demo_settings(folder):
    """The firm's mail settings for ``silu demo``: the local Maildir, and no rate limit (one
    person sends dozens of forms within a minute there)."""
    from dataclasses import replace

    from silu_sheets.mail.settings import load

    settings = load(folder)
    return replace(settings, imap=None, smtp=None, rate_limit_per_hour=1_000_000)
