"""A reply's message lives in a row of its own (``outbox_bodies``), written once; its
``outbox`` row, rewritten at each status change, stays small; its printed copy, built after
the commit, goes in a row of its own (``outbox_printouts``) instead of the message being written
again, and ``outbox_messages`` shows each whole message as it is sent. A ledger made before that
(migration 9) keeps every message it held and still sends what it had queued."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.ledger import schema
from silu_sheets.ledger.store import LedgerWriter, now
from silu_sheets.mail import maildir
from silu_sheets.mail import settings as mail_settings
from silu_sheets.mail.smtp import send_queued
from silu_sheets.pipeline import PRINTING, Gateway, ingest, printout_name
from silu_sheets.replies import Attachment, add_attachment
from tests.conftest import ADMIN, CUSTOMERS, PRODUCTS, SALES, record_masters


def queue_mail_before_9(
    self: LedgerWriter,
    recipient: str,
    subject: str,
    purpose: str,
    message: bytes,
    docno: str | None,
    status: str = "queued",
    held_for: str | None = None,
) -> int:
    """``LedgerWriter.queue_mail`` as silu wrote it before migration 9: the message in the
    outbox row itself."""
    row = {
        "created_at": now(),
        "recipient": recipient,
        "subject": subject,
        "purpose": purpose,
        "docno": docno,
        "message": message,
        "status": status,
        "attempts": 0,
    }
    if held_for:
        row["held_for"] = held_for
    return self.insert("outbox", row)


def test_a_ledger_made_before_outbox_messages_sends_what_it_had_queued(
    firm: firm_folder.FirmFolder, monkeypatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] < 9])
        old.setattr(LedgerWriter, "queue_mail", queue_mail_before_9)
        gw = Gateway.open(firm)
        record_masters(gw)
        gw.ledger.db.execute("UPDATE outbox SET status = 'sent'")  # these went long ago
        # a quote whose printed copy was not attached yet (a pass killed after its commit)
        quote = fill_form(
            "quote",
            {"quote_date": "2026-11-20", "valid_until": "2026-12-31", "customer_code": "C001"},
            [{"product_code": "P-M8", "quantity": 10, "unit_price": "1.10"}],
        )
        quoted = ingest(gw, quote, "报价.xlsx", SALES)
        inquiry = fill_form(
            "inquiry",
            {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"},
            [{"product_code": "P-M8", "quantity": 500}],
        )
        asked = ingest(gw, inquiry, "询价.xlsx", SALES)
        assert quoted.accepted and asked.accepted
        db = gw.ledger.db
        assert "message" in schema.table_columns(db, "outbox")
        held = dict(db.execute("SELECT id, message FROM outbox").fetchall())
        states = dict(db.execute("SELECT id, status FROM outbox").fetchall())
        assert states[quoted.outbox_ids[0]] == PRINTING and states[asked.outbox_ids[0]] == "queued"
        gw.ledger.close()

    gw = Gateway.open(firm)  # migrates
    db = gw.ledger.db
    assert "message" not in schema.table_columns(db, "outbox")
    assert dict(db.execute("SELECT outbox_id, message FROM outbox_messages").fetchall()) == held
    assert dict(db.execute("SELECT id, status FROM outbox").fetchall()) == states

    report = send_queued(gw, replace(mail_settings.load(firm), smtp=None))

    assert sorted(report.sent) == sorted(quoted.outbox_ids + asked.outbox_ids)
    assert db.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0
    gw.ledger.close()
    sent = maildir.messages(firm.mail_dir / "sent")
    assert len(sent) == 2 and held[asked.outbox_ids[0]] in sent  # as it was queued, byte for byte
    (confirmation,) = [m for m in sent if m != held[asked.outbox_ids[0]]]
    names = [
        part.get_filename()
        for part in email.message_from_bytes(
            confirmation, policy=email.policy.default
        ).iter_attachments()
    ]
    assert printout_name("quote", quoted.docno) in names  # its printed copy attached on the way


def test_a_printed_copy_is_kept_beside_its_message_which_is_not_written_again(
    firm: firm_folder.FirmFolder,
) -> None:
    gw = Gateway.open(firm)
    for kind, header, lines in (("customers", {}, CUSTOMERS), ("products", {}, PRODUCTS)):
        assert ingest(gw, fill_form(kind, header, lines), f"{kind}.xlsx", ADMIN).accepted
    quote = fill_form(
        "quote",
        {"quote_date": "2026-11-20", "valid_until": "2026-12-31", "customer_code": "C001"},
        [{"product_code": "P-M8", "quantity": 10, "unit_price": "1.10"}],
    )
    statements: list[str] = []
    gw.ledger.db.set_trace_callback(statements.append)
    quoted = ingest(gw, quote, "报价.xlsx", SALES)  # recorded, then its printed copy attached
    gw.ledger.db.set_trace_callback(None)
    assert quoted.accepted
    (reply,) = quoted.outbox_ids
    db = gw.ledger.db
    (body,) = db.execute(
        "SELECT message FROM outbox_bodies WHERE outbox_id = ?", [reply]
    ).fetchone()
    (whole,) = db.execute(
        "SELECT message FROM outbox_messages WHERE outbox_id = ?", [reply]
    ).fetchone()
    at, part = db.execute(
        "SELECT at, part FROM outbox_printouts WHERE outbox_id = ?", [reply]
    ).fetchone()
    gw.ledger.close()

    writes = [s for s in statements if s.startswith(("INSERT INTO outbox_bodies", "UPDATE"))]
    assert [s for s in writes if "outbox_bodies" in s or "outbox_messages" in s] == [
        next(s for s in writes if s.startswith("INSERT INTO outbox_bodies"))
    ]  # the message written once, in the form's own commit
    attached = {
        a.get_filename(): a.get_content()
        for a in email.message_from_bytes(whole, policy=email.policy.default).iter_attachments()
    }
    name = printout_name("quote", quoted.docno)
    assert name in attached
    assert name not in str(email.message_from_bytes(body, policy=email.policy.default))
    # byte for byte the message with its copy attached, as the rewrite made it
    assert whole == add_attachment(body, Attachment(name, attached[name]))
    assert whole == body[:at] + part + body[at:] and isinstance(whole, bytes)
