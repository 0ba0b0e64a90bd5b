"""One form in, one answer out: refuse early, read, check everything, record whole or not at all.

    bytes ─▶ safety ─▶ reader ─▶ who may send it ─▶ amendment/cancellation ─▶ kind rules
          ─▶ one transaction: source, revision, kind tables, links, movements, queued replies

Every problem is collected before deciding; a refused form records only the refusal and its
reply. The same function serves ``silu ingest``, the mail gateway and the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from silu_sheets import drawdown, open_items
from silu_sheets import problems as P
from silu_sheets.crashpoints import crash_point
from silu_sheets.declare import Kind
from silu_sheets.document import Context, Document, Line, Staff
from silu_sheets.firm import FirmFolder
from silu_sheets.kinds import HOOKS, KINDS, common, enforced
from silu_sheets.ledger.store import DiskFull, Ledger, LedgerView, LedgerWriter, Source, disk_full
from silu_sheets.logs import Logger
from silu_sheets.problems import Problem, errors, problem_type, warnings
from silu_sheets.replies import Attachment, Reply, as_mail, attachment_insert, describe, render
from silu_sheets.roster import Roster
from silu_sheets.values import printable, read_value
from silu_sheets.workbook import fill, reader, safety, template

log = Logger(__name__)

KIND_NOT_OPEN = problem_type(
    "kind-not-open-yet",
    "系统暂不受理{kind}（规则尚未启用），本表未登记。请按原流程办理，或联系管理员。",
    "{kind} forms are not accepted yet (their rules are not switched on); nothing was recorded. Ask the administrator.",
)
NOT_OWNER = problem_type(
    "amend-not-owner",
    "{docno} 由 {owner} 负责，只有本人或主管可以修改或作废。",
    "{docno} belongs to {owner}; only that person or a manager may amend or cancel it.",
)
CANCEL_NEEDS_NUMBER = problem_type(
    "cancel-needs-number",
    "作废需要填写要作废的单号。",
    "To cancel, write the number of the document to cancel.",
)
CANCEL_NEEDS_REASON = problem_type(
    "cancel-needs-reason",
    "作废必须填写作废原因。",
    "A cancellation needs a reason.",
)
CANCEL_HAS_DEPENDENTS = problem_type(
    "cancel-has-dependents",
    "{docno} 已有后续单据 {dependents}，不能作废。请先作废或修改这些单据。",
    "{docno} has later documents {dependents}; it cannot be cancelled. Cancel or amend those first.",
)
CUSTOMER_CHANGE_HAS_DEPENDENTS = problem_type(
    "amend-customer-has-dependents",
    "{docno} 已有后续单据 {dependents}，不能更换客户（原客户 {was}）。",
    "{docno} has later documents {dependents}; its customer ({was}) cannot be changed.",
)
INTERNAL_FAULT = problem_type(
    "internal-fault",
    "系统处理本表时出错，本表未登记。{told}请稍后再发送一次。",
    "The system failed while handling this form; nothing was recorded. {told}Please send it again later.",
)

COLON = {"zh": "：", "en": ": "}
ACTION_WORDS = {
    "record": {"zh": "登记", "en": "recorded"},
    "amend": {"zh": "修改", "en": "amended"},
    "cancel": {"zh": "作废", "en": "cancelled"},
}


@dataclass
class Outcome:
    """What happened to one file: recorded as ``docno``, or refused with ``problems``."""

    filename: str
    sender: str
    accepted: bool = False
    kind: str | None = None
    docno: str | None = None
    action: str | None = None
    problems: list[Problem] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)

    def as_dict(self, language: str) -> dict:
        kind = KINDS.get(self.kind or "")
        return {
            "file": self.filename,
            "accepted": self.accepted,
            "kind": self.kind,
            "docno": self.docno,
            "action": self.action,
            "problems": [
                {
                    "code": p.code,
                    "severity": p.severity,
                    "sheet": p.sheet,
                    "cell": p.cell,
                    "field": p.field,
                    "line": p.line,
                    "values": {k: P.exact(v) for k, v in p.values.items()},
                    "message": describe(p, kind, language),
                }
                for p in self.problems
            ],
        }


@dataclass
class Gateway:
    """What a pipeline run needs around it: the firm folder, its roster and its ledger."""

    firm: FirmFolder
    roster: Roster
    ledger: Ledger
    #: the mail gateway sets a message key here: replies are then queued as ``held`` for that
    #: message and sent as one reply once all its forms are done (silu_sheets/mail/gateway.py)
    held_for: str | None = None
    #: run last inside the transaction that records or refuses a form, before it commits: the
    #: mail gateway finishes a mail of one form there (its reply released, the mail marked
    #: handled), so the form, its replies and the mark are one commit, not two
    finish: Callable[[LedgerWriter], None] | None = None

    @classmethod
    def open(cls, firm: FirmFolder, roster: Roster | None = None) -> Gateway:
        """The firm's ledger opened; its roster read from inbox_rules unless given."""
        roster = roster if roster is not None else firm.roster()
        return cls(firm, roster, Ledger(firm.ledger_path, firm.firm.currency))


