"""One pass over a mailbox: every mail handled exactly once, answered once, then moved.

For each mail, in arrival order:

1. Already handled? Known by (mailbox, UIDVALIDITY, UID), or by its Message-ID *and* content (a
   UIDVALIDITY change renumbers everything; a client may deliver the same mail twice; a careless
   one reuses a Message-ID for another mail, which is a new mail): only moved.
2. Never answered: bounces, auto-replies, bulk mail, our own address (RFC 3834: answering them
   starts mail loops); unknown senders (no backscatter: nothing recorded, no reply, logged);
   senders our receiving server did not authenticate (``authserv_id``). All moved to Ignored
   or Rejected and logged.
3. Rate limit per sender: past ``rate_limit_per_hour`` mails that *arrived* within the hour
   before this one, a mail is set aside (Ignored) and the sender told once per hour — a runaway
   script cannot flood the ledger, and mails that waited out an outage are not set aside.
4. Each form attachment goes through ``pipeline.ingest`` in its own transaction. A form already
   recorded from this mail (same ``Incoming.key``, same sha256) is skipped: that is a pass that
   crashed midway.
5. The replies of a mail are one reply. The pipeline queues each form's replies as ``held``
   for this mail inside that form's own transaction; a last small transaction merges the held
   replies to the sender into one mail (other people's, e.g. a warehouse copy, are released as
   they are) and records the mail as handled. Why this order: a crash after any form leaves its
   reply safely held, never sent twice nor lost, and the next pass skips the recorded forms and
   finishes the merge; nothing is sent before the last form is done. A quote's or contract's
   confirmation is queued as ``printing``: a mail of one form releases it still ``printing``
   and its copy is attached after (``pipeline.attach_printouts``; in a backlog by the printer
   process, ``mail/printer.py``, while the pass goes on); replies merged into one get their
   copies first, built outside the write lock (``pipeline.printed_copies``) and attached in the
   release's transaction, with any a killed pass left waiting.
6. Only after that commit is the mail moved to Processed (something recorded), Rejected
   (every form refused) or Ignored. A crash before the move just moves it next pass.
7. A full disk stops the pass: the mail stays in the inbox unmoved, the administrator gets one
   line (``PassReport.stopped``), and the next pass with space handles it once.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from silu_sheets.crashpoints import crash_point
from silu_sheets.document import Staff
from silu_sheets.duplicates import already_recorded, earlier_copy
from silu_sheets.ledger.store import DISK_FULL_LINE, Source, disk_full, now
from silu_sheets.mail import commands, message
from silu_sheets.mail.message import Incoming
from silu_sheets.mail.settings import MailSettings
from silu_sheets.pipeline import (
    PRINTING,
    Gateway,
    Outcome,
    ingest,
    printed_copies,
    store_copies,
)
from silu_sheets.replies import Attachment, Reply, as_mail

log = logging.getLogger(__name__)

PROCESSED, REJECTED, IGNORED = "Processed", "Rejected", "Ignored"
FETCH_BATCH = 50


class Mailbox(Protocol):
    """What the gateway needs of a mailbox: the IMAP one, the local Maildir, the drop folder."""

    name: str

    def uidvalidity(self) -> str: ...

    def uids(self) -> list[str]: ...

    def fetch(self, uids: Iterable[str]) -> Iterator[tuple[str, bytes]]: ...

    def move(self, uid: str, folder: str) -> None: ...


@dataclass
class Handled:
    """What became of one mail."""

    uid: str
    folder: str
    sender: str
    reason: str
    outcomes: list[Outcome] = field(default_factory=list)
    reply_ids: list[int] = field(default_factory=list)


@dataclass
class PassReport:
    handled: list[Handled] = field(default_factory=list)
    already: int = 0
    failed: list[str] = field(default_factory=list)
    #: why the pass stopped early (the disk is full), for the administrator; "" when it did not
    stopped: str = ""

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for h in self.handled for o in h.outcomes]


def run_pass(
    gw: Gateway, mailbox: Mailbox, settings: MailSettings, on_handled=None, batch: int = FETCH_BATCH
) -> PassReport:
    """Handle every mail in ``mailbox`` once; see the module docstring for the rules."""
    report = PassReport()
    uidvalidity = mailbox.uidvalidity()
    uids = mailbox.uids()
    done = _handled_folders(gw, mailbox.name, uidvalidity, uids)
    for uid, folder in done.items():
        mailbox.move(uid, folder)  # handled before, the move did not happen (crash, drop)
        report.already += 1
    pending = [u for u in uids if u not in done]
    for start in range(0, len(pending), batch):
        moves: dict[str, list[str]] = {}
        for uid, raw in mailbox.fetch(pending[start : start + batch]):
            crash_point("after-fetch")
            try:
                handled = handle(gw, settings, raw, mailbox.name, uidvalidity, uid)
            except Exception as exc:  # noqa: BLE001 - one mail that breaks the gateway must not stop the others
                # a full disk: every mail behind it would fail the same way, so stop here
                if disk_full(exc, gw.ledger.path.parent):
                    report.stopped = DISK_FULL_LINE.format(where=gw.firm.root)
                    log.error("%s; mail UID %s left in %s", report.stopped, uid, mailbox.name)
                    break
                # left in the inbox, unmoved: the next pass tries it again (its forms that did
                # commit are skipped then); the trace goes to the log for the administrator
                log.exception(
                    "mail UID %s in %s could not be handled; left in the inbox", uid, mailbox.name
                )
                report.failed.append(uid)
                continue
            moves.setdefault(handled.folder, []).append(uid)
            report.handled.append(handled)
            if on_handled:
                on_handled(handled)
        # moved after their commits, a batch at a time (one UID MOVE per folder, not per mail);
        # a crash before the move only means the next pass moves them (known as handled)
        crash_point("before-move")
        for folder, moved in moves.items():
            _move_many(mailbox, moved, folder)
        if report.stopped:
            break
    return report


def _move_many(mailbox: Mailbox, uids: list[str], folder: str) -> None:
    move_many = getattr(mailbox, "move_many", None)
    if move_many is not None:
        move_many(uids, folder)
    else:
        for uid in uids:
            mailbox.move(uid, folder)


def _handled_folders(
    gw: Gateway, mailbox: str, uidvalidity: str, uids: list[str]
) -> dict[str, str]:
    found: dict[str, str] = {}
    db = gw.ledger.db
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for uid, outcome in db.execute(
            f"SELECT uid, outcome FROM handled_messages WHERE mailbox = ? AND uidvalidity = ? AND uid IN ({marks})",
            [mailbox, uidvalidity, *chunk],
        ).fetchall():
            found[uid] = folder_for(outcome)
    return found


def folder_for(outcome: str) -> str:
    return {"processed": PROCESSED, "command": PROCESSED, "rejected": REJECTED}.get(
        outcome, IGNORED
    )


def handle(
    gw: Gateway, settings: MailSettings, raw: bytes, mailbox: str, uidvalidity: str, uid: str
) -> Handled:
    """Decide about one mail and do it; returns the folder it belongs in."""
    own = (
        gw.firm.firm.mailbox,
        *([settings.imap.user.lower()] if settings.imap and settings.imap.user else []),
    )
    incoming = message.parse(raw, own_addresses=own)
    sender = incoming.sender
    db = gw.ledger.db
    row = db.execute(
        "SELECT outcome, forms FROM handled_messages WHERE message_id = ?"
        " AND (mail_key = ? OR mail_key IS NULL) ORDER BY id LIMIT 1",
        [incoming.message_id, incoming.key],
    ).fetchone()
    if row:
        # the same mail under a new UID (UIDVALIDITY change, delivered twice): record nothing again
        with gw.ledger.transaction():
            _mark(gw, mailbox, uidvalidity, uid, incoming, row[0], row[1])
        log.info("mail %s from %s already handled (%s)", incoming.message_id, sender, row[0])
        return Handled(uid, folder_for(row[0]), sender, "already handled")
    if incoming.automatic:
        log.info("mail from %s is automatic (%s): not answered", sender or "<>", incoming.automatic)
        return Handled(uid, IGNORED, sender, incoming.automatic)
    person = gw.roster.find(sender)
    if person is None:
        # no backscatter: strangers get no reply, and nothing of theirs is recorded
        log.warning(
            "mail from unknown sender %s (%s, %d form(s)) ignored",
            sender,
            incoming.message_id,
            len(incoming.forms),
        )
        return Handled(uid, IGNORED, sender, "unknown sender")
    if incoming.authenticated(settings.authserv_id) is False:
        log.warning(
            "mail claiming to be from %s not authenticated by %s (%s): refused, not answered",
            sender,
            settings.authserv_id,
            incoming.message_id,
        )
        return Handled(uid, REJECTED, sender, "not authenticated")
    if _over_rate_limit(gw, incoming, settings.rate_limit_per_hour):
        return _rate_limited(gw, settings, incoming, person, mailbox, uidvalidity, uid)
    if not incoming.forms:
        return _without_forms(gw, incoming, person, mailbox, uidvalidity, uid)
    return handle_forms(gw, incoming, person, mailbox, uidvalidity, uid)


def _mark(
    gw: Gateway,
    mailbox: str,
    uidvalidity: str,
    uid: str,
    incoming: Incoming,
    outcome: str,
    forms: int,
) -> None:
    gw.ledger.db.execute(
        "INSERT OR IGNORE INTO handled_messages (mailbox, uidvalidity, uid, message_id, sender,"
        " outcome, forms, handled_at, content_sha256, mail_key, arrived_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            mailbox,
            uidvalidity,
            uid,
            incoming.message_id,
            incoming.sender,
            outcome,
            forms,
            now(),
            incoming.content_sha256,
            incoming.key,
            arrived(incoming),
        ],
    )


def arrived(incoming: Incoming) -> str:
    """When the mail reached our server (its topmost Received header), never later than now."""
    stamp = now()
    return min(incoming.arrived_at, stamp) if incoming.arrived_at else stamp


def _hour_before(incoming: Incoming) -> tuple[str, str]:
    until = arrived(incoming)
    since = dt.datetime.fromisoformat(until) - dt.timedelta(hours=1)
    return since.isoformat(timespec="seconds"), until


#: a sender's mails that arrived between two times, with one more condition on their outcome;
#: those handled before arrival times were kept are counted by when they were handled. Both
#: halves search the arrival index: the second finds only such old rows, never every mail the
#: sender had handled within the hour (the index by handling time held all of them)
WITHIN_THE_HOUR = (
    "SELECT 1 FROM handled_messages INDEXED BY handled_by_arrival"
    " WHERE sender = ? AND arrived_at BETWEEN ? AND ? AND {outcome}"
    " UNION ALL SELECT 1 FROM handled_messages INDEXED BY handled_by_arrival"
    " WHERE sender = ? AND arrived_at IS NULL AND handled_at BETWEEN ? AND ? AND {outcome}"
)


def _within_the_hour(incoming: Incoming) -> list[str]:
    since, until = _hour_before(incoming)
    return [incoming.sender, since, until] * 2


def _over_rate_limit(gw: Gateway, incoming: Incoming, limit: int) -> bool:
    """Counted by arrival: after an outage, mails that arrived hours apart are not a flood.
    Counted up to the limit only: a busy sender's hour is not read whole for every mail."""
    rows = WITHIN_THE_HOUR.format(outcome="outcome != 'rate-limited'")
    (count,) = gw.ledger.db.execute(
        f"SELECT count(*) FROM ({rows} LIMIT ?)", [*_within_the_hour(incoming), limit]
    ).fetchone()
    return count >= limit


