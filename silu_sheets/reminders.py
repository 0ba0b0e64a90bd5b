"""The reminder centre (提醒中心): what is due today and what is overdue, per person — a reading
of the open items (``silu_sheets/open_items.py``), never a computation of its own.

Who sees what (each section an obligation key of the open items, plus expiring lots):

- sales and service, their own items (``owner``): follow-ups due or overdue, inquiries with no
  next date, quotes ending or ended within ``quote_expiring_days``, samples awaiting feedback,
  orders awaiting a decision, firm offers near or past their validity, contracts at or past
  their delivery date not yet fully noticed, returns awaiting agreement, replacements owed,
  service next actions due;
- warehouse, for the warehouses they keep: notice lines not fully issued, return lines not fully
  received, lots held that expire within ``lot_expiring_days`` (read from ``silu stock``'s own
  query) — never a price, amount or balance: an amount item never reaches a person who may not
  see prices, and their workbook has no money column at all;
- finance: notices owed past their payment terms (days overdue), refunds agreed and not paid;
- managers: every overdue item of the team, the person responsible named: what has been overdue
  longer than ``escalate_after_days`` first (escalation), then the rest.

Settings in silu.toml (all optional)::

    [reminders]
    daily_digest = true            # false: silu serve mails no digest (TODO, silu remind still work)
    digest_time = "08:30"          # each person's daily digest, in their own time zone
    quote_expiring_days = 3        # quotes ending within this many days (and ended as long ago)
    firm_offer_days = 3            # firm offers whose validity ends within this many days
    lot_expiring_days = 30         # lots held that expire within this many days
    escalate_after_days = 7        # managers: overdue longer than this is escalated
    mail_when_nothing_due = false  # true: a short "nothing due" digest instead of no mail
    retry_minutes = 10             # a digest that failed is tried again this often
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets.amounts import money_text
from silu_sheets.schedule_runs import parse_time

if TYPE_CHECKING:
    from silu_sheets.document import Staff
    from silu_sheets.firm import FirmFolder
    from silu_sheets.ledger.store import LedgerView
    from silu_sheets.open_items import OpenItem
    from silu_sheets.roster import Roster


@dataclass(frozen=True)
class ReminderSettings:
    daily_digest: bool = True
    digest_time: str = "08:30"
    quote_expiring_days: int = 3
    firm_offer_days: int = 3
    lot_expiring_days: int = 30
    escalate_after_days: int = 7
    mail_when_nothing_due: bool = False
    retry_minutes: float = 10.0


class SettingsError(ValueError):
    """``[reminders]`` in silu.toml is wrong; the message names the setting."""


def load_settings(firm: FirmFolder) -> ReminderSettings:
    """``[reminders]`` of silu.toml, every mistake named at once."""
    raw = dict(firm.settings.get("reminders", {}))
    known = {f.name: f for f in dataclasses.fields(ReminderSettings)}
    problems = [
        f"silu.toml [reminders]: unknown setting {k!r}; known: {sorted(known)}"
        for k in raw
        if k not in known
    ]
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known:
            continue
        default = known[name].default
        if name == "digest_time":
            try:
                parse_time(str(value))
            except ValueError as exc:
                problems.append(f"silu.toml [reminders] digest_time: {exc}")
                continue
            values[name] = str(value).strip()
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                problems.append(f"silu.toml [reminders] {name}: write true or false")
                continue
            values[name] = value
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
            if not ok or (isinstance(default, int) and not isinstance(value, int)):
                problems.append(f"silu.toml [reminders] {name}: a whole number of days ≥ 0")
                continue
            values[name] = value
    if problems:
        raise SettingsError("\n".join(problems))
    return ReminderSettings(**values)


#: section key → (zh, en) heading; the order is the order of the list and the workbook
SECTIONS: dict[str, tuple[str, str]] = {
    "follow_up_due": ("到期跟进", "Follow-ups due"),
    "inquiry_no_date": ("未定下次跟进日期的咨询", "Inquiries with no next follow-up date"),
    "quote_validity": ("即将到期或刚过期的报价", "Quotes ending soon or just ended"),
    "sample_feedback": ("待客户反馈的样品", "Samples awaiting feedback"),
    "order_decision": ("待决定的订单", "Orders awaiting a decision"),
    "firm_offer_validity": ("临近或已过有效期的实盘", "Firm offers near or past their validity"),
    "contract_to_notice": ("已到交货期未发货通知的合同", "Contracts due, not yet noticed"),
    "return_agreement": ("待商定金额的退货", "Returns awaiting agreement"),
    "replacement_owed": ("待补发的退货", "Replacements owed"),
    "service_next_action": ("到期的售后跟进", "Service actions due"),
    "notice_to_issue": ("待出库的发货单", "Notices to issue"),
    "return_to_receive": ("待入库的退货", "Returns to receive"),
    "lot_expiring": ("即将到期的批次", "Lots expiring soon"),
    "notice_owed": ("超过付款期的应收", "Receivables past their terms"),
    "refund_owed": ("已商定未付的退款", "Refunds agreed, not paid"),
    "escalation": ("需主管介入（逾期超过 {days} 天）", "Escalated (overdue over {days} days)"),
    "team_overdue": ("团队其他逾期事项", "The team's other overdue items"),
}
OWN = (
    "follow_up_due",
    "inquiry_no_date",
    "quote_validity",
    "sample_feedback",
    "order_decision",
    "firm_offer_validity",
    "contract_to_notice",
    "return_agreement",
    "replacement_owed",
    "service_next_action",
)
WAREHOUSE = ("notice_to_issue", "return_to_receive")
FINANCE = ("notice_owed", "refund_owed")


@dataclass(frozen=True)
class Reminder:
    """One line of a person's list: an open item (or an expiring lot) in words a person reads."""

    section: str
    docno: str
    kind: str
    line_no: int | None = None
    customer_code: str | None = None
    customer_name: str = ""
    product_code: str | None = None
    product_name: str = ""
    unit: str = ""
    warehouse: str | None = None
    lot: str | None = None
    #: what remains of a quantity (or, for an amount item, nothing: see ``amount``)
    quantity: Decimal | None = None
    quantity_total: Decimal | None = None
    #: what remains owed of an amount; only ever set on finance items
    amount: Decimal | None = None
    currency: str | None = None
    due_on: dt.date | None = None
    days_late: int = 0
    #: days until ``due_on`` (0 on the day and after; None with no date)
    days_left: int | None = None
    salesperson: str | None = None
    salesperson_name: str = ""
    #: the open item's obligation key (a team or escalation line keeps what it is)
    obligation: str = ""
    #: the day the obligation opened (the document's date); how long an undated item waits
    since: dt.date | None = None
    days_open: int | None = None

    @property
    def what(self) -> str:
        return self.obligation or self.section

    @property
    def overdue(self) -> bool:
        return self.days_late > 0