def ingest(
    gw: Gateway,
    data: bytes,
    filename: str,
    sender_address: str,
    channel: str = "file",
    message_id: str | None = None,
    sha256: str | None = None,
) -> Outcome:
    """Check and record one form, or refuse it; queue the replies in the same transaction.
    ``sha256``: the file's, when the caller has it already (the mail gateway's ``FormFile``)."""
    sender_address = sender_address.strip().lower()
    outcome = Outcome(filename, sender_address)
    sha = sha256 or hashlib.sha256(data).hexdigest()
    source = Source(channel, sender_address, sha, filename, message_id, mail_key=gw.held_for)
    person = gw.roster.find(sender_address)
    if person is None:
        # no reply to strangers (no backscatter): the outcome says why, the log keeps it
        outcome.problems = [Problem(P.SENDER_UNKNOWN, {"sender": sender_address})]
        log.warning("form %s from unknown sender %s ignored", filename, sender_address)
        return outcome
    try:
        outcome = _ingest(gw, data, person, source, outcome)
    except Exception as exc:  # noqa: BLE001 - the person gets a plain answer; the trace goes to the log
        if disk_full(exc, gw.ledger.path.parent):  # not the sender's fault: the caller retries
            raise DiskFull(str(exc)) from exc
        log.exception("internal fault on %s from %s:", filename, sender_address)
        outcome = Outcome(filename, sender_address, kind=outcome.kind)
        ctx = Context(person, gw.firm.today(), gw.firm.firm, tuple(gw.roster.staff.values()))
        fault = Problem(INTERNAL_FAULT, {"told": _tell_administrator(gw, source, outcome.kind)})
        try:
            return _refuse(gw, ctx, source, outcome, None, [fault], data, marked=False)
        except Exception as again:  # noqa: BLE001 - the ledger itself is failing; say so without a reply
            if disk_full(again, gw.ledger.path.parent):
                raise DiskFull(str(again)) from again
            log.exception("could not even record the refusal:")
            outcome.problems = [fault]
            return outcome
    if outcome.accepted and outcome.kind in PRINTING_WORDS:  # committed: now its printed copy
        crash_point("printout-pending")
        if gw.held_for:  # the mail's release attaches it, in its own write (mail/gateway.py)
            return outcome
        try:
            attach_printouts(gw, gw.held_for)
        except Exception:  # noqa: BLE001 - recorded and answered already; the copy waits
            log.exception(
                "the printed copy of %s waits in the outbox (the next delivery attaches it):",
                outcome.docno,
            )
    return outcome


def _tell_administrator(gw: Gateway, source: Source, kind: str | None) -> dict[str, str]:
    """Mail the administrator that a form failed (the trace is in the log) and return what the
    sender's answer may truly say about it: "has been told" only once that mail is queued."""
    administrator = (gw.firm.administrator or "").strip().lower()
    if administrator and administrator != gw.firm.firm.mailbox:
        person = gw.roster.find(administrator)
        language = person.language if person else gw.firm.language
        what = KINDS[kind].title(language) if kind in KINDS else ""
        zh = language == "zh"
        context = {
            "title": "系统出错：一张表未能处理"
            if zh
            else "System fault: a form could not be handled",
            "person": person.name if person else administrator,
            "paragraphs": [
                f"{source.sender} 发来的 {source.attachment_name or '-'} {what}处理时出错，未登记；"
                "发件人已被告知稍后重发。详细错误记在系统日志中（internal fault）。"
                if zh
                else f"{source.attachment_name or '-'} {what} from {source.sender} failed and was not "
                "recorded; the sender was asked to send it again later. The details are in the "
                "system log (internal fault).",
            ],
            "items": [],
            "next_step": "",
            "administrator": administrator,
        }
        subject, text, html = render("notice", language, context)
        try:
            with gw.ledger.transaction() as writer:
                _queue(
                    gw, writer, Reply(administrator, subject, text, html, "internal-fault"), source
                )
            return P.words("管理员已收到通知，", "The administrator has been told; ")
        except Exception:  # noqa: BLE001 - the ledger itself is failing: nobody was told
            log.exception("could not tell the administrator:")
    who = administrator or gw.firm.firm.mailbox
    return P.words(
        f"请把本邮件转给管理员 {who}，", f"Forward this mail to the administrator, {who}. "
    )


