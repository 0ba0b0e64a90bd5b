"""Inquiry follow-up (咨询跟进单): exists only under an open inquiry.

Rules: the inquiry exists, is not cancelled and is still open; only its salesperson or a
manager follows it up; closing it as won or lost needs a reason; the next follow-up date is
not before this follow-up's date. The seed makes the follow-up depend on the inquiry so that
salespeople keep recording inquiries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.declare import Choice as C
from silu_sheets.declare import Kind, choice, date, docno, document_header, text
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks, NextForm
from silu_sheets.kinds import common
from silu_sheets.kinds.choices import CHANNELS
from silu_sheets.problems import Problem, problem_type

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

RESULTS = (
    C("continue", "继续跟进", "keep following up"),
    C("won", "成交", "won"),
    C("lost", "失败", "lost"),
)

KIND = Kind(
    key="follow_up",
    zh="咨询跟进单",
    en="Inquiry follow-up",
    prefix="FUP",
    version=1,
    senders=("sales", "sales_manager"),
    header=document_header(
        docno("inquiry_no", "咨询单号", "Inquiry number", "inquiry", required=True),
        date("follow_up_date", "跟进日期", "Follow-up date", required=True),
        choice("method", "跟进方式", "Method", CHANNELS),
        text("content", "跟进内容", "What was discussed", required=True),
        choice("result", "跟进结果", "Result", RESULTS, required=True),
        text(
            "close_reason",
            "成交/失败原因",
            "Reason won or lost",
            hint_zh="结果为成交或失败时必填。",
            hint_en="Required when the result is won or lost.",
        ),
        date("next_follow_up", "下次跟进日期", "Next follow-up date"),
        text("note", "备注", "Note"),
    ),
)

INQUIRY_CLOSED = problem_type(
    "inquiry-closed",
    "咨询单 {docno} 已于 {date} 结案（{result}），不能再跟进。如客户再次咨询，请新开咨询单。",
    "Inquiry {docno} was closed on {date} ({result}); it can no longer be followed up. If the customer asks again, open a new inquiry.",
)
NOT_INQUIRY_OWNER = problem_type(
    "follow-up-not-owner",
    "咨询单 {docno} 的业务员是 {owner}，只有该业务员或主管可以跟进。",
    "Inquiry {docno} belongs to {owner}; only that salesperson or a manager may follow it up.",
)
CLOSE_REASON_NEEDED = problem_type(
    "close-reason-needed",
    "结果为“{result}”时必须填写原因。",
    "A reason is required when the result is “{result}”.",
)
BEFORE_INQUIRY = problem_type(
    "follow-up-before-inquiry",
    "跟进日期 {date} 早于咨询日期 {inquiry_date}。",
    "Follow-up date {date} is before the inquiry date {inquiry_date}.",
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    inquiry, found = common.referenced(doc, ledger, "inquiry_no", "inquiry")
    if inquiry:
        state = ledger.inquiry_state(inquiry["docno"]) or {}
        closing_follow_up = state.get("closed_by")
        if closing_follow_up and closing_follow_up != doc.docno:
            result = KIND.field("result").choice(state["status"])
            found.append(
                doc.problem(
                    INQUIRY_CLOSED,
                    "inquiry_no",
                    docno=inquiry["docno"],
                    date=state["closed_on"],
                    result=result.shown if result else state["status"],
                )
            )
        if inquiry["owner"] != ctx.sender.address and not ctx.sender.manager:
            found.append(
                doc.problem(
                    NOT_INQUIRY_OWNER, "inquiry_no", docno=inquiry["docno"], owner=inquiry["owner"]
                )
            )
        started = inquiry["header"].get("inquiry_date")
        if doc["follow_up_date"] and started and doc["follow_up_date"].isoformat() < started:
            found.append(
                doc.problem(
                    BEFORE_INQUIRY,
                    "follow_up_date",
                    date=doc["follow_up_date"],
                    inquiry_date=started,
                )
            )
    if doc["result"] in ("won", "lost") and not doc["close_reason"]:
        result = KIND.field("result").choice(doc["result"])
        assert result is not None  # won and lost are declared choices
        found.append(doc.problem(CLOSE_REASON_NEEDED, "close_reason", result=result.shown))
    found += common.not_before(doc, "next_follow_up", "follow_up_date")
    return found


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    inquiry = writer.view.document(doc["inquiry_no"])
    if inquiry:
        doc.header["customer_code"] = inquiry["customer_code"]
        doc.header["salesperson"] = inquiry["owner"]


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """The forms the confirmation carries pre-filled: (kind, header values[, lines])."""
    if doc["result"] == "continue":
        return [NextForm("follow_up", {"inquiry_no": doc["inquiry_no"]})]
    return []


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: this follow-up's result and next date, and where its
    inquiry stands now."""
    from silu_sheets.answers import both

    header = doc["header"]
    if not prices:  # what was said may name a price: not for the warehouse
        header = {k: v for k, v in header.items() if k not in ("content", "close_reason")}
    inquiry = header.get("inquiry_no")
    found = {
        "inquiry_no": inquiry,
        "inquiry_state": view.inquiry_state(inquiry) if inquiry else None,
    }
    return found | {
        "summary": both(lambda language: _result(header, language)),
        "text": both(lambda language: _status_text(header, found, language)),
        "shown": [inquiry] if inquiry else [],
    }


def _result(header: dict, language: str) -> str:
    choice = KIND.field("result").choice(str(header.get("result") or ""))
    return choice.label(language) if choice else ""


def _status_text(header: dict, found: dict, language: str) -> list:
    from silu_sheets.kinds.inquiry import state_words

    zh = language == "zh"
    sep = "：" if zh else ": "
    out = []
    method = KIND.field("method").choice(str(header.get("method") or ""))
    day = header.get("follow_up_date") or ""
    out.append(
        f"{'跟进' if zh else 'Followed up'}{sep}{day}"
        + (f" {method.label(language)}" if method else "")
    )
    if header.get("content"):
        out.append(f"{'内容' if zh else 'What was said'}{sep}{header['content']}")
    if header.get("next_follow_up"):
        out.append(f"{'下次跟进' if zh else 'Next follow-up'}{sep}{header['next_follow_up']}")
    if header.get("close_reason"):
        out.append(f"{'结束原因' if zh else 'Closed because'}{sep}{header['close_reason']}")
    if found["inquiry_no"]:
        state = state_words(found["inquiry_state"] or {}, language)
        out.append(f"{'咨询单' if zh else 'Inquiry'} {found['inquiry_no']}{sep}{state}")
    return out


HOOKS = Hooks(status=status, check=check, book=book, next_forms=next_forms)
