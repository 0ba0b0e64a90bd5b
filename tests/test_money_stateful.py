"""Random sequences of payments, returns (recorded, agreed, cancelled), refunds and return
inbound slips — valid and invalid — through real forms and the real pipeline. After every step:

* per notice line, returned <= issued; per return line, received <= returned;
* per notice, paid and credited <= what the goods issued are worth (nothing owes below zero);
* no customer balance below zero; each balance is the sum of its money movements;
* the customer's account agrees: statement closing = owed on notices − balance − refunds due;
* a refused form changes nothing (no revision, no money or stock movement).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from conftest import (
    ADMIN,
    CUSTOMERS,
    FINANCE,
    OPENING,
    PRODUCTS,
    SALES,
    WAREHOUSE_A,
    WAREHOUSE_B,
    WAREHOUSES,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from money_seed import seed_notice

from silu_sheets import firm as firm_folder
from silu_sheets import money
from silu_sheets.api import fill_form
from silu_sheets.pipeline import Gateway, ingest

KEEPER = {"WH-A": WAREHOUSE_A, "WH-B": WAREHOUSE_B}
amounts = st.integers(min_value=1, max_value=9000).map(lambda cents: Decimal(cents) / 100)
quantities = st.integers(min_value=1, max_value=40).map(Decimal)
_BASE: dict[str, Path] = {}


def base_firm() -> Path:
    """One firm with masters and two notices with goods issued, made once and copied per run."""
    if "root" in _BASE:
        return _BASE["root"]
    root = Path(tempfile.mkdtemp(prefix="silu-money-base-")) / "firm"
    folder = firm_folder.init(root)
    gw = Gateway.open(folder)
    for kind, lines in (
        ("customers", CUSTOMERS),
        ("products", PRODUCTS),
        ("warehouses", WAREHOUSES),
    ):
        assert ingest(gw, fill_form(kind, {}, lines), f"{kind}.xlsx", ADMIN).accepted
    assert ingest(
        gw, fill_form("opening_stock", {"as_of": "2026-11-01"}, OPENING), "o.xlsx", ADMIN
    ).accepted
    seed_notice(
        gw,
        "C001",
        [
            {
                "product_code": "P-M8",
                "quantity": 30,
                "unit_price": "2.50",
                "warehouse": "WH-A",
                "lot": "L2026-007",
            },
            {"product_code": "P-W10", "quantity": 100, "unit_price": "0.30", "warehouse": "WH-B"},
        ],
        issued=[20, 100],
        notice_date="2026-11-10",
    )
    seed_notice(
        gw,
        "C001",
        [{"product_code": "P-W10", "quantity": 50, "unit_price": "0.40", "warehouse": "WH-A"}],
        notice_date="2026-11-12",
    )
    gw.ledger.close()
    _BASE["root"] = root
    return root


class MoneyMachine(RuleBasedStateMachine):
    payments = Bundle("payments")
    returns = Bundle("returns")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="silu-money-"))
        shutil.copytree(base_firm(), self.dir / "firm")
        self.gw = Gateway.open(firm_folder.open_firm(self.dir / "firm"))
        self.view = self.gw.ledger.view
        self.notices = [
            r["docno"]
            for r in self.view.rows(
                "SELECT docno FROM documents WHERE kind = 'shipment_notice' ORDER BY docno"
            )
        ]

    def teardown(self) -> None:
        self.gw.ledger.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- sending, with the "refused changes nothing" check --------------------------------------
    def fingerprint(self) -> tuple:
        one = self.view._one
        return (
            one("SELECT COUNT(*) AS n FROM revisions")["n"],
            one("SELECT COUNT(*) AS n FROM money_movements")["n"],
            one("SELECT COUNT(*) AS n FROM stock_movements")["n"],
            one("SELECT COUNT(*) AS n FROM links")["n"],
        )

    def send(self, kind: str, header: dict, lines: list[dict], sender: str):  # type: ignore[no-untyped-def]
        before = self.fingerprint()
        outcome = ingest(self.gw, fill_form(kind, header, lines), f"{kind}.xlsx", sender)
        assert all(p.code != "internal-fault" for p in outcome.problems), outcome.as_dict("en")
        if not outcome.accepted:
            assert self.fingerprint() == before, outcome.as_dict("en")
        return outcome

    # --- rules ----------------------------------------------------------------------------------------
    @rule(
        target=payments,
        notice=st.integers(0, 1),
        applied=amounts,
        extra=st.sampled_from([0, 0, 5, 50]),
    )
    def receivable(self, notice: int, applied: Decimal, extra: int):
        o = self.send(
            "payment",
            {
                "payment_date": "2026-11-20",
                "customer_code": "C001",
                "payment_type": "receivable",
                "amount": applied + extra,
            },
            [{"notice_no": self.notices[notice], "applied": applied}],
            FINANCE,
        )
        return o.docno or "PAY-2026-09999"

    @rule(target=payments, amount=amounts)
    def advance(self, amount: Decimal):
        o = self.send(
            "payment",
            {
                "payment_date": "2026-11-20",
                "customer_code": "C001",
                "payment_type": "advance",
                "amount": amount,
            },
            [],
            FINANCE,
        )
        return o.docno or "PAY-2026-09999"

    @rule(notice=st.integers(0, 1), applied=amounts)
    def apply_balance(self, notice: int, applied: Decimal):
        self.send(
            "payment",
            {
                "payment_date": "2026-11-21",
                "customer_code": "C001",
                "payment_type": "apply_balance",
            },
            [{"notice_no": self.notices[notice], "applied": applied}],
            FINANCE,
        )

    @rule(payment=payments)
    def cancel_payment(self, payment: str):
        doc = self.view.document(payment)
        if doc is None:
            return
        h = doc["header"]
        self.send(
            "payment",
            {
                **{
                    k: h.get(k) for k in ("payment_date", "customer_code", "payment_type", "amount")
                },
                "docno": payment,
                "action": "cancel",
                "cancel_reason": "test",
            },
            [{"notice_no": x["notice_no"], "applied": x["applied"]} for x in doc["lines"]],
            FINANCE,
        )

    def _return_header(self, notice: str, way: str) -> dict:
        goods = "replace" if way == "none" else "return"
        return {
            "return_date": "2026-11-22",
            "notice_no": notice,
            "reason": "r",
            "request_person": "李娜",
            "money_person": "王强",
            "goods_person": "赵磊",
            "goods_disposition": goods,
            "money_disposition": way,
            "requested_amount": None if way == "none" else "1",
        }

    @rule(
        target=returns,
        notice=st.integers(0, 1),
        line=st.integers(1, 2),
        quantity=quantities,
        way=st.sampled_from(["refund", "balance", "none"]),
    )
    def sales_return(self, notice: int, line: int, quantity: Decimal, way: str):
        number = self.notices[notice]
        lines = money.notice_lines(self.view, number)
        product = lines[min(line, len(lines)) - 1]["product_code"]
        o = self.send(
            "sales_return",
            self._return_header(number, way),
            [{"notice_line": line, "product_code": product, "quantity": quantity}],
            SALES,
        )
        return o.docno or "RET-2026-09999"

    @rule(
        target=returns,
        notice=st.integers(0, 1),
        quantity=quantities,
        way=st.sampled_from(["refund", "balance"]),
        share=st.sampled_from([Decimal("0.5"), Decimal(1)]),
    )
    def return_agreed(self, notice: int, quantity: Decimal, way: str, share: Decimal):
        """The common path: recorded with the customer's request, then sent again agreed."""
        docno = self.sales_return(notice, 1, quantity, way)
        self.agree(docno, share)
        return docno

    @rule(ret=returns, share=st.sampled_from([Decimal("0.5"), Decimal(1), Decimal("1.2")]))
    def agree(self, ret: str, share: Decimal):
        doc = self.view.document(ret)
        if doc is None or doc["status"] != "active":
            return
        state = money.return_state(self.view, ret)
        value = sum((x["quantity"] * x["unit_price"] for x in state["lines"]), Decimal(0))
        header = {
            **self._return_header(doc["header"]["notice_no"], doc["header"]["money_disposition"]),
            "docno": ret,
            "agreed_amount": (value * share).quantize(Decimal("0.01")),
        }
        if doc["header"]["money_disposition"] == "none":
            header["agreed_amount"] = None
        self.send(
            "sales_return",
            header,
            [
                {k: x.get(k) for k in ("notice_line", "product_code", "quantity")}
                for x in doc["lines"]
            ],
            SALES,
        )

    @rule(ret=returns)
    def cancel_return(self, ret: str):
        doc = self.view.document(ret)
        if doc is None:
            return
        self.send(
            "sales_return",
            {
                **self._return_header(
                    doc["header"]["notice_no"], doc["header"]["money_disposition"]
                ),
                "docno": ret,
                "action": "cancel",
                "cancel_reason": "test",
            },
            [
                {k: x.get(k) for k in ("notice_line", "product_code", "quantity")}
                for x in doc["lines"]
            ],
            SALES,
        )

    @rule(ret=returns, amount=amounts)
    def refund(self, ret: str, amount: Decimal):
        self.send(
            "payment",
            {
                "payment_date": "2026-11-23",
                "customer_code": "C001",
                "payment_type": "refund",
                "amount": amount,
                "sales_return_no": ret,
            },
            [],
            FINANCE,
        )

    @rule(ret=returns, quantity=quantities, warehouse=st.sampled_from(["WH-A", "WH-B"]))
    def inbound(self, ret: str, quantity: Decimal, warehouse: str):
        doc = self.view.document(ret)
        product = doc["lines"][0]["product_code"] if doc else "P-W10"
        self.send(
            "return_inbound",
            {"inbound_date": "2026-11-24", "return_no": ret, "warehouse": warehouse},
            [{"return_line": 1, "product_code": product, "quantity": quantity}],
            KEEPER[warehouse],
        )

    # --- invariants ----------------------------------------------------------------------------------
    @invariant()
    def quantities_hold(self):
        for n in self.notices:
            for line in money.notice_lines(self.view, n):
                assert money.returned(self.view, n, line["line_no"]) <= money.issued(
                    self.view, n, line["line_no"]
                )
        for r in self.view.rows(
            "SELECT docno FROM documents WHERE kind = 'sales_return' AND status = 'active'"
        ):
            for line in money.return_state(self.view, r["docno"])["lines"]:
                assert Decimal(0) <= line["received"] <= line["quantity"]

    @invariant()
    def money_holds(self):
        for n in self.notices:
            assert money.notice_settled(self.view, n) <= money.notice_gross(self.view, n)
        rows = self.view.rows(
            "SELECT amount FROM money_movements WHERE customer_code = 'C001' AND account = 'balance'"
        )
        summed = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
        assert summed == money.balance(self.view, "C001", "CNY") >= 0
        for r in self.view.rows("SELECT docno FROM documents WHERE kind = 'sales_return'"):
            assert money.refundable(self.view, r["docno"]) >= 0
        figures = money.balances(self.view, "C001")
        owed = figures[0]["owed"] if figures else Decimal(0)
        held = (figures[0]["balance"] + figures[0]["refund_due"]) if figures else Decimal(0)
        assert money.statement(self.view, "C001", "CNY")["closing"] == owed - held


MoneyMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("SILU_STATEFUL_EXAMPLES", "12")),  # a soak: set it higher
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestMoneyStateful = MoneyMachine.TestCase