def _rate_limited(
    gw: Gateway,
    settings: MailSettings,
    incoming: Incoming,
    person: Staff,
    mailbox: str,
    uidvalidity: str,
    uid: str,
) -> Handled:
    rows = WITHIN_THE_HOUR.format(outcome="outcome = 'rate-limited'")
    told = gw.ledger.db.execute(f"{rows} LIMIT 1", _within_the_hour(incoming)).fetchone()
    log.warning(
        "%s sent more than %d mails within an hour: %s set aside",
        incoming.sender,
        settings.rate_limit_per_hour,
        incoming.message_id,
    )
    ids = []
    with gw.ledger.transaction() as writer:
        _mark(gw, mailbox, uidvalidity, uid, incoming, "rate-limited", len(incoming.forms))
        if not told:
            zh = person.language == "zh"
            reply = commands.notice(
                gw,
                person,
                "邮件过多，已暂停处理" if zh else "Too many mails: set aside",
                [
                    f"一小时内您发来的邮件超过 {settings.rate_limit_per_hour} 封，之后的邮件（从“{incoming.subject}”起）暂不处理，也不会登记。"
                    if zh
                    else f'You sent more than {settings.rate_limit_per_hour} mails within an hour; later mails (from "{incoming.subject}" on) are set aside, nothing in them recorded.'
                ],
                next_step="一小时后把需要登记的表格重新发送一次；如属异常请联系管理员。"
                if zh
                else "Send the forms again in an hour; if this is unexpected, tell the administrator.",
                purpose="rate-limit",
            )
            ids.append(_queue(gw, writer, reply, incoming))
    return Handled(uid, IGNORED, incoming.sender, "rate-limited", reply_ids=ids)


