"""Demo scene: the admin loads master data; sales record inquiries, follow-ups, quotes, samples."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silu_sheets.demo import Demo

ADMIN, LI, TOM, WANG = (
    "admin@firm.test",
    "li.na@firm.test",
    "tom.chen@firm.test",
    "wang.qiang@firm.test",
)


def scene(demo: Demo) -> None:
    demo.send(
        ADMIN,
        "customers",
        lines=[
            {
                "code": "C001",
                "name": "华东机电有限公司",
                "contact_person": "陈经理",
                "phone": "021-5555 1234",
                "salesperson": LI,
            },
            {
                "code": "C002",
                "name": "Acme GmbH",
                "contact_person": "Anna Weber",
                "phone": "+49 30 1234567",
                "salesperson": TOM,
            },
        ],
        filename="customers.xlsx",
    )
    demo.send(
        ADMIN,
        "products",
        lines=[
            {
                "code": "P-M8",
                "name": "不锈钢螺栓 M8×40",
                "spec": "A2-70",
                "unit": "个",
                "list_price": "1.20",
                "lot_tracked": "是",
                "shelf_life_days": 720,
            },
            {
                "code": "P-W10",
                "name": "平垫圈 10",
                "spec": "Q235",
                "unit": "个",
                "list_price": "0.15",
                "lot_tracked": "否",
            },
        ],
        filename="products.xlsx",
    )
    demo.send(
        ADMIN,
        "warehouses",
        lines=[
            {"code": "WH-A", "name": "上海一号仓"},
            {"code": "WH-B", "name": "苏州二号仓"},
        ],
        filename="warehouses.xlsx",
    )
    demo.send(
        ADMIN,
        "opening_stock",
        {"as_of": "2026-11-01"},
        [
            {
                "warehouse": "WH-A",
                "product_code": "P-M8",
                "lot": "L2026-007",
                "quantity": 120,
                "production_date": "2026-03-01",
                "expiry_date": "2027-03-01",
            },
            {
                "warehouse": "WH-A",
                "product_code": "P-M8",
                "lot": "L2026-019",
                "quantity": 35,
                "production_date": "2026-05-10",
            },
            {
                "warehouse": "WH-B",
                "product_code": "P-M8",
                "lot": "L2026-031",
                "quantity": 200,
                "production_date": "2026-07-01",
                "expiry_date": "2028-07-01",
            },
            {"warehouse": "WH-A", "product_code": "P-W10", "quantity": 1000},
            {"warehouse": "WH-B", "product_code": "P-W10", "quantity": 500},
        ],
        filename="opening-stock.xlsx",
    )

    first = demo.send(
        LI,
        "inquiry",
        {
            "inquiry_date": "2026-11-20",
            "customer_name": "宁波海通贸易",
            "contact_person": "刘总",
            "phone": "0574-8888 6666",
            "channel": "展会 fair",
            "questions": "M8 螺栓的交期和 5000 个的价格",
            "likelihood": "高 high",
            "next_follow_up": "2026-11-25",
        },
        [{"product_code": "P-M8", "quantity": "５０００"}],
        filename="咨询-宁波海通.xlsx",
        note="new customer, full-width digits",
    )
    demo.send(
        TOM,
        "inquiry",
        {
            "inquiry_date": "2026-11-21",
            "customer_code": "C002",
            "channel": "email",
            "questions": "washers, 20k pcs",
            "next_follow_up": "2026-11-24",
        },
        [{"product_code": "P-W10", "quantity": 20000}],
        filename="inquiry-acme.xlsx",
    )
    demo.send(
        LI,
        "inquiry",
        {
            "inquiry_date": "2026-11-22",
            "customer_name": "华东机电 有限公司",
            "channel": "电话",
        },
        filename="咨询-华东.xlsx",
        note="mistake: this customer is already on file",
    )
    inq = first.docno or "INQ-2026-00001"
    demo.send(
        TOM,
        "follow_up",
        {
            "inquiry_no": inq,
            "follow_up_date": "2026-11-24",
            "content": "called",
            "result": "continue",
        },
        filename="followup-wrong-person.xlsx",
        note="mistake: not Tom's inquiry",
    )
    demo.send(
        LI,
        "follow_up",
        {
            "inquiry_no": inq,
            "follow_up_date": "2026-11-25",
            "method": "电话",
            "content": "客户要求报价，并要样品",
            "result": "继续跟进",
            "next_follow_up": "2026-12-02",
        },
        filename="跟进-宁波海通.xlsx",
    )
    customer = demo.gateway.ledger.view.document(inq)
    code = customer["customer_code"] if customer else "C00001"
    demo.send(
        LI,
        "quote",
        {
            "quote_date": "2026-11-25",
            "valid_until": "2026-11-15",
            "customer_code": code,
            "inquiry_no": inq,
        },
        [{"product_code": "P-M8", "quantity": 5000, "unit_price": "一块二"}],
        filename="报价-错误.xlsx",
        note="mistakes: validity before the date, price in words",
    )
    demo.send(
        LI,
        "quote",
        {
            "quote_date": "2026-11-25",
            "valid_until": "2026-12-25",
            "customer_code": code,
            "inquiry_no": inq,
            "payment_terms": "月结30天",
        },
        [{"product_code": "P-M8", "quantity": 5000, "unit_price": "1.15"}],
        filename="报价-宁波海通.xlsx",
    )
    demo.send(
        LI,
        "sample",
        {
            "send_date": "2026-11-26",
            "customer_code": code,
            "inquiry_no": inq,
            "carrier": "顺丰",
            "tracking_no": "SF1234567890",
        },
        [{"product_code": "P-M8", "quantity": 20}],
        filename="样品-宁波海通.xlsx",
    )
