"""The mail gateway against a real Dovecot (IMAP + LMTP) and a real SMTP server: staff mail forms
to the shared address and read the answers in their own mailboxes, over IMAP, as their mail
client would. Every form is recorded once, every mail answered once, nothing is deleted."""

from __future__ import annotations

import io
import logging
from dataclasses import replace

import openpyxl
import pytest

from silu_sheets.api import fill_form
from silu_sheets.kinds import KINDS
from silu_sheets.mail import gateway
from silu_sheets.mail.idle import CONNECTION_ERRORS
from silu_sheets.mail.mailbox import ImapMailbox
from tests.conftest import ADMIN, SALES, SALES_EN
from tests.mail import eml, loopback
from tests.mail.conftest import FORMS, MailFirm

pytestmark = pytest.mark.mail


def inquiry(
    customer: str = "C001", product: str = "P-M8", quantity: object = 500, **more: object
) -> bytes:
    header = {
        "inquiry_date": "2026-11-20",
        "customer_code": customer,
        "channel": "电话",
        "questions": "交期？",
    }
    return fill_form("inquiry", header | more, [{"product_code": product, "quantity": quantity}])


def attachments(msg) -> dict[str, bytes]:
    return {a.get_filename(): a.get_content() for a in msg.iter_attachments()}


def fill_attached(data: bytes, kind: str, header: dict, lines: list[dict]) -> bytes:
    """What the salesperson does with the attached next form: open it, type, save."""
    k = KINDS[kind]
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for key, value in header.items():
        ws[k.layout.header_cells[key]] = value
    for i, line in enumerate(lines):
        for key, value in line.items():
            ws[k.layout.line_cell(key, k.layout.first_line_row + i)] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_salesperson_gets_the_reply_in_her_mailbox_and_sends_the_next_form_back(
    mail_firm: MailFirm, quiet_masters
) -> None:
    sent = eml.with_form(
        f"李娜 <{SALES}>", FORMS, inquiry(), "询价-华东机电.xlsx", subject="询价 华东机电"
    )
    mail_firm.mail(sent)

    report = mail_firm.poll()

    [outcome] = report.outcomes
    assert outcome.accepted and outcome.docno == "INQ-2026-00001"
    [reply] = mail_firm.inbox(SALES, count=1)
    assert reply["Subject"] == "已登记 客户咨询单 INQ-2026-00001"
    assert reply["In-Reply-To"] == email_id(sent)
    assert reply["Auto-Submitted"] == "auto-replied"
    assert "询价-华东机电.xlsx" in reply.get_body(("plain",)).get_content()
    files = attachments(reply)
    quote_name = "quote-销售报价单-INQ-2026-00001.xlsx"
    assert quote_name in files
    # the shared box: nothing left in INBOX, the mail kept in Processed, unread by the gateway
    assert mail_firm.shared() == [] and len(mail_firm.shared("Processed")) == 1

    # she fills the attached quote (customer and inquiry are pre-filled) and replies with it
    quote = fill_attached(
        files[quote_name],
        "quote",
        {"quote_date": "2026-11-25", "valid_until": "2026-12-25"},
        [{"product_code": "P-M8", "quantity": 500, "unit_price": "1.15"}],
    )
    answer = eml.with_form(SALES, FORMS, quote, quote_name, subject="Re: " + reply["Subject"])
    mail_firm.mail(answer)
    [outcome] = mail_firm.poll().outcomes
    assert outcome.accepted and outcome.docno == "QUO-2026-00001", outcome.as_dict("en")
    replies = mail_firm.inbox(SALES, count=2)
    assert [r["Subject"] for r in replies] == [
        "已登记 客户咨询单 INQ-2026-00001",
        "已登记 销售报价单 QUO-2026-00001",
    ]
    assert mail_firm.gw.ledger.view.document("QUO-2026-00001")["customer_code"] == "C001"
    assert (
        mail_firm.count(
            "SELECT count(*) FROM links WHERE docno = 'QUO-2026-00001' AND target = 'INQ-2026-00001'"
        )
        == 1
    )


def email_id(raw: bytes) -> str:
    import email as email_lib

    return email_lib.message_from_bytes(raw)["Message-ID"]


