"""Replies as mail: rendered with jinja2 from templates/email (zh and en, text and HTML).

This module builds mails as bytes; it never sends. The pipeline queues them in the
ledger's outbox inside the form's own transaction, and a transport delivers them afterwards.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote

from silu_sheets import resources
from silu_sheets.declare import Kind
from silu_sheets.problems import Problem
from silu_sheets.values import element_text

if TYPE_CHECKING:
    from jinja2 import BytecodeCache, Environment

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

_envs: list[Environment] = []


def environment() -> Environment:
    """The template environment. Each template's ``html`` block sits in ``{% autoescape true %}``,
    so every value there is escaped (a file may be named ``<b>.xlsx``); its subject and text are
    plain: one environment and one load of each template serve both."""
    if not _envs:
        # imported here: the kinds import this module for its wording, on every start
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        _envs.append(
            Environment(
                loader=FileSystemLoader(resources.path("templates") / "email"),
                undefined=StrictUndefined,
                keep_trailing_newline=False,
                bytecode_cache=_compiled_templates(),
            )
        )
    return _envs[0]


def _compiled_templates() -> BytecodeCache | None:
    """Compiled templates kept in jinja2's per-user cache folder, checked against each
    template's source: compiling them costs a ``silu ingest`` about as much as its form; none
    when that folder cannot be used."""
    from jinja2 import FileSystemBytecodeCache

    try:
        return FileSystemBytecodeCache(pattern="silu-reply-%s.cache")
    except (OSError, RuntimeError):  # jinja2 refuses a folder another user owns
        return None


def where(p: Problem, kind: Kind | None, language: str) -> str:
    """``工作表「出库单」F12（数量，第 3 行）：`` — the place a person looks for the problem."""
    if not p.cell:
        return ""
    label = ""
    if kind and p.field:
        try:
            f = kind.field(p.field)
            label = f.zh if language == "zh" else f.en
        except KeyError:
            label = ""
    if language == "zh":
        detail = "，".join(x for x in (label, f"第 {p.line} 行" if p.line else "") if x)
        return f"工作表「{p.sheet}」{p.cell}" + (f"（{detail}）" if detail else "") + "："
    detail = ", ".join(x for x in (label, f"line {p.line}" if p.line else "") if x)
    return f'Sheet "{p.sheet}" {p.cell}' + (f" ({detail})" if detail else "") + ": "


def describe(p: Problem, kind: Kind | None, language: str) -> str:
    return where(p, kind, language) + p.message(language)


class Attachment(NamedTuple):
    filename: str
    data: bytes


class Reply(NamedTuple):
    """One mail to one person, ready to be queued."""

    recipient: str
    subject: str
    text: str
    html: str
    purpose: str
    docno: str | None = None
    attachments: Sequence[Attachment] = ()
    #: the document whose printed customer copy this reply carries: built and attached after
    #: the form's transaction commits, outside the ledger's write lock (``pipeline.attach_printouts``)
    printout_of: str | None = None


#: the blocks of a reply's template: its subject and text are plain, its html block escapes
BLOCKS = ("subject", "text", "html")


def render(template: str, language: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from the blocks of ``template.language.j2``."""
    name = f"{template}.{language}.j2"
    t = environment().get_template(name)
    parts = ["".join(t.blocks[block](t.new_context(context))).strip() for block in BLOCKS]
    subject = " ".join(parts[0].split())
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"><title>{element_text(subject)}</title></head>'
        "<body style=\"font-family: 'Microsoft YaHei','PingFang SC',Arial,sans-serif; font-size:14px; "
        f'line-height:1.6; color:#222">{parts[2]}</body></html>'
    )
    return subject, parts[1] + "\n", html


