"""A firm's working folder: silu.toml, inbox_rules/, ledger/ and the local mail folders.

``silu init DIR`` makes one; every command finds it through ``--firm``, ``SILU_FIRM`` or the
current directory. Passwords never live here: they come from the environment.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import datetime as dt
import os
import shutil
import tomllib
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from silu_sheets import resources
from silu_sheets.document import Firm
from silu_sheets.roster import Roster, load

SETTINGS = "silu.toml"

DEFAULT_TOML = """\
# silu-sheets settings for this firm. Passwords never go here: set them in the environment.

[firm]
name = "示例贸易有限公司"
currency = "CNY"              # default currency of priced documents
timezone = "Asia/Shanghai"    # the firm's calendar: what "today" and "valid until" mean
mailbox = "forms@firm.test"   # the shared address staff send forms to
language = "zh"               # language of mail to people not on the roster (the administrator)
administrator = "admin@firm.test"
date_past_days = 1095         # a form dated further back than this is refused (a typed year, 2016 for 2026)
date_future_days = 366        # … or further ahead (2062 for 2026); widen them to enter such documents
# letterhead of printed documents (silu print, silu statement): fill what your paper shows
# address = "上海市浦东新区张江路 88 号"
# phone = "021-5080 1234"
# tax_number = "91310115MA1K3XXXX8"
# bank = "中国工商银行上海张江支行"
# bank_account = "1001 2345 6789 0123 456"
# logo = "logo.png"             # a PNG, JPEG, GIF or BMP in this folder, printed top left

[documents]
delivery_note_prices = false  # the customer's delivery note (送货单) with prices; the keeper's copy never has them

[ledger]
path = "ledger/silu.db"

[reminders]
# Each person's daily reminder mail (待办提醒), in their own time zone (staff.toml timezone, else
# [firm] timezone); `silu serve` sends it, or `silu remind --send` from cron. Defaults shown.
# daily_digest = true           # false: silu serve sends none (TODO and silu remind still work)
# digest_time = "08:30"
# quote_expiring_days = 3       # quotes ending within this many days (and ended as long ago)
# firm_offer_days = 3
# lot_expiring_days = 30        # warehouse: lots held that expire within this many days
# escalate_after_days = 7       # managers: overdue longer than this is escalated
# mail_when_nothing_due = false

[report]
# The summary workbook (汇总报表) mailed to every manager by `silu serve`; `silu report` writes
# one on demand. Defaults shown; "" sends none.
# weekly = "monday 08:00"       # last full week (Monday … Sunday)
# monthly = "1 08:00"           # day 1-28 of the month and time: last full month
# expiring_days = 90            # lots expiring within this many days are listed apart

[mail]
# With no [mail.imap] section, forms are read from the local Maildir mail/inbox (and the drop
# folder mail/drop/<staff address>/); with no [mail.smtp] section, replies are written to the
# local Maildir mail/sent (one mail per file): nothing leaves this folder.
# Mail servers: docs/MAIL.md ("With the firm's mail servers") shows the [mail.imap] and
# [mail.smtp] sections; passwords come from environment variables named there, never from here.
local = "mail"
rate_limit_per_hour = 60      # mails handled per sender and hour; more are set aside
# Forged senders (anyone can write a salesperson's address in From). Before silu poll/serve read
# a real mailbox ([mail.imap]) one of these must be set, or they refuse to start:
authserv_id = "{authserv_id}"              # your receiving server's name, the first word of the
                              # Authentication-Results header it adds; only its topmost stamp counts
trust_unauthenticated = {trust}  # true only if that server adds none: a warning at every start
"""


class FirmError(Exception):
    """The folder is not a firm folder, or its settings are wrong."""


class FirmFolder(NamedTuple):
    """A firm's folder: silu.toml read, the ledger, mail and roster files found from it."""

    root: Path
    settings: dict
    firm: Firm
    language: str
    administrator: str

    @property
    def ledger_path(self) -> Path:
        return self.root / self.settings.get("ledger", {}).get("path", "ledger/silu.db")

    @property
    def mail_dir(self) -> Path:
        return self.root / self.settings.get("mail", {}).get("local", "mail")

    @property
    def errors_log(self) -> Path:
        """Where faults are written for the administrator: in the firm folder, beside its
        ledger, never in a temp folder shared by every user of the machine."""
        return self.root / "log" / "silu-errors.log"

    @property
    def outbox_dir(self) -> Path:
        return self.mail_dir / "outbox"

    def roster(self) -> Roster:
        return load(self.root / "inbox_rules")

    def today(self) -> dt.date:
        return dt.datetime.now(ZoneInfo(self.firm.timezone)).date()


def open_firm(root: Path | str | None = None) -> FirmFolder:
    folder = Path(root or os.environ.get("SILU_FIRM") or ".").resolve()
    path = folder / SETTINGS
    if not path.exists():
        raise FirmError(f"{folder} has no {SETTINGS}; make one with `silu init {folder}`")
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise FirmError(f"{path}: {exc}") from exc
    f, default = settings.get("firm", {}), Firm()
    firm = Firm(
        name=f.get("name", default.name),
        currency=f.get("currency", default.currency),
        timezone=f.get("timezone", default.timezone),
        mailbox=f.get("mailbox", default.mailbox).lower(),
        date_past_days=_days(path, f, "date_past_days", default.date_past_days),
        date_future_days=_days(path, f, "date_future_days", default.date_future_days),
    )
    try:
        ZoneInfo(firm.timezone)
    except Exception as exc:  # noqa: BLE001 - zoneinfo raises several kinds for a bad key
        raise FirmError(f"{path}: unknown time zone {firm.timezone!r}") from exc
    return FirmFolder(folder, settings, firm, f.get("language", "zh"), f.get("administrator", ""))


def _days(path: Path, settings: dict, key: str, default: int) -> int:
    value = settings.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FirmError(f"{path}: [firm] {key} must be a whole number of days (0 or more)")
    return value


def init(
    root: Path | str, authserv_id: str = "", trust_unauthenticated: bool = False
) -> FirmFolder:
    """Create a firm folder with example settings and roster; existing files are kept.
    ``authserv_id``/``trust_unauthenticated``: the decision on forged senders (docs/MAIL.md)."""
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / SETTINGS).exists():
        text = DEFAULT_TOML.replace("{authserv_id}", authserv_id.replace('"', "")).replace(
            "{trust}", "true" if trust_unauthenticated else "false"
        )
        (folder / SETTINGS).write_text(text, encoding="utf-8")
    rules = folder / "inbox_rules"
    rules.mkdir(exist_ok=True)
    for name in ("staff.toml", "roles.toml"):
        if not (rules / name).exists():
            shutil.copyfile(resources.path("inbox_rules") / name, rules / name)
    (folder / "ledger").mkdir(exist_ok=True)
    for sub in ("inbox/cur", "inbox/new", "inbox/tmp", "outbox", "sent", "drop"):
        (folder / "mail" / sub).mkdir(parents=True, exist_ok=True)
    return open_firm(folder)
