"""Mail that goes out on a timetable (daily digests, weekly and monthly manager workbooks), each
exactly once per person and period, across restarts and downtime.

The rule, in one place:

- A run is keyed ``(job, person, period)``: ``("digest", "li.na@firm.test", "2026-11-29")``,
  ``("report", "wang.qiang@firm.test", "2026-W48")``. The ``periodic_runs`` ledger row is written
  in the same transaction that queues the mail in the outbox (``send_once``), so a run is either
  done and its mail queued, or neither. A second process, or a restart, finds the row and sends
  nothing.
- A period is due once its time has come in the person's own time zone (``due_period``): the
  digest of 29 November at 08:30 Shanghai time is due from then until the end of that day.
  Whatever is due and not yet run is run — so after downtime across the time the missed run is
  made once on start, and a run that failed (its transaction rolled back) is tried again later.
- ``Timetable`` wakes ``silu serve`` at each person's time with the ``schedule`` library; the job
  functions it calls must be "run what is due" (idempotent), never "run now".

Example::

    period = due_period(now, "Asia/Shanghai", "08:30", "day")   # "2026-11-29" or None
    if period:
        send_once(ledger, "digest", person, period, build, queue)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import schedule as schedule_lib

    from silu_sheets.ledger.store import Ledger, LedgerView, LedgerWriter

log = logging.getLogger(__name__)

Cadence = Literal["day", "week", "month"]
T = TypeVar("T")


def parse_time(text: str) -> dt.time:
    """``"08:30"`` → 08:30; anything else is a ``ValueError`` naming the expected shape."""
    try:
        hours, minutes = text.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{text!r} is not a time of day like 08:30") from exc


def period_of(day: dt.date, cadence: Cadence) -> str:
    """The key of the period holding ``day``: ``2026-11-29``, ``2026-W48`` (ISO week), ``2026-11``."""
    if cadence == "day":
        return day.isoformat()
    if cadence == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def period_start(day: dt.date, cadence: Cadence) -> dt.date:
    """The first day of the period holding ``day`` (a Monday for weeks, the 1st for months)."""
    if cadence == "day":
        return day
    if cadence == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def local_now(now: dt.datetime | None, timezone: str) -> dt.datetime:
    """``now`` (aware; default the clock) as the wall-clock time in ``timezone``."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone))


def due_period(
    now: dt.datetime | None, timezone: str, at: str | dt.time, cadence: Cadence = "day"
) -> str | None:
    """The period whose run is due at ``now`` for someone in ``timezone``: the current period once
    its first day's ``at`` has passed there, else None (not before its time). Missed earlier
    periods are not made up: the current run carries everything still open."""
    at_time = parse_time(at) if isinstance(at, str) else at
    here = local_now(now, timezone)
    start = period_start(here.date(), cadence)
    if here.date() == start and here.time().replace(tzinfo=None) < at_time:
        return None
    return period_of(here.date(), cadence)


@dataclass(frozen=True)
class Run:
    """One recorded run: which job, for whom, for which period, and the mail it queued."""

    job: str
    person: str
    period: str
    outcome: str  # sent | nothing (nothing to send, nothing sent)
    outbox_id: int | None
    ran_at: str


def ran(view: LedgerView, job: str, person: str, period: str) -> Run | None:
    """The run of ``(job, person, period)`` if it was made."""
    row = view.db.execute(
        "SELECT job, person, period, outcome, outbox_id, ran_at FROM periodic_runs"
        " WHERE job = ? AND person = ? AND period = ?",
        [job, person, period],
    ).fetchone()
    return Run(*row) if row else None


def record(writer: LedgerWriter, job: str, person: str, period: str, outbox_id: int | None) -> bool:
    """Record a run inside the caller's transaction; False when it was already recorded (then
    the caller must roll back what it queued: raise, or check ``ran`` first under the lock)."""
    from silu_sheets.ledger.store import now

    cursor = writer.db.execute(
        "INSERT INTO periodic_runs (job, person, period, outcome, outbox_id, ran_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job, person, period) DO NOTHING",
        [job, person, period, "sent" if outbox_id else "nothing", outbox_id, now()],
    )
    return cursor.rowcount == 1


def send_once(
    ledger: Ledger,
    job: str,
    person: str,
    period: str,
    build: Callable[[], T | None],
    queue: Callable[[LedgerWriter, T], int],
) -> str:
    """Run ``(job, person, period)`` unless it ran: ``build()`` the mail (None: nothing to send),
    then, under the ledger's write lock, check again, ``queue`` it in the outbox and record the
    run in the same transaction. Returns ``"sent"``, ``"nothing"`` or ``"already"``.

    The mail is built before the lock (a workbook takes a while; mail handling goes on
    meanwhile); the check under the lock is what makes two processes send it once."""
    if ran(ledger.view, job, person, period):
        return "already"
    mail = build()
    with ledger.transaction() as writer:
        if ran(writer.view, job, person, period):
            return "already"
        outbox_id = queue(writer, mail) if mail is not None else None
        record(writer, job, person, period, outbox_id)
    return "sent" if outbox_id else "nothing"


class Timetable:
    """What ``silu serve`` runs between mail cycles, at local times per person (the ``schedule``
    library). A job that raises is logged and does not stop the others or the mail loop; the
    functions registered must be "run what is due", so running one again is harmless."""

    def __init__(self) -> None:
        import schedule

        self.scheduler = schedule.Scheduler()
        self.starting: list[Callable[[], None]] = []

    def daily(self, at: str, timezone: str, job: Callable[[], object], name: str = "") -> None:
        """``job`` every day at ``at`` (HH:MM) wall-clock time in ``timezone``."""
        parse_time(at)  # a clear error before schedule's own
        self._guarded(self.scheduler.every().day.at(at, timezone), job, name)

    def every_minutes(self, minutes: float, job: Callable[[], object], name: str = "") -> None:
        """``job`` every ``minutes`` (retries of what failed, runs missed while down)."""
        self._guarded(self.scheduler.every(max(1, round(minutes * 60))).seconds, job, name)

    def on_start(self, job: Callable[[], object], name: str = "") -> None:
        """``job`` once, at the first ``run_pending``: what came due while nothing ran."""
        self.starting.append(self._guard(job, name))

    def _guarded(self, when: schedule_lib.Job, job: Callable[[], object], name: str) -> None:
        when.do(self._guard(job, name))

    @staticmethod
    def _guard(job: Callable[[], object], name: str) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except Exception:  # noqa: BLE001 - one failing job must not stop serve or the others
                log.exception("scheduled job %s failed; it is tried again later", name or job)

        return run

    def run_pending(self) -> None:
        starting, self.starting = self.starting, []
        for job in starting:
            job()
        self.scheduler.run_pending()

    def seconds_to_next(self) -> float | None:
        """Seconds until the next job is due (0 when one is due), None with no jobs."""
        if self.starting:
            return 0.0
        left = self.scheduler.idle_seconds
        return None if left is None else max(0.0, left)
