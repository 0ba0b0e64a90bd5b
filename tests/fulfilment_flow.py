"""Shared steps of the fulfilment tests: a quote, an accepted order, its contract, notices, slips —
each a real filled .xlsx through the real pipeline (``send`` from conftest)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conftest import MANAGER, SALES, WAREHOUSE_A, WAREHOUSE_B

ORDER_LINES = [
    {"product_code": "P-M8", "quantity": 300, "unit_price": "1.15"},
    {"product_code": "P-W10", "quantity": 1200, "unit_price": "0.15"},
]
KEEPER = {"WH-A": WAREHOUSE_A, "WH-B": WAREHOUSE_B}


def ok(outcome) -> str:
    assert outcome.accepted, outcome.as_dict("en")
    assert outcome.docno
    return outcome.docno


def order(send, lines: Sequence[dict] = ORDER_LINES, sender: str = SALES, **header: Any):
    values = {"order_date": "2026-11-21", "customer_code": "C001", "offer_type": "虚盘"} | header
    return send("order", values, lines, sender=sender)


def accepted_order(send, lines: Sequence[dict] = ORDER_LINES, **header: Any) -> str:
    return ok(order(send, lines, decision="accepted", **header))


def decide(
    send,
    docno: str,
    decision: str,
    lines: Sequence[dict] = ORDER_LINES,
    sender: str = MANAGER,
    **header: Any,
):
    return order(send, lines, sender=sender, docno=docno, decision=decision, **header)


def contract(
    send, order_no: str, lines: Sequence[dict] = ORDER_LINES, sender: str = SALES, **header: Any
):
    values = {
        "contract_date": "2026-11-22",
        "order_no": order_no,
        "customer_code": "C001",
        "delivery_date": "2026-12-10",
        "payment_days": 30,
    } | header
    return send("contract", values, lines, sender=sender)


def signed_contract(send, lines: Sequence[dict] = ORDER_LINES, **header: Any) -> str:
    return ok(contract(send, accepted_order(send, lines), lines, **header))


def notice(send, contract_no: str, lines: Sequence[dict], sender: str = SALES, **header: Any):
    values = {"notice_date": "2026-11-23", "contract_no": contract_no} | header
    return send("shipment_notice", values, lines, sender=sender)


def slip(
    send,
    notice_no: str,
    warehouse: str,
    lines: Sequence[dict],
    sender: str | None = None,
    **header: Any,
):
    values = {"issue_date": "2026-11-24", "notice_no": notice_no, "warehouse": warehouse} | header
    return send("issue_slip", values, lines, sender=sender or KEEPER.get(warehouse, WAREHOUSE_A))


def m8(
    quantity: Any, warehouse: str | None = None, lot: str | None = None, price: str = "1.15"
) -> dict:
    return {
        "product_code": "P-M8",
        "quantity": quantity,
        "unit_price": price,
        "warehouse": warehouse,
        "lot": lot,
    }


def w10(quantity: Any, warehouse: str | None = None, price: str = "0.15") -> dict:
    return {
        "product_code": "P-W10",
        "quantity": quantity,
        "unit_price": price,
        "warehouse": warehouse,
    }
