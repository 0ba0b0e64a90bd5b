"""The reminder centre and the daily digests, on real forms through the real pipeline into a real
ledger, with the clock controlled (time-machine): a follow-up due on its day, overdue after and
gone once followed up; a quote valid through its end date and ended the day after; a digest at
its time and not before, once a day across restarts and downtime; one person's failure not
stopping the others; the follow-up form in the digest filled in and sent back; no price in
anything the warehouse gets."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import logging
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from click.testing import CliRunner
from conftest import ADMIN, FINANCE, MANAGER, SALES, SALES_EN, WAREHOUSE_A
from fulfilment_flow import ok
from test_price_blindness import day_of_shipping, everything_in, needles, written_ways  # noqa: F401

from silu_sheets import digest, reminders
from silu_sheets import firm as firm_folder
from silu_sheets.cli import main
from silu_sheets.kinds import KINDS
from silu_sheets.pipeline import ingest
from silu_sheets.workbook import reader

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def todo(gw, address: str) -> reminders.TodoList:
    """The person's list on their today, by the (travelling) clock."""
    person = gw.roster.find(address)
    settings = reminders.load_settings(gw.firm)
    return reminders.todo_list(
        gw.ledger.view, gw.roster, person, digest.today_of(gw, person), settings
    )


def listed(gw, address: str) -> dict[str, list[tuple[str, str]]]:
    """{section: [(docno, state words)]} of the person's list today."""
    found: dict[str, list[tuple[str, str]]] = {}
    for r in todo(gw, address).reminders:
        found.setdefault(r.section, []).append((r.docno, reminders.state_words(r, "zh")))
    return found


def inquiry(send, due: str, customer: str = "C001", sender: str = SALES) -> str:
    header = {
        "inquiry_date": "2026-11-20",
        "customer_code": customer,
        "channel": "电话 phone",
        "next_follow_up": due,
    }
    return ok(send("inquiry", header, sender=sender))


def digests(gw, address: str | None = None) -> list[tuple[str, bytes]]:
    where = " AND recipient = ?" if address else ""
    return gw.ledger.db.execute(
        "SELECT recipient, message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE purpose = 'digest'"
        + where
        + " ORDER BY id",
        [address] if address else [],
    ).fetchall()


def test_a_follow_up_is_due_on_its_day_late_after_and_gone_once_followed_up(send, gw) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inq = inquiry(send, "2026-11-25")
        clock.move_to(moment("2026-11-24 23:59"))
        assert "follow_up_due" not in listed(gw, SALES)
        assert listed(gw, SALES) == {}
        clock.move_to(moment("2026-11-25 00:00"))
        assert listed(gw, SALES) == {"follow_up_due": [(inq, "今天到期")]}
        clock.move_to(moment("2026-11-26 09:00"))
        assert listed(gw, SALES) == {"follow_up_due": [(inq, "逾期 1 天")]}
        follow_up = {
            "inquiry_no": inq,
            "follow_up_date": "2026-11-26",
            "content": "电话沟通交期",
            "result": "继续跟进",
            "next_follow_up": "2026-12-03",
        }
        ok(send("follow_up", follow_up))
        assert listed(gw, SALES) == {}
        clock.move_to(moment("2026-12-03 08:00"))
        assert listed(gw, SALES) == {"follow_up_due": [(inq, "今天到期")]}
        ok(
            send(
                "follow_up",
                follow_up
                | {
                    "follow_up_date": "2026-12-03",
                    "result": "成交",
                    "close_reason": "签约",
                    "next_follow_up": None,
                },
            )
        )
        assert listed(gw, SALES) == {}