def _ingest(gw: Gateway, data: bytes, person: Staff, source: Source, outcome: Outcome) -> Outcome:
    ctx = Context(person, gw.firm.today(), gw.firm.firm, tuple(gw.roster.staff.values()))
    refused = safety.refuse(data, source.attachment_name or "")
    if refused:
        return _refuse(gw, ctx, source, outcome, None, refused, data, marked=False)
    reading = reader.read(data)
    kind = reading.kind
    outcome.kind = kind.key if kind else None
    if reading.document is None or kind is None:
        return _refuse(gw, ctx, source, outcome, kind, reading.problems, data, marked=False)
    if not gw.roster.may_send(person, kind.key):
        allowed = (
            "、".join(f"{KINDS[k].zh} {KINDS[k].en}" for k in gw.roster.allowed_kinds(person))
            or "-"
        )
        problem = Problem(
            P.SENDER_NOT_ALLOWED,
            {"roles": ", ".join(person.roles), "kind": f"{kind.zh} {kind.en}", "allowed": allowed},
        )
        return _refuse(gw, ctx, source, outcome, kind, [problem], data, marked=False)
    if not enforced(kind.key):
        problem = Problem(KIND_NOT_OPEN, {"kind": f"{kind.zh} {kind.en}"})
        return _refuse(gw, ctx, source, outcome, kind, [problem], data, marked=False)

    doc = reading.document
    doc.default_currency = ctx.firm.currency
    if any(p.code == P.LINES_BEYOND_TABLE for p in reading.problems):
        # an oversized line table is refused before the ledger is locked: no rule needs it
        return _refuse(gw, ctx, source, outcome, kind, reading.problems, data, reading.markable)
    # Check and record in one transaction: two slips racing for the last 40 pieces cannot
    # both pass their checks. _record writes in it, not in a savepoint nested inside: SQLite
    # copies every page a savepoint changes to a temporary file (~130 KB a 20-line quote)
    with gw.ledger.transaction() as writer:
        found = list(reading.problems)
        if doc.cancelling:  # a cancellation needs only the number and a reason
            found = [p for p in found if p.code not in (P.REQUIRED_MISSING, P.NO_LINES)]
        found += revision_checks(doc, writer.view, ctx)
        if not doc.cancelling:
            found += common.document_date_near_today(doc, ctx, writer.view)
            found += common.whole_quantities(doc, writer.view)
            found += HOOKS[kind.key].check(doc, writer.view, ctx)
            found += drawdown.check(doc, writer.view, found)  # never more than is left
        else:  # kind rules a cancellation must keep
            found += HOOKS[kind.key].check_cancel(doc, writer.view, ctx)
        found += drawdown.check_change(doc, writer.view)  # never below what others drew
        if not errors(found):
            return _record(gw, ctx, writer, source, outcome, doc, found)
    # refused: nothing was written; the marked copy is built without holding the lock
    return _refuse(gw, ctx, source, outcome, kind, found, data, marked=reading.markable)


