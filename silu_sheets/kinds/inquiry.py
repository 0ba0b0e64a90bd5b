"""Customer inquiry (客户咨询单): the hub of pre-sales work.

Rules: an existing customer by code, or a new one by name (a likely duplicate — same name or
same phone as a customer on file — is reported, so one customer keeps one history); the
salesperson is on the roster; the next follow-up date is not before the inquiry date.
Follow-ups, quotes and samples link to it; it closes through a follow-up marked won or lost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets.declare import Choice as C
from silu_sheets.declare import (
    Kind,
    LineTable,
    choice,
    customer_field,
    date,
    document_header,
    email,
    phone,
    product_field,
    quantity,
    salesperson_field,
    text,
)
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks, NextForm
from silu_sheets.kinds import common
from silu_sheets.kinds.choices import CHANNELS
from silu_sheets.problems import Problem, problem_type
from silu_sheets.values import name_key, phone_digits

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

KIND = Kind(
    key="inquiry",
    zh="客户咨询单",
    en="Customer inquiry",
    prefix="INQ",
    version=1,
    senders=("sales", "sales_manager"),
    header=document_header(
        date("inquiry_date", "咨询日期", "Inquiry date", required=True),
        customer_field(
            required=False,
            hint_zh="老客户填编号；新客户留空并填写客户名称。",
            hint_en="Existing customer: its code. New customer: leave empty and write the name.",
        ),
        text("customer_name", "客户名称", "Customer name"),
        text("contact_person", "联系人", "Contact person"),
        phone("phone", "电话", "Phone"),
        email("email", "邮箱", "Email"),
        choice("channel", "咨询渠道", "Channel", CHANNELS, required=True),
        salesperson_field(),
        text("questions", "客户问题", "Customer's questions"),
        choice(
            "likelihood",
            "成交可能性",
            "Likelihood of a contract",
            (C("high", "高", "high"), C("medium", "中", "medium"), C("low", "低", "low")),
        ),
        date("next_follow_up", "下次跟进日期", "Next follow-up date"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "关心的产品",
        "Products of interest",
        (
            product_field(required=False),
            text("product_name", "品名(无编号时)", "Name (if no code)"),
            quantity("quantity", "数量", "Quantity"),
            text("note", "备注", "Note"),
        ),
        key_columns=("product_code", "product_name"),
        required=False,
    ),
)

CUSTOMER_NEEDED = problem_type(
    "customer-needed",
    "请填写客户编号（老客户）或客户名称（新客户）。",
    "Write the customer code (existing customer) or the customer name (new customer).",
)
LIKELY_DUPLICATE_NAME = problem_type(
    "customer-likely-duplicate-name",
    "已有同名客户 {code}（{name}）。如是同一客户，请在“客户编号”填写 {code}。",
    "Customer {code} ({name}) has this name already. If it is the same customer, write {code} as the customer code.",
)
LIKELY_DUPLICATE_PHONE = problem_type(
    "customer-likely-duplicate-phone",
    "新客户的电话与已有客户 {code}（{name}）相同，可能是同一客户；本单已按新客户 {new_code} 登记。如是同一客户，请改单填写 {code}。",
    "The new customer's phone matches customer {code} ({name}); it may be the same one. Recorded as new customer {new_code}; if it is the same, amend this form with code {code}.",
)
SALESPERSON_UNKNOWN = problem_type(
    "salesperson-unknown",
    "{address} 不是名单中的业务员。",
    "{address} is not a salesperson on the roster.",
)
SALESPERSON_NOT_SELF = problem_type(
    "salesperson-not-self",
    "只有主管可以替其他业务员（{address}）登记。请留空或填写您自己的邮箱。",
    "Only a manager may record for another salesperson ({address}). Leave it empty or write your own address.",
)


def salesperson_of(doc: Document, ctx: Context, recorded: dict | None = None) -> str:
    """The named salesperson; else, on an amendment, the inquiry's own; else the sender (a
    manager amending a salesperson's inquiry does not take it over)."""
    return doc["salesperson"] or (recorded["owner"] if recorded else ctx.sender.address)


