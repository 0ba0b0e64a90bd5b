"""The summary workbook by mail: weekly and monthly to managers, exactly once per manager and
period across restarts, and the REPORT subject command (managers only). Real ledger, real
outbox rows, the real attached .xlsx read back."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io

import pytest
from conftest import ADMIN, MANAGER, SALES
from openpyxl import load_workbook

from silu_sheets.mail import commands
from silu_sheets.pipeline import Gateway
from silu_sheets.report import mailing
from silu_sheets.report.sheets import Period

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Monday 7 December 2026, 08:30 in Shanghai: last week (W49, 30 Nov … 6 Dec) and, on the 1st-or-
# later rule, last month (November) are both due
MONDAY = dt.datetime(2026, 12, 7, 8, 30, tzinfo=SHANGHAI)


def report_mails(gw: Gateway) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in gw.ledger.db.execute(
            "SELECT recipient, purpose FROM outbox WHERE purpose LIKE 'report:%' ORDER BY id"
        ).fetchall()
    ]


def test_due_runs_from_the_sending_day_and_time():
    settings = mailing.ReportSettings()
    before = dt.datetime(2026, 12, 7, 7, 59, tzinfo=SHANGHAI)
    # Monday 07:59: this week's weekly not yet; December's monthly (the 1st, 08:00) is due
    assert [job for job, _, _ in mailing.due_runs(before, "Asia/Shanghai", settings)] == [
        "report-month"
    ]
    due = {
        job: (key, period)
        for job, key, period in mailing.due_runs(MONDAY, "Asia/Shanghai", settings)
    }
    assert due["report-week"] == ("2026-W49", Period(dt.date(2026, 11, 30), dt.date(2026, 12, 6)))
    assert due["report-month"] == ("2026-11", Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))


def test_settings_mistakes_named_at_once(firm):
    firm.settings["report"] = {"weekly": "someday 8", "monthly": "31 08:00", "colour": "red"}
    with pytest.raises(mailing.ReportSettingsError) as caught:
        mailing.load_settings(firm)
    text = str(caught.value)
    assert "weekly" in text and "monthly" in text and "colour" in text
    firm.settings["report"] = {"weekly": "friday 17:30", "monthly": ""}
    settings = mailing.load_settings(firm)
    assert (settings.weekly_day, settings.weekly_time, settings.monthly_day) == (4, "17:30", None)


def test_weekly_and_monthly_sent_once_per_manager_across_restarts(firm):
    gw = Gateway.open(firm)
    try:
        runs = mailing.send_reports(gw, now=MONDAY)
        managers = sorted(p.address for p in mailing.managers(gw))
        assert MANAGER in managers and ADMIN in managers and SALES not in managers
        assert sorted(runs.sent) == sorted(
            (job, m, key)
            for m in managers
            for job, key in (("report-week", "2026-W49"), ("report-month", "2026-11"))
        )
        again = mailing.send_reports(gw, now=MONDAY + dt.timedelta(hours=3))
        assert again.sent == [] and len(again.already) == 2 * len(managers)
    finally:
        gw.ledger.close()
    restarted = Gateway.open(firm)  # a new process on the same ledger
    try:
        assert mailing.send_reports(restarted, now=MONDAY + dt.timedelta(days=1)).sent == []
        mails = report_mails(restarted)
        assert len(mails) == 2 * len(managers)
        assert all(recipient in managers for recipient, _ in mails)
        raw = restarted.ledger.db.execute(
            "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE purpose = 'report:report-week' AND recipient = ?",
            [MANAGER],
        ).fetchone()[0]
    finally:
        restarted.ledger.close()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert "2026-11-30" in msg["Subject"]
    parts = [p for p in msg.iter_attachments() if p.get_filename().endswith(".xlsx")]
    wb = load_workbook(io.BytesIO(parts[0].get_content()))
    assert wb.sheetnames[0] == "总览 Overview" and "业务员评估 Salespeople" in wb.sheetnames
    assert "2026-11-30 … 2026-12-06" in wb["总览 Overview"]["A1"].value


def test_report_command_answers_managers_only(firm):
    gw = Gateway.open(firm)
    try:
        assert commands.parse_command("Re: 报表") == ("REPORT", "")
        manager = gw.roster.find(MANAGER)
        answer = commands.answer(gw, manager, "REPORT", "")
        assert [a.filename for a in answer.attachments][0].endswith(".xlsx")
        wb = load_workbook(io.BytesIO(answer.attachments[0].data))
        assert "明细 Documents" in wb.sheetnames
        refused = commands.answer(gw, gw.roster.find(SALES), "REPORT", "")
        assert refused.attachments == []
        assert "主管" in refused.text
    finally:
        gw.ledger.close()


def test_silu_report_names_a_wrong_setting(firm):
    from click.testing import CliRunner

    from silu_sheets.cli import main

    settings = firm.root / "silu.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("[report]\n", '[report]\nweekly = "someday"\n'))
    done = CliRunner().invoke(main, ["--firm", str(firm.root), "report"])
    assert done.exit_code == 1
    assert "weekly = 'someday': write a weekday and a time, like \"monday 08:00\"" in done.output