def test_a_quote_is_listed_through_its_end_date_and_as_ended_after(send, gw) -> None:
    with time_machine.travel(moment("2026-11-25 10:00"), tick=False) as clock:
        header = {"quote_date": "2026-11-25", "valid_until": "2026-12-05", "customer_code": "C001"}
        lines = [{"product_code": "P-M8", "quantity": 100, "unit_price": "1.20"}]
        quote = ok(send("quote", header, lines))
        seen = {}
        for day in (
            "2026-12-01",
            "2026-12-02",
            "2026-12-05",
            "2026-12-06",
            "2026-12-08",
            "2026-12-09",
        ):
            clock.move_to(moment(f"{day} 09:00"))
            seen[day] = listed(gw, SALES).get("quote_validity")
    assert seen == {
        "2026-12-01": None,  # more than 3 days ahead (silu.toml quote_expiring_days)
        "2026-12-02": [(quote, "还有 3 天")],
        "2026-12-05": [(quote, "今天到期")],  # valid until includes that day
        "2026-12-06": [(quote, "已过期 1 天")],
        "2026-12-08": [(quote, "已过期 3 天")],
        "2026-12-09": None,
    }


def test_a_digest_goes_at_its_time_and_not_before_once_a_day(send, gw) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inquiry(send, "2026-12-01")
        clock.move_to(moment("2026-12-01 08:29:59"))
        report = digest.send_digests(gw)
        assert SALES in report.not_yet and digests(gw) == []
        clock.move_to(moment("2026-12-01 08:30"))
        report = digest.send_digests(gw)
        assert report.sent == [SALES]  # nothing due for the others: no mail
        assert SALES_EN in report.not_yet  # Berlin: 01:30 there
        clock.move_to(moment("2026-12-01 23:59"))
        assert digest.send_digests(gw).already == [a for a in gw.roster.staff if a != SALES_EN]
        clock.move_to(moment("2026-12-02 08:30"))
        # overdue now: the managers' team lists carry it too (admin is a manager in roles.toml)
        assert digest.send_digests(gw).sent == [SALES, MANAGER, ADMIN]
    runs = gw.ledger.db.execute(
        "SELECT period, outcome FROM periodic_runs WHERE person = ? ORDER BY period", [SALES]
    ).fetchall()
    assert runs == [("2026-12-01", "sent"), ("2026-12-02", "sent")]
    assert len(digests(gw, SALES)) == 2


def test_downtime_across_the_digest_time_sends_it_once_on_start_and_restarts_send_nothing(
    send, gw
) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inquiry(send, "2026-12-01")
        clock.move_to(moment("2026-12-01 07:00"))
        serving = digest.timetable(gw)
        serving.run_pending()  # on start: nothing due yet
        assert digests(gw) == []
        # the machine is down from 07:00 until 15:00 and misses 08:30
        clock.move_to(moment("2026-12-01 15:00"))
        digest.timetable(gw).run_pending()  # started again: the missed digest, once
        assert len(digests(gw, SALES)) == 1
        clock.move_to(moment("2026-12-01 16:00"))
        digest.timetable(gw).run_pending()  # restarted twice in a day: nothing more
        again = digest.timetable(gw)
        again.run_pending()
        clock.move_to(moment("2026-12-01 18:00"))
        again.run_pending()  # the retry sweep ran too
        assert len(digests(gw, SALES)) == 1
        clock.move_to(moment("2026-12-02 08:30:01"))
        again.run_pending()  # the next day at its time
        assert len(digests(gw, SALES)) == 2


def test_one_persons_failing_digest_does_not_stop_the_others_and_is_retried(
    send, gw, caplog
) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inquiry(send, "2026-12-01")
        tom = inquiry(send, "2026-12-01", customer="C002", sender=SALES_EN)
        # a row of Tom's made unreadable (say, edited by hand in a SQLite browser)
        gw.ledger.db.execute("UPDATE open_items SET remaining = 'n/a' WHERE docno = ?", [tom])
        gw.ledger.db.commit()
        clock.move_to(moment("2026-12-02 17:00"))  # past 08:30 in Shanghai and in Berlin
        table = digest.timetable(gw)
        with caplog.at_level(logging.ERROR):
            table.run_pending()
        assert [a for a, _ in digests(gw)] == [SALES]
        failed = [r.getMessage() for r in caplog.records if "digest for" in r.getMessage()]
        assert any(SALES_EN in m for m in failed)
        assert any(MANAGER in m for m in failed)  # the manager's list reads the team's rows
        gw.ledger.db.execute("UPDATE open_items SET remaining = NULL WHERE docno = ?", [tom])
        gw.ledger.db.commit()
        clock.move_to(moment("2026-12-02 17:11"))  # the retry sweep, retry_minutes later
        table.run_pending()
    assert sorted(a for a, _ in digests(gw)) == sorted([SALES, SALES_EN, MANAGER, ADMIN])


