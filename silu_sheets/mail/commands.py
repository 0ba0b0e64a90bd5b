"""Subject commands: a mail with no form whose subject is a command is answered by mail, in the
sender's language and within the sender's role.

    HELP               how it works, with the blank templates of the kinds the sender may send
    TEMPLATE kind      one blank template (报价单, quote, …)
    STATUS number      where a document stands
    PRODUCT text       product quick lookup (产品快速查找)
    CONTRACT text      contract quick lookup (合同速查)
    MEMO topic         the company memo's standard answer (备忘录)
    NOTE text / NOTES  write to / read one's own notepad (个人记事本)
    TODO               one's own to-do list today (待办), the same mail as the daily digest
    REPORT             managers: the summary workbook, this month to date (报表)

Chinese words work too (帮助, 模板, 状态, 产品, 合同, 备忘, 记事, 记事本, 待办). Staff who may not see
prices (the warehouse) never get one here either: every value under a price-like name is dropped
before the answer is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from silu_sheets.document import Staff
from silu_sheets.kinds import KINDS
from silu_sheets.pipeline import Gateway
from silu_sheets.replies import Attachment, Reply, render
from silu_sheets.workbook import template

log = logging.getLogger(__name__)

COMMANDS = (
    "HELP",
    "TEMPLATE",
    "STATUS",
    "PRODUCT",
    "CONTRACT",
    "MEMO",
    "NOTE",
    "NOTES",
    "TODO",
    "REPORT",
)
ALIASES = {
    "帮助": "HELP",
    "说明": "HELP",
    "模板": "TEMPLATE",
    "状态": "STATUS",
    "查询": "STATUS",
    "产品": "PRODUCT",
    "合同": "CONTRACT",
    "备忘": "MEMO",
    "备忘录": "MEMO",
    "记事": "NOTE",
    "记事本": "NOTES",
    "待办": "TODO",
    "待办事项": "TODO",
    "报表": "REPORT",
    "汇总": "REPORT",
}
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|回复|答复|转发)\s*[:：]\s*)+", re.I)
#: value names that carry a selling price, an amount or a balance (never to the warehouse)
PRICE_WORDS = (
    "price",
    "amount",
    "balance",
    "total",
    "paid",
    "owed",
    "money",
    "value",
    "价",
    "金额",
    "余额",
    "款",
)


def parse_command(subject: str) -> tuple[str, str] | None:
    """``("TEMPLATE", "quote")`` from ``"Re: template quote"``; None when it is no command."""
    text = _REPLY_PREFIX.sub("", subject or "").strip()
    if not text:
        return None
    m = re.match(r"(\S+?)(?:\s*[:：]\s*|\s+|$)(.*)", text, re.S)
    if m is None:
        return None
    word, rest = m.group(1), m.group(2)
    key = word.upper()
    key = ALIASES.get(word, key)
    if key not in COMMANDS:
        return None
    return key, rest.strip()


def find_kind(text: str) -> str | None:
    t = text.strip().lower().removesuffix(".xlsx")
    for key, kind in KINDS.items():
        if t in (
            key,
            kind.zh.lower(),
            kind.en.lower(),
            template.template_filename(kind).lower().removesuffix(".xlsx"),
        ):
            return key
    return None


class Answer(NamedTuple):
    """What a command answers: a title, paragraphs, a bulleted list, attachments, and blocks
    (lines and small tables, ``silu_sheets/answers.py``)."""

    title: str
    paragraphs: Sequence[str] = ()
    items: Sequence[str] = ()
    attachments: Sequence[Attachment] = ()
    blocks: Sequence[Any] = ()


def answer(gw: Gateway, person: Staff, command: str, argument: str) -> Reply:
    """The reply to one command; never raises for a user's mistake."""
    zh = person.language == "zh"
    handler = _HANDLERS[command]
    blocks: Sequence[Any] = ()
    try:
        answered = handler(gw, person, argument)
        if isinstance(answered, Reply):
            return answered
        title, paragraphs, items, attachments, blocks = Answer(*answered)
    except Exception:  # noqa: BLE001 - the person gets a plain answer; the trace goes to the log
        log.exception("command %s %r from %s failed", command, argument, person.address)
        title = "查询出错" if zh else "The lookup failed"
        # nobody else is mailed from here: the answer says who to tell, not that they were told
        administrator = gw.firm.administrator or gw.firm.firm.mailbox
        paragraphs = [
            f"系统处理这条命令时出错，请稍后再试；如果一直出错，请把本邮件转给管理员 {administrator}。"
            if zh
            else f"The system failed while answering this command. Please try again later; if it keeps failing, forward this mail to the administrator, {administrator}."
        ]
        items, attachments = [], []
    return notice(
        gw,
        person,
        title,
        list(paragraphs),
        list(items),
        list(attachments),
        purpose=f"command:{command.lower()}",
        blocks=blocks,
    )