def test_uidvalidity_change_records_nothing_twice(mail_firm: MailFirm, quiet_masters) -> None:
    sent = eml.with_form(SALES, FORMS, inquiry(), "a.xlsx")
    mail_firm.mail(sent)

    class CrashBeforeMove(ImapMailbox):
        def move(self, uid: str, folder: str) -> None:
            raise RuntimeError("power cut after the commit, before the move")

    box = CrashBeforeMove(mail_firm.settings.imap)
    with pytest.raises(RuntimeError):
        gateway.run_pass(mail_firm.gw, box, mail_firm.settings)
    box.close()
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 1
    # the server renumbers the mailbox (restore from backup, migration): every UID is new
    mail_firm.servers.dovecot.set_uidvalidity(FORMS, 4242)
    # and the client delivers the very same mail a second time too
    mail_firm.deliver(sent)

    report = mail_firm.poll()

    assert report.outcomes == []
    assert [h.reason for h in report.handled] == ["already handled", "already handled"]
    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 1
    assert mail_firm.count("SELECT count(*) FROM sources WHERE channel = 'mail'") == 1
    assert len(mail_firm.inbox(SALES, count=1)) == 1
    assert mail_firm.shared() == [] and len(mail_firm.shared("Processed")) == 2
    assert mail_firm.count("SELECT count(*) FROM handled_messages WHERE uidvalidity = '4242'") == 2


def test_a_forwarded_form_is_recorded_for_the_forwarder(mail_firm: MailFirm, quiet_masters) -> None:
    inner = eml.with_form(
        "customer@example.com", SALES, inquiry(), "客户询价单.xlsx", subject="RFQ"
    )
    mail_firm.mail(eml.forwarded(SALES, FORMS, inner))
    [outcome] = mail_firm.poll().outcomes
    assert outcome.accepted and outcome.sender == SALES and outcome.filename == "客户询价单.xlsx"
    assert mail_firm.gw.ledger.view.document(outcome.docno)["owner"] == SALES
    [reply] = mail_firm.inbox(SALES, count=1)
    assert outcome.docno in reply["Subject"]


@pytest.mark.parametrize(
    "param",
    [
        eml.name_rfc2231("询价单-华东.xlsx", "gb18030"),
        eml.name_rfc2047("询价单-华东.xlsx", "gbk", label="gb2312"),
        eml.name_rfc2047("询价单-华东.xlsx", "utf-8"),
        eml.name_raw("询价单-华东.xlsx", "gb18030"),
    ],
    ids=["rfc2231-gb18030", "rfc2047-gbk", "rfc2047-utf8", "raw-8bit-gbk"],
)
def test_each_attachment_name_encoding_through_the_real_server(
    mail_firm: MailFirm, quiet_masters, param: bytes
) -> None:
    mail_firm.deliver(eml.mail(SALES, FORMS, "询价", [eml.part(inquiry(), param)]))
    [outcome] = mail_firm.poll().outcomes
    assert outcome.accepted and outcome.filename == "询价单-华东.xlsx"
    assert (
        mail_firm.count("SELECT count(*) FROM sources WHERE attachment_name = '询价单-华东.xlsx'")
        == 1
    )
    [reply] = mail_firm.inbox(SALES, count=1)
    assert "询价单-华东.xlsx" in reply.get_body(("plain",)).get_content()


def replies_sent(mail_firm: MailFirm) -> list:
    """What the gateway sent through the SMTP server (not what staff sent to the shared box)."""
    return [a for a in mail_firm.servers.relay.accepted if a[0] != [FORMS]]


def nothing_recorded_nor_sent(mail_firm: MailFirm) -> None:
    assert mail_firm.count("SELECT count(*) FROM sources WHERE channel = 'mail'") == 0
    assert (
        mail_firm.count("SELECT count(*) FROM outbox WHERE id > ?", mail_firm.baseline_outbox) == 0
    )
    assert replies_sent(mail_firm) == []


def test_a_bounce_is_never_answered(mail_firm: MailFirm, quiet_masters) -> None:
    our_reply = eml.with_form(FORMS, "gone@example.com", inquiry(), "quote.xlsx")
    mail_firm.deliver(eml.bounce(FORMS, our_reply))
    report = mail_firm.poll()
    assert [(h.reason, h.folder) for h in report.handled] == [("bounce", "Ignored")]
    nothing_recorded_nor_sent(mail_firm)
    assert len(mail_firm.shared("Ignored")) == 1 and mail_firm.shared() == []