def recorded_inquiry(doc: Document, ledger: LedgerView) -> dict | None:
    """The inquiry this form amends, when it does."""
    found = ledger.document(doc.docno) if doc.docno else None
    return found if found and found["kind"] == KIND.key else None


def kept_customer(doc: Document, ledger: LedgerView) -> str | None:
    """An amendment sent with the code still empty (the form as first filled: a new customer
    by name) keeps the customer its first revision recorded: never a second customer, never
    a duplicate of itself. Naming another customer takes its code, as on a first record."""
    recorded = recorded_inquiry(doc, ledger)
    if (
        doc["customer_code"]
        or not doc["customer_name"]
        or not recorded
        or not recorded["customer_code"]
    ):
        return None
    return str(recorded["customer_code"])


def salesperson_allowed(doc: Document, ctx: Context, roster_sales: set[str]) -> list[Problem]:
    """A salesperson records for themself; a manager may record for any salesperson."""
    named = doc["salesperson"]
    if not named or named == ctx.sender.address:
        return []
    if named not in roster_sales:
        return [doc.problem(SALESPERSON_UNKNOWN, "salesperson", address=named)]
    if not ctx.sender.manager:
        return [doc.problem(SALESPERSON_NOT_SELF, "salesperson", address=named)]
    return []


def new_customer_duplicates(doc: Document, ledger: LedgerView) -> list[Problem]:
    """Same name: refused (use the code). Same phone only: recorded, and said in the reply."""
    if doc["customer_code"] or not doc["customer_name"]:
        return []
    kept = kept_customer(doc, ledger)
    same_name = [
        c for c in ledger.customers_named(name_key(doc["customer_name"])) if c["code"] != kept
    ]
    if same_name:
        c = same_name[0]
        return [doc.problem(LIKELY_DUPLICATE_NAME, "customer_name", code=c["code"], name=c["name"])]
    digits = phone_digits(doc["phone"])
    if len(digits) >= 7 and not kept:  # said once, when the customer was first recorded
        for c in ledger.customers_with_phone(digits):
            return [
                doc.problem(
                    LIKELY_DUPLICATE_PHONE,
                    "phone",
                    severity="warning",
                    code=c["code"],
                    name=c["name"],
                    new_code=ledger.next_customer_code(),
                )
            ]
    return []


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    found = []
    if not doc["customer_code"] and not doc["customer_name"]:
        found.append(doc.problem(CUSTOMER_NEEDED, "customer_code"))
    found += common.customer_known(doc, ledger)
    found += new_customer_duplicates(doc, ledger)
    found += salesperson_allowed(doc, ctx, ctx.roster_addresses("sales", "sales_manager"))
    found += common.not_before(doc, "next_follow_up", "inquiry_date")
    found += common.products_known(doc, ledger)
    return found


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """A new customer named on the inquiry is added to the customers master."""
    recorded = recorded_inquiry(doc, writer.view)
    kept = kept_customer(doc, writer.view)
    if kept:
        doc.header["customer_code"] = kept
    elif not doc["customer_code"]:
        code = writer.view.next_customer_code()
        writer.upsert_master(
            "customers",
            {
                "code": code,
                "name": doc["customer_name"],
                "name_key": name_key(doc["customer_name"]),
                "contact_person": doc["contact_person"],
                "phone": doc["phone"],
                "email": doc["email"],
                "salesperson": salesperson_of(doc, ctx, recorded),
            },
            "code",
        )
        doc.header["customer_code"] = code
    doc.header["salesperson"] = salesperson_of(doc, ctx, recorded)


