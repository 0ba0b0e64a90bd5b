"""Daily digests end to end: ``silu serve`` (IMAP IDLE on the real Dovecot, replies over the real
SMTP relay) with the clock moved to just before the digest time (time-machine, ticking). The
digest lands in each person's own mailbox at its time and not before, once — two restarts the
same day add nothing; the warehouse keeper's digest, read back over IMAP, holds no price in any
byte of any part; a TODO (待办) mail is answered with the person's list."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import threading
import time
import zipfile
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine

from silu_sheets import digest
from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.mail import idle
from silu_sheets.pipeline import Gateway, ingest
from tests.conftest import ADMIN, MANAGER, SALES, SALES_EN, WAREHOUSE_A
from tests.mail import eml, loopback
from tests.mail.conftest import FORMS, MailFirm

pytestmark = pytest.mark.mail

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: unusual prices, so nothing else in a digest can look like them by chance
LINES = [
    {"product_code": "P-M8", "quantity": 150, "unit_price": "7.13", "warehouse": "WH-A"},
    {"product_code": "P-W10", "quantity": 700, "unit_price": "0.287", "warehouse": "WH-A"},
]
PRICE_TEXTS = ("7.13", "7,13", "0.287", "1069.5", "1,069.5", "200.9", "1270.4", "1,270.4")


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Serving:
    """``silu serve`` in a thread of its own, with its own ledger connection and timetable, as a
    process would have; started and stopped like a restart."""

    def __init__(self, mail_firm: MailFirm):
        self.stop = threading.Event()
        self.cycles = 0
        self.thread = threading.Thread(target=self._run, args=(mail_firm,), daemon=True)

    def _run(self, mail_firm: MailFirm) -> None:
        gw = Gateway.open(mail_firm.folder)
        try:
            idle.serve(
                gw,
                mail_firm.settings,
                stop=self.stop,
                on_cycle=self._count,
                settle_seconds=0,
                timetable=digest.timetable(gw),
            )
        finally:
            gw.ledger.close()

    def _count(self, report) -> None:
        self.cycles += 1

    def __enter__(self) -> Serving:
        self.thread.start()
        deadline = time.monotonic() + 10
        while self.cycles == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.cycles, "serve did not complete a cycle"
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive()


def record_the_day_before(mail_firm: MailFirm) -> tuple[str, str]:
    """An inquiry due on 1 December and a shipment notice from WH-A at unusual prices; their
    confirmations count as read long ago, so the mailboxes hold only what the test causes."""
    gw = mail_firm.gw

    def ok(kind: str, header: dict, lines=()) -> str:
        outcome = ingest(gw, fill_form(kind, header, lines), f"{kind}.xlsx", SALES)
        assert outcome.accepted, outcome.as_dict("en")
        assert outcome.docno
        return outcome.docno

    inquiry = ok(
        "inquiry",
        {
            "inquiry_date": "2026-11-20",
            "customer_code": "C001",
            "channel": "电话 phone",
            "next_follow_up": "2026-12-01",
        },
    )
    order = ok(
        "order",
        {
            "order_date": "2026-11-21",
            "customer_code": "C001",
            "offer_type": "虚盘",
            "decision": "accepted",
        },
        LINES,
    )
    contract = ok(
        "contract",
        {
            "contract_date": "2026-11-22",
            "order_no": order,
            "customer_code": "C001",
            "delivery_date": "2026-12-10",
            "payment_days": 30,
        },
        LINES,
    )
    notice = ok(
        "shipment_notice",
        {"notice_date": "2026-11-23", "contract_no": contract, "ship_by": "2026-11-30"},
        LINES,
    )
    gw.ledger.db.execute("UPDATE outbox SET status = 'sent' WHERE status = 'queued'")
    gw.ledger.db.commit()
    return inquiry, notice


def digest_count(mail_firm: MailFirm) -> int:
    return mail_firm.count("SELECT count(*) FROM outbox WHERE purpose = 'digest'")


def test_digests_reach_the_mailboxes_at_their_time_once_across_restarts(
    mail_firm: MailFirm, quiet_masters
) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False):
        inquiry, notice = record_the_day_before(mail_firm)
    with time_machine.travel(moment("2026-12-01 08:29:57"), tick=True):
        with Serving(mail_firm):
            assert digest_count(mail_firm) == 0  # started before 08:30: nothing yet
            [li] = mail_firm.inbox(SALES, count=1, timeout=20)
            assert dt.datetime.now(SHANGHAI) >= moment("2026-12-01 08:30")
            [keeper] = mail_firm.inbox(WAREHOUSE_A, count=1, timeout=10)
        sent = digest_count(mail_firm)
        for _ in range(2):  # restarted twice the same morning
            with Serving(mail_firm) as again:
                deadline = time.monotonic() + 10
                while again.cycles < 3 and time.monotonic() < deadline:
                    time.sleep(0.05)
        assert digest_count(mail_firm) == sent
    assert li["Subject"] == "待办提醒 2026-12-01：1 项，今天到期 1 项"
    assert li["From"].addresses[0].addr_spec == FORMS
    files = {a.get_filename(): a.get_content() for a in li.iter_attachments()}
    assert set(files) == {"待办-2026-12-01.xlsx", f"follow_up-咨询跟进单-{inquiry}.xlsx"}
    sheet = openpyxl.load_workbook(io.BytesIO(files["待办-2026-12-01.xlsx"])).active
    assert (sheet["A5"].value, sheet["B5"].value) == ("到期跟进", inquiry)
    assert "今天到期" in li.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert notice in keeper["Subject"] or notice in keeper.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # exactly one digest in each mailbox, after two restarts
    assert len(mail_firm.inbox(SALES)) == 1 and len(mail_firm.inbox(WAREHOUSE_A)) == 1
    runs = mail_firm.gw.ledger.db.execute(
        "SELECT min(ran_at) FROM periodic_runs WHERE period = '2026-12-01'"
    ).fetchone()[0]
    assert runs >= "2026-12-01T00:30:00+00:00"  # 08:30 in Shanghai, not before
    count = mail_firm.count("SELECT count(*) FROM periodic_runs WHERE period = '2026-12-01'")
    assert count == len(mail_firm.gw.roster.staff) - 1  # Tom's Berlin morning has not come


def test_the_warehouse_digest_read_over_imap_holds_no_price(
    mail_firm: MailFirm, quiet_masters
) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False):
        _, notice = record_the_day_before(mail_firm)
    with time_machine.travel(moment("2026-12-01 09:00"), tick=True):
        digest.send_digests(mail_firm.gw, only=WAREHOUSE_A)
        mail_firm.poll()
    [raw] = loopback.read_mailbox(mail_firm.servers.dovecot.imap_port, WAREHOUSE_A, "INBOX")
    everything, unzipped = every_byte(raw)
    assert notice in everything and "P-W10" in everything and unzipped > 5
    for needle in (*PRICE_TEXTS, "单价", "金额", "Unit price", "Amount", "CNY"):
        assert needle not in everything, needle
    # the same search over the notice sales filled in finds its prices: the search can fail
    form = fill_form("shipment_notice", {"notice_date": "2026-11-23"}, LINES)
    priced, _ = every_byte(eml.with_form(SALES, FORMS, form, "notice.xlsx"))
    assert "7.13" in priced and "0.287" in priced


def every_byte(raw: bytes) -> tuple[str, int]:
    """The raw message, every decoded MIME part and every file inside every zip part, as text;
    and how many zip members were read."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [raw.decode("ascii", "replace")]
    unzipped = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        texts.append(data.decode("utf-8", "replace"))
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for member in z.namelist():
                    texts.append(z.read(member).decode("utf-8", "replace"))
                    unzipped += 1
    return "\n".join(texts), unzipped