@dataclass
class TodoList:
    """A person's list for one day."""

    person: Staff
    today: dt.date
    prices: bool
    reminders: list[Reminder] = field(default_factory=list)
    escalate_after_days: int = 7

    @property
    def empty(self) -> bool:
        return not self.reminders

    def sections(self) -> list[tuple[str, list[Reminder]]]:
        found: dict[str, list[Reminder]] = {}
        for r in self.reminders:
            found.setdefault(r.section, []).append(r)
        return [(key, found[key]) for key in SECTIONS if key in found]

    def heading(self, section: str, language: str) -> str:
        zh, en = SECTIONS[section]
        return (zh if language == "zh" else en).format(days=self.escalate_after_days)

    @property
    def due_today(self) -> int:
        return sum(1 for r in self.reminders if r.due_on == self.today)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.reminders if r.overdue)

    def as_dict(self) -> dict:
        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return format(value, "f")
            if isinstance(value, dt.date):
                return value.isoformat()
            return value

        return {
            "person": self.person.address,
            "name": self.person.name,
            "date": self.today.isoformat(),
            "sections": [
                {
                    "section": key,
                    "heading": self.heading(key, self.person.language),
                    "items": [
                        {
                            k: plain(v)
                            for k, v in dataclasses.asdict(r).items()
                            if k != "section" and (self.prices or k not in ("amount", "currency"))
                        }
                        for r in items
                    ],
                }
                for key, items in self.sections()
            ],
        }


# --- choosing what is due --------------------------------------------------------------------
def is_due(item: OpenItem, today: dt.date, settings: ReminderSettings) -> bool:
    """Whether an open item belongs on today's list (the sections above say why each rule)."""
    due = item.due_on
    key = item.obligation
    if key in ("follow_up_due", "contract_to_notice", "service_next_action"):
        return due is not None and due <= today
    if key == "quote_validity":
        window = dt.timedelta(days=settings.quote_expiring_days)
        return due is not None and today - window <= due <= today + window
    if key == "firm_offer_validity":
        return due is not None and due <= today + dt.timedelta(days=settings.firm_offer_days)
    if key == "notice_owed":
        return due is not None and due < today
    return key in SECTIONS


def is_overdue(item: OpenItem, today: dt.date) -> bool:
    """Late, as a manager counts it: past its date and still open. A quote or a firm offer whose
    validity ended is not late work (the customer let it lapse); it is not counted."""
    return item.obligation not in LAPSING and item.days_late(today) > 0