def _queue(
    gw: Gateway, writer, reply: Reply, incoming: Incoming, auto: str = "auto-replied"
) -> int:
    msg = as_mail(
        reply,
        gw.firm.firm.mailbox,
        gw.firm.firm.name,
        in_reply_to=incoming.message_id if incoming.has_message_id else None,
        auto=auto,
    )
    return writer.queue_mail(reply.recipient, reply.subject, reply.purpose, msg, reply.docno)


def _without_forms(
    gw: Gateway, incoming: Incoming, person: Staff, mailbox: str, uidvalidity: str, uid: str
) -> Handled:
    zh = person.language == "zh"
    parsed = commands.parse_command(incoming.subject)
    if parsed:
        reply = commands.answer(gw, person, *parsed)
        outcome, folder = "command", PROCESSED
    else:
        paragraphs = [
            "这封邮件里没有表格（.xlsx），没有登记任何内容。"
            if zh
            else "This mail carried no form (.xlsx); nothing was recorded."
        ]
        if incoming.ignored:
            paragraphs.append(
                "以下附件不是表格，已忽略："
                if zh
                else "These attachments are not forms and were ignored:"
            )
        reply = commands.notice(
            gw,
            person,
            "未找到表格" if zh else "No form found",
            paragraphs,
            incoming.ignored,
            next_step="把填好的表格作为附件发送；邮件主题写 HELP 可获取说明和全部空白模板。"
            if zh
            else "Attach the filled form and send it again; mail the subject HELP for instructions and blank templates.",
            purpose="no-form",
        )
        outcome, folder = "no-form", IGNORED
    with gw.ledger.transaction() as writer:
        _mark(gw, mailbox, uidvalidity, uid, incoming, outcome, 0)
        reply_id = _queue(gw, writer, reply, incoming)
    return Handled(uid, folder, incoming.sender, outcome, reply_ids=[reply_id])