def notice(
    gw: Gateway,
    person: Staff,
    title: str,
    paragraphs: list[str],
    items: list[str] = (),  # type: ignore[assignment]
    attachments: list[Attachment] = (),  # type: ignore[assignment]
    purpose: str = "notice",
    next_step: str = "",
    blocks: Sequence[Any] = (),
) -> Reply:
    """A short mail in the person's language: paragraphs, then ``blocks`` (lines and tables: a
    real ``<table>`` in the HTML part, aligned text in the plain one), then a bulleted list."""
    from silu_sheets.answers import for_mail

    context = {
        "title": title,
        "person": person.name,
        "paragraphs": paragraphs,
        "blocks": for_mail(blocks),
        "items": list(items),
        "next_step": next_step,
        "administrator": gw.firm.administrator or gw.firm.firm.mailbox,
    }
    subject, text, html = render("notice", person.language, context)
    return Reply(person.address, subject, text, html, purpose, None, list(attachments))


def _blank(kind_key: str) -> Attachment:
    kind = KINDS[kind_key]
    return Attachment(template.template_filename(kind), template.to_bytes(template.build(kind)))


def _help(gw: Gateway, person: Staff, argument: str) -> tuple:
    zh = person.language == "zh"
    kinds = gw.roster.allowed_kinds(person)
    mailbox = gw.firm.firm.mailbox
    if zh:
        title = "使用说明和空白模板"
        paragraphs = [
            f"把填好的表格（.xlsx）作为附件发到 {mailbox} 即可，一封邮件可以带多张表。每张表都会单独检查："
            "没问题就登记并回复单号，附上下一张已预填的表；有问题就原样退回，出错的单元格标红并写明原因。",
            "要修改已登记的单据，在原表“单号”填写单号后再次发送；要作废，在“操作”选“作废”并写明原因。",
            "邮件主题也可以是命令：HELP（本说明）、TEMPLATE 表名（空白模板）、STATUS 单号、PRODUCT 关键词、"
            "CONTRACT 关键词、MEMO 主题、NOTE 内容、NOTES、TODO（待办清单）。",
            "附件是您可以发送的全部空白表：",
        ]
    else:
        title = "How it works, with blank templates"
        paragraphs = [
            f"Attach filled forms (.xlsx) to a mail to {mailbox}; one mail may carry several forms. Each is checked "
            "on its own: if it is right it is recorded and you get its number with the next form pre-filled; if not, "
            "it comes back with the wrong cells marked red and explained.",
            "To amend a recorded document, write its number in the form's Number cell and send it again; to cancel, "
            "choose Cancel as the action and give a reason.",
            "The subject may also be a command: HELP (this), TEMPLATE kind (a blank form), STATUS number, "
            "PRODUCT words, CONTRACT words, MEMO topic, NOTE text, NOTES, TODO (your to-do list).",
            "Attached are the blank forms you may send:",
        ]
    items = [f"{KINDS[k].zh} {KINDS[k].en} — {template.template_filename(KINDS[k])}" for k in kinds]
    return title, paragraphs, items, [_blank(k) for k in kinds]