def test_an_auto_reply_with_a_form_is_never_answered(mail_firm: MailFirm, quiet_masters) -> None:
    ooo = eml.with_form(
        SALES,
        FORMS,
        inquiry(),
        "a.xlsx",
        subject="自动回复: 休假中",
        headers={"Auto-Submitted": "auto-replied"},
    )
    mail_firm.mail(ooo)
    report = mail_firm.poll()
    assert [(h.reason, h.folder) for h in report.handled] == [("auto-reply", "Ignored")]
    nothing_recorded_nor_sent(mail_firm)


def test_an_unknown_sender_gets_nothing_and_nothing_is_recorded(
    mail_firm: MailFirm, quiet_masters, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="silu_sheets.mail.gateway")
    mail_firm.deliver(eml.with_form("stranger@example.com", FORMS, inquiry(), "a.xlsx"))
    report = mail_firm.poll()
    assert [(h.reason, h.folder) for h in report.handled] == [("unknown sender", "Ignored")]
    nothing_recorded_nor_sent(mail_firm)
    assert "unknown sender stranger@example.com" in caplog.text


def test_our_own_address_is_never_answered(mail_firm: MailFirm, quiet_masters) -> None:
    mail_firm.deliver(eml.with_form(FORMS, FORMS, inquiry(), "a.xlsx"))
    assert [h.reason for h in mail_firm.poll().handled] == ["own-address"]
    nothing_recorded_nor_sent(mail_firm)


def test_a_spoofed_sender_is_refused_and_foreign_stamps_are_ignored(
    mail_firm: MailFirm, quiet_masters
) -> None:
    mail_firm.settings = replace(mail_firm.settings, authserv_id="mx.firm.test")
    stamp = "Authentication-Results: {}\r\n"
    spoofed = stamp.format(
        "mx.firm.test; spf=fail smtp.mailfrom=firm.test; dmarc=fail header.from=firm.test"
    ).encode()
    mail_firm.deliver(spoofed + eml.with_form(SALES, FORMS, inquiry(), "spoofed.xlsx"))
    # a stamp the sender wrote himself, claiming another host's pass, counts for nothing
    self_stamped = stamp.format("mx.evil.test; dmarc=pass header.from=firm.test").encode()
    mail_firm.deliver(self_stamped + eml.with_form(SALES, FORMS, inquiry(), "self-stamped.xlsx"))
    # ours passes; a foreign failing stamp is ignored
    genuine = (
        stamp.format("mx.firm.test; dkim=pass header.d=firm.test; dmarc=pass header.from=firm.test")
        + stamp.format("relay.other.test; dmarc=fail")
    ).encode()
    mail_firm.deliver(genuine + eml.with_form(SALES, FORMS, inquiry(), "genuine.xlsx"))

    report = mail_firm.poll()

    assert [(h.reason, h.folder) for h in report.handled] == [
        ("not authenticated", "Rejected"),
        ("not authenticated", "Rejected"),
        ("processed", "Processed"),
    ]
    assert [o.filename for o in report.outcomes] == ["genuine.xlsx"]
    assert mail_firm.count("SELECT count(*) FROM sources WHERE channel = 'mail'") == 1
    assert len(mail_firm.inbox(SALES, count=1)) == 1


def test_five_forms_in_one_mail_five_outcomes_one_reply(mail_firm: MailFirm, quiet_masters) -> None:
    forms = [
        eml.part(inquiry(quantity=100 * (i + 1)), eml.name_rfc2231(f"询价-{i + 1}.xlsx"))
        for i in range(4)
    ] + [eml.part(inquiry(customer="C999"), eml.name_rfc2231("询价-5.xlsx"))]
    forms.append(eml.part(b"\x89PNG signature", eml.name_raw("logo.png"), "image/png"))
    mail_firm.mail(eml.mail(SALES, FORMS, "五张询价单", forms))

    report = mail_firm.poll()

    assert [(o.filename, o.accepted) for o in report.outcomes] == [
        ("询价-1.xlsx", True),
        ("询价-2.xlsx", True),
        ("询价-3.xlsx", True),
        ("询价-4.xlsx", True),
        ("询价-5.xlsx", False),
    ]
    assert [p.code for p in report.outcomes[4].problems] == ["customer-unknown"]
    [reply] = mail_firm.inbox(SALES, count=1, timeout=3)
    assert reply["Subject"] == "5 张表：4 张已登记，1 张未登记"
    text = reply.get_body(("plain",)).get_content()
    for n in range(1, 5):
        assert f"INQ-2026-0000{n}" in text
    assert "logo.png" in text  # ignored, and said so
    names = list(attachments(reply))
    assert "询价-5-待修改.xlsx" in names
    assert sum(n.startswith("quote-") for n in names) == 4
    assert mail_firm.count("SELECT count(*) FROM outbox WHERE status = 'merged'") == 5
    assert len(replies_sent(mail_firm)) == 1