def revision_checks(doc: Document, view: LedgerView, ctx: Context) -> list[Problem]:
    """Amendment and cancellation: the document exists, is of this kind, is still active,
    belongs to the sender (or a manager sends it), and nothing recorded later depends on what
    would change."""
    if doc.kind.master:
        return []
    number = doc.docno
    if number is None:
        return [doc.problem(CANCEL_NEEDS_NUMBER, "docno")] if doc.cancelling else []
    recorded, found = common.referenced(doc, view, "docno", doc.kind.key)
    if recorded is None:
        return found
    if recorded["owner"] != ctx.sender.address and not ctx.sender.manager:
        found.append(doc.problem(NOT_OWNER, "docno", docno=number, owner=recorded["owner"]))
    dependents = [d["docno"] for d in view.dependents(number)]
    if doc.cancelling:
        if not doc["cancel_reason"]:
            found.append(doc.problem(CANCEL_NEEDS_REASON, "cancel_reason"))
        if dependents:
            found.append(
                doc.problem(CANCEL_HAS_DEPENDENTS, "action", docno=number, dependents=dependents)
            )
    elif (
        dependents
        and "customer_code" in doc.header
        and doc["customer_code"]
        and recorded["customer_code"]
        and doc["customer_code"] != recorded["customer_code"]
    ):
        found.append(
            doc.problem(
                CUSTOMER_CHANGE_HAS_DEPENDENTS,
                "customer_code",
                docno=number,
                dependents=dependents,
                was=recorded["customer_code"],
            )
        )
    return found


def _record(
    gw: Gateway,
    ctx: Context,
    writer: LedgerWriter,
    source: Source,
    outcome: Outcome,
    doc: Document,
    found: list[Problem],
) -> Outcome:
    kind = doc.kind
    hooks = HOOKS[kind.key]
    action = "cancel" if doc.cancelling else ("amend" if doc.docno else "record")
    source_id = writer.add_source(source)
    docno = doc.docno or writer.next_number(kind, ctx.today.year)
    if action == "cancel":
        keep_recorded_values(doc, writer.view.document(docno))
    if action == "cancel":
        hooks.on_cancel(doc, docno, writer, ctx)
    else:
        hooks.book(doc, docno, writer, ctx)
    drawn_on = open_items.cited(writer.view, docno)  # before the links change
    writer.record(doc, docno, action, source_id, ctx.sender.address)
    hooks.after_record(gw, ctx, doc, docno, writer)
    if not kind.master:
        open_items.refresh(writer, {docno} | drawn_on, ctx.firm.currency)
    outcome.accepted, outcome.docno, outcome.action = True, docno, action
    outcome.problems = warnings(found)
    replies = [confirmation(gw, ctx, outcome, doc, writer)]
    replies += hooks.more_replies(doc, docno, action, writer, ctx, gw.roster)
    outcome.outbox_ids = [_queue(gw, writer, r, source) for r in replies]
    if gw.finish:
        gw.finish(writer)
    crash_point("in-transaction")
    return outcome


def sheet_order(p: Problem) -> tuple[int, int]:
    """Problems in the order a person reads the sheet: row, then column; whole-file ones first."""
    if not p.cell:
        return (0, 0)
    letters = p.cell.rstrip("0123456789")
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    return (int(p.cell[len(letters) :] or 0), column)


def keep_recorded_values(doc: Document, recorded: dict | None) -> None:
    """A cancellation needs only the number and a reason; what it leaves empty keeps the
    recorded values, so the cancelled document still reads as it was."""
    if recorded is None:
        return
    for f in doc.kind.header:
        if doc.header.get(f.key) is None and recorded["header"].get(f.key) is not None:
            doc.header[f.key] = read_value(f, recorded["header"][f.key])
    if doc.kind.lines and not doc.lines and doc.kind.layout.first_line_row:
        for values in recorded["lines"]:
            number = int(values["line_no"])
            line = Line(number, doc.kind.layout.first_line_row + number - 1, {})
            for c in doc.kind.lines.columns:
                raw = values.get(c.key)
                line.values[c.key] = None if raw is None else read_value(c, raw)
            doc.lines.append(line)


def _refuse(
    gw: Gateway,
    ctx: Context,
    source: Source,
    outcome: Outcome,
    kind: Kind | None,
    found: Sequence[Problem],
    data: bytes,
    marked: bool,
) -> Outcome:
    outcome.accepted = False
    outcome.problems = found = sorted(found, key=sheet_order)
    # built before the write lock is taken: marking a workbook is the slow part of a refusal
    reply = rejection(gw, ctx, outcome, kind, data if marked else None)
    with gw.ledger.transaction() as writer:
        source_id = writer.add_source(source)
        writer.reject(
            source_id,
            kind.key if kind else None,
            None,
            [{"code": p.code, "cell": p.cell, "severity": p.severity} for p in found],
        )
        outcome.outbox_ids = [_queue(gw, writer, reply, source)]
        if gw.finish:
            gw.finish(writer)
    return outcome