def _template(gw: Gateway, person: Staff, argument: str) -> tuple:
    zh = person.language == "zh"
    allowed = gw.roster.allowed_kinds(person)
    key = find_kind(argument) if argument else None
    # each as the reader would write it after TEMPLATE (find_kind reads either language)
    names = [
        f"{KINDS[k].zh}（TEMPLATE {KINDS[k].zh}）"
        if zh
        else f"{KINDS[k].en} (TEMPLATE {KINDS[k].en.lower()})"
        for k in allowed
    ]
    if key is None or key not in allowed:
        if zh:
            what = f"“{argument}”不是您可以发送的表。" if argument else "请在 TEMPLATE 后写表名。"
            return "未找到模板", [what, "您可以发送的表："], names, []
        what = (
            f'"{argument}" is not a form you may send.'
            if argument
            else "Write the form's name after TEMPLATE."
        )
        return "No such template", [what, "Forms you may send:"], names, []
    kind = KINDS[key]
    if zh:
        return (
            f"空白模板：{kind.zh}",
            [f"附件是空白的{kind.zh}，填好后发回 {gw.firm.firm.mailbox}。"],
            [],
            [_blank(key)],
        )
    return (
        f"Blank template: {kind.en}",
        [
            f"The blank {kind.en} form is attached; fill it in and send it to {gw.firm.firm.mailbox}."
        ],
        [],
        [_blank(key)],
    )