def test_connection_dropped_mid_fetch_then_the_next_pass_completes_with_nothing_twice(
    mail_firm: MailFirm, quiet_masters
) -> None:
    mails = [
        eml.with_form(SALES, FORMS, inquiry(quantity=10 + i), f"询价-{i}.xlsx") for i in range(5)
    ]
    for m in mails:
        mail_firm.deliver(m)
    proxy = loopback.CuttingProxy(mail_firm.servers.dovecot.imap_port)
    try:
        proxy.cut_after = int(sum(len(m) for m in mails[:3]) + 2000)  # inside the second FETCH
        settings = replace(
            mail_firm.settings, imap=replace(mail_firm.settings.imap, port=proxy.port)
        )
        box = ImapMailbox(settings.imap)
        with pytest.raises(CONNECTION_ERRORS):
            gateway.run_pass(mail_firm.gw, box, settings, batch=2)
        box.close()
        assert proxy.cuts == 1
        first = mail_firm.count("SELECT count(*) FROM documents")
        assert 1 <= first < 5 + 4  # some forms were done before the cut (masters are 4 documents)
    finally:
        proxy.close()

    report = mail_firm.poll()

    assert mail_firm.count("SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 5
    assert mail_firm.count("SELECT count(*) FROM sources WHERE channel = 'mail'") == 5
    replies = mail_firm.inbox(SALES, count=5)
    assert len(replies) == 5
    assert sorted(r["Subject"] for r in replies) == [
        f"已登记 客户咨询单 INQ-2026-0000{n}" for n in range(1, 6)
    ]
    assert mail_firm.shared() == [] and len(mail_firm.shared("Processed")) == 5
    assert len(report.outcomes) == 5 - (first - 4)


def test_smtp_451_then_250_is_retried_and_delivered_once(
    mail_firm: MailFirm, quiet_masters
) -> None:
    mail_firm.servers.relay.temporary_failures = 1
    mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(), "a.xlsx"))

    report = mail_firm.poll()

    assert report.sent.sent == [] and len(report.sent.retrying) == 1
    status, attempts, error = mail_firm.gw.ledger.db.execute(
        "SELECT status, attempts, last_error FROM outbox WHERE id > ?", [mail_firm.baseline_outbox]
    ).fetchone()
    assert (status, attempts) == ("queued", 1) and error.startswith("451")
    assert mail_firm.inbox(SALES) == []
    import time

    from silu_sheets.mail.smtp import send_queued

    assert send_queued(mail_firm.gw, mail_firm.settings).sent == []  # not due yet: backoff
    time.sleep(0.4)
    assert len(send_queued(mail_firm.gw, mail_firm.settings).sent) == 1
    assert send_queued(mail_firm.gw, mail_firm.settings).sent == []
    assert len(mail_firm.inbox(SALES, count=1)) == 1
    time.sleep(0.3)
    assert len(mail_firm.inbox(SALES)) == 1  # once
    assert [code for _, code in mail_firm.servers.relay.refused] == ["451"]


