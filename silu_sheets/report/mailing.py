"""The summary workbook by mail: to every manager weekly and monthly, and on request (``REPORT``).

silu.toml::

    [report]
    weekly = "monday 08:00"    # the last full week (Monday … Sunday); "" sends none
    monthly = "1 08:00"        # day of the month and time: the last full month; "" sends none
    expiring_days = 90         # lots expiring within this many days are listed apart

Exactly once per manager and period, across restarts: each run is keyed
``("report-week", manager, "2026-W47")`` / ``("report-month", manager, "2026-10")`` — the period
the workbook covers — and recorded in ``periodic_runs`` in the transaction that queues the mail
(``schedule_runs.send_once``). A run is due from its day and time (the manager's own time zone)
until the next one; after downtime across it the missed workbook goes out once on start.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from silu_sheets import schedule_runs
from silu_sheets.report.sheets import Period

if TYPE_CHECKING:
    from silu_sheets.document import Staff
    from silu_sheets.firm import FirmFolder
    from silu_sheets.ledger.store import LedgerWriter
    from silu_sheets.pipeline import Gateway
    from silu_sheets.replies import Attachment, Reply

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class ReportSettingsError(ValueError):
    """``[report]`` in silu.toml is wrong; the message names the setting and the fix."""


@dataclass(frozen=True)
class ReportSettings:
    weekly_day: int | None = 0  # Monday; None: no weekly mail
    weekly_time: str = "08:00"
    monthly_day: int | None = 1  # None: no monthly mail
    monthly_time: str = "08:00"
    expiring_days: int = 90
    retry_minutes: float = 10.0


def load_settings(folder: FirmFolder) -> ReportSettings:
    """``[report]`` of silu.toml, every mistake named at once."""
    raw = dict(folder.settings.get("report", {}))
    problems: list[str] = []
    values: dict = {}
    known = ("weekly", "monthly", "expiring_days", "retry_minutes")
    problems += [
        f"silu.toml [report]: unknown setting {k!r}; known: {list(known)}"
        for k in raw
        if k not in known
    ]
    if "weekly" in raw:
        text = str(raw["weekly"]).strip().lower()
        if not text:
            values["weekly_day"] = None
        else:
            parts = text.split()
            day = parts[0] if parts else ""
            if len(parts) != 2 or day not in WEEKDAYS:
                problems.append(
                    f'silu.toml [report] weekly = {raw["weekly"]!r}: write a weekday and a time, like "monday 08:00"'
                )
            else:
                try:
                    schedule_runs.parse_time(parts[1])
                    values["weekly_day"], values["weekly_time"] = WEEKDAYS.index(day), parts[1]
                except ValueError as exc:
                    problems.append(f"silu.toml [report] weekly: {exc}")
    if "monthly" in raw:
        text = str(raw["monthly"]).strip()
        if not text:
            values["monthly_day"] = None
        else:
            parts = text.split()
            if len(parts) != 2 or not parts[0].isdigit() or not 1 <= int(parts[0]) <= 28:
                problems.append(
                    f'silu.toml [report] monthly = {raw["monthly"]!r}: write a day 1-28 and a time, like "1 08:00"'
                )
            else:
                try:
                    schedule_runs.parse_time(parts[1])
                    values["monthly_day"], values["monthly_time"] = int(parts[0]), parts[1]
                except ValueError as exc:
                    problems.append(f"silu.toml [report] monthly: {exc}")
    for name in ("expiring_days", "retry_minutes"):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append(f"silu.toml [report] {name}: a number ≥ 0")
            else:
                values[name] = value
    if problems:
        raise ReportSettingsError("\n".join(problems))
    return ReportSettings(**values)


def due_runs(
    now: dt.datetime | None, timezone: str, settings: ReportSettings
) -> list[tuple[str, str, Period]]:
    """The (job, period key, period) due at ``now`` for someone in ``timezone``: last week's
    workbook once this week's sending day and time have passed, last month's likewise."""
    here = schedule_runs.local_now(now, timezone)
    today, time = here.date(), here.time().replace(tzinfo=None)
    due = []
    if settings.weekly_day is not None:
        monday = today - dt.timedelta(days=today.weekday())
        send_on = monday + dt.timedelta(days=settings.weekly_day)
        if today > send_on or (
            today == send_on and time >= schedule_runs.parse_time(settings.weekly_time)
        ):
            week = Period(monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))
            due.append(("report-week", schedule_runs.period_of(week.start, "week"), week))
    if settings.monthly_day is not None:
        first = today.replace(day=1)
        send_on = first.replace(day=settings.monthly_day)
        if today > send_on or (
            today == send_on and time >= schedule_runs.parse_time(settings.monthly_time)
        ):
            last = first - dt.timedelta(days=1)
            month = Period(last.replace(day=1), last)
            due.append(("report-month", schedule_runs.period_of(month.start, "month"), month))
    return due


def workbook(gw: Gateway, period: Period, today: dt.date) -> Attachment:
    from silu_sheets.replies import Attachment
    from silu_sheets.report import report_bytes, report_filename

    return Attachment(
        report_filename(period), report_bytes(gw.firm, period, "manager", today=today)
    )


def words(person: Staff, period: Period) -> list[str]:
    """What the mail says around the attached workbook, in the manager's language."""
    if person.language == "zh":
        return [
            f"附件是 {period} 的汇总报表：总览（与上期对比）、业务员评估、销售漏斗、销售、履约、应收账龄、退货、库存、售后，"
            "以及合计背后的单据明细。每张表的第二行写明计算方法；单号可用 STATUS 单号 查询。",
            "随时发送主题为 REPORT（或“报表”）的邮件，即可收到本月至今的最新报表。",
        ]
    return [
        f"Attached is the summary workbook for {period}: overview against the previous period, salespeople, "
        "pipeline, sales, fulfilment, receivables ageing, returns, stock, service, and the documents behind the "
        "totals. Each sheet's second line says how its figures are computed; look any number up with STATUS.",
        "Mail the subject REPORT any time for the latest one (this month to date).",
    ]