def _queue(gw: Gateway, writer: LedgerWriter, reply: Reply, source: Source) -> int:
    msg = as_mail(reply, gw.firm.firm.mailbox, gw.firm.firm.name, in_reply_to=source.message_id)
    # held, or waiting for its printed copy, in the form's own transaction: never lost nor doubled
    status = PRINTING if reply.printout_of else ("held" if gw.held_for else "queued")
    return writer.queue_mail(
        reply.recipient, reply.subject, reply.purpose, msg, reply.docno, status, gw.held_for
    )


def _base_context(gw: Gateway, ctx: Context, outcome: Outcome, kind: Kind | None) -> dict:
    language = ctx.sender.language
    return {
        "person": ctx.sender.name,
        "filename": printable(outcome.filename),  # no direction override in a subject
        "kind_title": kind.title(language) if kind else None,
        "administrator": gw.firm.administrator or gw.firm.firm.mailbox,
    }


def rejection(
    gw: Gateway, ctx: Context, outcome: Outcome, kind: Kind | None, data: bytes | None
) -> Reply:
    # imported here: only a refusal marks the sender's workbook
    from silu_sheets.workbook import marking

    language = ctx.sender.language
    problems = [describe(p, kind, language) for p in outcome.problems]
    attachments = []
    marked = (
        marking.mark_problems(data, outcome.problems, language, problems, kind) if data else None
    )
    if marked:
        attachments.append(Attachment(_marked_name(outcome.filename, language), marked))
        step = {
            "zh": "附件是您发来的表格，有问题的单元格已标红并加了批注；改好后直接回复本邮件即可。",
            "en": "Your workbook is attached with each problem cell marked red and commented; fix them and reply to this mail with it.",
        }
    elif kind is not None:
        attachments.append(Attachment(template.template_filename(kind), fill.blank(kind)))
        step = {
            "zh": f"附件是空白的{kind.zh}模板，请用它重新填写后发回本邮箱。",
            "en": f"A blank {kind.en} template is attached; fill it in and send it back to this address.",
        }
    elif any(p.code == P.NOT_OUR_TEMPLATE for p in outcome.problems):
        # the refusal promises blanks: those of every form this person may send
        for key in gw.roster.allowed_kinds(ctx.sender):
            attachments.append(
                Attachment(template.template_filename(KINDS[key]), fill.blank(KINDS[key]))
            )
        step = {
            "zh": "附件是您可以提交的各张空白表单，请选用对应的一张重新填写后发回本邮箱。",
            "en": "The blank forms you may send are attached; fill the right one and send it back to this address.",
        }
    else:
        step = {
            "zh": "请用公司的表单模板填写并保存为 .xlsx 后再发送；发送主题为 HELP 的邮件可获取全部空白模板。",
            "en": "Fill one of the firm's form templates, save it as .xlsx and send it again; mail the subject HELP to get all blank templates.",
        }
    context = _base_context(gw, ctx, outcome, kind) | {
        "problems": problems,
        "next_step": step[language],
    }
    subject, text, html = render("rejection", language, context)
    return Reply(ctx.sender.address, subject, text, html, "rejection", None, attachments)