def price_free(value: Any) -> Any:
    """``value`` without anything under a price-like name, however deeply nested."""
    if isinstance(value, dict):
        return {
            k: price_free(v)
            for k, v in value.items()
            if not any(w in str(k).lower() for w in PRICE_WORDS)
        }
    if isinstance(value, (list, tuple)):
        return [price_free(v) for v in value]
    return value


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return ", ".join(
            f"{k}: {_show(v)}" for k, v in value.items() if v not in (None, "", [], {})
        )
    if isinstance(value, (list, tuple)):
        return "[" + "; ".join(_show(v) for v in value) + "]"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _lines(value: Any) -> list[str]:
    """A lookup's answer as lines a person reads: one line per found thing."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        from silu_sheets.answers import is_table

        return [v if isinstance(v, str) or is_table(v) else _show(v) for v in value]
    return [_show(value)]


def _lookup(
    what_zh: str,
    what_en: str,
    run: Callable[[Gateway, Staff, str], Any],
    needs_argument: bool = True,
    render: Callable[[Any, str], list] | None = None,
    nothing: tuple[str, str] = ("没有找到。", "Nothing found."),
):
    """A command answered by a lookup: its result as lines and tables, price-free for the
    warehouse; ``render`` writes a structured result in the reader's words (after prices are
    taken out)."""

    def handler(gw: Gateway, person: Staff, argument: str) -> Answer:
        zh = person.language == "zh"
        if needs_argument and not argument:
            return Answer(
                what_zh if zh else what_en,
                ["请在命令后写要查的内容。" if zh else "Write what to look up after the command."],
            )
        result = run(gw, person, argument)
        if not gw.roster.sees_prices(person):
            if isinstance(result, str):
                # free text cannot be checked for prices: the warehouse gets structured answers only
                result = (
                    "（此查询结果可能包含价格，不向仓库发送。）"
                    if zh
                    else "(This answer may contain prices; it is not sent to warehouse staff.)"
                )
            else:
                result = price_free(result)
        shown = render(result, person.language) if render and result else _lines(result)
        blocks = shown or [(nothing[0] if zh else nothing[1]).format(argument)]
        title = f"{what_zh}：{argument}" if zh else f"{what_en}: {argument}"
        return Answer(title.rstrip("：: "), blocks=blocks)

    return handler


def _status(gw: Gateway, person: Staff, argument: str) -> Any:
    """Where a document stands, as ``silu status`` says it: price-free for the warehouse."""
    from silu_sheets.status import document_status, status_blocks
    from silu_sheets.values import docno_text

    found = document_status(
        gw.ledger.view,
        docno_text(argument),
        prices=gw.roster.sees_prices(person),
        language=person.language,
    )
    if found is None:
        return None
    return status_blocks(found, person.language, gw.roster.name_of, gw.firm.firm.timezone)


def _product(gw: Gateway, person: Staff, argument: str) -> Any:
    from silu_sheets import lookup

    return lookup.lookup_products(
        gw.ledger.view,
        argument,
        sees_prices=gw.roster.sees_prices(person),
        currency=gw.firm.firm.currency,
    )


def _contract(gw: Gateway, person: Staff, argument: str) -> Any:
    from silu_sheets import lookup

    return lookup.lookup_contracts(gw.ledger.view, argument)


def _product_answer(found: Any, language: str) -> list:
    from silu_sheets import lookup

    return lookup.product_answer(found, language)


def _contract_answer(found: Any, language: str) -> list:
    from silu_sheets import lookup

    return lookup.contract_answer(found, language)


def _memo(gw: Gateway, person: Staff, argument: str) -> Any:
    from silu_sheets import memo

    return [
        f"【{e.topic}】{e.answer(person.language)}"
        for e in memo.memo(gw.firm.root, argument or None)
    ]


def _note(gw: Gateway, person: Staff, argument: str) -> Any:
    from silu_sheets import notes

    number = notes.add_note(gw.ledger, person.address, argument)
    if person.language == "zh":
        return [f"已记下第 {number} 条。发送 NOTES 可查看全部。"]
    return [f"Kept as note {number}. Send NOTES to read them all."]


def _notes(gw: Gateway, person: Staff, argument: str) -> Any:
    from silu_sheets import notes

    found = notes.list_notes(gw.ledger.view, person.address, timezone=gw.firm.firm.timezone)
    return notes.notes_blocks(found, person.language)


def _todo(gw: Gateway, person: Staff, argument: str) -> Reply:
    from silu_sheets.digest import todo_reply

    return todo_reply(gw, person)


def _report(gw: Gateway, person: Staff, argument: str) -> tuple:
    """The summary workbook, this month to date; managers only (it holds every price and balance)."""
    from silu_sheets.report import default_period
    from silu_sheets.report.mailing import words, workbook

    zh = person.language == "zh"
    if not person.manager or not gw.roster.sees_prices(person):
        if zh:
            return "汇总报表仅发给主管", ["汇总报表只发给主管。需要时请联系您的主管。"], [], []
        return (
            "The summary workbook is for managers",
            ["The summary workbook goes to managers only; ask your manager for it."],
            [],
            [],
        )
    period = default_period(gw.firm.today())
    title = f"汇总报表 {period}" if zh else f"Summary workbook {period}"
    return title, words(person, period), [], [workbook(gw, period, gw.firm.today())]


_HANDLERS: dict[str, Callable[[Gateway, Staff, str], tuple | Reply]] = {
    "HELP": _help,
    "TEMPLATE": _template,
    "STATUS": _lookup(
        "单据状态",
        "Document status",
        _status,
        nothing=(
            "没有单号为 {} 的单据。请核对单号（例如 SN-2026-00012）后再发。",
            "No document is numbered {}. Check the number (for example SN-2026-00012) and send again.",
        ),
    ),
    "PRODUCT": _lookup("产品查找", "Product lookup", _product, render=_product_answer),
    "CONTRACT": _lookup("合同速查", "Contract lookup", _contract, render=_contract_answer),
    "MEMO": _lookup(
        "备忘录",
        "Company memo",
        _memo,
        needs_argument=False,
        nothing=(
            "备忘录里没有这个主题。发送 MEMO（不带主题）可看全部主题。",
            "The memo has no such topic. Send MEMO alone for every topic.",
        ),
    ),
    "NOTE": _lookup("记事本", "Notepad", _note),
    "NOTES": _lookup("记事本", "Notepad", _notes, needs_argument=False),
    "TODO": _todo,
    "REPORT": _report,
}