def parts(raw: bytes) -> tuple[email.message.EmailMessage, dict[str, bytes]]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return msg, {a.get_filename(): a.get_content() for a in msg.iter_attachments()}  # type: ignore[union-attr]


def test_the_digest_reads_well_and_its_follow_up_form_goes_back_filled_in(send, gw) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inq = inquiry(send, "2026-12-01")
        clock.move_to(moment("2026-12-02 09:00"))
        digest.send_digests(gw)
        [(_, raw)] = digests(gw, SALES)
        msg, files = parts(raw)
        assert msg["Subject"] == "待办提醒 2026-12-02：1 项，逾期 1 项"
        assert msg["Auto-Submitted"] == "auto-generated"
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"- [逾期] {inq}：C001 华东机电有限公司，跟进日 2026-12-01，逾期 1 天" in text
        html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "华东机电有限公司" in html and "<li" in html
        form_name = f"follow_up-咨询跟进单-{inq}.xlsx"
        assert sorted(files) == sorted(["待办-2026-12-02.xlsx", form_name])
        sheet = openpyxl.load_workbook(io.BytesIO(files["待办-2026-12-02.xlsx"])).active
        rows = list(sheet.iter_rows(min_row=4, values_only=True))
        assert rows[0][:2] == ("类别", "单号") and rows[1][:2] == ("到期跟进", inq)
        prefilled = reader.read(files[form_name]).document
        assert prefilled is not None and prefilled.kind.key == "follow_up"
        assert prefilled["inquiry_no"] == inq
        # the salesperson fills the rest in and mails it back
        book = openpyxl.load_workbook(io.BytesIO(files[form_name]))
        cells = KINDS["follow_up"].layout.header_cells
        sheet = book[KINDS["follow_up"].sheet]
        sheet[cells["follow_up_date"]] = dt.date(2026, 12, 2)
        sheet[cells["content"]] = "客户确认下周下单"
        sheet[cells["result"]] = "继续跟进"
        sheet[cells["next_follow_up"]] = dt.date(2026, 12, 9)
        filled = io.BytesIO()
        book.save(filled)
        assert ingest(gw, filled.getvalue(), form_name, SALES).accepted
        assert listed(gw, SALES) == {}


def set_reminders(firm: firm_folder.FirmFolder, settings: str) -> firm_folder.FirmFolder:
    """``settings`` written under silu.toml's ``[reminders]`` (which ``silu init`` writes)."""
    path = firm.root / "silu.toml"
    text = path.read_text(encoding="utf-8")
    assert "\n[reminders]\n" in text
    path.write_text(text.replace("\n[reminders]\n", f"\n[reminders]\n{settings}\n", 1), "utf-8")
    return firm_folder.open_firm(firm.root)


def test_nothing_due_sends_no_mail_unless_silu_toml_asks(firm, gw) -> None:
    with time_machine.travel(moment("2026-12-01 09:00"), tick=False):
        report = digest.send_digests(gw)
        assert report.sent == [] and len(report.nothing_due) == len(gw.roster.staff) - 1
        gw.firm = set_reminders(firm, "mail_when_nothing_due = true")
        report = digest.send_digests(gw, day=dt.date(2026, 12, 2))
    assert len(report.sent) == len(gw.roster.staff)
    msg, files = parts(dict(digests(gw))[SALES])
    assert msg["Subject"] == "待办提醒 2026-12-02：今天没有到期事项" and files == {}