def confirmation(
    gw: Gateway, ctx: Context, outcome: Outcome, doc: Document, writer: LedgerWriter
) -> Reply:
    language = ctx.sender.language
    kind = doc.kind
    hooks = HOOKS[kind.key]
    docno = outcome.docno or ""
    links = []
    for f in kind.header:
        if f.type == "docno" and f.key != "docno" and doc[f.key]:
            links.append(f"{f.label(language)}{COLON[language]}{doc[f.key]}")
    customer_code = doc.header.get("customer_code")
    facts = []
    if customer_code:
        customer = writer.view.customer(customer_code)
        name = customer["name"] if customer else ""
        facts.append(
            ("客户" if language == "zh" else "Customer")
            + f"{COLON[language]}{customer_code} {name}"
        )
    if doc.lines:
        facts.append(
            f"明细 {len(doc.lines)} 行" if language == "zh" else f"{len(doc.lines)} line(s)"
        )
    if outcome.action != "cancel":
        facts += hooks.confirmation_facts(doc, docno, writer.view, ctx)
    attachments = []
    nexts = []
    if outcome.action != "cancel":
        nexts = [
            n
            for n in hooks.next_forms(doc, docno, writer.view)
            if gw.roster.may_send(ctx.sender, n.kind)
        ]
    for n in nexts:
        k = KINDS[n.kind]
        built = fill.filled(k, dated(k, n.header, ctx.today), n.lines)
        attachments.append(Attachment(f"{n.kind}-{k.zh}-{docno}.xlsx", built))
    printout_of = docno if kind.key in PRINTING_WORDS and outcome.action != "cancel" else None
    if printout_of:  # attached once the form is committed (attach_printouts)
        name = printout_name(kind.key, docno)
        zh, en = PRINTING_WORDS[kind.key]
        facts.append(f"附件 {name} {zh}" if language == "zh" else f"{name} {en}")
    if outcome.action == "cancel":
        step = {
            "zh": "该单已作废，无需其他操作。",
            "en": "The document is cancelled; nothing else to do.",
        }
    elif nexts:
        names = ("、" if language == "zh" else ", ").join(
            KINDS[n.kind].title(language) for n in nexts
        )
        step = {
            "zh": f"附件是已预填的下一张表（{names}），需要时填写后发回本邮箱即可。要修改本单，在原表“单号”填写 {docno} 后再次发送。",
            "en": f"The next form ({names}) is attached, pre-filled; fill it in and send it back when needed. To amend this document, write {docno} in its Number cell and send it again.",
        }
    else:
        step = {
            "zh": f"无需其他操作。要修改本单，在原表“单号”填写 {docno} 后再次发送。",
            "en": f"Nothing else to do. To amend this document, write {docno} in its Number cell and send it again.",
        }
    context = _base_context(gw, ctx, outcome, kind) | {
        "docno": docno,
        "action_word": ACTION_WORDS[outcome.action or "record"][language],
        "facts": facts,
        "links": links,
        "warnings": [describe(p, kind, language) for p in outcome.problems],
        "next_step": step[language],
    }
    subject, text, html = render("confirmation", language, context)
    return Reply(
        ctx.sender.address, subject, text, html, "confirmation", docno, attachments, printout_of
    )