def test_smtp_550_fails_the_reply_and_tells_the_administrator(
    mail_firm: MailFirm, quiet_masters
) -> None:
    from silu_sheets.mail.smtp import send_queued

    def rows() -> list[tuple]:
        return mail_firm.gw.ledger.db.execute(
            "SELECT recipient, purpose, status, last_error FROM outbox WHERE id > ? ORDER BY id",
            [mail_firm.baseline_outbox],
        ).fetchall()

    mail_firm.servers.relay.permanent = True
    mail_firm.deliver(
        eml.with_form(SALES_EN, FORMS, inquiry(customer="C002", product="P-W10"), "a.xlsx")
    )

    report = mail_firm.poll()

    assert len(report.sent.failed) == 1
    [failed, notice_row] = rows()
    assert failed[:3] == (SALES_EN, "confirmation", "failed") and failed[3].startswith("550 5.1.1")
    assert notice_row[:3] == (ADMIN, "delivery-failure", "queued")

    mail_firm.servers.relay.permanent = False
    assert len(send_queued(mail_firm.gw, mail_firm.settings).sent) == 1
    [notice] = mail_firm.inbox(ADMIN, count=1)
    assert notice["Subject"] == f"回复未能送达：{SALES_EN}"
    assert "550 5.1.1" in notice.get_body(("plain",)).get_content()
    assert notice["Auto-Submitted"] == "auto-generated"
    assert mail_firm.inbox(SALES_EN) == []
    assert (
        send_queued(mail_firm.gw, mail_firm.settings).sent == []
    )  # the failed reply is not retried

    # a failing notice to the administrator is failed too, and does not notify about itself
    mail_firm.servers.relay.permanent = True
    mail_firm.deliver(
        eml.with_form(
            SALES_EN, FORMS, inquiry(customer="C002", product="P-W10", quantity=7), "b.xlsx"
        )
    )
    mail_firm.poll()
    assert len(send_queued(mail_firm.gw, mail_firm.settings).failed) == 1
    assert [r[1:3] for r in rows()] == [
        ("confirmation", "failed"),
        ("delivery-failure", "sent"),
        ("confirmation", "failed"),
        ("delivery-failure", "failed"),
    ]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_the_shared_mailbox_over_tls_and_starttls(
    mail_firm: MailFirm, quiet_masters, security: str
) -> None:
    dovecot = mail_firm.servers.dovecot
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    imap = replace(
        mail_firm.settings.imap, security=security, port=port, ca_file=str(dovecot.certificate)
    )
    mail_firm.settings = replace(mail_firm.settings, imap=imap)
    mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(), "a.xlsx"))
    [outcome] = mail_firm.poll().outcomes
    assert outcome.accepted
    assert mail_firm.shared() == [] and len(mail_firm.shared("Processed")) == 1
    # the server's certificate is verified: without the firm's CA nothing is read
    mail_firm.settings = replace(mail_firm.settings, imap=replace(imap, ca_file=""))
    with pytest.raises(CONNECTION_ERRORS, match="CERTIFICATE_VERIFY_FAILED"):
        mail_firm.poll()


def test_an_smtp_server_that_stalls_is_a_timeout_retried_later(
    mail_firm: MailFirm, quiet_masters
) -> None:
    import time

    from silu_sheets.mail.smtp import send_queued

    mail_firm.settings = replace(
        mail_firm.settings, smtp=replace(mail_firm.settings.smtp, timeout=0.5)
    )
    mail_firm.servers.relay.stall_seconds = 1.5
    mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(), "a.xlsx"))

    report = mail_firm.poll()

    assert report.sent.sent == [] and len(report.sent.retrying) == 1
    error = mail_firm.gw.ledger.db.execute(
        "SELECT last_error FROM outbox WHERE id > ?", [mail_firm.baseline_outbox]
    ).fetchone()[0]
    assert "timed out" in error
    time.sleep(1.2)  # the stalled session ends; the server has not delivered it
    assert mail_firm.inbox(SALES) == []
    mail_firm.servers.relay.stall_seconds = 0
    time.sleep(0.1)
    assert len(send_queued(mail_firm.gw, mail_firm.settings).sent) == 1
    assert len(mail_firm.inbox(SALES, count=1)) == 1
    time.sleep(0.3)
    assert len(mail_firm.inbox(SALES)) == 1