def test_wrong_reminder_settings_are_named_together(firm) -> None:
    with pytest.raises(reminders.SettingsError) as caught:
        reminders.load_settings(
            set_reminders(firm, 'digest_time = "8h30"\nlot_days = 3\nescalate_after_days = -1')
        )
    message = str(caught.value)
    assert "digest_time" in message and "'lot_days'" in message and "escalate_after_days" in message


def test_silu_remind_lists_and_sends_once(send, gw, firm) -> None:
    runner = CliRunner()
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inq = inquiry(send, "2026-12-01")
        clock.move_to(moment("2026-12-03 07:00"))
        base = ["--firm", str(firm.root), "remind"]
        shown = runner.invoke(main, [*base, "--person", SALES])
        assert shown.exit_code == 0, shown.output
        assert f"! {inq}：C001 华东机电有限公司，跟进日 2026-12-01，逾期 2 天" in shown.output
        as_json = json.loads(runner.invoke(main, [*base, "--json", "--date", "2026-12-01"]).output)
        mine = next(p for p in as_json if p["person"] == SALES)
        assert mine["sections"][0]["items"][0]["docno"] == inq
        assert mine["sections"][0]["items"][0]["days_late"] == 0
        # cron at 07:00, before silu.toml's 08:30: --send does not wait for the digest time
        sent = runner.invoke(main, [*base, "--send"])
        assert sent.exit_code == 0, sent.output
        assert sent.output.startswith("3 digest(s) queued")  # Li, and the managers' team lists
        again = runner.invoke(main, [*base, "--send"])
        assert again.output.startswith("0 digest(s) queued, 8 already done today")
        unknown = runner.invoke(main, [*base, "--person", "nobody@firm.test"])
        assert unknown.exit_code == 1 and "not on the staff roster" in unknown.output
    delivered = gw.ledger.db.execute(
        "SELECT recipient FROM outbox WHERE purpose = 'digest' AND status = 'sent' ORDER BY id"
    ).fetchall()
    assert delivered == [(SALES,), (MANAGER,), (ADMIN,)]


def test_nothing_the_warehouse_is_reminded_of_holds_a_price(day_of_shipping, firm) -> None:  # noqa: F811
    """The warehouse keeper's digest — text, HTML, every part of its workbook unzipped — is
    searched for every price and amount of the shipments, written every usual way; the finance
    digest of the same day, searched the same way, does hold the amounts (the search can fail)."""
    gw = day_of_shipping
    gw.firm = set_reminders(firm, "lot_expiring_days = 400")
    day = dt.date(2027, 3, 1)  # past the payment terms, the lots near expiry
    report = digest.send_digests(gw, day=day)
    assert WAREHOUSE_A in report.sent and FINANCE in report.sent
    owed = {
        w
        for i in gw.ledger.db.execute(
            "SELECT remaining FROM open_items WHERE obligation = 'notice_owed'"
        )
        for w in written_ways(Decimal(i[0]))
    }
    forbidden = needles() | owed
    sent = dict(digests(gw))
    keeper = everything_in(sent[WAREHOUSE_A])
    text = "".join(t for _, t in keeper)
    assert "SN-2026" in text and "L2026-007" in text  # notices to issue, a lot expiring
    assert len(keeper) > 10  # the workbook was unzipped, not just the mail read
    for where, part in keeper:
        for needle in forbidden:
            assert needle not in part, f"{needle!r} reached the warehouse in {where}"
        for word in ("单价", "金额", "货款", "结余", "CNY", "Amount", "price"):
            assert word not in part, f"{word!r} reached the warehouse in {where}"
    finance = "".join(t for _, t in everything_in(sent[FINANCE]))
    assert owed and any(w in finance for w in owed)


