"""Replies as mail: rendered with jinja2 from templates/email (zh and en, text and HTML).

This module builds mails as bytes; it never sends. The pipeline queues them in the
ledger's outbox inside the form's own transaction, and a transport delivers them afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid
from html import escape

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from silu_sheets import resources
from silu_sheets.declare import Kind
from silu_sheets.problems import Problem

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

_envs: dict[bool, Environment] = {}


def environment(html: bool = False) -> Environment:
    """The template environment; the HTML one escapes every value (a file may be named ``<b>.xlsx``)."""
    if html not in _envs:
        _envs[html] = Environment(
            loader=FileSystemLoader(resources.path("templates") / "email"),
            autoescape=html,
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )
    return _envs[html]


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


@dataclass
class Attachment:
    filename: str
    data: bytes


@dataclass
class Reply:
    """One mail to one person, ready to be queued."""

    recipient: str
    subject: str
    text: str
    html: str
    purpose: str
    docno: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


def render(template: str, language: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from the blocks of ``template.language.j2``."""
    name = f"{template}.{language}.j2"
    parts = []
    for block, html_env in (("subject", False), ("text", False), ("html", True)):
        t = environment(html_env).get_template(name)
        parts.append("".join(t.blocks[block](t.new_context(context))).strip())
    subject = " ".join(parts[0].split())
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"><title>{escape(subject)}</title></head>'
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

    Built with the ``email.mime`` classes: three times faster than ``EmailMessage`` (whose header
    registry re-parses every header), which counts when a backlog of forms is answered. Every
    part is UTF-8 base64, the subject and names RFC 2047 words, file names RFC 2231 — 7-bit
    clean for any relay."""
    msg = MIMEMultipart("mixed")
    msg["From"] = formataddr((firm_name, sender), charset="utf-8")
    msg["To"] = reply.recipient
    # a Header is encoded as RFC 2047 words; the stubs type header values as str only
    msg["Subject"] = reply.subject if reply.subject.isascii() else Header(reply.subject, "utf-8")  # type: ignore[assignment]
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid("silu", domain=sender.split("@")[-1])
    msg["Auto-Submitted"] = auto
    msg["X-Auto-Response-Suppress"] = "All"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(reply.text, "plain", "utf-8"))
    body.attach(MIMEText(reply.html, "html", "utf-8"))
    msg.attach(body)
    for a in reply.attachments:
        part = MIMEApplication(a.data, XLSX[1])
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", a.filename))
        msg.attach(part)
    return msg.as_bytes()