def test_todo_by_mail_is_answered_with_ones_own_list(mail_firm: MailFirm, quiet_masters) -> None:
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False):
        inquiry, _ = record_the_day_before(mail_firm)
    with time_machine.travel(moment("2026-12-02 07:00"), tick=True):
        mail_firm.mail(eml.mail(SALES, FORMS, "待办", []))
        mail_firm.mail(eml.mail(MANAGER, FORMS, "Re: TODO", []))
        report = mail_firm.poll()
    assert [h.reason for h in report.handled] == ["command", "command"]
    [answer] = mail_firm.inbox(SALES, count=1)
    assert answer["Subject"] == "待办提醒 2026-12-02：1 项，逾期 1 项"
    text = answer.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{inquiry}：C001 华东机电有限公司，跟进日 2026-12-01，逾期 1 天" in text
    names = [a.get_filename() for a in answer.iter_attachments()]
    assert names == ["待办-2026-12-02.xlsx", f"follow_up-咨询跟进单-{inquiry}.xlsx"]
    [team] = mail_firm.inbox(MANAGER, count=1)
    assert "【李娜】" in team.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mail_firm.inbox(ADMIN) == []  # a TODO answers only the one who asked


def test_a_failing_digest_stops_neither_the_others_nor_the_mail_loop_and_is_retried(
    mail_firm: MailFirm, quiet_masters
) -> None:
    """Tom's open item made unreadable in the ledger (edited by hand): his digest fails and is
    logged; Li's arrives, Li's form mailed meanwhile is answered; once the row is mended, the
    retry sweep (``retry_minutes``) sends Tom's."""
    path = mail_firm.folder.root / "silu.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("\n[reminders]\n", "\n[reminders]\nretry_minutes = 0.05\n"), "utf-8"
    )
    mail_firm.folder = firm_folder.open_firm(mail_firm.folder.root)  # what serve reads on start
    with time_machine.travel(moment("2026-11-20 10:00"), tick=False):
        record_the_day_before(mail_firm)
        tom = ingest(
            mail_firm.gw,
            fill_form(
                "inquiry",
                {
                    "inquiry_date": "2026-11-20",
                    "customer_code": "C002",
                    "channel": "电话 phone",
                    "next_follow_up": "2026-12-01",
                },
            ),
            "inquiry.xlsx",
            SALES_EN,
        ).docno
    db = mail_firm.gw.ledger.db
    db.execute("UPDATE outbox SET status = 'sent' WHERE status = 'queued'")
    db.execute("UPDATE open_items SET remaining = 'n/a' WHERE docno = ?", [tom])
    db.commit()
    with time_machine.travel(moment("2026-12-01 17:00"), tick=True), Serving(mail_firm):
        [li] = mail_firm.inbox(SALES, count=1, timeout=20)
        assert li["Subject"].startswith("待办提醒 2026-12-01")
        mail_firm.mail(eml.with_form(SALES, FORMS, fill_form("inquiry", {
            "inquiry_date": "2026-12-01", "customer_code": "C001", "channel": "电话 phone"
        }), "new.xlsx"))  # fmt: skip
        answers = mail_firm.inbox(SALES, count=2, timeout=20)
        assert any(m["Subject"].startswith("已登记 客户咨询单") for m in answers)
        assert mail_firm.inbox(SALES_EN) == []
        db.execute("UPDATE open_items SET remaining = NULL WHERE docno = ?", [tom])
        db.commit()
        [late] = mail_firm.inbox(SALES_EN, count=1, timeout=20)
    assert late["Subject"] == "To do on 2026-12-01: 1 item(s), 1 due today"
