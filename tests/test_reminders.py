"""The reminder centre's choice of what is due, on open items as the ledger gives them: each
section's day rules, the warehouse's own warehouses, the managers' escalation, no amount to a
person who may not see prices; a reminder in words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from silu_sheets.document import Staff
from silu_sheets.open_items import OpenItem
from silu_sheets.reminders import Reminder, ReminderSettings, choose, describe

DAY = dt.date(2026, 11, 29)
SETTINGS = ReminderSettings(quote_expiring_days=3, firm_offer_days=3, escalate_after_days=7)
LI = Staff("li.na@firm.test", "李娜", ("sales",))
KEEPER = Staff("zhao.lei@firm.test", "赵磊", ("warehouse",), warehouses=("WH-A",))
MANAGER = Staff("wang.qiang@firm.test", "王强", ("sales_manager",))


def item(obligation: str, due: dt.date | None = None, **kw) -> OpenItem:
    role = kw.pop("role", "sales")
    return OpenItem(
        kw.pop("docno", "DOC-1"),
        kw.pop("kind", "inquiry"),
        kw.pop("line_no", None),
        obligation,
        role,
        kw.pop("measure", "flag"),
        owner=kw.pop("owner", LI.address),
        due_on=due,
        **kw,
    )


def sections(person: Staff, today: dt.date, **groups) -> list[str]:
    return [s for s, _ in choose(person, today, SETTINGS, **groups)]


def test_a_follow_up_shows_on_its_day_and_stays_overdue() -> None:
    due = item("follow_up_due", DAY)
    assert sections(LI, DAY - dt.timedelta(days=1), own=[due]) == []
    assert sections(LI, DAY, own=[due]) == ["follow_up_due"]
    assert sections(LI, DAY + dt.timedelta(days=30), own=[due]) == ["follow_up_due"]
    assert due.days_late(DAY + dt.timedelta(days=1)) == 1


def test_a_quote_shows_near_its_end_and_for_as_long_after() -> None:
    quote = item("quote_validity", DAY, kind="quote")
    shown = [
        offset
        for offset in range(-6, 7)
        if sections(LI, DAY + dt.timedelta(days=offset), own=[quote])
    ]
    assert shown == [-3, -2, -1, 0, 1, 2, 3]


def test_undated_sales_items_always_show_and_future_dates_do_not() -> None:
    own = [
        item("inquiry_no_date"),
        item("sample_feedback", kind="sample"),
        item("order_decision", kind="order"),
        item("return_agreement", kind="sales_return"),
        item("contract_to_notice", DAY + dt.timedelta(days=1), kind="contract"),
        item("service_next_action", DAY + dt.timedelta(days=1), kind="service"),
        item("firm_offer_validity", DAY + dt.timedelta(days=4), kind="order"),
    ]
    assert sections(LI, DAY, own=own) == [
        "inquiry_no_date",
        "sample_feedback",
        "order_decision",
        "return_agreement",
    ]


def test_the_warehouse_sees_its_own_warehouses_and_those_left_to_it() -> None:
    rows = [
        item("notice_to_issue", role="warehouse", measure="quantity", warehouse="WH-A"),
        item("notice_to_issue", role="warehouse", measure="quantity", warehouse="WH-B"),
        item("return_to_receive", role="warehouse", measure="quantity", warehouse=None),
    ]
    chosen = choose(KEEPER, DAY, SETTINGS, warehouse=rows, prices=False)
    assert [(s, i.warehouse) for s, i in chosen] == [
        ("notice_to_issue", "WH-A"),
        ("return_to_receive", None),
    ]


def test_finance_sees_receivables_past_their_terms_and_no_one_without_prices_does() -> None:
    owed = [
        item("notice_owed", DAY, role="finance", measure="amount", remaining=Decimal("10")),
        item("notice_owed", DAY - dt.timedelta(days=1), role="finance", measure="amount"),
        item("refund_owed", role="finance", measure="amount"),
    ]
    finance = Staff("zhou.min@firm.test", "周敏", ("finance",))
    assert sections(finance, DAY, finance=owed) == ["notice_owed", "refund_owed"]
    assert choose(finance, DAY, SETTINGS, finance=owed, prices=False) == []


def test_managers_see_the_team_late_and_escalated_past_n_days() -> None:
    team = [
        item("follow_up_due", DAY - dt.timedelta(days=2), docno="INQ-1"),
        item("follow_up_due", DAY - dt.timedelta(days=8), docno="INQ-2", owner="tom@firm.test"),
        item("quote_validity", DAY - dt.timedelta(days=9), docno="QUO-1"),  # lapsed, not late
        item("follow_up_due", DAY, docno="INQ-3"),  # due today, not late
    ]
    chosen = choose(MANAGER, DAY, SETTINGS, team=team)
    assert [(s, i.docno) for s, i in chosen] == [
        ("escalation", "INQ-2"),
        ("team_overdue", "INQ-1"),
    ]


def test_a_reminder_in_words() -> None:
    late = Reminder(
        "contract_to_notice",
        "CON-2026-00001",
        "contract",
        line_no=2,
        customer_code="C001",
        customer_name="华东机电有限公司",
        product_code="P-M8",
        product_name="不锈钢螺栓 M8×40",
        unit="个",
        quantity=Decimal("1200"),
        quantity_total=Decimal("2000.5"),
        due_on=DAY - dt.timedelta(days=3),
        days_late=3,
        days_left=0,
    )
    assert describe(late, "zh") == (
        "CON-2026-00001 第 2 行：C001 华东机电有限公司，P-M8 不锈钢螺栓 M8×40，"
        "待通知发货 1,200 / 2,000.5 个，交货期 2026-11-26，逾期 3 天"
    )
    assert describe(late, "en") == (
        "CON-2026-00001 line 2: C001 华东机电有限公司, P-M8 不锈钢螺栓 M8×40, "
        "to notice 1,200 / 2,000.5 个, delivery date 2026-11-26, 3 day(s) late"
    )
    quote = Reminder("quote_validity", "QUO-1", "quote", due_on=DAY, days_left=0)
    assert describe(quote, "zh") == "QUO-1：有效期至 2026-11-29，今天到期"
    lapsed = Reminder("quote_validity", "QUO-1", "quote", due_on=DAY, days_late=1, days_left=0)
    assert describe(lapsed, "en") == "QUO-1: valid until 2026-11-29, ended 1 day(s) ago"
    waiting = Reminder(
        "sample_feedback", "SMP-1", "sample", since=DAY - dt.timedelta(days=8), days_open=8
    )
    assert describe(waiting, "zh") == "SMP-1：自 2026-11-21 起已 8 天"
    assert describe(waiting, "en") == "SMP-1: open since 2026-11-21 (8 day(s))"