def handle_forms(
    gw: Gateway,
    incoming: Incoming,
    person: Staff,
    mailbox: str,
    uidvalidity: str,
    uid: str,
    channel: str = "mail",
) -> Handled:
    key = incoming.key
    # a mail of one form is finished in that form's own transaction (its reply released, the
    # mail marked handled): one commit a mail. Several forms' replies merge into one reply,
    # which needs their printed copies first, built outside the write lock: finished after.
    alone = len(incoming.forms) == 1 and not incoming.ignored
    finished: list[tuple[list[int], str]] = []

    def finish(writer) -> None:
        finished[:] = [_finish(gw, writer, incoming, person, (mailbox, uidvalidity, uid))]

    held = replace(gw, held_for=key, finish=finish if alone else None)
    db = gw.ledger.db
    outcomes: list[Outcome] = []
    for form in incoming.forms:
        done = db.execute(
            "SELECT 1 FROM sources WHERE mail_key = ? AND attachment_sha256 = ? LIMIT 1",
            [key, form.sha256],
        ).fetchone()
        if done:
            log.info("form %s of %s was recorded by an earlier pass: skipped", form.name, key)
            continue
        source = Source(
            channel, person.address, form.sha256, form.name, incoming.message_id, mail_key=key
        )
        earlier = earlier_copy(gw, form.sha256, person.address)
        if earlier:
            in_reply_to = incoming.message_id if incoming.has_message_id else None
            outcomes.append(already_recorded(held, person, source, *earlier, in_reply_to))
            continue
        outcomes.append(
            ingest(
                held,
                form.data,
                form.name,
                person.address,
                channel=channel,
                message_id=incoming.message_id,
                sha256=form.sha256,
            )
        )
    marked = (
        finished
        and db.execute(  # finished with its form, if that commit went through
            "SELECT 1 FROM handled_messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
            [mailbox, uidvalidity, uid],
        ).fetchone()
    )
    if marked:
        reply_ids, outcome = finished[0]
    else:
        # one form's reply goes as it is: released still waiting for its printed copy,
        # attached after (attach_printouts; in a backlog by the printer process,
        # mail/printer.py). Replies merged into one need theirs first: built outside the
        # write lock, stored in the release
        copies = [] if alone else printed_copies(gw, key)
        with gw.ledger.transaction() as writer:
            store_copies(writer, copies)
            reply_ids, outcome = _finish(gw, writer, incoming, person, (mailbox, uidvalidity, uid))
    return Handled(uid, folder_for(outcome), incoming.sender, outcome, outcomes, reply_ids)


