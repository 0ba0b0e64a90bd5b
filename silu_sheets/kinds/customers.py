"""Customers master (客户资料): one line per customer, keyed by code; sending a code again updates it.

Rule: codes are unique within the workbook; a name already used by another code is reported,
because two codes for one customer split its history and balance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.declare import Kind, LineTable, code_field, email, integer, phone, text
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks
from silu_sheets.problems import Problem, problem_type
from silu_sheets.values import name_key

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

KIND = Kind(
    key="customers",
    zh="客户资料",
    en="Customers",
    prefix="CUS",
    version=1,
    senders=("sales_manager", "admin"),
    master=True,
    header=(),
    lines=LineTable(
        "lines",
        "客户",
        "Customers",
        (
            code_field("code", "客户编号", "Customer code", required=True),
            text("name", "客户名称", "Customer name", required=True),
            text("contact_person", "联系人", "Contact person"),
            phone("phone", "电话", "Phone"),
            email("email", "邮箱", "Email"),
            text("address", "地址", "Address"),
            email("salesperson", "负责业务员邮箱", "Salesperson's email"),
            text("currency", "币种", "Currency"),
            integer("payment_days", "账期(天)", "Payment terms (days)"),
            text("note", "备注", "Note"),
        ),
        key_columns=("code", "name"),
    ),
)

CODE_REPEATED = problem_type(
    "master-code-repeated",
    "编号 {code} 在本表中出现了两次（第 {first} 行）。每个编号只能写一行。",
    "Code {code} appears twice in this workbook (also line {first}). Write each code once.",
)
NAME_TAKEN = problem_type(
    "customer-name-taken",
    "客户名称“{name}”已属于客户 {code}。同一客户请用同一编号。",
    "The name “{name}” already belongs to customer {code}. Use one code per customer.",
)


def unique_codes(doc: Document, column: str = "code") -> list[Problem]:
    """Each code once per master workbook."""
    seen: dict[str, int] = {}
    found = []
    for line in doc.lines:
        code = line[column]
        if code is None:
            continue
        if code in seen:
            found.append(doc.problem(CODE_REPEATED, column, line, code=code, first=seen[code]))
        else:
            seen[code] = line.number
    return found


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    found = unique_codes(doc)
    named: dict[str, str] = {}  # name key -> the first code given it in this workbook
    for line in doc.lines:
        if not line["name"]:
            continue
        key = name_key(line["name"])
        others = [c["code"] for c in ledger.customers_named(key) if c["code"] != line["code"]]
        first = named.setdefault(key, line["code"])
        if first != line["code"] and first not in others:
            others.append(first)
        for other in others:
            found.append(doc.problem(NAME_TAKEN, "name", line, name=line["name"], code=other))
    return found


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    for line in doc.lines:
        writer.upsert_master(
            "customers", {**line.values, "name_key": name_key(line["name"])}, "code"
        )


HOOKS = Hooks(check=check, book=book)
