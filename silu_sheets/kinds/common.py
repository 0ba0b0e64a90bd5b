"""Checks shared by several kinds: references to documents and master data, date order.

Each returns a list of problems (empty when all is well), never raises for a person's mistake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.document import Context, Document
from silu_sheets.problems import Problem, problem_type, words

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView

DOC_UNKNOWN = problem_type(
    "doc-unknown",
    "单号 {docno} 在系统中不存在。请核对单号（可在确认邮件中找到）。",
    "{docno} is not in the ledger. Check the number (it is in the confirmation mail).",
)
DOC_WRONG_KIND = problem_type(
    "doc-wrong-kind",
    "{docno} 是{actual}，这里需要{expected}的单号。",
    "{docno} is a {actual}; this needs the number of a {expected}.",
)
DOC_CANCELLED = problem_type(
    "doc-cancelled",
    "{docno} 已作废，不能再引用或修改。",
    "{docno} was cancelled; it can no longer be referred to or changed.",
)
CUSTOMER_UNKNOWN = problem_type(
    "customer-unknown",
    "客户编号 {code} 不存在。请核对，或先发送客户资料表登记该客户。",
    "Customer code {code} does not exist. Check it, or send the customers workbook to add the customer first.",
)
CUSTOMER_MISMATCH = problem_type(
    "customer-mismatch",
    "{docno} 的客户是 {expected}，本单填写的是 {actual}。关联单据的客户必须一致。",
    "{docno} belongs to customer {expected}, this form names {actual}. Linked documents must share the customer.",
)
PRODUCT_UNKNOWN = problem_type(
    "product-unknown",
    "产品编号 {code} 不存在。请核对，或先发送产品资料表登记该产品。",
    "Product code {code} does not exist. Check it, or send the products workbook to add it first.",
)
WAREHOUSE_UNKNOWN = problem_type(
    "warehouse-unknown",
    "仓库 {code} 不存在。已有仓库：{known}。",
    "Warehouse {code} does not exist. Known warehouses: {known}.",
)
DATE_BEFORE = problem_type(
    "date-before",
    "{later_label} {later} 早于{earlier_label} {earlier}，应不早于该日期。",
    "{later_label} {later} is before {earlier_label} {earlier}; it must be on or after it.",
)
DATE_FAR = problem_type(
    "date-far-from-today",
    "{label} {date} 离今天（{today}）太远：只接受 {earliest} 至 {latest} 之间的日期。请核对年份；如确需登记更早或更晚的单据，请管理员调整 silu.toml 中的 date_past_days / date_future_days。",
    "{label} {date} is far from today ({today}): dates from {earliest} to {latest} are accepted. Check the year; to enter older or later documents, the administrator widens date_past_days / date_future_days in silu.toml.",
)
WHOLE_UNITS = problem_type(
    "quantity-whole-units",
    "产品 {code} 以“{unit}”计，数量须为整数，本行填写 {given}。如该产品确可拆零，请在产品资料中把“可拆零”设为“是”。",
    "Product {code} is counted in {unit}: the quantity must be a whole number, this line says {given}. If it really comes in fractions, set Fractional to yes in the products workbook.",
)
#: units counted in whole pieces: a product in one of them takes no fractional quantity unless
#: the products workbook says it does (可拆零). Any other unit (kg, 米, 升…) takes fractions.
WHOLE_UNIT_NAMES = frozenset(
    [
        "个",
        "件",
        "台",
        "只",
        "套",
        "箱",
        "把",
        "张",
        "本",
        "支",
        "根",
        "块",
        "盒",
        "包",
        "瓶",
        "桶",
        "袋",
        "双",
        "对",
        "部",
        "辆",
        "片",
        "颗",
        "粒",
        "条",
        "枚",
        "卷",
        "组",
        "副",
        "顶",
        "扇",
        "pc",
        "pcs",
        "piece",
        "pieces",
        "set",
        "sets",
        "unit",
        "units",
        "ea",
        "each",
        "box",
        "boxes",
        "carton",
        "cartons",
        "ctn",
        "ctns",
        "pair",
        "pairs",
        "bag",
        "bags",
        "bottle",
        "bottles",
        "roll",
        "rolls",
    ]
)
CURRENCY_MALFORMED = problem_type(
    "currency-malformed",
    "币种“{value}”不是三位字母代码，如 CNY、USD、EUR。",
    "Currency “{value}” is not a three-letter code such as CNY, USD, EUR.",
)
CURRENCY_MISMATCH = problem_type(
    "currency-mismatch",
    "{docno} 的币种是 {expected}，本单是 {actual}。关联单据须使用同一币种。",
    "{docno} is in {expected}, this form in {actual}. Linked documents share their currency.",
)


def referenced(
    doc: Document, ledger: LedgerView, field_key: str, kind: str, language: str = "zh"
) -> tuple[dict | None, list[Problem]]:
    """The active document a ``docno`` field points to, or the problems why there is none."""
    from silu_sheets.kinds import KINDS

    number = doc[field_key]
    if not number:
        return None, []
    found = ledger.document(number)
    if found is None:
        return None, [doc.problem(DOC_UNKNOWN, field_key, docno=number)]
    if found["kind"] != kind:
        actual, expected = KINDS[found["kind"]], KINDS[kind]
        return None, [
            doc.problem(
                DOC_WRONG_KIND,
                field_key,
                docno=number,
                actual=words(actual.zh, actual.en),
                expected=words(expected.zh, expected.en),
            )
        ]
    if found["status"] == "cancelled":
        return None, [doc.problem(DOC_CANCELLED, field_key, docno=number)]
    return found, []


def customer_known(
    doc: Document, ledger: LedgerView, field_key: str = "customer_code"
) -> list[Problem]:
    code = doc[field_key]
    if code and ledger.customer(code) is None:
        return [doc.problem(CUSTOMER_UNKNOWN, field_key, code=code)]
    return []


def same_customer(doc: Document, linked: dict | None, field_key: str) -> list[Problem]:
    """A linked document must be of this form's customer."""
    if linked is None or not doc["customer_code"]:
        return []
    if linked["customer_code"] != doc["customer_code"]:
        return [
            doc.problem(
                CUSTOMER_MISMATCH,
                field_key,
                docno=linked["docno"],
                expected=linked["customer_code"],
                actual=doc["customer_code"],
            )
        ]
    return []


