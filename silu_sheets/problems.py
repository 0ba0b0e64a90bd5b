"""Problems are data: a stable code, where it is, the values involved, and words per language.

A check never raises for a person's mistake; it returns every ``Problem`` it finds. Each code is
registered once with its zh and en wording (the ``{name}`` slots are filled from ``values``),
so a reply, the CLI and the tests all speak of the same thing.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Literal, NamedTuple

from silu_sheets.amounts import Money

Severity = Literal["error", "warning"]


class ProblemType(NamedTuple):
    code: str
    zh: str
    en: str


PROBLEM_TYPES: dict[str, ProblemType] = {}


def problem_type(code: str, zh: str, en: str) -> str:
    """Register a problem code with its wording; returns the code for use as a constant."""
    existing = PROBLEM_TYPES.get(code)
    if existing and (existing.zh, existing.en) != (zh, en):
        raise ValueError(f"problem code {code!r} registered twice with different words")
    PROBLEM_TYPES[code] = ProblemType(code, zh, en)
    return code


class Problem(NamedTuple):
    """One thing wrong (or worth saying) about a form, with its place on the sheet."""

    code: str
    values: Mapping[str, object] = {}  # never changed: one empty mapping serves every problem
    sheet: str | None = None
    cell: str | None = None
    #: the field key (header field or line column) the problem is about
    field: str | None = None
    #: 1-based line number within the line table
    line: int | None = None
    severity: Severity = "error"

    def message(self, language: str) -> str:
        """The rule in words, in ``language``, with the values filled in."""
        kind = PROBLEM_TYPES[self.code]
        template = kind.zh if language == "zh" else kind.en
        return template.format(**{k: show(v, language) for k, v in self.values.items()})

    def flat(self) -> tuple[str | None, str]:
        """``(cell, code)``: the compact form tests assert on."""
        return (self.cell, self.code)


def words(zh: str, en: str) -> dict[str, str]:
    """A value that reads differently per language (a field's label, a choice)."""
    return {"zh": zh, "en": en}


def show(value: object, language: str = "zh") -> str:
    """A value as a person should read it: money in its currency's decimals, other decimals
    (quantities) exact without exponent, ISO dates, and ``words`` in the reader's language."""
    if isinstance(value, dict) and set(value) == {"zh", "en"}:
        return value[language]
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ("、" if language == "zh" else ", ").join(show(v, language) for v in value)
    return "" if value is None else str(value)


def exact(value: object) -> str:
    """A value for JSON: money as its exact figure ("970.5"), anything else as ``show``."""
    return value.exact if isinstance(value, Money) else show(value)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning"]


# --- the file as a whole --------------------------------------------------------------------
FILE_NOT_XLSX = problem_type(
    "file-not-xlsx",
    "文件不是 Excel 工作簿（.xlsx）。请用我们的模板填写后另存为 .xlsx 再发送。",
    "The file is not an Excel workbook (.xlsx). Fill in our template and save it as .xlsx.",
)
FILE_OLD_XLS = problem_type(
    "file-old-xls",
    "这是旧版 .xls 文件，系统只读 .xlsx。请在 Excel/WPS 中“另存为” Excel 工作簿（.xlsx）后再发送。",
    "This is an old .xls file; only .xlsx is read. Use Save As → Excel Workbook (.xlsx) and send it again.",
)
FILE_MACRO = problem_type(
    "file-macro",
    "文件含有宏（.xlsm 或 VBA），出于安全不予读取。请另存为不含宏的 Excel 工作簿（.xlsx）。",
    "The file contains macros (.xlsm or VBA) and is not read for safety. Save it as a macro-free workbook (.xlsx).",
)
FILE_ENCRYPTED = problem_type(
    "file-encrypted",
    "文件设置了打开密码，系统无法读取。请取消密码（文件 → 信息 → 保护工作簿）后再发送。",
    "The file is password-protected and cannot be read. Remove the password (File → Info → Protect Workbook) and send it again.",
)
FILE_TOO_LARGE = problem_type(
    "file-too-large",
    "文件过大（{size}，上限 {limit}）。表单不应含图片等大内容，请用空白模板重新填写。",
    "The file is too large ({size}, limit {limit}). A form should hold no pictures; fill a blank template again.",
)
FILE_ZIP_BOMB = problem_type(
    "file-unpacks-too-large",
    "文件解压后过大（{size}，上限 {limit}），不予读取。请用空白模板重新填写。",
    "The file unpacks to too much data ({size}, limit {limit}) and is not read. Fill a blank template again.",
)
FILE_TOO_MANY_PARTS = problem_type(
    "file-too-many-parts",
    "文件内部部件过多（{count} 个，上限 {limit}），不予读取。请用空白模板重新填写。",
    "The file has too many internal parts ({count}, limit {limit}) and is not read. Fill a blank template again.",
)
FILE_UNSAFE_XML = problem_type(
    "file-unsafe-xml",
    "文件内含 XML 实体定义（DTD），出于安全不予读取。Excel、WPS 不会写这种内容；请用空白模板重新填写。",
    "The file holds XML entity definitions (a DTD) and is not read for safety. Excel and WPS never write them; fill a blank template again.",
)
FILE_TOO_MANY_CELLS = problem_type(
    "file-too-many-cells",
    "文件里的格子、文字或格式远多于任何表单（可能粘贴了整张表），不予读取。请用空白模板重新填写。",
    "The file holds far more cells, texts or formats than any form (a whole sheet pasted in, perhaps) and is not read. Fill a blank template again.",
)
FILE_DAMAGED = problem_type(
    "file-damaged",
    "文件已损坏，无法打开（{detail}）。请重新保存后再发送。",
    "The file is damaged and cannot be opened ({detail}). Save it again and resend.",
)
NOT_OUR_TEMPLATE = problem_type(
    "not-our-template",
    "这不是本系统的表单模板。请用回复所附的空白模板填写（发送主题为 HELP 的邮件可获取全部模板）。",
    "This is not one of our form templates. Use the blank template attached (mail the subject HELP for all templates).",
)
TEMPLATE_TOO_OLD = problem_type(
    "template-too-old",
    "这是旧版模板（{kind} 第 {version} 版），系统只读第 {oldest} 版及以后。请用所附的新模板重新填写。",
    "This is an old template ({kind} version {version}); version {oldest} or later is read. Fill the new template attached.",
)
TEMPLATE_TOO_NEW = problem_type(
    "template-too-new",
    "模板版本（{kind} 第 {version} 版）比系统新，请联系管理员升级系统。",
    "The template version ({kind} version {version}) is newer than this system; ask the administrator to upgrade.",
)

# --- who sent it -----------------------------------------------------------------------------
SENDER_UNKNOWN = problem_type(
    "sender-unknown",
    "发件人 {sender} 不在公司员工名单中，表单未登记。请用公司邮箱发送，或请管理员把您加入名单。",
    "The sender {sender} is not on the staff roster; nothing was recorded. Send from your company address or ask the administrator to add you.",
)
SENDER_NOT_ALLOWED = problem_type(
    "sender-not-allowed",
    "您的角色（{roles}）不能提交{kind}。可提交：{allowed}。如需提交请找主管。",
    "Your role ({roles}) may not send a {kind}. You may send: {allowed}. Ask your manager if you need to.",
)

# --- cells ------------------------------------------------------------------------------------
REQUIRED_MISSING = problem_type(
    "required-missing",
    "必填项未填写。",
    "This is required and was left empty.",
)
NOT_A_NUMBER = problem_type(
    "not-a-number",
    "“{value}”不是数字。请只填数字，如 12 或 12.5。",
    "“{value}” is not a number. Write a number only, such as 12 or 12.5.",
)
VALUE_TOO_LARGE = problem_type(
    "value-too-large",
    "填写 {value}，超过上限 {maximum}。请检查是否多打了数字。",
    "{value} was written; the most this cell takes is {maximum}. Check for extra digits.",
)
TEXT_CONTROL_CHARACTERS = problem_type(
    "text-control-characters",
    "文字中含有看不见的控制字符（{characters}），可能是从别处复制来的。请删除后重新输入这段文字。",
    "The text holds invisible control characters ({characters}), perhaps pasted from elsewhere. Delete it and type the text again.",
)
NOT_AN_INTEGER = problem_type(
    "not-an-integer",
    "“{value}”不是整数。请填整数，如 30。",
    "“{value}” is not a whole number. Write a whole number, such as 30.",
)
BELOW_MINIMUM = problem_type(
    "below-minimum",
    "填写 {value}，不能小于 {minimum}。",
    "{value} was written; it may not be below {minimum}.",
)
NOT_POSITIVE = problem_type(
    "not-positive",
    "填写 {value}，必须大于 0。",
    "{value} was written; it must be more than 0.",
)
TOO_MANY_DECIMALS = problem_type(
    "too-many-decimals",
    "“{value}”小数位过多，最多 {places} 位。",
    "“{value}” has too many decimal places; at most {places}.",
)
NOT_A_DATE = problem_type(
    "not-a-date",
    "“{value}”不是日期。请写成 2026-11-26 这样的格式。",
    "“{value}” is not a date. Write it like 2026-11-26.",
)
DATE_AMBIGUOUS = problem_type(
    "date-ambiguous",
    "“{value}”的年月日顺序不明确。请写成 年-月-日，如 2026-11-26。",
    "“{value}” is ambiguous (day and month). Write year-month-day, such as 2026-11-26.",
)
CHOICE_UNKNOWN = problem_type(
    "choice-unknown",
    "“{value}”不是可选项。可选：{allowed}。请从下拉列表中选择。",
    "“{value}” is not one of the choices: {allowed}. Pick one from the dropdown.",
)
DOCNO_MALFORMED = problem_type(
    "docno-malformed",
    "“{value}”不是单号。单号形如 {example}。",
    "“{value}” is not a document number. Numbers look like {example}.",
)
EMAIL_MALFORMED = problem_type(
    "email-malformed",
    "“{value}”不是邮箱地址。",
    "“{value}” is not an email address.",
)
NO_LINES = problem_type(
    "no-lines",
    "明细表没有任何一行。请至少填写一行。",
    "The line table is empty. Fill at least one line.",
)
FORMULA_IN_INPUT = problem_type(
    "formula-in-input",
    "这里是公式，不是填写的值。请直接输入值（不要用公式或链接）。",
    "This cell holds a formula, not a value. Type the value itself (no formula or link).",
)
MERGED_INPUT = problem_type(
    "merged-input",
    "这个格子被合并进 {merged}，填写的内容无法读取。请取消合并（开始 → 合并后居中）后在此格填写。",
    "This cell is merged into {merged}, so what it holds cannot be read. Unmerge it (Home → Merge & Center) and fill this cell.",
)
HIDDEN_ROWS_READ = problem_type(
    "hidden-rows-read",
    "第 {rows} 行是隐藏行，其中的内容已和其他行一样读取并登记。如不需要，请删除这些行后修改本单。",
    "Row(s) {rows} are hidden; what they hold was read and recorded like any other line. If it should not be, delete those rows and amend the document.",
)
VALUES_OUTSIDE_FORM = problem_type(
    "values-outside-form",
    "表单范围以外的格子有内容（{cells}），未读取。",
    "Cells outside the form hold values ({cells}); they were not read.",
)
LINES_BEYOND_TABLE = problem_type(
    "lines-beyond-table",
    "第 {row} 行在明细表范围（最多 {max_rows} 行）之外，未读取。请分成两张单填写。",
    "Row {row} is beyond the line table (at most {max_rows} lines) and was not read. Split it into two forms.",
)