def test_a_long_list_is_cut_in_the_mail_and_whole_in_the_workbook(gw) -> None:
    """35 follow-ups due: the mail shows 30 and says how many more, the workbook has all 35, and
    20 pre-filled forms ride along (the rest are named as having no form attached)."""
    person = gw.roster.find(SALES)
    today = dt.date(2026, 12, 1)
    items = [
        reminders.Reminder(
            "follow_up_due",
            f"INQ-2026-{n:05d}",
            "inquiry",
            customer_code="C001",
            due_on=today,
            days_left=0,
            obligation="follow_up_due",
        )
        for n in range(1, 36)
    ]
    mail = digest.reply(gw, reminders.TodoList(person, today, True, items))
    assert mail.text.count("\n- INQ-2026-") == 30
    assert "……另有 5 项，见附件表格" in mail.text and "另有 5 项" in mail.html
    assert "另有 15 项跟进未附表格" in mail.text
    sheet = openpyxl.load_workbook(io.BytesIO(mail.attachments[0].data)).active
    assert [r[1] for r in sheet.iter_rows(min_row=5, values_only=True)] == [i.docno for i in items]
    assert len(mail.attachments) == 1 + digest.MAX_FORMS


def test_stored_text_stays_text_in_the_workbook(gw) -> None:
    """A customer named like a formula (a name recorded before such names were refused) is
    written as the text it is, control characters dropped; quantities are numbers."""
    from silu_sheets.workbook import todo as todo_workbook

    person = gw.roster.find(SALES)
    item = reminders.Reminder(
        "contract_to_notice",
        "CON-2026-00001",
        "contract",
        line_no=1,
        customer_name='=HYPERLINK("http://x.test","点我")\x07',
        quantity=Decimal("12.5"),
        quantity_total=Decimal("20"),
        due_on=dt.date(2026, 12, 1),
        obligation="contract_to_notice",
    )
    data = todo_workbook.to_bytes(reminders.TodoList(person, dt.date(2026, 12, 1), True, [item]))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    row = {head: cell for head, cell in zip(sheet[4], sheet[5], strict=True)}
    by_name = {h.value: c for h, c in row.items()}
    assert by_name["客户"].data_type == "s"
    assert by_name["客户"].value == '=HYPERLINK("http://x.test","点我")'
    assert (by_name["数量"].value, by_name["共"].value) == (12.5, 20)
    assert by_name["日期"].value == dt.datetime(2026, 12, 1)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))


def test_a_firm_that_wants_no_daily_mail_gets_none_from_serve(send, gw, firm) -> None:
    gw.firm = set_reminders(firm, "daily_digest = false")
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inquiry(send, "2026-12-01")
        clock.move_to(moment("2026-12-02 09:00"))
        table = digest.timetable(gw)
        table.run_pending()
        assert table.seconds_to_next() is None and digests(gw) == []
        assert digest.todo_reply(gw, gw.roster.find(SALES)).subject.startswith(
            "待办提醒 2026-12-02"
        )


def test_a_persons_unknown_time_zone_is_named_in_the_roster(firm) -> None:
    from silu_sheets.roster import RosterError

    staff = firm.root / "inbox_rules" / "staff.toml"
    text = staff.read_text(encoding="utf-8")
    staff.write_text(
        text.replace('timezone = "Europe/Berlin"', 'timezone = "Europe/Berlln"'), "utf-8"
    )
    with pytest.raises(RosterError) as caught:
        firm.roster()
    assert caught.value.problems == [
        "staff.toml staff #2 (tom.chen@firm.test): time zone 'Europe/Berlln' is unknown;"
        " write one like Asia/Shanghai"
    ]


def test_a_person_who_wants_no_daily_mail_gets_none_and_todo_still_answers(send, gw, firm) -> None:
    staff = firm.root / "inbox_rules" / "staff.toml"
    text = staff.read_text(encoding="utf-8")
    staff.write_text(text.replace('name = "李娜"\n', 'name = "李娜"\ndigest = false\n', 1), "utf-8")
    gw.roster = firm.roster()
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False) as clock:
        inquiry(send, "2026-12-01")
        clock.move_to(moment("2026-12-01 09:00"))
        report = digest.send_digests(gw)
        assert SALES not in report.sent + report.nothing_due and digests(gw) == []
        assert (
            digest.todo_reply(gw, gw.roster.find(SALES)).subject
            == "待办提醒 2026-12-01：1 项，今天到期 1 项"
        )