def as_mail(
    reply: Reply,
    sender: str,
    firm_name: str,
    in_reply_to: str | None = None,
    auto: str = "auto-replied",
) -> bytes:
    """``reply`` as the bytes of one mail: text and HTML alternatives, the workbooks attached.

    Every reply has this one shape, so it is written directly (the stdlib's helpers encode the
    headers): the ``email`` generators spent 1.5–3 ms a reply, most of the time it takes to
    answer a form from a backlog. Every body part is UTF-8 base64, the subject an RFC 2047
    word, an attachment's name RFC 2231 on the disposition (the standard) and an RFC 2047 word
    on ``name`` (what Outlook and Foxmail read): 7-bit clean for any relay."""
    # imported here: the kinds, status and stock use this module's wording and send nothing
    from email.header import Header
    from email.utils import format_datetime, formataddr, make_msgid

    # boundaries from os.urandom, as secrets.token_hex makes them (without importing secrets
    # and the hmac it brings on every silu call that answers)
    mixed, alternative = (f"=_silu_{os.urandom(12).hex()}" for _ in range(2))
    # one line each: a subject or message id carrying a line break would start a new header
    subject, in_reply_to = " ".join(reply.subject.split()), " ".join((in_reply_to or "").split())
    charset = "us-ascii" if subject.isascii() else "utf-8"
    subject = Header(subject, charset, header_name="Subject").encode(linesep="\n")
    headers = [
        ("From", formataddr((firm_name, sender), charset="utf-8")),
        ("To", reply.recipient),
        ("Subject", subject),
        ("Date", format_datetime(dt.datetime.now(dt.UTC))),
        ("Message-ID", make_msgid("silu", domain=sender.split("@")[-1])),
        ("Auto-Submitted", auto),
        ("X-Auto-Response-Suppress", "All"),
        *([("In-Reply-To", in_reply_to), ("References", in_reply_to)] if in_reply_to else []),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/mixed; boundary="{mixed}"'),
    ]
    out = [f"{name}: {value}" for name, value in headers]
    out += ["", f"--{mixed}", f'Content-Type: multipart/alternative; boundary="{alternative}"', ""]
    for subtype, content in (("plain", reply.text), ("html", reply.html)):
        out += [f"--{alternative}", *_base64_part(f'text/{subtype}; charset="utf-8"', None)]
        out.append(_base64(content.encode("utf-8")))
    out.append(f"--{alternative}--")
    for a in reply.attachments:
        out += _attachment_part(mixed, a)
    out += [f"--{mixed}--", ""]
    return "\n".join(out).encode("ascii")


def _attachment_part(mixed: str, a: Attachment) -> list[str]:
    word = "=?utf-8?b?" + base64.b64encode(a.filename.encode("utf-8")).decode("ascii") + "?="
    disposition = f"attachment; filename*=utf-8''{quote(a.filename, safe='')}"
    part = _base64_part(f'{XLSX[0]}/{XLSX[1]}; name="{word}"', disposition)
    return [f"--{mixed}", *part, _base64(a.data)]


_MIXED = re.compile(rb'^Content-Type: multipart/mixed; boundary="([^"]+)"$', re.M)


def add_attachment(mail: bytes, a: Attachment) -> bytes:
    """``mail`` (written by ``as_mail``) with ``a`` attached after its other attachments; its
    headers, Message-ID and text unchanged."""
    at, part = attachment_insert(mail, a)
    return mail[:at] + part + mail[at:]


def attachment_insert(mail: bytes, a: Attachment) -> tuple[int, bytes]:
    """Where ``add_attachment`` puts ``a`` into ``mail`` (before its closing boundary) and the
    bytes it puts there: the outbox keeps a printed copy so, beside the message it joins."""
    found = _MIXED.search(mail)
    if found is None:
        raise ValueError("not a mail written by as_mail: no multipart/mixed boundary")
    closing = b"--" + found.group(1) + b"--\n"
    if not mail.endswith(closing):
        raise ValueError("not a mail written by as_mail: it does not end with its boundary")
    part = "\n".join(_attachment_part(found.group(1).decode("ascii"), a)).encode("ascii")
    return len(mail) - len(closing), part + b"\n"


def _base64_part(content_type: str, disposition: str | None) -> list[str]:
    lines = [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64"]
    if disposition:
        lines.append(f"Content-Disposition: {disposition}")
    return [*lines, ""]


def _base64(data: bytes) -> str:
    """Base64 in lines of 76 characters (RFC 2045), without the final newline."""
    return base64.encodebytes(data).decode("ascii").rstrip("\n")