def next_forms(doc: Document, docno: str, ledger: LedgerView) -> list[NextForm]:
    """The follow-up, a quote and a sample dispatch, each carrying what the inquiry knows:
    its customer, its salesperson and the products asked about (the quote at list price)."""
    known = [line for line in doc.lines if line["product_code"]]
    header = {
        "inquiry_no": docno,
        "customer_code": doc["customer_code"],
        "salesperson": doc["salesperson"],
    }
    quote_lines = []
    for line in known:
        product = ledger.product(line["product_code"])
        quote_lines.append(
            {
                "product_code": line["product_code"],
                "quantity": line["quantity"],
                # stored as decimal text: written as a number, not as text Excel flags
                "unit_price": Decimal(product["list_price"])
                if product and product["list_price"]
                else None,
            }
        )
    sample_lines = [
        {"product_code": line["product_code"], "quantity": line["quantity"]} for line in known
    ]
    return [
        NextForm("follow_up", {"inquiry_no": docno}),
        NextForm("quote", header, quote_lines),
        NextForm("sample", header, sample_lines),
    ]


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: the inquiry's state (being followed up, won, lost) and
    next follow-up, the products asked about, and its follow-ups, quotes and samples."""
    from silu_sheets.answers import both, product_names

    state = view.inquiry_state(doc["docno"]) or {}
    linked = view.dependents(doc["docno"])
    found = {
        "state": state,
        "follow_ups": [d["docno"] for d in linked if d["kind"] == "follow_up"],
        "quotes": [d["docno"] for d in linked if d["kind"] == "quote"],
        "samples": [d["docno"] for d in linked if d["kind"] == "sample"],
    }
    names = product_names(view, (x.get("product_code") for x in doc["lines"]))
    products = [
        {
            "product_code": x.get("product_code"),
            "name": names.get(x.get("product_code") or "") or x.get("product_name"),
            "quantity": x.get("quantity"),
        }
        for x in doc["lines"]
    ]
    return found | {
        "summary": both(lambda language: state_words(state, language)),
        "next": both(lambda language: _next_step(state, language)),
        "text": both(lambda language: _status_text(found, products, language)),
    }


def state_words(state: dict, language: str) -> str:
    """An inquiry's state as its people say it: 跟进中 (open), or closed with the closing
    follow-up's result in its form's words (已结束（成交）, closed (lost))."""
    status = state.get("status", "open")
    if status == "open":
        return "跟进中" if language == "zh" else "being followed up"
    from silu_sheets.kinds.follow_up import KIND as FOLLOW_UP

    choice = FOLLOW_UP.field("result").choice(status)
    result = choice.label(language) if choice else status
    return f"已结束（{result}）" if language == "zh" else f"closed ({result})"


def _next_step(state: dict, language: str) -> str:
    zh = language == "zh"
    if state.get("status", "open") != "open":
        return ""
    due = state.get("next_follow_up")
    if due:
        return (
            f"{due} 前跟进并填写咨询跟进单。"
            if zh
            else f"Follow up by {due} and record it on a follow-up form."
        )
    return (
        "还没有定下次跟进日期：请填写咨询跟进单。"
        if zh
        else "No next follow-up date yet: record a follow-up."
    )


def _status_text(found: dict, products: list[dict], language: str) -> list:
    from silu_sheets.answers import NAME, PRODUCT, Column, table

    zh = language == "zh"
    state = found["state"]
    counts = (len(found["follow_ups"]), len(found["quotes"]), len(found["samples"]))
    out: list = [
        (
            "跟进 {} 次，报价 {} 份，寄样 {} 次"
            if zh
            else "{} follow-up(s), {} quote(s), {} sample(s)"
        ).format(*counts)
        + (f"（最近跟进 {state['last_follow_up']}）" if zh and state.get("last_follow_up") else "")
        + (
            f" (last on {state['last_follow_up']})"
            if not zh and state.get("last_follow_up")
            else ""
        )
    ]
    if products:
        columns = (PRODUCT, NAME, Column("quantity", "数量", "Quantity", figure=True))
        out.append(
            table(columns, products, language, "咨询的产品" if zh else "Products asked about")
        )
    return out


HOOKS = Hooks(status=status, check=check, book=book, next_forms=next_forms)