def choose(
    person: Staff,
    today: dt.date,
    settings: ReminderSettings,
    own: Iterable[OpenItem] = (),
    warehouse: Iterable[OpenItem] = (),
    finance: Iterable[OpenItem] = (),
    team: Iterable[OpenItem] = (),
    prices: bool = True,
) -> list[tuple[str, OpenItem]]:
    """The (section, item) pairs of one person's list from the open items each role reads. For
    a person who may not see prices (``prices``), no amount item, whatever their other roles."""
    chosen: list[tuple[str, OpenItem]] = []
    chosen += [(i.obligation, i) for i in own if i.obligation in OWN and is_due(i, today, settings)]
    chosen += [
        (i.obligation, i)
        for i in warehouse
        if i.obligation in WAREHOUSE and (i.warehouse is None or i.warehouse in person.warehouses)
    ]
    chosen += [(i.obligation, i) for i in finance if is_due(i, today, settings)]
    # per responsible person, the longest late first; past N days it is escalated instead
    late = sorted(
        (i for i in team if is_overdue(i, today)),
        key=lambda i: (i.owner or "", -i.days_late(today), i.docno),
    )
    escalate = settings.escalate_after_days
    chosen += [("escalation", i) for i in late if i.days_late(today) > escalate]
    chosen += [("team_overdue", i) for i in late if i.days_late(today) <= escalate]
    return [(s, i) for s, i in chosen if prices or i.measure != "amount"]


def todo_list(
    view: LedgerView,
    roster: Roster,
    person: Staff,
    today: dt.date,
    settings: ReminderSettings,
) -> TodoList:
    """``person``'s list on ``today``, read from the open items (and, for the warehouse, the
    stock of the lots it holds)."""
    from silu_sheets.open_items import open_items

    prices = roster.sees_prices(person)
    own = open_items(view, owner=person.address, obligations=OWN)
    in_warehouse = open_items(view, role="warehouse") if person.has("warehouse") else []
    finance = open_items(view, role="finance") if person.has("finance") else []
    team = [i for i in open_items(view) if i.role in ("sales", "service")] if person.manager else []
    chosen = choose(person, today, settings, own, in_warehouse, finance, team, prices)
    names = _Names(view, roster)
    reminders = [_reminder(section, i, today, names) for section, i in chosen]
    if person.has("warehouse"):
        reminders += expiring_lots(view, person, today, settings.lot_expiring_days)
    return TodoList(person, today, prices, reminders, settings.escalate_after_days)


def expiring_lots(
    view: LedgerView, person: Staff, today: dt.date, within_days: int
) -> list[Reminder]:
    """Lots held in ``person``'s warehouses that expire within ``within_days`` (or have expired),
    from ``silu stock``'s own query: stock is not an open item."""
    from silu_sheets.status import stock_report

    horizon = (today + dt.timedelta(days=within_days)).isoformat()
    found = []
    for warehouse in person.warehouses:
        for row in stock_report(view, warehouse):
            if not row["expiry_date"] or row["expiry_date"] > horizon:
                continue
            on_hand = Decimal(row["on_hand"])
            if on_hand <= 0:
                continue
            expiry = dt.date.fromisoformat(row["expiry_date"])
            found.append(
                Reminder(
                    "lot_expiring",
                    row["lot"],
                    "lot",
                    warehouse=row["warehouse"],
                    lot=row["lot"],
                    product_code=row["product_code"],
                    product_name=row["product_name"],
                    unit=row["unit"],
                    quantity=on_hand,
                    due_on=expiry,
                    days_late=max(0, (today - expiry).days),
                    days_left=max(0, (expiry - today).days),
                    obligation="lot_expiring",
                )
            )
    return sorted(found, key=lambda r: (r.due_on or dt.date.max, r.warehouse or "", r.lot or ""))


