"""Throwaway mail servers on loopback for the tests and the benchmarks: a real Dovecot (IMAP +
LMTP, one mailbox per roster address plus the shared forms mailbox) and a real SMTP server
(aiosmtpd) that delivers into Dovecot over LMTP — so a reply lands in the recipient's own
mailbox, where a test reads it over IMAP exactly as a person's mail client would.

The SMTP server can be told to misbehave for fault tests: answer 451 a number of times before
250, answer 550, or stall. ``CuttingProxy`` sits between a client and Dovecot's IMAP port and
cuts the TCP stream after a given number of bytes (a connection dropped mid-fetch).

Facts from running Dovecot 2.3.19 as root (see TESTING.md): ``first_valid_uid = 100`` or LMTP
answers 451 "UID not permitted"; socket paths must stay under ~100 characters, so the whole
tree lives in a short temp dir; MOVE is advertised only after login.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSWORD = "secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dovecot_available() -> bool:
    return shutil.which("dovecot") is not None and shutil.which("doveadm") is not None


CONFIG = """\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 100
mail_location = maildir:~/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 1 mins
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
"""


@dataclass
class Dovecot:
    users: list[str]
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dc-", dir="/tmp")))
    imap_port: int = field(default_factory=free_port)
    lmtp_port: int = field(default_factory=free_port)
    imaps_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def certificate(self) -> Path:
        """The server's self-signed certificate: a client's ``ca_file`` for IMAPS and STARTTLS."""
        return self.root / "cert.pem"

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> Dovecot:
        os.chmod(self.root, 0o755)
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir(exist_ok=True)
        dovecot_user = pwd.getpwnam("dovecot")
        os.chown(self.root / "home", dovecot_user.pw_uid, dovecot_user.pw_gid)
        (self.root / "users").write_text(
            "".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in self.users)
        )
        self_signed_certificate(self.root)
        self.conf.write_text(
            CONFIG.format(
                root=self.root,
                imap_port=self.imap_port,
                lmtp_port=self.lmtp_port,
                imaps_port=self.imaps_port,
            )
        )
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"dovecot exited: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            if _accepts(self.imap_port) and _accepts(self.lmtp_port):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start; log: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def doveadm(self, *args: str, input: bytes | None = None) -> str:
        done = subprocess.run(
            ["doveadm", "-c", str(self.conf), *args],
            input=input,
            capture_output=True,
            check=True,
            timeout=30,
        )
        return done.stdout.decode()

    def deliver(self, recipient: str, message: bytes, sender: str = "") -> None:
        """Deliver as the firm's MX would: over LMTP into ``recipient``'s INBOX."""
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.sendmail(sender or recipient, [recipient], message)

    def empty(self, users: list[str] | None = None) -> None:
        """Every message of every folder expunged (between tests; a test harness may expunge)."""
        for user in users or self.users:
            self.doveadm("expunge", "-u", user, "mailbox", "*", "all")

    def set_uidvalidity(self, user: str, value: int, mailbox: str = "INBOX") -> None:
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), mailbox)


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


class RelayHandler:
    """aiosmtpd handler: each message goes on to Dovecot over LMTP, unless told to fail.

    ``temporary_failures`` answers that many DATA commands with 451 before accepting;
    ``permanent`` answers 550; ``stall_seconds`` sleeps before answering (a hung server).
    """

    def __init__(self, lmtp_port: int):
        self.lmtp_port = lmtp_port
        self.temporary_failures = 0
        self.permanent = False
        self.stall_seconds = 0.0
        self.accepted: list[tuple[list[str], bytes]] = []
        self.refused: list[tuple[list[str], str]] = []
        self.sessions = 0  # EHLO greetings: one per SMTP session (two with STARTTLS)
        self.lock = threading.Lock()
        self.relay_lock = threading.Lock()
        self._lmtp: smtplib.LMTP | None = None

    def reset(self) -> None:
        with self.lock:
            self.temporary_failures, self.permanent, self.stall_seconds = 0, False, 0.0
            self.accepted.clear()
            self.refused.clear()
            self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when no handler takes EHLO
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.stall_seconds:
            await asyncio.sleep(self.stall_seconds)
            transport = getattr(server, "transport", None)
            if transport is None or transport.is_closing():
                # the client gave up waiting: like most servers, do not deliver half-agreed mail
                with self.lock:
                    self.refused.append((list(envelope.rcpt_tos), "stalled"))
                return "451 4.4.2 too slow"
        rcpts = list(envelope.rcpt_tos)
        with self.lock:
            if self.permanent:
                self.refused.append((rcpts, "550"))
                return f"550 5.1.1 <{rcpts[0]}>: mailbox unavailable"
            if self.temporary_failures > 0:
                self.temporary_failures -= 1
                self.refused.append((rcpts, "451"))
                return "451 4.3.0 Temporary failure, try again later"
        data = envelope.original_content or envelope.content
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, self._relay, envelope.mail_from, rcpts, data
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, words = next(iter(exc.recipients.values()))
            return f"{code} {words.decode(errors='replace')}"
        except (smtplib.SMTPException, OSError) as exc:
            return f"451 4.4.0 relay failed: {exc}"
        with self.lock:
            self.accepted.append((rcpts, data))
        return "250 2.0.0 OK delivered"

    def _relay(self, sender: str, rcpts: list[str], data: bytes) -> None:
        # one LMTP session kept open (as a real MTA's connection cache does); one recipient per
        # transaction because smtplib reads only one LMTP reply per DATA
        with self.relay_lock:
            for rcpt in rcpts:
                for attempt in (1, 2):
                    try:
                        if self._lmtp is None:
                            self._lmtp = smtplib.LMTP("127.0.0.1", self.lmtp_port)
                        self._lmtp.sendmail(sender or "<>", [rcpt], data)
                        break
                    except smtplib.SMTPServerDisconnected:
                        self._lmtp = None
                        if attempt == 2:
                            raise


@dataclass
class Smtp:
    handler: RelayHandler
    port: int = field(default_factory=free_port)
    controller: object | None = None

    def start(self) -> Smtp:
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self.controller.start()  # type: ignore[attr-defined]
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()  # type: ignore[attr-defined]

    def send(self, sender: str, recipients: list[str], message: bytes) -> None:
        """What a person's mail client does: submit to the firm's SMTP server."""
        message = re.sub(rb"\r?\n", b"\r\n", message)  # on the wire lines end in CRLF
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail(sender, recipients, message)


@dataclass
class MailServers:
    dovecot: Dovecot
    smtp: Smtp

    @property
    def relay(self) -> RelayHandler:
        return self.smtp.handler

    def settings_toml(self, forms_user: str, password_env: str, **extra: object) -> str:
        """The ``[mail.imap]`` and ``[mail.smtp]`` sections that point a firm at these servers."""
        more = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in extra.items())
        return (
            "\n[mail.imap]\n"
            f'host = "127.0.0.1"\nport = {self.dovecot.imap_port}\nsecurity = "none"\n'
            f'user = "{forms_user}"\npassword_env = "{password_env}"\ntimeout = 10\nidle_seconds = 60\n'
            "\n[mail.smtp]\n"
            f'host = "127.0.0.1"\nport = {self.smtp.port}\nsecurity = "none"\ntimeout = 5\n'
            "retry_first_seconds = 0.3\nretry_max_seconds = 2\n" + more
        )

    def stop(self) -> None:
        self.smtp.stop()
        self.dovecot.stop()


class SmtpProcess(Smtp):
    """The relaying SMTP server in a process of its own, as a real server would be: for the
    benchmarks, so its Python does not share a GIL with the gateway being measured. (The fault
    switches of ``RelayHandler`` are not reachable there.)"""

    process: subprocess.Popen | None = None

    def start(self) -> SmtpProcess:
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                str(self.port),
                str(self.handler.lmtp_port),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while not _accepts(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the SMTP relay process did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def start(users: list[str], smtp_in_process: bool = True) -> MailServers:
    """Dovecot, and an SMTP server relaying into it (in this process, where tests can switch its
    faults; or, with ``smtp_in_process=False``, in a process of its own)."""
    dovecot = Dovecot(users).start()
    try:
        kind = Smtp if smtp_in_process else SmtpProcess
        smtp = kind(RelayHandler(dovecot.lmtp_port)).start()
    except Exception:
        dovecot.stop()
        raise
    return MailServers(dovecot, smtp)


def _serve_relay(port: int, lmtp_port: int) -> None:
    smtp = Smtp(RelayHandler(lmtp_port), port=port).start()
    stop = threading.Event()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        smtp.stop()


def read_mailbox(port: int, user: str, folder: str = "INBOX") -> list[bytes]:
    """Every message in a user's folder, as a mail client reads it (IMAP, PEEK)."""
    from imap_tools import MailBoxUnencrypted

    with MailBoxUnencrypted("127.0.0.1", port, timeout=10).login(
        user, PASSWORD, initial_folder=None
    ) as box:
        if not box.folder.exists(folder):
            return []
        box.folder.set(folder)
        typ, data = box.client.uid("SEARCH", "ALL")
        uids = (data[0] or b"").split()
        if not uids:
            return []
        typ, data = box.client.uid("FETCH", b",".join(uids).decode(), "(BODY.PEEK[])")
        return [item[1] for item in data if isinstance(item, tuple)]


