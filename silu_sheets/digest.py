"""Daily reminder mails (每日提醒): each person's to-do list by mail, once a day, exactly once.

- ``send_digests`` queues the digest of everyone whose digest time has come today in their own
  time zone (roster ``timezone``, else the firm's) and who has not had today's: the run is
  recorded in ``periodic_runs`` in the transaction that queues the mail
  (``schedule_runs.send_once``). So a restart sends nothing twice, and after downtime across the
  digest time the missed digest goes out once on start. One person's failure is logged and
  retried at the next sweep; the others are still sent.
- ``timetable`` wakes ``silu serve`` at each person's time (the ``schedule`` library), sweeps
  again every ``retry_minutes`` and once on start.
- A digest is the list in words (HTML and text, the person's language), the list as a workbook,
  and a follow-up form pre-filled with the inquiry for each follow-up due. Nothing due: no mail,
  unless ``mail_when_nothing_due``. ``TODO`` (待办) by mail answers with the same list, any time.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from silu_sheets import schedule_runs
from silu_sheets.reminders import ReminderSettings, TodoList, describe, load_settings, todo_list
from silu_sheets.replies import Attachment, Reply, as_mail, render

if TYPE_CHECKING:
    from silu_sheets.document import Staff
    from silu_sheets.ledger.store import LedgerWriter
    from silu_sheets.pipeline import Gateway

log = logging.getLogger(__name__)

JOB = "digest"
#: at most this many pre-filled follow-up forms ride on one mail; the list names the rest
MAX_FORMS = 20
#: at most this many lines a section in the mail itself; the workbook holds every one
MAX_LINES = 30


def timezone_of(gw: Gateway, person: Staff) -> str:
    return person.timezone or gw.firm.firm.timezone


def today_of(gw: Gateway, person: Staff, now: dt.datetime | None = None) -> dt.date:
    """The person's calendar day at ``now`` (default the clock), in their own time zone."""
    return schedule_runs.local_now(now, timezone_of(gw, person)).date()


def follow_up_forms(todo: TodoList) -> list[Attachment]:
    """A follow-up form per follow-up due, its inquiry already written in."""
    from silu_sheets.kinds import KINDS
    from silu_sheets.workbook import fill

    kind = KINDS["follow_up"]
    due = [r for r in todo.reminders if r.section == "follow_up_due"]
    return [
        Attachment(
            f"follow_up-{kind.zh}-{r.docno}.xlsx", fill.filled(kind, {"inquiry_no": r.docno})
        )
        for r in due[:MAX_FORMS]
    ]


def workbook_name(todo: TodoList) -> str:
    zh = todo.person.language == "zh"
    return f"{'待办' if zh else 'todo'}-{todo.today.isoformat()}.xlsx"


def reply(gw: Gateway, todo: TodoList, purpose: str = "digest") -> Reply:
    """The list as a mail: sections in words, the workbook, pre-filled follow-up forms."""
    from silu_sheets.workbook import todo as todo_workbook

    language = todo.person.language
    zh = language == "zh"
    manager_view = todo.person.manager
    sections = [
        {
            "heading": todo.heading(key, language),
            "count": len(items),
            "rows": [
                {
                    "line": describe(r, language, with_salesperson=manager_view),
                    "overdue": r.overdue,
                }
                for r in items[:MAX_LINES]
            ],
            "more": max(0, len(items) - MAX_LINES),
        }
        for key, items in todo.sections()
    ]
    attachments: list[Attachment] = []
    # pre-filled forms only for who may send them (as a confirmation's next forms)
    forms = follow_up_forms(todo) if gw.roster.may_send(todo.person, "follow_up") else []
    if not todo.empty:
        attachments.append(
            Attachment(workbook_name(todo), todo_workbook.to_bytes(todo, gw.firm.firm.name))
        )
    attachments += forms
    steps = []
    if forms:
        steps.append(
            f"附件里有 {len(forms)} 张已预填咨询单号的咨询跟进单：跟进客户后填写，直接回复本邮件发回即可。"
            if zh
            else f"{len(forms)} follow-up form(s) are attached with the inquiry already filled in: "
            "after talking to the customer, fill one in and send it back by replying to this mail."
        )
    due_follow_ups = sum(1 for r in todo.reminders if r.section == "follow_up_due")
    if due_follow_ups > len(forms):
        steps.append(
            f"另有 {due_follow_ups - len(forms)} 项跟进未附表格，发送主题 TEMPLATE 咨询跟进单 可取空白表。"
            if zh
            else f"{due_follow_ups - len(forms)} more follow-up(s) have no form attached; "
            "mail the subject TEMPLATE follow_up for a blank one."
        )
    steps.append(
        "随时发送主题为 TODO（或“待办”）的邮件，即可收到最新的待办清单。"
        if zh
        else "Mail the subject TODO any time for your latest list."
    )
    context = {
        "person": todo.person.name,
        "date": todo.today.isoformat(),
        "total": len(todo.reminders),
        "overdue": todo.overdue,
        "due_today": todo.due_today,
        "sections": sections,
        "workbook": attachments[0].filename if not todo.empty else "",
        "steps": steps,
        "administrator": gw.firm.administrator or gw.firm.firm.mailbox,
    }
    subject, text, html = render("digest", language, context)
    return Reply(todo.person.address, subject, text, html, purpose, None, attachments)


