"""The shared mailbox over IMAP (imap-tools for the session, imaplib commands where the rules
need exact control).

- Read with ``BODY.PEEK[]``: reading marks nothing as seen; a person looking at the shared box
  sees what it holds.
- UIDVALIDITY is read on every SELECT: the gateway keys handled mail by (mailbox, UIDVALIDITY,
  UID), and a change means every UID is new (Message-ID then prevents recording twice).
- A handled mail is moved to Processed, Rejected or Ignored (created when missing). Never a
  delete, never a bare EXPUNGE: in a shared box a bare EXPUNGE removes every message anyone
  flagged \\Deleted, not only ours. With MOVE (RFC 6851): ``UID MOVE``. Without MOVE but with
  UIDPLUS (RFC 4315): ``UID COPY``, ``UID STORE +FLAGS (\\Deleted)``, ``UID EXPUNGE`` of that one
  UID. With neither: COPY and \\Deleted only, left for a person to expunge.
- Capabilities are asked again after login: Dovecot advertises MOVE only once logged in, while
  imap-tools decides from the greeting's list and would fall back to a bare EXPUNGE.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
from collections.abc import Iterable, Iterator

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.utils import encode_folder

from silu_sheets.mail.settings import ImapSettings, tls_context

log = logging.getLogger(__name__)

_UID = re.compile(rb"UID (\d+)")


class ImapError(Exception):
    """The server refused a command the gateway needs (not a network drop)."""


def connect(settings: ImapSettings) -> BaseMailBox:
    """A logged-in imap-tools mailbox (no folder selected)."""
    box: BaseMailBox
    if settings.security == "tls":
        box = MailBox(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            ssl_context=tls_context(settings.ca_file),
        )
    elif settings.security == "starttls":
        box = MailBoxStartTls(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            ssl_context=tls_context(settings.ca_file),
        )
    else:
        box = MailBoxUnencrypted(settings.host, settings.port, timeout=settings.timeout)
    box.login(settings.user, settings.password(), initial_folder=None)
    return box


class ImapMailbox:
    def __init__(self, settings: ImapSettings):
        self.settings = settings
        self.box = connect(settings)
        self.client: imaplib.IMAP4 = self.box.client
        typ, data = self.client.capability()
        self.capabilities = set(b" ".join(d for d in data if d).decode().upper().split())
        self.name = f"imap:{settings.user}@{settings.host}/{settings.folder}"
        self._folders: set[str] = set()
        self._warned = False

    @property
    def can_idle(self) -> bool:
        return "IDLE" in self.capabilities

    def uidvalidity(self) -> str:
        """SELECT the folder afresh (read-write, for moves) and return its UIDVALIDITY."""
        typ, data = self.client.select(_folder(self.settings.folder))
        if typ != "OK":
            raise ImapError(f"cannot select {self.settings.folder}: {data!r}")
        _, values = self.client.response("UIDVALIDITY")
        if not values or values[0] is None:
            raise ImapError(f"{self.settings.host} gave no UIDVALIDITY for {self.settings.folder}")
        return values[-1].decode() if isinstance(values[-1], bytes) else str(values[-1])

    def uids(self) -> list[str]:
        typ, data = self.client.uid("SEARCH", "UNDELETED")
        if typ != "OK":
            raise ImapError(f"UID SEARCH failed: {data!r}")
        return [u.decode() for u in (data[0] or b"").split()]

    def fetch(self, uids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """``(uid, bytes)`` for each UID, with PEEK so nothing is marked seen."""
        wanted = list(uids)
        if not wanted:
            return
        typ, data = self.client.uid("FETCH", ",".join(wanted), "(UID BODY.PEEK[])")
        if typ != "OK":
            raise ImapError(f"UID FETCH failed: {data!r}")
        found: dict[str, bytes] = {}
        for i, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            m = _UID.search(item[0])
            if m is None and i + 1 < len(data) and isinstance(data[i + 1], bytes):
                m = _UID.search(data[i + 1])  # some servers send UID after the literal
            if m:
                found[m.group(1).decode()] = item[1]
        for uid in wanted:
            if uid in found:
                yield uid, found[uid]

    def ensure_folder(self, folder: str) -> None:
        if folder in self._folders:
            return
        if not self.box.folder.exists(folder):
            typ, data = self.client.create(_folder(folder))
            if typ != "OK" and not self.box.folder.exists(folder):
                raise ImapError(f"cannot create folder {folder}: {data!r}")
            self.client.subscribe(_folder(folder))
        self._folders.add(folder)

    def move_many(self, uids: list[str], folder: str) -> None:
        """Move these messages (a UID set) out of the inbox, touching no other message."""
        if uids:
            self.move(",".join(uids), folder)

    def move(self, uid: str, folder: str) -> None:
        """Move one message (or a UID set) out of the inbox, touching no other message."""
        target = {
            "Processed": self.settings.processed,
            "Rejected": self.settings.rejected,
            "Ignored": self.settings.ignored,
        }.get(folder, folder)
        self.ensure_folder(target)
        name = _folder(target)
        if "MOVE" in self.capabilities:
            typ, data = self.client.uid("MOVE", uid, name)
            _ok(typ, data, "UID MOVE")
            return
        typ, data = self.client.uid("COPY", uid, name)
        _ok(typ, data, "UID COPY")
        typ, data = self.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        _ok(typ, data, "UID STORE")
        if "UIDPLUS" in self.capabilities:
            typ, data = self.client.uid("EXPUNGE", uid)
            _ok(typ, data, "UID EXPUNGE")
        elif not self._warned:
            self._warned = True
            log.warning(
                "%s has neither MOVE nor UIDPLUS: handled mail is copied to %s and flagged \\Deleted in %s, "
                "never expunged (a bare EXPUNGE would remove other people's deleted mail too)",
                self.settings.host,
                target,
                self.settings.folder,
            )

    def close(self) -> None:
        try:
            self.box.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            with contextlib.suppress(Exception):
                self.client.shutdown()


def _folder(name: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7, quoted (imap-tools' encoding)."""
    return encode_folder(name).decode("ascii")


def _ok(typ: str, data: list, what: str) -> None:
    if typ != "OK":
        raise ImapError(f"{what} failed: {data!r}")
