"""Mail settings from silu.toml: ``[mail]``, ``[mail.imap]`` and ``[mail.smtp]``.

Passwords never live in silu.toml: each section names the environment variable that holds its
password (``password_env``), and the value is read only when connecting. Nothing here logs or
prints a password; ``describe()`` shows the settings with the variable's name only.

    [mail]
    local = "mail"                  # the embedded default: mail/inbox, mail/sent, mail/drop
    rate_limit_per_hour = 60        # mails handled per sender and hour; more are set aside
    authserv_id = "mx.firm.test"    # trust Authentication-Results from this server only
    # trust_unauthenticated = true  # instead: our server stamps nothing (warned at each start)

    [mail.imap]                     # without it: the local Maildir mail/inbox
    host = "imap.firm.test"
    port = 993
    security = "tls"                # tls, starttls or none (refused unless the host is loopback)
    user = "forms@firm.test"
    password_env = "SILU_IMAP_PASSWORD"
    folder = "INBOX"
    processed = "Processed"
    rejected = "Rejected"
    ignored = "Ignored"
    idle_seconds = 240              # IDLE is re-entered this often (servers cut it at 30 min)

    [mail.smtp]                     # without it: replies go to the local Maildir mail/sent
    host = "smtp.firm.test"
    port = 587
    security = "starttls"
    user = "forms@firm.test"
    password_env = "SILU_SMTP_PASSWORD"
    # ca_file = "/etc/ssl/firm-ca.pem"   # trust a private CA too (also in [mail.imap])
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from silu_sheets.firm import FirmError, FirmFolder

if TYPE_CHECKING:
    import ssl

SECURITY = ("tls", "starttls", "none")


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int = 993
    security: str = "tls"
    user: str = ""
    password_env: str = "SILU_IMAP_PASSWORD"
    folder: str = "INBOX"
    processed: str = "Processed"
    rejected: str = "Rejected"
    ignored: str = "Ignored"
    timeout: float = 30.0
    ca_file: str = ""
    idle_seconds: float = 240.0
    poll_seconds: float = 60.0

    def password(self) -> str:
        return _password(self.password_env, "[mail.imap]")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password_env: str = "SILU_SMTP_PASSWORD"
    timeout: float = 30.0
    #: backoff after a temporary failure: first wait, doubled each time, capped
    retry_first_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    #: after this many temporary failures the reply is failed and the administrator told
    max_attempts: int = 12
    #: a CA bundle to trust besides the system's (a firm's own mail server with a private CA)
    ca_file: str = ""

    def password(self) -> str:
        return _password(self.password_env, "[mail.smtp]") if self.user else ""


@dataclass(frozen=True)
class MailSettings:
    local: Path
    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None
    rate_limit_per_hour: int = 60
    authserv_id: str | None = None
    #: the firm's own decision that its receiving server stamps no Authentication-Results
    trust_unauthenticated: bool = False
    folders: dict[str, str] = field(default_factory=dict)

    def sender_check(self) -> str:
        """Refuse to read a real (IMAP) mailbox until the firm decided how senders are checked:
        anyone can write a salesperson's address in From. Returns a warning to show at every
        start when the firm chose to trust unauthenticated mail; raises ``FirmError`` when no
        decision was made."""
        if self.imap is None or self.authserv_id:
            return ""
        if self.trust_unauthenticated:
            return (
                "WARNING: silu.toml [mail] trust_unauthenticated = true: a mail is believed to come "
                "from whoever its From line names; anyone can forge it. Set authserv_id to your "
                "receiving server's name (the first word of its Authentication-Results header)."
            )
        raise FirmError(
            "silu.toml [mail]: decide how forged senders are stopped before reading a real mailbox: "
            'set authserv_id = "<your receiving server>" (the first word of the '
            "Authentication-Results header it adds), or trust_unauthenticated = true if it adds "
            "none (then anyone can send forms as your staff). See docs/MAIL.md."
        )

    @property
    def inbox_dir(self) -> Path:
        return self.local / "inbox"

    @property
    def sent_dir(self) -> Path:
        return self.local / "sent"

    @property
    def drop_dir(self) -> Path:
        return self.local / "drop"

    def describe(self) -> str:
        """The settings in words, for ``silu poll -v``; shows where passwords come from, never them."""
        lines = []
        if self.imap:
            i = self.imap
            lines.append(
                f"IMAP {i.user}@{i.host}:{i.port} ({i.security}) folder {i.folder}; password from ${i.password_env}"
            )
        else:
            lines.append(f"local Maildir {self.inbox_dir}")
        if self.smtp:
            s = self.smtp
            lines.append(
                f"SMTP {s.host}:{s.port} ({s.security})"
                + (f" as {s.user}; password from ${s.password_env}" if s.user else "")
            )
        else:
            lines.append(f"replies to the local Maildir {self.sent_dir}")
        return "\n".join(lines)


def tls_context(ca_file: str) -> ssl.SSLContext:
    """Certificates are always verified; ``ca_file`` adds a firm's own CA to the system's.
    Built once per CA file (and again when the file changes): loading the system's
    certificates takes ~20 ms, and the sender opens a session per batch of replies."""
    return _tls_context(ca_file, os.stat(ca_file).st_mtime_ns if ca_file else 0)


@functools.cache
def _tls_context(ca_file: str, modified: int) -> ssl.SSLContext:
    import ssl  # only with a server to talk to: a command that only records pays nothing

    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def _password(variable: str, section: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        raise FirmError(
            f"silu.toml {section} takes its password from the environment variable {variable}, which is not set"
        )
    return value


def _section(raw: dict[str, Any], cls: type, name: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if "password" in raw:
        raise FirmError(
            f"silu.toml {name}: passwords never go in files; set password_env to an environment variable's name"
        )
    if unknown:
        raise FirmError(f"silu.toml {name}: unknown settings {unknown}; known: {sorted(known)}")
    if "host" not in raw:
        raise FirmError(f"silu.toml {name}: host is missing")
    security = raw.get("security", "tls" if name == "[mail.imap]" else "starttls")
    if security not in SECURITY:
        raise FirmError(f"silu.toml {name}: security must be one of {SECURITY}")
    if security == "none" and not is_loopback(str(raw["host"])):
        raise FirmError(
            f'silu.toml {name}: security = "none" would send the password in clear to '
            f"{raw['host']}; it is allowed only for a server on this machine (127.0.0.1, ::1, "
            'localhost). Use "tls" or "starttls".'
        )
    return cls(**raw)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: only then may a password cross without TLS."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def load(firm: FirmFolder) -> MailSettings:
    """The firm's mail settings; every mistake is a ``FirmError`` naming the section."""
    mail = dict(firm.settings.get("mail", {}))
    imap_raw = mail.pop("imap", None)
    smtp_raw = mail.pop("smtp", None)
    local = firm.root / mail.get("local", "mail")
    return MailSettings(
        local=local,
        imap=_section(imap_raw, ImapSettings, "[mail.imap]") if imap_raw else None,
        smtp=_section(smtp_raw, SmtpSettings, "[mail.smtp]") if smtp_raw else None,
        rate_limit_per_hour=int(mail.get("rate_limit_per_hour", 60)),
        authserv_id=(mail.get("authserv_id") or None),
        trust_unauthenticated=mail.get("trust_unauthenticated") is True,
    )