def wait_for_mail(
    port: int, user: str, count: int, timeout: float = 10.0, folder: str = "INBOX"
) -> list[bytes]:
    deadline = time.monotonic() + timeout
    while True:
        found = read_mailbox(port, user, folder)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


class CuttingProxy:
    """A TCP proxy to ``target_port`` that cuts every connection once the server has sent
    ``cut_after`` bytes (None: never) — the network dropping a session mid-fetch."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.cut_after: int | None = None
        self.cuts = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self._closed = False
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, server]
            budget = [self.cut_after]
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, budget), daemon=True).start()

    def _pipe(
        self, src: socket.socket, dst: socket.socket, budget: list[int | None] | None
    ) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if budget is not None and budget[0] is not None:
                    if len(data) >= budget[0]:
                        dst.sendall(data[: budget[0]])
                        self.cuts += 1
                        break
                    budget[0] -= len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()

    def drop_all(self) -> None:
        """Cut every open connection now (a NAT box forgetting an idle session)."""
        for s in self.connections:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.connections.clear()
        self.cuts += 1

    def close(self) -> None:
        self._closed = True
        self.drop_all()
        self.listener.close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), for TLS tests; the certificate doubles as CA."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@dataclass
class SecureSmtp:
    """An SMTP server that wants TLS (STARTTLS on the plain port, or TLS from the first byte)
    and AUTH before it accepts mail, relaying into Dovecot like ``Smtp``."""

    handler: RelayHandler
    cert: Path
    key: Path
    user: str
    password: str
    implicit_tls: bool = False
    port: int = field(default_factory=free_port)
    controller: object | None = None
    logins: list[str] = field(default_factory=list)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    def start(self) -> SecureSmtp:
        import ssl

        from aiosmtpd.controller import Controller

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert), str(self.key))
        common: dict[str, Any] = {
            "hostname": "127.0.0.1",
            "port": self.port,
            "authenticator": self._authenticate,
            "auth_required": True,
            "ready_timeout": 10,
        }
        if self.implicit_tls:
            # aiosmtpd does not count TLS-on-connect as TLS for AUTH (and warns each session)
            self.controller = Controller(
                self.handler, ssl_context=context, auth_require_tls=False, **common
            )
        else:
            self.controller = Controller(
                self.handler, tls_context=context, require_starttls=True, **common
            )
        self.controller.start()  # type: ignore[attr-defined]
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":  # python tests/mail/loopback.py SMTP_PORT LMTP_PORT
    _serve_relay(int(sys.argv[1]), int(sys.argv[2]))
