"""Demo scene: money and after-sales on the shipments of the fulfilment scene — an advance and a
part payment, a payment above what a notice owes (refused), a return negotiated then agreed and
received back by the warehouse, a refund, a replacement still owed, a service call, balances."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets import money
from silu_sheets.amounts import money_text
from silu_sheets.problems import show

if TYPE_CHECKING:
    from silu_sheets.demo import Demo

LI, WANG, ZHOU, WU = (
    "li.na@firm.test",
    "wang.qiang@firm.test",
    "zhou.min@firm.test",
    "wu.fang@firm.test",
)
KEEPERS = {"WH-A": "zhao.lei@firm.test", "WH-B": "sun.li@firm.test"}


def shipped_notices(demo: Demo) -> list[dict]:
    """Active notices with goods issued, oldest first, with what they owe."""
    view = demo.gateway.ledger.view
    found = []
    for row in view.rows(
        "SELECT docno FROM documents WHERE kind = 'shipment_notice' AND status = 'active' ORDER BY docno"
    ):
        owed = money.notice_owed(view, row["docno"])
        if money.notice_gross(view, row["docno"]) > 0:
            found.append(
                {"docno": row["docno"], "owed": owed, "document": view.document(row["docno"])}
            )
    return found


def scene(demo: Demo) -> None:
    notices = shipped_notices(demo)
    if not notices:
        demo.echo(
            "  (skipped: no shipment notice with goods issued — the fulfilment scene did not run)"
        )
        return
    view = demo.gateway.ledger.view
    first = notices[0]
    doc = first["document"]
    customer, currency = (
        doc["customer_code"],
        doc["header"].get("currency") or demo.folder.firm.currency,
    )
    notice_no = first["docno"]

    demo.send(
        ZHOU,
        "payment",
        {
            "payment_date": "2026-11-26",
            "customer_code": customer,
            "payment_type": "预收款",
            "amount": "200",
            "currency": currency,
            "method": "银行转账",
            "bank_reference": "B-77102",
        },
        filename="收款-预收款.xlsx",
        note="an advance into the customer's balance",
    )
    half = (first["owed"] / 2).quantize(Decimal("0.01"))
    demo.send(
        ZHOU,
        "payment",
        {
            "payment_date": "2026-11-27",
            "customer_code": customer,
            "payment_type": "应收款",
            "amount": show(first["owed"] + 50),
            "currency": currency,
        },
        [{"notice_no": notice_no, "applied": show(first["owed"] + 50)}],
        filename="收款-超额.xlsx",
        note=f"mistake: more than {notice_no} owes",
    )
    demo.send(
        ZHOU,
        "payment",
        {
            "payment_date": "2026-11-27",
            "customer_code": customer,
            "payment_type": "应收款",
            "amount": show(half),
            "currency": currency,
        },
        [{"notice_no": notice_no, "applied": show(half)}],
        filename="收款-部分.xlsx",
        note="part payment",
    )

    target = notices[1]["docno"] if len(notices) > 1 else notice_no
    use = min(
        Decimal(150), money.notice_owed(view, target), money.balance(view, customer, currency)
    )
    if use > 0:
        demo.send(
            ZHOU,
            "payment",
            {
                "payment_date": "2026-11-27",
                "customer_code": customer,
                "payment_type": "结余冲抵",
                "currency": currency,
            },
            [{"notice_no": target, "applied": show(use)}],
            filename="收款-结余冲抵.xlsx",
            note="part of the balance applied to a notice",
        )
    line = next(x for x in doc["lines"] if money.issued(view, notice_no, x["line_no"]) > 0)
    issued = money.issued(view, notice_no, line["line_no"])
    quantity = min(Decimal(2), issued)
    value = quantity * Decimal(str(line["unit_price"]))
    header = {
        "return_date": "2026-11-28",
        "notice_no": notice_no,
        "reason": "部分螺纹不良",
        "request_person": "李娜",
        "money_person": "王强",
        "goods_person": "赵磊",
        "goods_disposition": "退回",
        "money_disposition": "退款",
        "requested_amount": show(value),
        "currency": currency,
    }
    ret_lines = [
        {
            "notice_line": line["line_no"],
            "product_code": line["product_code"],
            "quantity": show(quantity),
        }
    ]
    demo.send(
        LI,
        "sales_return",
        header,
        [{**ret_lines[0], "quantity": show(issued + 1)}],
        filename="退货-超量.xlsx",
        note="mistake: more than was issued",
    )
    returned = demo.send(
        LI,
        "sales_return",
        header,
        ret_lines,
        filename="退货-申请.xlsx",
        note="customer asks for the full value; nothing credited yet",
    )
    if returned.docno:
        agreed = (value * Decimal("0.8")).quantize(Decimal("0.01"))
        demo.send(
            WANG,
            "sales_return",
            {**header, "docno": returned.docno, "agreed_amount": show(agreed)},
            ret_lines,
            filename="退货-商定.xlsx",
            note="agreed at 80%",
        )
        places = money.issued_by_warehouse(view, notice_no, line["line_no"])
        warehouse, lot = next(iter(places)) if places else ("WH-A", "")
        demo.send(
            KEEPERS.get(warehouse, KEEPERS["WH-A"]),
            "return_inbound",
            {"inbound_date": "2026-11-29", "return_no": returned.docno, "warehouse": warehouse},
            [
                {
                    "return_line": 1,
                    "product_code": line["product_code"],
                    "lot": lot or None,
                    "quantity": show(quantity),
                }
            ],
            filename="退货入库.xlsx",
            note="goods back on the shelf",
        )
        due = money.refundable(view, returned.docno)
        if due > 0:
            demo.send(
                ZHOU,
                "payment",
                {
                    "payment_date": "2026-11-30",
                    "customer_code": customer,
                    "payment_type": "退款",
                    "amount": show(due),
                    "currency": currency,
                    "sales_return_no": returned.docno,
                },
                filename="退款.xlsx",
                note="refund of the agreed amount",
            )
        else:
            demo.echo(
                f"       (the agreed {money_text(agreed, currency)} lowered what {notice_no} still owes:"
                " nothing to refund)"
            )

    left = money.issued(view, notice_no, line["line_no"]) - money.returned(
        view, notice_no, line["line_no"]
    )
    if left > 0:
        replace = demo.send(
            LI,
            "sales_return",
            {
                **header,
                "reason": "包装破损，客户要求换货",
                "goods_disposition": "换货",
                "money_disposition": "不退款",
                "requested_amount": None,
            },
            [{**ret_lines[0], "quantity": "1"}],
            filename="退货-换货.xlsx",
            note="replacement owed until a notice names it",
        )
        if replace.docno:
            demo.echo(
                f"       open replacements: {', '.join(s['docno'] for s in money.open_replacements(view))}"
            )

    contract = doc["header"].get("contract_no")
    demo.send(
        WU,
        "service",
        {
            "service_date": "2026-11-30",
            "customer_code": customer,
            "contract_no": contract,
            "channel": "电话",
            "request": "询问换货发货时间",
            "action_taken": "已告知下周发出",
            "status": "处理中",
            "next_action": "2026-12-03",
        },
        [{"product_code": line["product_code"], "quantity": 1, "problem": "包装破损"}],
        filename="售后.xlsx",
    )
    for r in money.balances(view, customer):
        demo.echo(
            f"       {r['customer_code']} {r['currency']}: balance "
            f"{money_text(r['balance'], r['currency'])}, still owed "
            f"{money_text(r['owed'], r['currency'])}, refund due "
            f"{money_text(r['refund_due'], r['currency'])}"
        )
