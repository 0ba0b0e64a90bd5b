"""Mail as real clients write it, built byte by byte: attachment names in RFC 2231, RFC 2047
words (GB18030, GBK labelled gb2312, UTF-8) and raw 8-bit; forwarded messages; bounces and
auto-replies. The tests and the benchmarks build their .eml fixtures here."""

from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def name_rfc2231(name: str, charset: str = "utf-8") -> bytes:
    """``filename*=charset''%XX…`` (Thunderbird, Apple Mail, Gmail)."""
    return f"filename*={charset}''{urllib.parse.quote(name.encode(charset))}".encode()


def name_rfc2231_continued(name: str, charset: str = "utf-8") -> bytes:
    """Long names split over ``filename*0*=`` / ``filename*1*=`` (RFC 2231 section 3)."""
    quoted = urllib.parse.quote(name.encode(charset))
    half = len(quoted) // 2
    while quoted[half - 1] == "%" or quoted[half - 2] == "%":
        half += 1
    return f"filename*0*={charset}''{quoted[:half]};\r\n filename*1*={quoted[half:]}".encode()


def name_rfc2047(name: str, charset: str = "gb18030", label: str | None = None) -> bytes:
    """An encoded word inside the quoted parameter (Outlook, Foxmail; not standard, common)."""
    word = base64.b64encode(name.encode(charset)).decode()
    return f'filename="=?{label or charset}?B?{word}?="'.encode()


def name_raw(name: str, charset: str = "utf-8") -> bytes:
    """Unencoded 8-bit bytes in the header (some webmail and older Chinese clients)."""
    return b'filename="' + name.encode(charset) + b'"'


def part(data: bytes, filename_param: bytes, content_type: str = XLSX_TYPE) -> bytes:
    return (
        f"Content-Type: {content_type}\r\n".encode()
        + b"Content-Disposition: attachment; "
        + filename_param
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(data)
    )


def mail(
    sender: str,
    to: str,
    subject: str,
    parts: list[bytes],
    extra_headers: dict[str, str] | None = None,
    body: str = "请查收附件。\nPlease find the form attached.",
    message_id: str | None = None,
    content_type: str = "multipart/mixed",
) -> bytes:
    """A whole multipart message, as bytes on the wire."""
    boundary = "=_silu_" + make_msgid().strip("<>").replace("@", "_").replace(".", "_")
    head = EmailMessage()
    head["From"] = sender
    head["To"] = to
    head["Subject"] = subject
    head["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    head["Message-ID"] = message_id or make_msgid("client", domain="firm.test")
    head["MIME-Version"] = "1.0"
    for k, v in (extra_headers or {}).items():
        head[k] = v
    lines = head.as_bytes().rstrip(b"\n").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    out = lines + f'\r\nContent-Type: {content_type}; boundary="{boundary}"\r\n\r\n'.encode()
    text = (
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(body.encode("utf-8"))
    )
    for p in [text, *parts]:
        out += f"--{boundary}\r\n".encode() + p + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def with_form(
    sender: str, to: str, data: bytes, filename: str, subject: str = "表单", **kw
) -> bytes:
    """What Thunderbird sends: the name in RFC 2231 UTF-8."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = kw.pop("message_id", None) or make_msgid("client", domain="firm.test")
    for k, v in kw.pop("headers", {}).items():
        msg[k] = v
    msg.set_content(kw.pop("body", "请查收附件。"))
    msg.add_attachment(
        data, maintype="application", subtype=XLSX_TYPE.split("/")[1], filename=filename
    )
    return msg.as_bytes()


def forwarded(sender: str, to: str, inner: bytes, subject: str = "Fwd: 表单") -> bytes:
    """Outlook's "forward as attachment": the original mail inside a message/rfc822 part."""
    p = b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" + inner
    return mail(sender, to, subject, [p])


def bounce(to: str, original: bytes) -> bytes:
    """A delivery status notification (RFC 3464) from a mailer daemon, quoting our reply."""
    status = (
        b"Content-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; gone@example.com\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
    )
    original_part = b"Content-Type: message/rfc822\r\n\r\n" + original
    return mail(
        "Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        to,
        "Undelivered Mail Returned to Sender",
        [status, original_part],
        content_type="multipart/report; report-type=delivery-status",
    )
