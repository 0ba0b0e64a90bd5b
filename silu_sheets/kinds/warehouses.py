"""Warehouses master (仓库): code and name; who keeps it comes from the roster in inbox_rules/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.declare import Kind, LineTable, code_field, text
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks
from silu_sheets.kinds.customers import unique_codes
from silu_sheets.problems import Problem

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

KIND = Kind(
    key="warehouses",
    zh="仓库资料",
    en="Warehouses",
    prefix="WHS",
    version=1,
    senders=("admin",),
    master=True,
    header=(),
    lines=LineTable(
        "lines",
        "仓库",
        "Warehouses",
        (
            code_field("code", "仓库编号", "Warehouse code", required=True),
            text("name", "仓库名称", "Warehouse name", required=True),
            text("address", "地址", "Address"),
            text("note", "备注", "Note"),
        ),
        key_columns=("code", "name"),
    ),
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    return unique_codes(doc)


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    for line in doc.lines:
        writer.upsert_master("warehouses", dict(line.values), "code")


HOOKS = Hooks(check=check, book=book)
