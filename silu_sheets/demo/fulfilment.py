"""Demo scene: the quote becomes an order (accepted by the manager), a contract, two shipment
notices from two warehouses, and the keepers' issue slips — one with mistakes the keeper is told
about cell by cell, then sent again right. Prices never reach the warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from silu_sheets.demo.presales import LI, WANG

if TYPE_CHECKING:
    from silu_sheets.demo import Demo

ZHAO, SUN = "zhao.lei@firm.test", "sun.li@firm.test"  # keepers of WH-A and WH-B


def scene(demo: Demo) -> None:
    view = demo.gateway.ledger.view
    quote = next(
        (o.docno for o in reversed(demo.outcomes) if o.kind == "quote" and o.accepted), None
    )
    customer = (view.document(quote) or {}).get("customer_code") if quote else None
    customer = customer or "C00001"
    lines = [
        {"product_code": "P-M8", "quantity": 300, "unit_price": "1.12"},
        {"product_code": "P-W10", "quantity": 1200, "unit_price": "0.14"},
    ]
    order_header = {
        "order_date": "2026-11-26",
        "customer_code": customer,
        "quote_no": quote,
        "customer_po": "HT-PO-7781",
        "offer_type": "实盘",
        "valid_until": "2026-12-05",
        "delivery_date": "2026-12-10",
    }
    order = demo.send(
        LI,
        "order",
        order_header,
        lines,
        filename="订单-宁波海通.xlsx",
        note="cites the quote at another price, with washers not on it: the reply lists both",
    )
    order_no = order.docno or "ORD-2026-00001"
    demo.send(
        WANG,
        "order",
        order_header | {"docno": order_no, "decision": "接受"},
        lines,
        filename="订单-宁波海通-接受.xlsx",
        note="the manager accepts it; the reply carries the contract",
    )
    contract = demo.send(
        LI,
        "contract",
        {
            "contract_date": "2026-11-27",
            "order_no": order_no,
            "customer_code": customer,
            "delivery_date": "2026-12-10",
            "payment_days": 30,
            "trade": "内贸",
            "carrier": "德邦物流",
            "transport_mode": "公路",
        },
        lines,
        filename="合同-宁波海通.xlsx",
    )
    contract_no = contract.docno or "CON-2026-00001"
    first = demo.send(
        LI,
        "shipment_notice",
        {
            "notice_date": "2026-11-27",
            "contract_no": contract_no,
            "ship_to": "宁波市北仑区新碶街道 88 号",
            "ship_by": "2026-11-28",
        },
        [
            {"product_code": "P-M8", "quantity": 150, "unit_price": "1.12", "warehouse": "WH-A"},
            {"product_code": "P-W10", "quantity": 1000, "unit_price": "0.14", "warehouse": "WH-A"},
        ],
        filename="发货单-1-上海仓.xlsx",
        note="WH-A gets its price-free copy, lots proposed by earliest expiry",
    )
    second = demo.send(
        LI,
        "shipment_notice",
        {
            "notice_date": "2026-11-27",
            "contract_no": contract_no,
            "ship_to": "宁波市北仑区新碶街道 88 号",
        },
        [
            {
                "product_code": "P-M8",
                "quantity": 150,
                "unit_price": "1.12",
                "warehouse": "WH-B",
                "lot": "L2026-031",
            },
            {"product_code": "P-W10", "quantity": 200, "unit_price": "0.14", "warehouse": "WH-B"},
        ],
        filename="发货单-2-苏州仓.xlsx",
        note="WH-B, lot named by sales",
    )
    first_no, second_no = first.docno or "SN-2026-00001", second.docno or "SN-2026-00002"
    demo.send(
        ZHAO,
        "issue_slip",
        {
            "issue_date": "2026-11-28",
            "notice_no": first_no,
            "warehouse": "WH-A",
            "handling_cost": "40",
            "handling_note": "叉车装车",
        },
        [
            {"notice_line": 1, "product_code": "P-M8", "lot": "L2026-007", "quantity": 120},
            {
                "notice_line": 1,
                "product_code": "P-M8",
                "lot": "L2026-019",
                "quantity": 30,
                "damaged_quantity": 2,
            },
            {"notice_line": 2, "product_code": "P-W10", "quantity": 1000},
        ],
        filename="出库单-上海仓.xlsx",
        note="sales hears the progress",
    )
    demo.send(
        SUN,
        "issue_slip",
        {"issue_date": "2026-11-28", "notice_no": second_no, "warehouse": "WH-B"},
        [
            {"product_code": "P-M8", "lot": "L2026-007", "quantity": 150},
            {"product_code": "P-W10", "quantity": 250},
        ],
        filename="出库单-苏州仓.xlsx",
        note="mistakes: a lot sales did not name, more washers than the notice",
    )
    demo.send(
        SUN,
        "issue_slip",
        {"issue_date": "2026-11-28", "notice_no": second_no, "warehouse": "WH-B"},
        [
            {"product_code": "P-M8", "lot": "L2026-031", "quantity": 150},
            {"product_code": "P-W10", "quantity": 200},
        ],
        filename="出库单-苏州仓-改.xlsx",
        note="sent again right: the contract is fully issued",
    )
    from silu_sheets.status import document_status, render_stock, stock_report

    found = document_status(view, contract_no)
    if found:
        for row in found["sections"]["contract"]["progress"]:
            demo.echo(
                f"       {contract_no} #{row['line_no']} {row['product_code']}: contract {row['quantity']}, "
                f"noticed {row['noticed']}, issued {row['issued']}"
            )
    for line in render_stock(stock_report(view)).splitlines():
        demo.echo("       " + line)