def _finish(
    gw: Gateway, writer, incoming: Incoming, person: Staff, where: tuple[str, str, str]
) -> tuple[list[int], str]:
    """The last step of a mail, in ``writer``'s transaction: its held replies released, the
    mail marked handled (processed when any form of it is recorded, else rejected)."""
    key = incoming.key
    reply_ids = _release(gw, writer, incoming, person, key)
    recorded = writer.db.execute(
        "SELECT count(*) FROM sources s WHERE s.mail_key = ?"
        " AND NOT EXISTS (SELECT 1 FROM rejections j WHERE j.source_id = s.id)",
        [key],
    ).fetchone()[0]
    outcome = "processed" if recorded else "rejected"
    _mark(gw, *where, incoming, outcome, len(incoming.forms))
    return reply_ids, outcome


def _release(gw: Gateway, writer, incoming: Incoming, person: Staff, key: str) -> list[int]:
    """Send the held replies of one mail: the sender's merged into one, the others as they are."""
    rows = writer.db.execute(
        "SELECT id, recipient, purpose, message, docno FROM outbox"
        " JOIN outbox_messages ON outbox_id = id WHERE held_for = ? AND status = 'held' ORDER BY id",
        [key],
    ).fetchall()
    mine = [
        r
        for r in rows
        if r[1] == person.address and r[2] in ("confirmation", "rejection", "duplicate")
    ]
    others = [r for r in rows if r not in mine]
    waiting = writer.db.execute(  # their printed copy still to come: then queued
        f"UPDATE outbox SET held_for = NULL WHERE held_for = ? AND status = '{PRINTING}'"
        " RETURNING id",
        [key],
    ).fetchall()
    ids = [w[0] for w in waiting]
    if others:
        marks = ",".join("?" * len(others))
        writer.db.execute(
            f"UPDATE outbox SET status = 'queued' WHERE id IN ({marks})", [r[0] for r in others]
        )
        ids += [r[0] for r in others]
    if len(mine) == 1 and not incoming.ignored:
        writer.db.execute("UPDATE outbox SET status = 'queued' WHERE id = ?", [mine[0][0]])
        return [mine[0][0], *ids]
    if not mine:
        return ids
    reply = merged_reply(gw, person, [(r[2], r[3], r[4]) for r in mine], incoming.ignored)
    ids.insert(0, _queue(gw, writer, reply, incoming))
    marks = ",".join("?" * len(mine))
    writer.db.execute(
        f"UPDATE outbox SET status = 'merged' WHERE id IN ({marks})", [r[0] for r in mine]
    )
    return ids


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)


