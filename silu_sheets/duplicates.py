"""The very same file sent again by the same person: answered "already recorded", never
recorded twice, whether it came by mail or by ``silu ingest``."""

from __future__ import annotations

from silu_sheets.document import Staff
from silu_sheets.ledger.store import Source
from silu_sheets.logs import Logger
from silu_sheets.pipeline import Gateway, Outcome
from silu_sheets.problems import Problem, problem_type
from silu_sheets.replies import as_mail

log = Logger(__name__)

ALREADY_RECORDED = problem_type(
    "already-recorded",
    "这个文件与 {received} 发来的完全相同，已登记为 {docno}，本次未再登记。要修改 {docno}，请在“单号”填写 {docno}，改好后再发送。",
    "This file is identical to the one sent on {received}, recorded as {docno}; nothing was recorded again. "
    "To amend {docno}, write {docno} in the Number cell, make the changes and send it again.",
)


def earlier_copy(gw: Gateway, sha256: str, sender: str) -> tuple[str, str, str] | None:
    """The document this very file (same sha256) from the same person is already recorded
    as, still active: ``(docno, kind, received_at)``; None when it is new."""
    return gw.ledger.db.execute(
        "SELECT r.docno, r.kind, s.received_at FROM sources s JOIN revisions r ON r.source_id = s.id"
        " JOIN documents d ON d.docno = r.docno"
        " WHERE s.attachment_sha256 = ? AND s.sender = ? AND d.status = 'active' LIMIT 1",
        [sha256, sender],
    ).fetchone()


def already_recorded(
    gw: Gateway,
    person: Staff,
    source: Source,
    docno: str,
    kind: str,
    received: str,
    in_reply_to: str | None = None,
) -> Outcome:
    """The very same file from the same person, already recorded (another mail, or a batch of
    ``silu ingest`` run again after a crash): answered and not recorded twice. Kept as a
    refusal (source + rejection row), so a retried pass skips it like any other form."""
    name = source.attachment_name or ""
    problem = Problem(ALREADY_RECORDED, {"docno": docno, "received": received[:10]})
    outcome = Outcome(name, person.address, kind=kind, docno=docno, problems=[problem])
    zh = person.language == "zh"
    # imported here: the subject commands are the mail's business, and a duplicate is rare
    from silu_sheets.mail.commands import notice

    reply = notice(
        gw,
        person,
        f"未重复登记 {name}（已是 {docno}）"
        if zh
        else f"Not recorded again: {name} (already {docno})",
        [problem.message(person.language)],
        purpose="duplicate",
    )
    msg = as_mail(
        reply, gw.firm.firm.mailbox, gw.firm.firm.name, in_reply_to=in_reply_to, auto="auto-replied"
    )
    with gw.ledger.transaction() as writer:
        source_id = writer.add_source(source)
        writer.reject(
            source_id, kind, docno, [{"code": problem.code, "cell": None, "severity": "error"}]
        )
        # held when mailed: one reply per mail, released with the mail's other answers
        outcome.outbox_ids = [
            writer.queue_mail(
                reply.recipient,
                reply.subject,
                reply.purpose,
                msg,
                docno,
                "held" if gw.held_for else "queued",
                gw.held_for,
            )
        ]
        if gw.finish:
            gw.finish(writer)
    log.info("%s sent %s again (already %s): not recorded twice", person.address, name, docno)
    return outcome