def todo_reply(gw: Gateway, person: Staff, now: dt.datetime | None = None) -> Reply:
    """The ``TODO`` command's answer: the person's list today, the same mail as the digest."""
    todo = todo_list(
        gw.ledger.view, gw.roster, person, today_of(gw, person, now), load_settings(gw.firm)
    )
    return reply(gw, todo, purpose="command:todo")


def queue(gw: Gateway, writer: LedgerWriter, mail: Reply) -> int:
    """Queue a digest; it is mail nobody asked for just now: Auto-Submitted auto-generated."""
    data = as_mail(mail, gw.firm.firm.mailbox, gw.firm.firm.name, auto="auto-generated")
    return writer.queue_mail(mail.recipient, mail.subject, mail.purpose, data, None)


@dataclass
class DigestReport:
    sent: list[str] = field(default_factory=list)
    nothing_due: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    not_yet: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_digests(
    gw: Gateway,
    settings: ReminderSettings | None = None,
    now: dt.datetime | None = None,
    only: str | None = None,
    on_time: bool = True,
    day: dt.date | None = None,
) -> DigestReport:
    """Queue today's digest for each person (or ``only`` one) whose digest is due and not yet
    sent. ``on_time=False`` (``silu remind --send``, run by cron at its own time) does not wait
    for the digest time; ``day`` names the day instead of each person's today. Each person in
    their own transaction: a failure is logged and left for the next sweep."""
    settings = settings or load_settings(gw.firm)
    report = DigestReport()
    people = [gw.roster.find(only)] if only else list(gw.roster.staff.values())
    for person in people:
        if person is None or not person.digest:
            continue  # not on the roster, or asked for no daily mail (staff.toml digest = false)
        tz = timezone_of(gw, person)
        if day is not None:
            period: str | None = day.isoformat()
        elif on_time:
            period = schedule_runs.due_period(now, tz, settings.digest_time, "day")
        else:
            period = schedule_runs.period_of(today_of(gw, person, now), "day")
        if period is None:
            report.not_yet.append(person.address)
            continue
        today = dt.date.fromisoformat(period)

        def build(person: Staff = person, today: dt.date = today) -> Reply | None:
            todo = todo_list(gw.ledger.view, gw.roster, person, today, settings)
            if todo.empty and not settings.mail_when_nothing_due:
                return None
            return reply(gw, todo)

        try:
            outcome = schedule_runs.send_once(
                gw.ledger, JOB, person.address, period, build, lambda w, m: queue(gw, w, m)
            )
        except Exception:  # noqa: BLE001 - one person's digest must not stop the others
            log.exception("digest for %s (%s) failed; tried again later", person.address, period)
            report.failed.append(person.address)
            continue
        {"sent": report.sent, "nothing": report.nothing_due, "already": report.already}[
            outcome
        ].append(person.address)
        if outcome == "sent":
            log.info("digest for %s (%s) queued", person.address, period)
    return report


def timetable(gw: Gateway, settings: ReminderSettings | None = None) -> schedule_runs.Timetable:
    """``silu serve``'s timetable: each person's digest at their time in their zone, a sweep every
    ``retry_minutes`` (what failed, what came due while down) and one on start."""
    settings = settings or load_settings(gw.firm)
    table = schedule_runs.Timetable()
    if not settings.daily_digest:
        return table  # the firm asked for none: nothing on the timetable
    for person in gw.roster.staff.values():
        table.daily(
            settings.digest_time,
            timezone_of(gw, person),
            functools.partial(send_digests, gw, settings, only=person.address),
            f"digest {person.address}",
        )
    table.every_minutes(settings.retry_minutes, lambda: send_digests(gw, settings), "digests")
    table.on_start(lambda: send_digests(gw, settings), "digests on start")
    return table
