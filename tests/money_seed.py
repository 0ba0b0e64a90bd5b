"""Shipment notices with goods issued, for the money and returns tests.

Until the fulfilment kinds (order → contract → shipment notice → issue slip) are enforced, a
notice is recorded directly through ``LedgerWriter`` exactly as the agreed data contract says:
``shipment_notice`` / ``shipment_notice_lines`` rows via ``writer.record`` and ``issue`` stock
movements (negative, against the notice and its line). Once the fulfilment rules land, the
same helper drives real forms through ``send``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from conftest import SALES, WAREHOUSE_A, WAREHOUSE_B

from silu_sheets.api import fill_form
from silu_sheets.document import Document, Line
from silu_sheets.kinds import KINDS, enforced
from silu_sheets.ledger.store import Source
from silu_sheets.pipeline import Gateway, ingest

KEEPERS = {"WH-A": WAREHOUSE_A, "WH-B": WAREHOUSE_B}


def fulfilment_open() -> bool:
    """Whether the fulfilment engineer's rules are in place (then real forms are used)."""
    return all(enforced(k) for k in ("order", "contract", "shipment_notice", "issue_slip"))


def seed_notice(
    gw: Gateway,
    customer: str,
    lines: Sequence[Mapping[str, Any]],
    issued: Sequence[Any] | None = None,
    currency: str | None = None,
    notice_date: str = "2026-11-20",
    salesperson: str = SALES,
    replaces_return: str | None = None,
) -> str:
    """Record a shipment notice for ``customer`` with ``lines`` (product_code, quantity,
    unit_price, warehouse, lot) and issue ``issued[i]`` of line i+1 (default: all of it) from
    the line's warehouse (WH-A when none) and lot. Returns the notice number."""
    issued = list(issued) if issued is not None else [line["quantity"] for line in lines]
    if fulfilment_open():
        return _through_forms(
            gw, customer, lines, issued, currency, notice_date, salesperson, replaces_return
        )
    kind = KINDS["shipment_notice"]
    header = {
        "notice_date": dt.date.fromisoformat(notice_date),
        "contract_no": None,
        "customer_code": customer,
        "salesperson": salesperson,
        "currency": currency,
        "replaces_return": replaces_return,
    }
    doc = Document(
        kind,
        header,
        [
            Line(
                i + 1,
                0,
                {
                    k: (Decimal(str(v)) if k in ("quantity", "unit_price") else v)
                    for k, v in line.items()
                },
            )
            for i, line in enumerate(lines)
        ],
    )
    with gw.ledger.transaction() as writer:
        source = writer.add_source(Source("test", salesperson, "seed"))
        docno = writer.next_number(kind, 2026)
        writer.record(doc, docno, "record", source, salesperson)
        slip = writer.next_number(KINDS["issue_slip"], 2026)
        for i, (line, qty) in enumerate(zip(lines, issued, strict=True)):
            if qty:
                writer.move_stock(
                    line.get("warehouse") or "WH-A",
                    line["product_code"],
                    line.get("lot"),
                    -Decimal(str(qty)),
                    "issue",
                    slip,
                    i + 1,
                    against=docno,
                    against_line=i + 1,
                )
    return docno


def _send(
    gw: Gateway,
    kind: str,
    header: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    sender: str,
) -> str:
    outcome = ingest(gw, fill_form(kind, header, lines), f"{kind}.xlsx", sender)
    assert outcome.accepted, outcome.as_dict("en")
    assert outcome.docno
    return outcome.docno


def _through_forms(
    gw: Gateway,
    customer: str,
    lines: Sequence[Mapping[str, Any]],
    issued: Sequence[Any],
    currency: str | None,
    notice_date: str,
    salesperson: str,
    replaces_return: str | None,
) -> str:
    """The real way: an accepted order, its contract, the notice, and one issue slip per
    warehouse sent by that warehouse's keeper."""
    products: dict[str, dict] = {}
    for line in lines:  # a contract names each product once
        entry = products.setdefault(
            line["product_code"],
            {
                "product_code": line["product_code"],
                "quantity": Decimal(0),
                "unit_price": line["unit_price"],
            },
        )
        entry["quantity"] += Decimal(str(line["quantity"]))
    agreed = list(products.values())
    money_header = {"customer_code": customer, "currency": currency}
    order = _send(
        gw,
        "order",
        {"order_date": "2026-11-01", "offer_type": "虚盘", "decision": "accepted", **money_header},
        agreed,
        salesperson,
    )
    contract = _send(
        gw,
        "contract",
        {
            "contract_date": "2026-11-02",
            "order_no": order,
            "delivery_date": "2026-12-10",
            "payment_days": 30,
            **money_header,
        },
        agreed,
        salesperson,
    )
    notice = _send(
        gw,
        "shipment_notice",
        {
            "notice_date": notice_date,
            "contract_no": contract,
            "replaces_return": replaces_return,
            **money_header,
        },
        lines,
        salesperson,
    )
    per_warehouse: dict[str, list[dict]] = {}
    for i, (line, qty) in enumerate(zip(lines, issued, strict=True)):
        if qty:
            warehouse = line.get("warehouse") or "WH-A"
            per_warehouse.setdefault(warehouse, []).append(
                {
                    "notice_line": i + 1,
                    "product_code": line["product_code"],
                    "lot": line.get("lot"),
                    "quantity": qty,
                }
            )
    for warehouse, slip_lines in per_warehouse.items():
        _send(
            gw,
            "issue_slip",
            {"issue_date": notice_date, "notice_no": notice, "warehouse": warehouse},
            slip_lines,
            KEEPERS[warehouse],
        )
    return notice


def issue_more(
    gw: Gateway,
    notice_no: str,
    line_no: int,
    quantity: Any,
    warehouse: str = "WH-A",
    lot: str | None = None,
) -> None:
    """Goods issued later against a notice line (a second issue slip)."""
    with gw.ledger.transaction() as writer:
        slip = writer.next_number(KINDS["issue_slip"], 2026)
        line = writer.view.row(
            "SELECT * FROM shipment_notice_lines WHERE docno = ? AND line_no = ?",
            [notice_no, line_no],
        )
        writer.move_stock(
            warehouse,
            line["product_code"],
            lot if lot is not None else line["lot"],
            -Decimal(str(quantity)),
            "issue",
            slip,
            1,
            against=notice_no,
            against_line=line_no,
        )
