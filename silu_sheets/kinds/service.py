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


HOOKS = Hooks(check=check)