class _Names:
    """Customer, product and staff names, each looked up once per list."""

    def __init__(self, view: LedgerView, roster: Roster):
        self.view, self.roster = view, roster
        self.customers: dict[str, str] = {}
        self.products: dict[str, tuple[str, str]] = {}

    def customer(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self.customers:
            row = self.view.customer(code)
            self.customers[code] = (row or {}).get("name") or ""
        return self.customers[code]

    def product(self, code: str | None) -> tuple[str, str]:
        if not code:
            return "", ""
        if code not in self.products:
            row = self.view.product(code) or {}
            self.products[code] = (row.get("name") or "", row.get("unit") or "")
        return self.products[code]

    def person(self, address: str | None) -> str:
        found = self.roster.find(address) if address else None
        return found.name if found else (address or "")


def _reminder(section: str, item: OpenItem, today: dt.date, names: _Names) -> Reminder:
    product_name, unit = names.product(item.product_code)
    amount = item.measure == "amount"
    salesperson = item.salesperson or item.owner
    return Reminder(
        section,
        item.docno,
        item.kind,
        item.line_no,
        item.customer_code,
        names.customer(item.customer_code),
        item.product_code,
        product_name,
        unit,
        item.warehouse,
        item.lot,
        quantity=item.remaining if item.measure == "quantity" else None,
        quantity_total=item.total if item.measure == "quantity" else None,
        amount=item.remaining if amount else None,
        currency=item.currency if amount else None,
        due_on=item.due_on,
        days_late=item.days_late(today),
        days_left=max(0, (item.due_on - today).days) if item.due_on else None,
        salesperson=salesperson,
        salesperson_name=names.person(salesperson),
        obligation=item.obligation,
        since=item.since,
        days_open=(today - item.since).days if item.since else None,
    )


# --- in words ------------------------------------------------------------------------------
#: what a reminder's date is, per section (zh, en)
DATE_WORDS: dict[str, tuple[str, str]] = {
    "follow_up_due": ("跟进日", "follow-up date"),
    "quote_validity": ("有效期至", "valid until"),
    "order_decision": ("有效期至", "valid until"),
    "firm_offer_validity": ("有效期至", "valid until"),
    "contract_to_notice": ("交货期", "delivery date"),
    "service_next_action": ("下次跟进", "next action"),
    "notice_to_issue": ("要求出库", "ship by"),
    "notice_owed": ("付款期至", "payment due"),
    "lot_expiring": ("到期日", "expires"),
}
#: sections whose date, once past, means lapsed rather than late
LAPSING = ("quote_validity", "firm_offer_validity", "lot_expiring")


def number(value: Decimal) -> str:
    """A quantity in exact digits, thousands grouped: ``1,200`` / ``0.5`` (money: money_text)."""
    return f"{value.normalize():,f}"


def describe(r: Reminder, language: str, with_salesperson: bool = False) -> str:
    """One reminder as one line: what, for whom, what remains, its date and state."""
    zh = language == "zh"
    sep = "，" if zh else ", "
    head = r.docno if r.kind != "lot" else ("批号 " if zh else "lot ") + (r.lot or "")
    if r.line_no and r.kind != "lot":
        head += f" 第 {r.line_no} 行" if zh else f" line {r.line_no}"
    if with_salesperson and r.salesperson_name:
        head = f"【{r.salesperson_name}】{head}" if zh else f"[{r.salesperson_name}] {head}"
    parts = [" ".join(filter(None, (r.customer_code, r.customer_name)))]
    parts.append(" ".join(filter(None, (r.product_code, r.product_name))))
    if r.quantity is not None:
        word = QUANTITY_WORDS.get(r.what, ("剩余", "open"))[0 if zh else 1]
        of = f" / {number(r.quantity_total)}" if r.quantity_total is not None else ""
        parts.append(f"{word} {number(r.quantity)}{of} {r.unit}".rstrip())
    if r.warehouse and r.kind != "lot":
        parts.append(("仓库 " if zh else "warehouse ") + r.warehouse)
    elif r.kind == "lot" and r.warehouse:
        parts.append(r.warehouse)
    if r.lot and r.kind != "lot":
        parts.append(("批号 " if zh else "lot ") + r.lot)
    if r.amount is not None:
        word = "未收" if r.what == "notice_owed" else "应退"
        if not zh:
            word = "owed" if r.what == "notice_owed" else "to refund"
        parts.append(f"{word} {money_text(r.amount, r.currency)} {r.currency or ''}".rstrip())
    if r.due_on:
        label = DATE_WORDS.get(r.what, ("日期", "date"))[0 if zh else 1]
        parts.append(f"{label} {r.due_on.isoformat()}")
    state = state_words(r, language)
    if state:
        parts.append(state)
    elif r.due_on is None and r.since and r.days_open is not None:
        parts.append(
            f"自 {r.since.isoformat()} 起已 {r.days_open} 天"
            if zh
            else f"open since {r.since.isoformat()} ({r.days_open} day(s))"
        )
    body = sep.join(p for p in parts if p)
    return f"{head}{'：' if zh else ': '}{body}" if body else head


#: what a remaining quantity is, per section (zh, en)
QUANTITY_WORDS: dict[str, tuple[str, str]] = {
    "contract_to_notice": ("待通知发货", "to notice"),
    "notice_to_issue": ("待出库", "to issue"),
    "replacement_owed": ("待补发", "to replace"),
    "return_to_receive": ("待入库", "to receive"),
    "lot_expiring": ("库存", "on hand"),
}


def state_words(r: Reminder, language: str) -> str:
    """Late (or lapsed) by N days, due today, N days left; nothing for an undated item."""
    zh = language == "zh"
    if r.days_late:
        if r.what in LAPSING:
            return f"已过期 {r.days_late} 天" if zh else f"ended {r.days_late} day(s) ago"
        return f"逾期 {r.days_late} 天" if zh else f"{r.days_late} day(s) late"
    if r.days_left == 0:
        return "今天到期" if zh else "due today"
    if r.days_left:
        return f"还有 {r.days_left} 天" if zh else f"{r.days_left} day(s) left"
    return ""
