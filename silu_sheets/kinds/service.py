"""After-sales service record (售后服务单): the customer, optionally one of its contracts, the
products, the request, what was done, the status and the next action date for reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.declare import Choice as C
from silu_sheets.declare import (
    Kind,
    LineTable,
    choice,
    customer_field,
    date,
    docno,
    document_header,
    lot_field,
    product_field,
    quantity,
    text,
)
from silu_sheets.document import Context, Document
from silu_sheets.hooks import Hooks
from silu_sheets.kinds import common
from silu_sheets.kinds.choices import CHANNELS
from silu_sheets.problems import Problem, problem_type

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView

STATUSES = (
    C("open", "处理中", "in progress"),
    C("waiting", "等待客户", "waiting for the customer"),
    C("closed", "已完成", "closed"),
)

KIND = Kind(
    key="service",
    zh="售后服务单",
    en="Service record",
    prefix="SRV",
    version=1,
    senders=("sales", "sales_manager", "service"),
    header=document_header(
        date("service_date", "服务日期", "Service date", required=True),
        customer_field(),
        docno("contract_no", "合同号", "Contract number", "contract"),
        text("contact_person", "联系人", "Contact person"),
        choice("channel", "联系方式", "Channel", CHANNELS),
        text("request", "客户要求", "Customer's request", required=True),
        text("action_taken", "处理情况", "What was done"),
        choice("status", "状态", "Status", STATUSES, required=True),
        date("next_action", "下次处理日期", "Next action date"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "涉及产品",
        "Products concerned",
        (
            product_field(),
            lot_field(),
            quantity("quantity", "数量", "Quantity"),
            text("problem", "问题描述", "Problem"),
        ),
        key_columns=("product_code",),
        required=False,
    ),
)


# --- rules --------------------------------------------------------------------------------------
NEXT_ACTION_SUGGESTED = problem_type(
    "service-next-action-missing",
    "服务单未结案却没有下次处理日期，提醒中心将不会提醒。如需跟进，请填写下次处理日期。",
    "The service record is not closed but has no next action date, so no reminder will come. Fill one if it needs following up.",
)


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """The customer exists; a named contract exists, is active and is this customer's; the
    products exist; the next action date is not before the service date."""
    found = common.customer_known(doc, ledger)
    contract, problems = common.referenced(doc, ledger, "contract_no", "contract")
    found += problems + common.same_customer(doc, contract, "contract_no")
    found += common.products_known(doc, ledger)
    found += common.not_before(doc, "next_action", "service_date")
    if doc["status"] in ("open", "waiting") and doc["next_action"] is None:
        found.append(doc.problem(NEXT_ACTION_SUGGESTED, "next_action", severity="warning"))
    return found


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: where the case stands (处理中, 等待客户, 已完成), the next
    action's date, what the customer asked and what was done (not for the warehouse: free text
    may name money), and the products concerned."""
    from silu_sheets.answers import LOT, NAME, PRODUCT, QUANTITY, Column, both, product_names, table

    header = doc["header"]
    names = product_names(view, (x.get("product_code") for x in doc["lines"]))
    rows = [x | {"name": names.get(x.get("product_code") or "", "")} for x in doc["lines"]]
    columns = (PRODUCT, NAME, LOT, QUANTITY, Column("problem", "问题", "Problem"))

    def state(language: str) -> str:
        choice = KIND.field("status").choice(str(header.get("status") or ""))
        return choice.label(language) if choice else ""

    def next_step(language: str) -> str:
        if header.get("status") == "closed" or not header.get("next_action"):
            return ""
        day = header["next_action"]
        return (
            f"{day} 前再处理（填写本服务单）。"
            if language == "zh"
            else f"Act again by {day} (on this service record)."
        )

    def said(language: str) -> list:
        zh = language == "zh"
        sep = "：" if zh else ": "
        out: list = []
        if prices and header.get("request"):
            out.append(f"{'客户诉求' if zh else 'Request'}{sep}{header['request']}")
        if prices and header.get("action_taken"):
            out.append(f"{'已做处理' if zh else 'Done'}{sep}{header['action_taken']}")
        if rows:
            out.append(table(columns, rows, language, "涉及产品" if zh else "Products concerned"))
        return out

    return {
        "contract_no": header.get("contract_no"),
        "summary": both(state),
        "next": both(next_step),
        "text": both(said),
    }


HOOKS = Hooks(check=check, status=status)
