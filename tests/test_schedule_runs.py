"""Runs on a timetable, once per (job, person, period): the period due at a moment in a person's
own time zone, the ledger row written with the queued mail, two ledgers racing, a failed build
tried again, and the ``schedule`` timetable waking at local times (controlled clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from silu_sheets import schedule_runs as runs
from silu_sheets.ledger.store import Ledger

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def test_a_daily_period_is_due_from_its_time_in_the_persons_zone() -> None:
    assert runs.due_period(at("2026-11-29 08:29"), "Asia/Shanghai", "08:30") is None
    assert runs.due_period(at("2026-11-29 08:30"), "Asia/Shanghai", "08:30") == "2026-11-29"
    assert runs.due_period(at("2026-11-29 23:59"), "Asia/Shanghai", "08:30") == "2026-11-29"
    # 08:30 in Shanghai is 01:30 in Berlin the same winter day: Berlin's digest is not due yet
    assert runs.due_period(at("2026-11-29 08:30"), "Europe/Berlin", "08:30") is None
    assert runs.due_period(at("2026-11-29 15:30"), "Europe/Berlin", "08:30") == "2026-11-29"


def test_weekly_and_monthly_periods_start_on_monday_and_the_first() -> None:
    monday = at("2026-11-30 07:59")
    assert runs.due_period(monday, "Asia/Shanghai", "08:00", "week") is None
    assert runs.due_period(at("2026-11-30 08:00"), "Asia/Shanghai", "08:00", "week") == "2026-W49"
    # later in the week the week's run is still due (made up after downtime)
    assert runs.due_period(at("2026-12-03 06:00"), "Asia/Shanghai", "08:00", "week") == "2026-W49"
    assert runs.due_period(at("2026-12-01 07:00"), "Asia/Shanghai", "08:00", "month") is None
    assert runs.due_period(at("2026-12-02 07:00"), "Asia/Shanghai", "08:00", "month") == "2026-12"


def test_a_bad_time_is_named() -> None:
    with pytest.raises(ValueError, match="8h30"):
        runs.parse_time("8h30")


def _queue(writer, body: bytes) -> int:
    return writer.queue_mail("li.na@firm.test", "digest", "digest", body, None)


def test_a_run_is_sent_once_and_recorded_with_its_mail(tmp_path) -> None:
    ledger = Ledger(tmp_path / "silu.db")
    built = []

    def build() -> bytes:
        built.append(1)
        return b"the digest"

    first = runs.send_once(ledger, "digest", "li.na@firm.test", "2026-11-29", build, _queue)
    again = runs.send_once(ledger, "digest", "li.na@firm.test", "2026-11-29", build, _queue)
    assert (first, again, len(built)) == ("sent", "already", 1)
    run = runs.ran(ledger.view, "digest", "li.na@firm.test", "2026-11-29")
    assert run is not None and run.outcome == "sent"
    queued = ledger.db.execute(
        "SELECT id, message FROM outbox JOIN outbox_messages ON outbox_id = id"
    ).fetchall()
    assert queued == [(run.outbox_id, b"the digest")]
    # a new period is a new run
    assert runs.send_once(ledger, "digest", "li.na@firm.test", "2026-11-30", build, _queue) == (
        "sent"
    )
    ledger.close()


def test_a_second_ledger_finding_the_run_done_under_the_lock_sends_nothing(tmp_path) -> None:
    """Two processes (serve and a cron `silu remind --send`) both build; the one that takes the
    write lock second finds the row and queues nothing."""
    one, two = Ledger(tmp_path / "silu.db"), Ledger(tmp_path / "silu.db")

    def build_while_the_other_sends() -> bytes:
        assert runs.send_once(one, "digest", "p@firm.test", "2026-11-29", lambda: b"1", _queue)
        return b"2"

    outcome = runs.send_once(
        two, "digest", "p@firm.test", "2026-11-29", build_while_the_other_sends, _queue
    )
    assert outcome == "already"
    assert two.db.execute(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id"
    ).fetchall() == [(b"1",)]
    one.close()
    two.close()


def test_a_failed_run_records_nothing_and_is_tried_again(tmp_path) -> None:
    ledger = Ledger(tmp_path / "silu.db")

    def fails(writer, body) -> int:
        _queue(writer, body)
        raise OSError("disk full")

    with pytest.raises(OSError):
        runs.send_once(ledger, "digest", "p@firm.test", "2026-11-29", lambda: b"x", fails)
    assert ledger.db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert runs.ran(ledger.view, "digest", "p@firm.test", "2026-11-29") is None
    assert runs.send_once(ledger, "digest", "p@firm.test", "2026-11-29", lambda: b"x", _queue) == (
        "sent"
    )
    ledger.close()


def test_nothing_to_send_is_recorded_as_a_run_without_mail(tmp_path) -> None:
    ledger = Ledger(tmp_path / "silu.db")
    assert runs.send_once(ledger, "digest", "p@firm.test", "2026-11-29", lambda: None, _queue) == (
        "nothing"
    )
    assert runs.send_once(ledger, "digest", "p@firm.test", "2026-11-29", lambda: b"x", _queue) == (
        "already"
    )
    assert ledger.db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    ledger.close()


def test_the_timetable_wakes_at_the_local_time_and_survives_a_failing_job() -> None:
    woke: list[str] = []
    with time_machine.travel(at("2026-11-29 08:00"), tick=False) as clock:
        table = runs.Timetable()
        table.daily("08:30", "Asia/Shanghai", lambda: woke.append("li"), "li")
        table.daily("08:30", "Asia/Shanghai", lambda: 1 / 0, "broken")
        assert table.seconds_to_next() == pytest.approx(30 * 60)
        table.run_pending()
        assert woke == []
        clock.move_to(at("2026-11-29 08:30:01"))
        table.run_pending()  # the broken job is logged, the other runs
        assert woke == ["li"]
        clock.move_to(at("2026-11-29 12:00"))
        table.run_pending()
        assert woke == ["li"]
        assert table.seconds_to_next() == pytest.approx(20.5 * 3600)
