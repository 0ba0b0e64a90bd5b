"""The embedded default with no servers: the local Maildir inbox and sent folder, the drop
folder, subject commands, the rate limit, the settings — all through real files."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.cli import main
from silu_sheets.mail import drop, maildir
from silu_sheets.mail import settings as mail_settings
from silu_sheets.mail.gateway import run_pass
from silu_sheets.mail.maildir import MaildirInbox
from silu_sheets.mail.smtp import send_queued
from silu_sheets.pipeline import Gateway
from tests.conftest import SALES, SALES_EN, WAREHOUSE_A
from tests.mail import eml

FORMS = "forms@firm.test"


def inquiry(quantity: object = 500) -> bytes:
    return fill_form(
        "inquiry",
        {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"},
        [{"product_code": "P-M8", "quantity": quantity}],
    )


def sent(folder: firm_folder.FirmFolder) -> list:
    return [
        email.message_from_bytes(m, policy=email.policy.default)
        for m in maildir.messages(folder.mail_dir / "sent")
    ]


def local_pass(gw: Gateway, folder: firm_folder.FirmFolder, **changes):
    settings = replace(mail_settings.load(folder), **changes)
    report = run_pass(gw, MaildirInbox(settings.inbox_dir), settings)
    send_queued(gw, settings)
    return report


def test_silu_poll_answers_the_local_inbox_into_the_local_sent_folder(firm, masters) -> None:
    maildir.deliver(firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, inquiry(), "询价.xlsx"))
    runner = CliRunner()

    result = runner.invoke(main, ["--firm", str(firm.root), "poll"])

    assert result.exit_code == 0, result.output
    assert "询价.xlsx → recorded INQ-2026-00001" in result.output
    replies = [m for m in sent(firm) if m["To"] == SALES]
    assert [m["Subject"] for m in replies] == ["已登记 客户咨询单 INQ-2026-00001"]
    assert maildir.messages(firm.mail_dir / "inbox") == []
    assert len(maildir.messages(firm.mail_dir / "processed")) == 1
    # again: nothing new, nothing twice
    result = runner.invoke(main, ["--firm", str(firm.root), "poll"])
    assert result.exit_code == 0 and "0 mail(s) handled" in result.output
    assert len([m for m in sent(firm) if m["To"] == SALES]) == 1


def test_silu_send_without_smtp_writes_the_queue_to_the_sent_folder(firm, masters) -> None:
    result = CliRunner().invoke(main, ["--firm", str(firm.root), "send"])
    assert result.exit_code == 0 and result.output.startswith(
        "4 sent"
    )  # the four master data confirmations
    assert len(sent(firm)) == 4


def test_drop_folder_processes_each_saved_file_once_and_answers_by_mail(firm, gw, masters) -> None:
    inbox = firm.mail_dir / "drop" / SALES
    inbox.mkdir(parents=True)
    (inbox / "询价-华东.xlsx").write_bytes(inquiry())
    (inbox / "~$询价-华东.xlsx").write_bytes(b"office lock file")
    stranger = firm.mail_dir / "drop" / "someone@example.com"
    stranger.mkdir()
    (stranger / "x.xlsx").write_bytes(inquiry())

    first = drop.run_pass(gw, firm.mail_dir / "drop", settle_seconds=0)
    again = drop.run_pass(gw, firm.mail_dir / "drop", settle_seconds=0)

    assert [(o.filename, o.accepted, o.docno) for h in first.handled for o in h.outcomes] == [
        ("询价-华东.xlsx", True, "INQ-2026-00001")
    ]
    assert again.handled == []
    # the same path saved again with other bytes (an amendment) is a new form
    (inbox / "询价-华东.xlsx").write_bytes(
        fill_form(
            "inquiry",
            {
                "docno": "INQ-2026-00001",
                "inquiry_date": "2026-11-20",
                "customer_code": "C001",
                "channel": "电话",
            },
            [{"product_code": "P-M8", "quantity": 800}],
        )
    )
    [amended] = [
        o
        for h in drop.run_pass(gw, firm.mail_dir / "drop", settle_seconds=0).handled
        for o in h.outcomes
    ]
    assert (amended.accepted, amended.action, amended.docno) == (True, "amend", "INQ-2026-00001")
    assert (
        gw.ledger.db.execute("SELECT count(*) FROM sources WHERE channel = 'drop'").fetchone()[0]
        == 2
    )
    send_queued(gw, replace(mail_settings.load(firm), smtp=None))
    subjects = [m["Subject"] for m in sent(firm) if m["To"] == SALES]
    assert subjects == ["已登记 客户咨询单 INQ-2026-00001", "已修改 客户咨询单 INQ-2026-00001"]


def test_a_file_still_being_saved_waits_for_the_next_pass(firm, gw, masters) -> None:
    inbox = firm.mail_dir / "drop" / SALES
    inbox.mkdir(parents=True)
    (inbox / "a.xlsx").write_bytes(inquiry())
    assert drop.run_pass(gw, firm.mail_dir / "drop", settle_seconds=60).handled == []
    assert len(drop.run_pass(gw, firm.mail_dir / "drop", settle_seconds=0).handled) == 1


def test_attachment_names_are_never_used_as_paths(firm, gw, masters, tmp_path: Path) -> None:
    evil = "../../../../" + str(tmp_path / "escaped.xlsx").lstrip("/")
    maildir.deliver(
        firm.mail_dir / "inbox",
        eml.mail(SALES, FORMS, "x", [eml.part(b"not a workbook", eml.name_raw(evil))]),
    )
    report = local_pass(gw, firm)
    [outcome] = report.outcomes
    assert not outcome.accepted and outcome.filename == evil
    assert not (tmp_path / "escaped.xlsx").exists()
    assert not any(p.name == "escaped.xlsx" for p in firm.root.rglob("*"))


def test_help_attaches_only_the_templates_the_sender_may_send(firm, gw) -> None:
    for who in (SALES, WAREHOUSE_A):
        maildir.deliver(firm.mail_dir / "inbox", eml.mail(who, FORMS, "help", []))
    local_pass(gw, firm)
    by_person = {m["To"]: m for m in sent(firm)}
    sales_files = [a.get_filename() for a in by_person[SALES].iter_attachments()]
    warehouse_files = [a.get_filename() for a in by_person[WAREHOUSE_A].iter_attachments()]
    assert warehouse_files == ["issue_slip-出库单.xlsx", "return_inbound-退货入库单.xlsx"]
    assert "quote-销售报价单.xlsx" in sales_files and "issue_slip-出库单.xlsx" not in sales_files
    assert by_person[SALES]["Subject"] == "使用说明和空白模板"


def test_template_command_in_the_senders_language_and_role(firm, gw) -> None:
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(SALES_EN, FORMS, "TEMPLATE quote", []))
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(WAREHOUSE_A, FORMS, "模板：报价单", []))
    local_pass(gw, firm)
    by_person = {m["To"]: m for m in sent(firm)}
    tom = by_person[SALES_EN]
    assert tom["Subject"] == "Blank template: Sales quote"
    assert [a.get_filename() for a in tom.iter_attachments()] == ["quote-销售报价单.xlsx"]
    keeper = by_person[WAREHOUSE_A]
    assert keeper["Subject"] == "未找到模板"
    assert list(keeper.iter_attachments()) == []
    assert "- 出库单（TEMPLATE 出库单）" in keeper.get_body(("plain",)).get_content()
    assert "issue_slip" not in keeper.get_body(("plain",)).get_content()  # no stored key


def test_product_lookup_never_shows_the_warehouse_a_price(firm, gw, masters) -> None:
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(SALES, FORMS, "PRODUCT P-M8", []))
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(WAREHOUSE_A, FORMS, "产品 P-M8", []))
    local_pass(gw, firm)
    by_person = {m["To"]: m for m in sent(firm) if m["To"] in (SALES, WAREHOUSE_A)}
    sales_text = by_person[SALES].get_body(("plain",)).get_content()
    keeper_text = by_person[WAREHOUSE_A].get_body(("plain",)).get_content()
    assert "P-M8 不锈钢螺栓 M8×40：库存 355 个，标准价 1.20" in sales_text.splitlines()
    assert "P-M8" in keeper_text and "L2026-007" in keeper_text
    assert "1.20" not in keeper_text and "price" not in keeper_text
    assert "1.20" not in by_person[WAREHOUSE_A].get_body(("html",)).get_content()


def test_notes_are_kept_per_person(firm, gw) -> None:
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(SALES, FORMS, "NOTE 周五给刘总回电话", []))
    local_pass(gw, firm)
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(SALES, FORMS, "NOTES", []))
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(SALES_EN, FORMS, "NOTES", []))
    local_pass(gw, firm)
    replies = [m for m in sent(firm)]
    assert "周五给刘总回电话" in replies[1].get_body(("plain",)).get_content()
    tom = [m for m in replies if m["To"] == SALES_EN][0]
    assert "周五给刘总回电话" not in tom.get_body(("plain",)).get_content()
    assert "Your notepad is empty" in tom.get_body(("plain",)).get_content()


def test_a_mail_without_a_form_is_answered_with_what_was_ignored(firm, gw) -> None:
    maildir.deliver(
        firm.mail_dir / "inbox",
        eml.mail(
            SALES,
            FORMS,
            "见附件",
            [eml.part(b"%PDF", eml.name_rfc2231("合同扫描件.pdf"), "application/pdf")],
        ),
    )
    report = local_pass(gw, firm)
    assert [(h.reason, h.folder) for h in report.handled] == [("no-form", "Ignored")]
    [reply] = sent(firm)
    assert reply["Subject"] == "未找到表格"
    assert "合同扫描件.pdf" in reply.get_body(("plain",)).get_content()


def test_rate_limit_sets_aside_a_flood_and_tells_the_sender_once(firm, gw, masters) -> None:
    for i in range(5):
        maildir.deliver(
            firm.mail_dir / "inbox",
            eml.with_form(SALES, FORMS, inquiry(quantity=i + 1), f"{i}.xlsx"),
        )
    report = local_pass(gw, firm, rate_limit_per_hour=3)
    assert [h.reason for h in report.handled] == ["processed"] * 3 + ["rate-limited"] * 2
    assert (
        gw.ledger.db.execute("SELECT count(*) FROM documents WHERE kind = 'inquiry'").fetchone()[0]
        == 3
    )
    subjects = [m["Subject"] for m in sent(firm) if m["To"] == SALES]
    assert subjects.count("邮件过多，已暂停处理") == 1
    assert len(subjects) == 4
    assert len(maildir.messages(firm.mail_dir / "ignored")) == 2


def test_rate_limit_counts_mails_handled_before_arrival_times_were_kept(firm, gw, masters) -> None:
    """A ledger from before arrival times: its mails of the last hour count by when they were
    handled, those of an hour and more ago do not."""
    from silu_sheets.ledger.store import now

    earlier = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat(timespec="seconds")
    with gw.ledger.transaction() as writer:
        for n, handled_at in enumerate([earlier, earlier, earlier, now(), now()]):
            writer.db.execute(
                "INSERT INTO handled_messages (mailbox, uidvalidity, uid, message_id, sender,"
                " outcome, forms, handled_at) VALUES ('maildir:inbox', '1', ?, ?, ?,"
                " 'processed', 1, ?)",
                [f"old-{n}", f"<old-{n}@firm.test>", SALES, handled_at],
            )
    for i in range(2):
        maildir.deliver(
            firm.mail_dir / "inbox",
            eml.with_form(SALES, FORMS, inquiry(quantity=i + 1), f"{i}.xlsx"),
        )
    report = local_pass(gw, firm, rate_limit_per_hour=3)
    assert [h.reason for h in report.handled] == ["processed", "rate-limited"]


def test_settings_refuse_passwords_in_files_and_name_the_variable(firm) -> None:
    path = firm.root / firm_folder.SETTINGS
    base = path.read_text()
    path.write_text(
        base
        + '\n[mail.imap]\nhost = "imap.firm.test"\nuser = "forms@firm.test"\npassword = "hunter2"\n'
    )
    with pytest.raises(firm_folder.FirmError, match="passwords never go in files"):
        mail_settings.load(firm_folder.open_firm(firm.root))
    path.write_text(
        base
        + '\n[mail.imap]\nhost = "imap.firm.test"\nuser = "forms@firm.test"\npassword_env = "SILU_NOT_SET_X"\n'
    )
    loaded = mail_settings.load(firm_folder.open_firm(firm.root))
    assert "SILU_NOT_SET_X" in loaded.describe() and "hunter2" not in loaded.describe()
    os.environ.pop("SILU_NOT_SET_X", None)
    with pytest.raises(firm_folder.FirmError, match="SILU_NOT_SET_X, which is not set"):
        loaded.imap.password()
    path.write_text(base + '\n[mail.smtp]\nhost = "smtp.firm.test"\nsecurity = "ssl3"\n')
    with pytest.raises(firm_folder.FirmError, match="security must be one of"):
        mail_settings.load(firm_folder.open_firm(firm.root))


def test_replies_go_only_to_people_on_the_roster(firm, gw) -> None:
    from silu_sheets.replies import Reply, as_mail

    msg = as_mail(
        Reply("outsider@example.com", "x", "x", "<p>x</p>", "confirmation"), FORMS, "firm"
    )
    with gw.ledger.transaction() as writer:
        writer.queue_mail("outsider@example.com", "x", "confirmation", msg, None)
    report = send_queued(gw, mail_settings.load(firm))
    assert report.failed == [1] and report.sent == []
    rows = gw.ledger.db.execute(
        "SELECT recipient, status, last_error FROM outbox ORDER BY id"
    ).fetchall()
    assert rows[0] == (
        "outsider@example.com",
        "failed",
        "outsider@example.com is not on the roster: never sent",
    )
    assert all(m["To"] != "outsider@example.com" for m in sent(firm))


def test_the_demo_runs_through_the_local_mailbox(tmp_path: Path) -> None:
    from silu_sheets.demo import run

    lines: list[str] = []
    demo = run(tmp_path / "demo", echo=lines.append)
    root = tmp_path / "demo" / "mail"
    assert maildir.messages(root / "inbox") == []
    handled = len(maildir.messages(root / "processed")) + len(maildir.messages(root / "rejected"))
    assert handled == len(demo.outcomes)
    assert len(maildir.messages(root / "sent")) >= len(demo.outcomes)
    assert any("Summary:" in line for line in lines)
    assert any(o.docno for o in demo.outcomes) and any(not o.accepted for o in demo.outcomes)


def test_one_mail_that_breaks_the_gateway_does_not_stop_the_others(
    firm, gw, masters, monkeypatch, caplog
) -> None:
    from silu_sheets.mail import gateway

    maildir.deliver(
        firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, inquiry(1), "bad.xlsx", subject="boom")
    )
    maildir.deliver(firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, inquiry(2), "good.xlsx"))
    real = gateway.handle_forms

    def flaky(gw, incoming, *args, **kw):
        if incoming.subject == "boom":
            raise OSError("disk full")
        return real(gw, incoming, *args, **kw)

    monkeypatch.setattr(gateway, "handle_forms", flaky)
    report = local_pass(gw, firm)
    assert [o.filename for o in report.outcomes] == ["good.xlsx"]
    assert len(report.failed) == 1 and "could not be handled" in caplog.text
    assert len(maildir.messages(firm.mail_dir / "inbox")) == 1  # left for the next pass
    monkeypatch.setattr(gateway, "handle_forms", real)
    assert [o.filename for o in local_pass(gw, firm).outcomes] == ["bad.xlsx"]
    assert maildir.messages(firm.mail_dir / "inbox") == []


def test_status_command_by_sales_and_by_the_warehouse_which_sees_no_price(
    firm, gw, send, masters
) -> None:
    from tests.fulfilment_flow import notice, ok, signed_contract

    lines = [{"product_code": "P-M8", "quantity": 150, "unit_price": "7.13"}]
    contract = signed_contract(send, lines)
    number = ok(
        notice(send, contract, [lines[0] | {"warehouse": "WH-A"}], note="按 7.13 结算，共 1069.50")
    )
    for person in (SALES_EN, WAREHOUSE_A):
        maildir.deliver(firm.mail_dir / "inbox", eml.mail(person, FORMS, f"STATUS {number}", []))
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(SALES_EN, FORMS, "status SN-2026-99999", []))
    local_pass(gw, firm)
    answers = [m for m in sent(firm) if m["Subject"].startswith(("Document status", "单据状态"))]
    by_person = {(m["To"], m["Subject"]): m.get_body(("plain",)).get_content() for m in answers}
    rows = {
        (m["To"], m["Subject"]): [line.split() for line in m.get_body(("plain",)).get_content().splitlines()]
        for m in answers
    }  # fmt: skip
    line_one = ["1", "P-M8", "不锈钢螺栓", "M8×40", "WH-A", "—", "150", "0", "150", "0"]
    sales = by_person[(SALES_EN, f"Document status: {number}")]
    assert f"Shipment notice {number}: waiting for the warehouse" in sales.splitlines()
    assert line_one in rows[(SALES_EN, f"Document status: {number}")]
    assert "Note: 按 7.13 结算，共 1069.50" in sales
    keeper = by_person[(WAREHOUSE_A, f"单据状态：{number}")]
    assert f"销售发货单 {number}：待仓库出库" in keeper.splitlines()  # in the keeper's language
    assert line_one in rows[(WAREHOUSE_A, f"单据状态：{number}")]
    assert "7.13" not in keeper and "1069" not in keeper and "销售的这条说明未转给仓库" in keeper
    # the HTML part carries the same line table as a real table, figures right-aligned
    [html] = [m.get_body(("html",)).get_content() for m in answers if m["To"] == WAREHOUSE_A]
    assert "<caption" in html and "发货单明细</caption>" in html
    assert '<td style="text-align:right">150</td>' in html and "7.13" not in html
    assert (
        "No document is numbered SN-2026-99999."
        in by_person[(SALES_EN, "Document status: SN-2026-99999")]
    )
    as_keeper = CliRunner().invoke(
        main, ["--firm", str(firm.root), "status", number, "--json", "--as", WAREHOUSE_A]
    )
    assert "7.13" not in as_keeper.output and "1069" not in as_keeper.output
    assert (
        "销售的这条说明未转给仓库" in as_keeper.output
    )  # the note is withheld, not dropped silently
    as_sales = CliRunner().invoke(main, ["--firm", str(firm.root), "status", number, "--json"])
    assert "按 7.13 结算" in as_sales.output


def test_poll_beside_a_running_pass_records_nothing_twice(firm, masters) -> None:
    import threading

    from silu_sheets.mail import idle

    for i in range(12):
        maildir.deliver(
            firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, inquiry(i + 1), f"{i}.xlsx")
        )
    settings = replace(mail_settings.load(firm), rate_limit_per_hour=1000)
    outcomes: list = []

    def worker() -> None:
        own = Gateway.open(firm)
        try:
            outcomes.extend(idle.poll(own, settings, settle_seconds=0).outcomes)
        finally:
            own.ledger.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 12 and all(o.accepted for o in outcomes)
    check = Gateway.open(firm)
    try:
        assert (
            check.ledger.db.execute(
                "SELECT count(*) FROM documents WHERE kind = 'inquiry'"
            ).fetchone()[0]
            == 12
        )
    finally:
        check.ledger.close()
    assert len([m for m in sent(firm) if m["To"] == SALES]) == 12


def test_a_crash_between_forms_of_one_mail_still_ends_in_one_reply_and_nothing_twice(
    firm, gw, masters, monkeypatch
) -> None:
    from silu_sheets.mail import gateway

    forms = [eml.part(inquiry(i + 1), eml.name_rfc2231(f"询价-{i + 1}.xlsx")) for i in range(5)]
    maildir.deliver(firm.mail_dir / "inbox", eml.mail(SALES, FORMS, "五张", forms))
    real = gateway.ingest
    calls = []

    def dies_on_the_third(*args, **kw):
        calls.append(args[2])
        if len(calls) == 3:
            raise SystemExit("the process dies here")
        return real(*args, **kw)

    monkeypatch.setattr(gateway, "ingest", dies_on_the_third)
    with pytest.raises(SystemExit):
        run_pass(gw, MaildirInbox(firm.mail_dir / "inbox"), replace(mail_settings.load(firm)))
    assert (
        gw.ledger.db.execute("SELECT count(*) FROM documents WHERE kind = 'inquiry'").fetchone()[0]
        == 2
    )
    assert (
        gw.ledger.db.execute("SELECT count(*) FROM outbox WHERE status = 'held'").fetchone()[0] == 2
    )
    send_queued(gw, mail_settings.load(firm))
    assert [m for m in sent(firm) if m["To"] == SALES] == []  # held replies are not sent half-way

    monkeypatch.setattr(gateway, "ingest", real)
    report = local_pass(gw, firm)

    assert [o.filename for o in report.outcomes] == ["询价-3.xlsx", "询价-4.xlsx", "询价-5.xlsx"]
    assert (
        gw.ledger.db.execute("SELECT count(*) FROM documents WHERE kind = 'inquiry'").fetchone()[0]
        == 5
    )
    [reply] = [m for m in sent(firm) if m["To"] == SALES]
    assert reply["Subject"] == "5 张表：5 张已登记，0 张未登记"
    text = reply.get_body(("plain",)).get_content()
    assert all(f"INQ-2026-0000{n}" in text for n in range(1, 6))


def test_the_same_file_mailed_again_is_not_recorded_twice_but_a_refused_one_is_tried_again(
    firm, gw, masters, send
) -> None:
    recorded_file = inquiry(42)
    maildir.deliver(
        firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, recorded_file, "询价.xlsx")
    )
    assert [o.docno for o in local_pass(gw, firm).outcomes] == ["INQ-2026-00001"]
    # Outlook's "resend this message": a new Message-ID, the very same file
    maildir.deliver(
        firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, recorded_file, "询价.xlsx")
    )
    [again] = local_pass(gw, firm).outcomes
    assert (again.accepted, again.docno, [p.code for p in again.problems]) == (
        False,
        "INQ-2026-00001",
        ["already-recorded"],
    )
    assert (
        gw.ledger.db.execute("SELECT count(*) FROM documents WHERE kind = 'inquiry'").fetchone()[0]
        == 1
    )
    notice = [m for m in sent(firm) if m["To"] == SALES][-1]
    assert notice["Subject"] == "未重复登记 询价.xlsx（已是 INQ-2026-00001）"

    # refused for an unknown customer; the administrator adds it; the same file now records
    unknown = fill_form(
        "inquiry",
        {"inquiry_date": "2026-11-20", "customer_code": "C003", "channel": "电话"},
        [{"product_code": "P-M8", "quantity": 5}],
    )
    maildir.deliver(firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, unknown, "c3.xlsx"))
    [refused] = local_pass(gw, firm).outcomes
    assert [p.code for p in refused.problems] == ["customer-unknown"]
    assert send(
        "customers",
        {},
        [{"code": "C003", "name": "新客户", "salesperson": SALES}],
        sender="admin@firm.test",
    ).accepted
    maildir.deliver(firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, unknown, "c3.xlsx"))
    [recorded] = local_pass(gw, firm).outcomes
    assert recorded.accepted and recorded.docno == "INQ-2026-00002"


def test_a_sent_folder_that_cannot_be_written_is_retried_not_lost(firm, gw, masters) -> None:
    import shutil

    sent_dir = firm.mail_dir / "sent"
    shutil.rmtree(sent_dir)
    sent_dir.write_bytes(b"")  # a file where the folder should be: every write fails
    report = send_queued(gw, mail_settings.load(firm))
    assert report.sent == [] and len(report.retrying) == 1  # stopped at the first: the rest waits
    statuses = gw.ledger.db.execute(
        "SELECT status, count(*) FROM outbox GROUP BY status"
    ).fetchall()
    assert statuses == [("queued", 4)]
    sent_dir.unlink()
    # the backoff has passed (a minute for the local folder)
    gw.ledger.db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    gw.ledger.db.commit()
    assert len(send_queued(gw, mail_settings.load(firm)).sent) == 4
    assert len(sent(firm)) == 4


def test_a_mail_of_one_form_is_recorded_answered_and_marked_handled_in_one_commit(
    firm, gw, masters
) -> None:
    inbox = firm.mail_dir / "inbox"
    maildir.deliver(inbox, eml.with_form(SALES, FORMS, inquiry(), "询价.xlsx"))
    maildir.deliver(inbox, eml.with_form(SALES, FORMS, inquiry("很多"), "询价-错.xlsx"))
    statements: list[str] = []
    gw.ledger.db.set_trace_callback(statements.append)
    settings = mail_settings.load(firm)
    report = run_pass(gw, MaildirInbox(settings.inbox_dir), settings)
    gw.ledger.db.set_trace_callback(None)

    assert [h.folder for h in report.handled] == ["Processed", "Rejected"]
    writes, wrote = [], False  # the transactions that wrote something (a check only reads)
    for sql in statements:
        wrote = wrote or sql.startswith(("INSERT", "UPDATE", "DELETE"))
        if sql == "COMMIT":
            writes.append(wrote)
            wrote = False
    assert writes.count(True) == 2  # one a mail: its form, its reply and its mark together
    held = "SELECT count(*) FROM outbox WHERE status = 'held'"
    assert gw.ledger.db.execute(held).fetchone()[0] == 0
    send_queued(gw, settings)
    replies = [m for m in sent(firm) if m["To"] == SALES]
    assert [m["Subject"].split()[0] for m in replies] == ["已登记", "未登记"]


def test_a_mail_whose_form_commit_failed_is_still_finished_in_a_transaction_of_its_own(
    firm, gw, masters, monkeypatch
) -> None:
    """The form's transaction finishes its mail; when that commit is refused (here: once, as a
    full disk would), the refusal's own transaction finishes it instead, and the mail is marked
    handled only where a commit says so."""
    from silu_sheets import pipeline

    maildir.deliver(firm.mail_dir / "inbox", eml.with_form(SALES, FORMS, inquiry(), "询价.xlsx"))
    real = pipeline.open_items.refresh
    calls = []

    def fails_once(*args, **kw):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the booking fails")
        return real(*args, **kw)

    monkeypatch.setattr(pipeline.open_items, "refresh", fails_once)
    report = local_pass(gw, firm)

    [handled] = report.handled
    assert (handled.folder, handled.reason) == ("Rejected", "rejected")
    [outcome] = handled.outcomes
    assert [p.code for p in outcome.problems] == ["internal-fault"]
    assert (
        gw.ledger.db.execute("SELECT count(*) FROM documents WHERE kind = 'inquiry'").fetchone()[0]
        == 0
    )
    marks = gw.ledger.db.execute("SELECT outcome FROM handled_messages").fetchall()
    assert marks == [("rejected",)]
    assert len([m for m in sent(firm) if m["To"] == SALES]) == 1