def merged_reply(
    gw: Gateway, person: Staff, parts: list[tuple[str, bytes, str | None]], ignored: list[str]
) -> Reply:
    """One reply for several forms: a summary line, then each form's own answer in turn, with
    every attachment (marked workbooks, next forms) — what the sender would get form by form."""
    zh = person.language == "zh"
    accepted = sum(1 for purpose, _, _ in parts if purpose == "confirmation")
    refused = len(parts) - accepted
    texts, htmls, attachments = [], [], []
    names: set[str] = set()
    for n, (_purpose, raw, _docno) in enumerate(parts, start=1):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(msg["Subject"])
        plain = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        head = f"【{n}/{len(parts)}】{subject}" if zh else f"[{n}/{len(parts)}] {subject}"
        texts.append(f"{head}\n\n{plain.get_content().strip() if plain else ''}")
        inner = html.get_content() if html else ""
        m = _BODY.search(inner)
        htmls.append(f'<h3 style="margin:18px 0 6px">{_escape(head)}</h3>{m.group(1) if m else ""}')
        for a in msg.iter_attachments():
            name = a.get_filename() or "form.xlsx"
            stem, dot, ext = name.rpartition(".")
            unique, i = name, 2
            while unique in names:
                unique = f"{stem} ({i}).{ext}" if dot else f"{name} ({i})"
                i += 1
            names.add(unique)
            attachments.append(Attachment(unique, a.get_content()))
    if len(parts) == 1:
        subject = str(email.message_from_bytes(parts[0][1], policy=email.policy.default)["Subject"])
        intro = ""
    elif zh:
        subject = f"{len(parts)} 张表：{accepted} 张已登记，{refused} 张未登记"
        intro = f"您这封邮件带了 {len(parts)} 张表，每张单独检查：{accepted} 张已登记，{refused} 张未登记。逐张说明如下。"
    else:
        subject = f"{len(parts)} forms: {accepted} recorded, {refused} not recorded"
        intro = f"Your mail carried {len(parts)} forms, each checked on its own: {accepted} recorded, {refused} not recorded. Each is answered below."
    note = ""
    if ignored:
        note = (
            "以下附件不是表格，已忽略："
            if zh
            else "These attachments are not forms and were ignored: "
        ) + ("、" if zh else ", ").join(ignored)
    text = "\n\n".join(x for x in (intro, note, *texts) if x) + "\n"
    sep = '<hr style="border:0;border-top:1px solid #ddd">'
    body = "".join(f"<p>{_escape(x)}</p>" for x in (intro, note) if x) + sep.join(htmls)
    html_doc = (
        f'<!DOCTYPE html><html lang="{person.language}"><head><meta charset="utf-8"><title>{_escape(subject)}</title></head>'
        "<body style=\"font-family: 'Microsoft YaHei','PingFang SC',Arial,sans-serif; font-size:14px; "
        f'line-height:1.6; color:#222">{body}</body></html>'
    )
    purpose = "confirmation" if not refused else ("rejection" if not accepted else "combined")
    docnos = [d for _, _, d in parts if d]
    return Reply(
        person.address,
        subject,
        text,
        html_doc,
        purpose,
        docnos[0] if len(docnos) == 1 else None,
        attachments,
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