def products_known(
    doc: Document, ledger: LedgerView, column: str = "product_code"
) -> list[Problem]:
    known = ledger.product_codes({line[column] for line in doc.lines if line[column]})
    return [
        doc.problem(PRODUCT_UNKNOWN, column, line, code=line[column])
        for line in doc.lines
        if line[column] and line[column] not in known
    ]


def not_before(doc: Document, later: str, earlier: str) -> list[Problem]:
    """Header date ``later`` must be on or after header date ``earlier`` (both when filled)."""
    a, b = doc[later], doc[earlier]
    if a is None or b is None or a >= b:
        return []
    k = doc.kind
    return [
        doc.problem(
            DATE_BEFORE,
            later,
            later=a,
            earlier=b,
            later_label=words(k.field(later).zh, k.field(later).en),
            earlier_label=words(k.field(earlier).zh, k.field(earlier).en),
        )
    ]


def currency_valid(doc: Document) -> list[Problem]:
    value = doc["currency"]
    if value and not (len(value) == 3 and value.isalpha()):
        return [doc.problem(CURRENCY_MALFORMED, "currency", value=value)]
    return []


def same_currency(doc: Document, linked: dict | None, default: str) -> list[Problem]:
    """Linked priced documents share their currency (the firm's default when left empty)."""
    if linked is None:
        return []
    mine = (doc["currency"] or default).upper()
    theirs = (linked["header"].get("currency") or default).upper()
    if mine != theirs:
        return [
            doc.problem(
                CURRENCY_MISMATCH, "currency", docno=linked["docno"], expected=theirs, actual=mine
            )
        ]
    return []


def document_date_near_today(doc: Document, ctx: Context, ledger: LedgerView) -> list[Problem]:
    """A document's own date (the first date of its header) lies within the firm's window
    around today: a year typed wrong (2062 for 2026) would date the document, its reminders and
    its payment terms decades away. An amendment keeping the date it was recorded with passes
    (an old return's amount agreed years later)."""
    import datetime as dt

    field = next((f for f in doc.kind.header if f.type == "date"), None)
    day = doc.header.get(field.key) if field else None
    if field is None or not isinstance(day, dt.date):
        return []
    recorded = ledger.document(doc.docno) if doc.docno else None
    if recorded and recorded["header"].get(field.key) == day.isoformat():
        return []
    earliest = ctx.today - dt.timedelta(days=ctx.firm.date_past_days)
    latest = ctx.today + dt.timedelta(days=ctx.firm.date_future_days)
    if earliest <= day <= latest:
        return []
    return [
        doc.problem(
            DATE_FAR,
            field.key,
            label=words(field.zh, field.en),
            date=day,
            today=ctx.today,
            earliest=earliest,
            latest=latest,
        )
    ]


def whole_unit(product: dict) -> bool:
    """Whether a product is counted in whole pieces: as its products workbook says (可拆零), else
    from its unit."""
    declared = product.get("fractional")  # stored as text: "1" yes, "0" no, empty: not said
    if declared is not None and str(declared).strip() != "":
        return str(declared).strip().lower() not in ("1", "true")
    return str(product.get("unit") or "").strip().lower() in WHOLE_UNIT_NAMES


def whole_quantities(doc: Document, ledger: LedgerView) -> list[Problem]:
    """Every quantity of a line naming a product counted in whole pieces is a whole number: 2.5
    个 cannot leave the warehouse."""
    if doc.kind.lines is None:
        return []
    columns = [c.key for c in doc.kind.lines.columns if c.type == "quantity"]
    found = []
    products: dict[str, dict | None] = {}
    for line in doc.lines:
        code = line.values.get("product_code")
        if not code or not columns:
            continue
        if all(
            line.values.get(key) is None or line.values[key] == line.values[key].to_integral_value()
            for key in columns
        ):
            continue  # whole numbers fit every unit: the product need not be asked for
        if code not in products:
            products[code] = ledger.product(code)
        product = products[code]
        if product is None or not whole_unit(product):
            continue
        for key in columns:
            value = line.values.get(key)
            if value is not None and value != value.to_integral_value():
                found.append(
                    doc.problem(
                        WHOLE_UNITS, key, line, code=code, unit=product.get("unit"), given=value
                    )
                )
    return found


def priced_lines(doc: Document) -> list[dict]:
    """A document's lines for the next form, each as it is (product, quantity, unit price): a
    pre-fill never merges lines or changes a price (P1 10 @ 2.00 and P1 5 @ 1.80 stay two)."""
    return [{k: line[k] for k in ("product_code", "quantity", "unit_price")} for line in doc.lines]