def dated(kind: Kind, header: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """A pre-filled form's own date (its first date field: quote date, contract date…) is
    today's, unless the next-form hook gave one: the person sends it on the day they get it."""
    first = next((f.key for f in kind.header if f.type == "date"), None)
    if first is None or header.get(first) not in (None, ""):
        return dict(header)
    return {**header, first: today}


#: the kinds whose confirmation carries the customer's printed copy, and what it says of it
PRINTING_WORDS = {
    "quote": (
        "是可直接打印、盖章并发给客户的报价单",
        "is attached, ready to print, seal and send to the customer",
    ),
    "contract": (
        "是可直接打印、盖章并发给客户的销售合同",
        "is attached, ready to print, seal and send to the customer",
    ),
    "issue_slip": (
        "是本次出库的送货单（不含价格）：打印后随货交司机，由客户签收",
        "is this issue's delivery note (no prices): print it and send it with the goods for "
        "the customer to sign",
    ),
}
#: outbox status of a reply waiting for its printed copy (then ``queued``, or ``held`` for its mail)
PRINTING = "printing"


def printout_name(kind: str, docno: str) -> str:
    """The printed copy's file name, as ``customer_copy`` names it (the printout's own title)."""
    from silu_sheets.printing import PRINTABLE

    return f"{PRINTABLE[kind]}-{docno}.xlsx"


def customer_copy(gw: Gateway, view: LedgerView, docno: str, recipient: str) -> Attachment:
    """The printed quote or contract (letterhead, totals, 大写, signature and seal blocks) for
    the salesperson to send on, and the delivery note of an issue slip: the keeper's to send with
    the goods, the salesperson's for the customer. ``silu print`` writes the same."""
    return _printed(gw, view, docno, price_free(gw, recipient))


def price_free(gw: Gateway, recipient: str) -> bool:
    """Whether ``recipient``'s printed copy goes without prices: anyone who works in a warehouse
    (or is not on the roster) never sees one, and a delivery note carries them only where
    silu.toml says so (a quote or contract never goes to the warehouse)."""
    from silu_sheets.printing import notes_priced

    person = gw.roster.find(recipient)
    return person is None or person.has("warehouse") or not notes_priced(gw.firm)


def _printed(gw: Gateway, view: LedgerView, docno: str, without_prices: bool) -> Attachment:
    from silu_sheets import printing
    from silu_sheets.workbook import printout

    people = {s.address: s.name for s in gw.roster.staff.values()}
    found = printing.printout(view, docno, gw.firm, for_warehouse=without_prices, people=people)
    return Attachment(f"{found.zh}-{docno}.xlsx", printout.build(found))


def attach_printouts(gw: Gateway, held_for: str | None = None) -> None:
    """Replies waiting for their printed copy (status ``printing``; those held for mail
    ``held_for``, or with None those of no mail) get it attached and go on their way.

    The copy is built from the committed ledger, outside the write lock (issue 10: attachments
    are built outside it), and the reply is queued in the same statement that attaches it. The
    row says what to attach, so a process killed between the form's commit and this step loses
    nothing: the next pass over the mail, ``silu send`` or ``silu ingest`` attaches it. A copy
    that cannot be built lets the reply go without it; the log says why."""
    copies = printed_copies(gw, held_for)
    if copies:
        with gw.ledger.transaction() as writer:
            store_copies(writer, copies)


class PrintedCopy(NamedTuple):
    """A waiting reply's printed copy, built: the reply's next status, and the MIME part to put
    ``at`` that byte of its message (``replies.attachment_insert``); no part when it could
    not be built (the reply goes without it)."""

    outbox_id: int
    status: str
    at: int = 0
    part: bytes | None = None


def printed_copies(gw: Gateway, held_for: str | None = None, limit: int = -1) -> list[PrintedCopy]:
    """The printed copies of the waiting replies of ``attach_printouts`` (the first
    ``limit``), built outside any write, for ``store_copies``."""
    rows = gw.ledger.db.execute(
        "SELECT id, docno, recipient, message FROM outbox JOIN outbox_bodies ON outbox_id = id"
        " WHERE status = ? AND held_for IS ? ORDER BY id LIMIT ?",
        [PRINTING, held_for, limit],
    ).fetchall()
    finished = []
    status = "held" if held_for else "queued"
    # an issue slip's note goes to its keeper and its salesperson: built once when both read
    # the same (no prices), as they do unless silu.toml prices delivery notes
    built: dict[tuple[str, bool], Attachment] = {}
    for id_, docno, recipient, message in rows:
        try:
            key = (docno, price_free(gw, recipient))
            if key not in built:
                built[key] = _printed(gw, gw.ledger.view, *key)
            finished.append(PrintedCopy(id_, status, *attachment_insert(message, built[key])))
        except Exception:  # noqa: BLE001 - the confirmation matters more than its copy
            log.exception(
                "the printed copy of %s could not be made; its confirmation went without it "
                "(silu print %s makes it):",
                docno,
                docno,
            )
            finished.append(PrintedCopy(id_, status))
    return finished


def store_copies(writer: LedgerWriter, copies: list[PrintedCopy]) -> None:
    """Write ``printed_copies`` into the outbox in ``writer``'s transaction (the mail gateway's
    release, so each reply is written once less); a row another pass attached already is left.
    The copy goes in a row of its own (``outbox_printouts``): the message it joins is not
    written again (``outbox_messages`` shows the two as one)."""
    for copy in copies:
        if (
            writer.db.execute(
                f"UPDATE outbox SET status = ? WHERE id = ? AND status = '{PRINTING}'",
                [copy.status, copy.outbox_id],
            ).rowcount
            and copy.part is not None
        ):
            writer.db.execute(
                "INSERT INTO outbox_printouts (outbox_id, at, part) VALUES (?, ?, ?)",
                [copy.outbox_id, copy.at, copy.part],
            )


def _marked_name(filename: str, language: str) -> str:
    stem = printable(filename).rsplit(".", 1)[0] if filename else "form"
    stem = stem.replace("/", "_").replace("\\", "_")
    return f"{stem}-{'待修改' if language == 'zh' else 'to-fix'}.xlsx"
