"""Replies as mail: rendered with jinja2 from templates/email (zh and en, text and HTML).

This module builds ``EmailMessage`` objects; it never sends. The pipeline queues them in the
ledger's outbox inside the form's own transaction, and a transport delivers them afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
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


def to_message(
    reply: Reply,
    sender: str,
    firm_name: str,
    in_reply_to: str | None = None,
    auto: str = "auto-replied",
) -> EmailMessage:
    domain = sender.split("@")[-1]
    msg = EmailMessage()
    msg["From"] = formataddr((firm_name, sender))
    msg["To"] = reply.recipient
    msg["Subject"] = reply.subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid("silu", domain=domain)
    msg["Auto-Submitted"] = auto
    msg["X-Auto-Response-Suppress"] = "All"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(reply.text)
    msg.add_alternative(reply.html, subtype="html")
    for a in reply.attachments:
        msg.add_attachment(a.data, maintype=XLSX[0], subtype=XLSX[1], filename=a.filename)
    return msg