def report_mail(
    gw: Gateway, person: Staff, period: Period, today: dt.date, purpose: str, title: str
) -> Reply:
    """A manager's mail with the workbook of ``period`` attached."""
    from silu_sheets.mail.commands import notice

    return notice(
        gw, person, title, words(person, period), [], [workbook(gw, period, today)], purpose=purpose
    )


def queue(gw: Gateway, writer: LedgerWriter, mail: Reply) -> int:
    """Queue a scheduled workbook: mail nobody asked for just now (Auto-Submitted)."""
    from silu_sheets.replies import as_mail

    data = as_mail(mail, gw.firm.firm.mailbox, gw.firm.firm.name, auto="auto-generated")
    return writer.queue_mail(mail.recipient, mail.subject, mail.purpose, data, None)


@dataclass
class ReportRuns:
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    already: list[tuple[str, str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)


def managers(gw: Gateway) -> list[Staff]:
    return [s for s in gw.roster.staff.values() if s.manager and gw.roster.sees_prices(s)]


def send_reports(
    gw: Gateway, settings: ReportSettings | None = None, now: dt.datetime | None = None
) -> ReportRuns:
    """Queue every weekly and monthly workbook that is due and not yet sent, once per manager
    and period; a failure is logged and tried again at the next sweep."""
    settings = settings or load_settings(gw.firm)
    runs = ReportRuns()
    for person in managers(gw):
        timezone = person.timezone or gw.firm.firm.timezone
        for job, key, period in due_runs(now, timezone, settings):
            today = schedule_runs.local_now(now, timezone).date()
            word = (
                ("周报" if job == "report-week" else "月报")
                if person.language == "zh"
                else ("Weekly summary" if job == "report-week" else "Monthly summary")
            )

            def build(
                person: Staff = person,
                period: Period = period,
                today: dt.date = today,
                title: str = f"{word} {period}",
                purpose: str = f"report:{job}",
            ) -> Reply:
                return report_mail(gw, person, period, today, purpose, title)

            try:
                outcome = schedule_runs.send_once(
                    gw.ledger, job, person.address, key, build, lambda w, m: queue(gw, w, m)
                )
            except Exception:  # noqa: BLE001 - one manager's workbook must not stop the others
                log.exception("%s for %s (%s) failed; tried again later", job, person.address, key)
                runs.failed.append((job, person.address, key))
                continue
            (runs.sent if outcome == "sent" else runs.already).append((job, person.address, key))
    return runs


def add_to(
    timetable: schedule_runs.Timetable, gw: Gateway, settings: ReportSettings | None = None
) -> None:
    """``silu serve``: a sweep at each sending time, every ``retry_minutes`` and once on start;
    each sweep sends only what is due and not yet sent."""
    settings = settings or load_settings(gw.firm)
    if settings.weekly_day is None and settings.monthly_day is None:
        return
    zones = {p.timezone or gw.firm.firm.timezone for p in managers(gw)}
    for zone in sorted(zones):
        for at in {settings.weekly_time, settings.monthly_time}:
            timetable.daily(
                at, zone, lambda: send_reports(gw, settings), f"summary workbooks {zone} {at}"
            )
    timetable.every_minutes(
        settings.retry_minutes, lambda: send_reports(gw, settings), "summary workbooks"
    )
    timetable.on_start(lambda: send_reports(gw, settings), "summary workbooks on start")
