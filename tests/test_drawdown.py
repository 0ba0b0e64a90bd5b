"""Draw-downs: every relation is declared by the kind that draws, read by one engine, enforced
both ways. The declarations are checked against the kinds they name; the replacement relation
(a replacement notice draws on its return's goods to replace) through real forms."""

from __future__ import annotations

import inspect

import pytest
from conftest import MANAGER
from fulfilment_flow import m8, notice, ok, signed_contract, slip

from silu_sheets import drawdown
from silu_sheets.kinds import DRAWS, KINDS, MODULES
from silu_sheets.open_items import open_items

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session


@pytest.mark.parametrize("rel", DRAWS, ids=lambda r: f"{r.kind}<-{r.source}")
def test_each_relation_names_fields_its_kinds_declare(rel):
    drawing, source = KINDS[rel.kind], KINDS[rel.source]
    assert drawing.lines is not None and source.lines is not None
    via = drawing.lines.column(rel.via) if rel.via_line else drawing.field(rel.via)
    assert via.type == "docno" and via.refers_to == rel.source
    columns = {c.key for c in drawing.lines.columns}
    assert rel.key is None or rel.key in columns
    assert set(rel.takes) <= columns
    assert rel.source_key == "line_no" or rel.source_key in {c.key for c in source.lines.columns}
    assert rel.below is not None, "both ways: the drawn-on document is guarded too"


def test_no_kind_carries_the_rules_of_the_kinds_drawing_on_it():
    """The issue slip says nothing of returns or payments; the notice nothing of slips'
    quantities; the contract nothing of notices: those rules are the drawing kinds' DRAWS."""
    slip_source = inspect.getsource(MODULES["issue_slip"])
    assert "returned" not in slip_source and "notice_settled" not in slip_source
    notice_source = inspect.getsource(MODULES["shipment_notice"])
    assert "notice-below-issued" not in notice_source and "paid_beyond" not in notice_source
    assert "contract-below-noticed" not in inspect.getsource(MODULES["contract"])
    assert "notice-below-issued" in inspect.getsource(MODULES["issue_slip"])
    assert {(r.kind, r.source) for r in DRAWS} >= {
        ("issue_slip", "shipment_notice"),
        ("sales_return", "shipment_notice"),
        ("return_inbound", "sales_return"),
        ("shipment_notice", "contract"),
        ("shipment_notice", "sales_return"),
        ("payment", "shipment_notice"),
    }
    assert drawdown.relation("issue_slip", "shipment_notice").kind == "issue_slip"


def refusals(outcome):
    assert not outcome.accepted
    return [p for p in outcome.problems if p.severity == "error"]


def test_replacement_notice_draws_on_the_goods_to_replace(gw, send, masters):
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007")]))
    ok(slip(send, sn, "WH-A", [{"notice_line": 1, "product_code": "P-M8", "lot": "L2026-007",
                               "quantity": 100}]))  # fmt: skip
    header = {
        "return_date": "2026-11-26", "notice_no": sn, "reason": "螺纹不良",
        "request_person": "李娜", "money_person": "王强", "goods_person": "赵磊",
        "goods_disposition": "换货", "money_disposition": "不退款",
    }  # fmt: skip
    ret = ok(send("sales_return", header, [{"product_code": "P-M8", "quantity": 5}]))
    first = ok(notice(send, con, [m8(3, "WH-A", "L2026-007", price="0")], replaces_return=ret))
    too_many = notice(send, con, [m8(3, "WH-A", "L2026-007", price="0")], replaces_return=ret)
    [problem] = refusals(too_many)
    assert (problem.code, problem.field, problem.line) == (
        "notice-exceeds-replacement",
        "quantity",
        1,
    )
    assert {k: str(v) for k, v in problem.values.items() if k != "code"} == {
        "docno": ret,
        "left": "2",
        "returned": "5",
        "replaced": "3",
        "given": "3",
    }
    [owed] = open_items(gw.ledger.view, docno=ret, obligations=["replacement_owed"])
    assert str(owed.remaining) == "2"
    # the return amended below what replacement notices already ship: refused at its cell
    lower = send(
        "sales_return",
        header | {"docno": ret},
        [{"product_code": "P-M8", "quantity": 2}],
        sender=MANAGER,
    )
    assert [(p.code, p.field, p.line) for p in refusals(lower)] == [
        ("return-below-replaced", "quantity", 1)
    ]
    assert first


def test_the_ledgers_private_helpers_stay_inside_ledger():
    """One query layer: code outside ``silu_sheets/ledger/`` asks through ``LedgerView``'s public
    methods (``row``, ``rows`` and the named questions), never its private helpers; money and
    fulfilment share one set of quantity helpers."""
    import re
    from pathlib import Path

    import silu_sheets
    from silu_sheets import fulfilment, money

    root = Path(silu_sheets.__file__).parent
    private = re.compile(r"\._(?:one|all)\(")
    callers = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "ledger" not in p.parts and private.search(p.read_text(encoding="utf-8"))
    ]
    assert callers == []
    assert money.dec is fulfilment.dec and money.ISSUE_MOVEMENTS is fulfilment.ISSUE_MOVEMENTS