def test_replies_claimed_when_the_server_is_unreachable_stay_queued_and_go_later(
    mail_firm: MailFirm, quiet_masters
) -> None:
    """A batch is claimed in one write; when the connection fails at the first reply, the rest
    of the batch goes back to the queue at once, not 'sending' until the stale-claim timeout."""
    from silu_sheets.mail.smtp import send_queued

    for n in range(3):
        mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(10 + n), f"{n}.xlsx"))
    working = mail_firm.settings
    mail_firm.settings = replace(
        working, smtp=replace(working.smtp, port=loopback.free_port(), retry_first_seconds=0)
    )
    report = mail_firm.poll()
    assert len(report.outcomes) == 3 and report.sent.sent == []
    rows = mail_firm.gw.ledger.db.execute(
        "SELECT status, attempts FROM outbox WHERE id > ? ORDER BY id", [mail_firm.baseline_outbox]
    ).fetchall()
    assert rows == [("queued", 1), ("queued", 0), ("queued", 0)]  # one tried, two put back
    assert len(send_queued(mail_firm.gw, working).sent) == 3
    assert len(mail_firm.inbox(SALES, count=3)) == 3


def test_silu_ingest_in_a_firm_with_smtp_answers_by_mail(
    mail_firm: MailFirm, quiet_masters, tmp_path
) -> None:
    """A form recorded from the command line is answered like a mailed one: by mail, not as a
    file written aside (which would count as sent and never reach the person)."""
    from click.testing import CliRunner

    from silu_sheets.cli import main

    path = tmp_path / "询价.xlsx"
    path.write_bytes(inquiry())
    result = CliRunner().invoke(
        main, ["--firm", str(mail_firm.folder.root), "ingest", str(path), "--from", SALES]
    )
    assert result.exit_code == 0, result.output
    [reply] = mail_firm.inbox(SALES, count=1)
    assert "INQ-" in reply["Subject"]
    assert not list(mail_firm.folder.outbox_dir.glob("*.eml"))


def test_an_unset_smtp_password_keeps_replies_waiting_and_tells_the_administrator(
    mail_firm: MailFirm, quiet_masters, monkeypatch, caplog
) -> None:
    """A password variable missing from the environment is the administrator's to fix:
    the forms are recorded, no reply is claimed or spends an attempt, and the run says
    which variable to set. Once it is set, every reply goes out."""
    from silu_sheets.mail.smtp import send_queued

    monkeypatch.delenv("SILU_TEST_NEVER_SET", raising=False)
    working = mail_firm.settings
    assert working.smtp is not None
    mail_firm.settings = replace(
        working, smtp=replace(working.smtp, user=FORMS, password_env="SILU_TEST_NEVER_SET")
    )
    for n in range(2):
        mail_firm.deliver(eml.with_form(SALES, FORMS, inquiry(quantity=20 + n), f"{n}.xlsx"))

    report = mail_firm.poll()

    assert [o.accepted for o in report.outcomes] == [True, True]
    assert report.sent.sent == report.sent.retrying == report.sent.failed == []
    assert "SILU_TEST_NEVER_SET" in report.sent.waiting
    assert "SILU_TEST_NEVER_SET" in caplog.text
    rows = mail_firm.gw.ledger.db.execute(
        "SELECT status, attempts FROM outbox WHERE id > ? ORDER BY id", [mail_firm.baseline_outbox]
    ).fetchall()
    assert rows == [("queued", 0), ("queued", 0)]
    # the test relay takes mail without AUTH: the administrator's fix, in effect
    assert len(send_queued(mail_firm.gw, working).sent) == 2
    assert len(mail_firm.inbox(SALES, count=2)) == 2


def test_a_kept_session_sends_batch_after_batch_over_one_connection(
    mail_firm: MailFirm, quiet_masters
) -> None:
    """The backlog's background sender keeps its SMTP session between batches; a plain
    ``send_queued`` opens and closes its own."""
    from silu_sheets.mail.smtp import Session, send_queued
    from silu_sheets.pipeline import ingest

    relay = mail_firm.servers.relay
    for n in range(5):
        assert ingest(mail_firm.gw, inquiry(quantity=30 + n), f"{n}.xlsx", SALES).accepted
    relay.reset()
    session = Session()
    try:
        batches = [send_queued(mail_firm.gw, mail_firm.settings, 2, session) for _ in range(2)]
    finally:
        session.close()
    assert [len(b.sent) for b in batches] == [2, 2]
    assert relay.sessions == 1
    assert len(send_queued(mail_firm.gw, mail_firm.settings).sent) == 1
    assert relay.sessions == 2
    assert len(mail_firm.inbox(SALES, count=5)) == 5
