"""Shipment notices (sales: against a contract, naming warehouse and lot, reserving lots) and
issue slips (warehouse: against a notice, by its keepers, never beyond the notice nor the stock).
Every rule from both sides with the exact quantities in the refusal, through real forms."""

from __future__ import annotations

import email
import email.policy
import io
from decimal import Decimal

import pytest
from conftest import MANAGER, SALES, SALES_EN, WAREHOUSE_A, WAREHOUSE_B, codes
from fulfilment_flow import m8, notice, ok, signed_contract, slip, w10
from openpyxl import load_workbook

from silu_sheets import fulfilment as F
from silu_sheets.problems import show

L7, L19, L31 = (
    "L2026-007",
    "L2026-019",
    "L2026-031",
)  # WH-A 120 / WH-A 35 / WH-B 200 (conftest OPENING)


def values(outcome, code):
    """The values of the problem ``code`` as people read them (exact decimals, ISO dates)."""
    return {
        k: show(v, "en")
        for k, v in next(p.values for p in outcome.problems if p.code == code).items()
    }


def stock(gw, warehouse, product, lot=""):
    return F.on_hand(gw.ledger.view, warehouse, product, lot)


def mails(gw, purpose=None, recipient=None):
    rows = gw.ledger.db.execute(
        "SELECT recipient, purpose, message FROM outbox JOIN outbox_messages ON outbox_id = id ORDER BY id"
    ).fetchall()
    found = []
    for to, why, raw in rows:
        if (purpose is None or why == purpose) and (recipient is None or to == recipient):
            found.append(email.message_from_bytes(raw, policy=email.policy.default))
    return found


def attached_rows(msg) -> list[tuple]:
    """The rows of the form attached (a keeper's confirmation also carries the delivery note)."""
    [part] = [a for a in msg.iter_attachments() if not a.get_filename().startswith("送货单-")]
    ws = load_workbook(io.BytesIO(part.get_content())).worksheets[0]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


@pytest.fixture
def con(send, masters):
    """A contract of C001: P-M8 300 at 1.15, P-W10 1200 at 0.15."""
    return signed_contract(send)


# --- shipment notice ----------------------------------------------------------------------------
def test_notice_needs_an_active_contract(send, masters):
    assert codes(notice(send, "CON-2026-00009", [m8(1)])) == [("B8", "doc-unknown")]


def test_notice_takes_the_contract_customer_and_refuses_another(send, con, gw):
    docno = ok(notice(send, con, [m8(10)]))
    assert gw.ledger.view.document(docno)["customer_code"] == "C001"
    assert codes(notice(send, con, [m8(10)], customer_code="C002")) == [("B8", "customer-mismatch")]


def test_notices_never_exceed_the_contract_line(send, con):
    ok(notice(send, con, [m8(200), w10(1000)]))
    refused = notice(send, con, [m8(60), m8(50), w10(201)])
    assert codes(refused) == [
        ("B19", "notice-exceeds-contract"),
        ("B20", "notice-exceeds-contract"),
    ]
    first, second = [p.values for p in refused.problems]
    assert (str(first["left"]), str(first["given"])) == (
        "40",
        "50",
    )  # 100 left, line 1 took 60 of it
    assert (str(second["left"]), str(second["given"])) == ("200", "201")
    assert "has 40 of product P-M8 left to ship (contract 300, on notices 260" in refused.problems[
        0
    ].message("en")
    assert notice(send, con, [m8(60), m8(40), w10(200)]).accepted


def test_cancelled_notice_frees_the_contract_quantity(send, con):
    first = ok(notice(send, con, [m8(300)]))
    assert codes(notice(send, con, [m8(1)])) == [("B18", "notice-exceeds-contract")]
    ok(send("shipment_notice", {"docno": first, "action": "cancel", "cancel_reason": "改期"}))
    assert notice(send, con, [m8(300)]).accepted


def test_notice_product_must_be_on_the_contract(send, masters):
    con = signed_contract(send, [m8(300)])
    assert codes(notice(send, con, [w10(5)])) == [("A18", "notice-product-not-on-contract")]


def test_named_warehouse_must_exist(send, con):
    refused = notice(send, con, [m8(10, "WH-Z")])
    assert codes(refused) == [("D18", "warehouse-unknown")]
    assert notice(send, con, [m8(10, "WH-B")]).accepted


def test_named_lot_needs_its_warehouse(send, con):
    refused = notice(send, con, [m8(10, None, L7)])
    assert codes(refused) == [("D18", "notice-lot-needs-warehouse")]
    assert values(refused, "notice-lot-needs-warehouse")["places"] == "WH-A 120"


def test_named_lot_must_exist_be_of_the_product_and_in_the_warehouse(send, con):
    assert codes(notice(send, con, [m8(10, "WH-A", "L-NONE")])) == [("E18", "lot-unknown")]
    refused = notice(send, con, [m8(10, "WH-B", L7)])
    assert codes(refused) == [("E18", "lot-not-in-warehouse")]
    assert "L2026-031（到期 2028-07-01，库存 200）" in refused.problems[0].message("zh")
    assert notice(send, con, [m8(10, "WH-A", L7)]).accepted


def test_named_lot_is_reserved(send, con, gw):
    first = ok(notice(send, con, [m8(100, "WH-A", L7)]))
    refused = notice(send, con, [m8(30, "WH-A", L7)])
    assert codes(refused) == [("B18", "notice-lot-over-reserved")]
    assert values(refused, "notice-lot-over-reserved") | {"notices": None} == {
        "warehouse": "WH-A",
        "lot": L7,
        "on_hand": "120",
        "reserved": "100",
        "left": "20",
        "given": "30",
        "notices": None,
    }
    # what was issued from the reserving notice is no longer reserved, nor on hand: still 20 left
    ok(slip(send, first, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 60}]))
    assert F.reserved(gw.ledger.view, "WH-A", "P-M8", L7) == 40
    assert codes(notice(send, con, [m8(21, "WH-A", L7)])) == [("B18", "notice-lot-over-reserved")]
    assert notice(send, con, [m8(20, "WH-A", L7)]).accepted


def test_amending_a_notice_keeps_its_own_reservation(send, con):
    first = ok(notice(send, con, [m8(100, "WH-A", L7)]))
    assert notice(send, con, [m8(120, "WH-A", L7)], docno=first).accepted
    assert codes(notice(send, con, [m8(121, "WH-A", L7)], docno=first)) == [
        ("B18", "notice-lot-over-reserved")
    ]


def test_expired_named_lot_is_allowed_with_a_note(send, con):
    outcome = notice(send, con, [m8(10, "WH-A", L7)], notice_date="2027-03-05")
    assert outcome.accepted
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("E18", "notice-lot-expired", "warning")
    ]


def test_notice_beyond_available_stock_is_recorded_with_a_note(send, con):
    outcome = notice(send, con, [w10(600, "WH-B")])
    assert outcome.accepted
    assert [(p.cell, p.code) for p in outcome.problems] == [("B18", "notice-stock-short")]
    assert values(outcome, "notice-stock-short")["available"] == "500"


def test_notice_cannot_drop_below_what_was_issued(send, con):
    docno = ok(notice(send, con, [m8(100, "WH-A"), w10(300)]))
    ok(slip(send, docno, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 70}]))
    refused = notice(send, con, [m8(69, "WH-A"), w10(300)], docno=docno)
    assert codes(refused) == [("B18", "notice-below-issued")]
    assert values(refused, "notice-below-issued")["issued"] == "70"
    changed = notice(send, con, [w10(300), m8(100, "WH-A")], docno=docno)
    assert [p.flat() for p in changed.problems if p.severity == "error"] == [
        ("A18", "notice-issued-line-changed")
    ]
    assert notice(send, con, [m8(70, "WH-A"), w10(10)], docno=docno).accepted


def test_notice_with_slips_cannot_be_cancelled(send, con):
    docno = ok(notice(send, con, [m8(10, "WH-A")]))
    issued = ok(slip(send, docno, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 10}]))
    refused = send("shipment_notice", {"docno": docno, "action": "cancel", "cancel_reason": "x"})
    assert codes(refused) == [("B5", "cancel-has-dependents")]
    ok(
        send(
            "issue_slip",
            {"docno": issued, "action": "cancel", "cancel_reason": "录错"},
            sender=WAREHOUSE_A,
        )
    )
    assert send(
        "shipment_notice", {"docno": docno, "action": "cancel", "cancel_reason": "x"}
    ).accepted


def test_notice_confirmation_carries_the_next_notice_with_the_rest(send, con, gw):
    outcome = notice(send, con, [m8(100)])
    [msg] = [m for m in mails(gw, "confirmation", SALES) if outcome.docno in m["Subject"]]
    rows = attached_rows(msg)
    assert rows[7][1] == con
    assert rows[17][:3] == ("P-M8", 200, 1.15)
    assert rows[18][:3] == ("P-W10", 1200, 0.15)
    last = notice(send, con, [m8(200), w10(1200)])
    [msg] = [m for m in mails(gw, "confirmation", SALES) if last.docno in m["Subject"]]
    assert list(msg.iter_attachments()) == []


# --- warehouse copies ---------------------------------------------------------------------------
def test_each_warehouse_gets_its_lines_with_fefo_lots(send, con, gw):
    docno = ok(
        notice(send, con, [m8(150, "WH-A"), w10(700), m8(20, "WH-B", L31)], ship_to="宁波市北仑区")
    )
    [a] = mails(gw, "warehouse_copy", WAREHOUSE_A)
    [b] = mails(gw, "warehouse_copy", WAREHOUSE_B)
    rows_a, rows_b = attached_rows(a), attached_rows(b)
    assert rows_a[7][1] == docno and rows_a[8][1] == "WH-A"
    assert [r[:4] for r in rows_a[14:17]] == [
        (1, "P-M8", L7, 120),
        (1, "P-M8", L19, 30),
        (2, "P-W10", None, 700),
    ]
    assert rows_a[17][1] is None
    assert [r[:4] for r in rows_b[14:16]] == [(3, "P-M8", L31, 20), (None, None, None, None)]
    assert "宁波市北仑区" in a.get_body(("plain",)).get_content()


def test_unnamed_warehouse_lines_are_shared_by_fefo_across_warehouses(send, con, gw):
    ok(notice(send, con, [m8(180)]))
    rows_a = attached_rows(mails(gw, "warehouse_copy", WAREHOUSE_A)[0])
    rows_b = attached_rows(mails(gw, "warehouse_copy", WAREHOUSE_B)[0])
    assert [r[:4] for r in rows_a[14:16]] == [(1, "P-M8", L7, 120), (1, "P-M8", L19, 35)]
    assert rows_b[14][:4] == (1, "P-M8", L31, 25)


def test_fefo_skips_lots_reserved_by_other_notices(send, con, gw):
    ok(notice(send, con, [m8(100, "WH-A", L7)]))
    second = ok(notice(send, con, [m8(40, "WH-A")]))
    [msg] = [m for m in mails(gw, "warehouse_copy", WAREHOUSE_A) if second in m["Subject"]]
    rows = attached_rows(msg)
    assert [r[:4] for r in rows[14:16]] == [(1, "P-M8", L7, 20), (1, "P-M8", L19, 20)]


def test_cancelled_notice_tells_the_warehouse(send, con, gw):
    docno = ok(notice(send, con, [m8(10, "WH-B", L31)]))
    ok(send("shipment_notice", {"docno": docno, "action": "cancel", "cancel_reason": "客户取消"}))
    last = mails(gw, "warehouse_copy", WAREHOUSE_B)[-1]
    assert "作废" in last["Subject"] and list(last.iter_attachments()) == []


def test_amendment_moving_a_line_away_tells_the_old_warehouse(send, con, gw):
    docno = ok(notice(send, con, [m8(10, "WH-B")]))
    ok(notice(send, con, [m8(10, "WH-A")], docno=docno))
    assert "无需再出库" in mails(gw, "warehouse_copy", WAREHOUSE_B)[-1]["Subject"]
    assert "已修改" in mails(gw, "warehouse_copy", WAREHOUSE_A)[-1]["Subject"]


# --- issue slip ---------------------------------------------------------------------------------
@pytest.fixture
def sn(send, con):
    """A notice: line 1 P-M8 150 from WH-A (lot free), line 2 P-W10 700 (warehouse free),
    line 3 P-M8 20 from WH-B lot L2026-031."""
    return ok(notice(send, con, [m8(150, "WH-A"), w10(700), m8(20, "WH-B", L31)]))


def test_slip_only_against_a_recorded_active_notice(send, masters):
    refused = slip(send, "SN-2026-00077", "WH-A", [{"product_code": "P-W10", "quantity": 1}])
    assert codes(refused) == [("B8", "doc-unknown")]


def test_slip_only_by_a_keeper_of_that_warehouse(send, sn):
    refused = slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 1}], sender=WAREHOUSE_B)
    assert codes(refused) == [("B9", "issue-not-warehouse-keeper")]
    assert codes(slip(send, sn, "WH-Q", [{"product_code": "P-W10", "quantity": 1}])) == [
        ("B9", "warehouse-unknown")
    ]
    assert codes(
        slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 1}], sender=SALES)
    ) == [(None, "sender-not-allowed")]


def test_slip_moves_stock_as_issue_rows_against_the_notice_line(send, sn, gw):
    docno = ok(
        slip(
            send,
            sn,
            "WH-A",
            [
                {"product_code": "P-M8", "lot": L7, "quantity": 100},
                {"product_code": "P-W10", "quantity": "300.5", "damaged_quantity": 2},
            ],
            handling_cost="35.50",
            handling_note="叉车",
        )
    )
    rows = gw.ledger.db.execute(
        "SELECT warehouse, product_code, lot, quantity, movement, docno, line_no, against, against_line "
        "FROM stock_movements WHERE docno = ? ORDER BY id",
        [docno],
    ).fetchall()
    assert rows == [
        ("WH-A", "P-M8", L7, "-100", "issue", docno, 1, sn, 1),
        ("WH-A", "P-W10", "", "-300.5", "issue", docno, 2, sn, 2),
    ]
    assert stock(gw, "WH-A", "P-M8", L7) == 20 and stock(gw, "WH-A", "P-W10") == Decimal("699.5")
    recorded = gw.ledger.view.document(docno)
    assert [x["notice_line"] for x in recorded["lines"]] == [1, 2]
    assert recorded["header"]["handling_cost"] == "35.50"
    assert recorded["lines"][1]["damaged_quantity"] == "2"


def test_slips_together_never_exceed_the_notice_line(send, sn):
    ok(slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 400}]))
    ok(slip(send, sn, "WH-B", [{"product_code": "P-W10", "quantity": 200}]))
    refused = slip(
        send,
        sn,
        "WH-B",
        [
            {"product_code": "P-W10", "quantity": 60},
            {"product_code": "P-W10", "quantity": 41, "notice_line": 2},
        ],
    )
    assert codes(refused) == [("D16", "issue-exceeds-notice")]
    assert values(refused, "issue-exceeds-notice") | {"docno": None} == {
        "docno": None,
        "notice_line": "2",
        "code": "P-W10",
        "left": "40",
        "noticed": "700",
        "issued": "660",
        "given": "41",
    }
    assert "还可出库 40" in refused.problems[0].message("zh")
    assert slip(send, sn, "WH-B", [{"product_code": "P-W10", "quantity": 100}]).accepted


def test_named_warehouse_and_lot_must_be_followed(send, sn):
    wrong_wh = slip(
        send, sn, "WH-B", [{"product_code": "P-M8", "lot": L31, "quantity": 5, "notice_line": 1}]
    )
    assert codes(wrong_wh) == [("B15", "issue-wrong-warehouse")]
    wrong_lot = slip(send, sn, "WH-B", [{"product_code": "P-M8", "quantity": 5, "notice_line": 3}])
    assert codes(wrong_lot) == [("C15", "issue-lot-not-as-named")]
    assert values(wrong_lot, "issue-lot-not-as-named")["named"] == L31
    assert slip(send, sn, "WH-B", [{"product_code": "P-M8", "lot": L31, "quantity": 20}]).accepted


def test_lot_tracked_product_needs_a_lot_held_in_the_warehouse(send, sn):
    refused = slip(send, sn, "WH-A", [{"product_code": "P-M8", "quantity": 5}])
    assert codes(refused) == [("C15", "issue-lot-required")]
    assert (
        "L2026-007（到期 2027-03-01，库存 120）、L2026-019（到期 2027-05-10，库存 35）"
        in refused.problems[0].message("zh")
    )
    not_here = slip(send, sn, "WH-A", [{"product_code": "P-M8", "lot": L31, "quantity": 5}])
    assert codes(not_here) == [("C15", "issue-lot-not-in-warehouse")]
    assert slip(send, sn, "WH-A", [{"product_code": "P-M8", "lot": L19, "quantity": 5}]).accepted


def test_stock_never_goes_below_zero(send, con):
    docno = ok(notice(send, con, [m8(150, "WH-A")]))
    refused = slip(
        send,
        docno,
        "WH-A",
        [
            {"product_code": "P-M8", "lot": L19, "quantity": 30},
            {"product_code": "P-M8", "lot": L19, "quantity": 6},
        ],
    )
    assert codes(refused) == [("D16", "issue-exceeds-stock")]
    assert values(refused, "issue-exceeds-stock")["on_hand"] == "35"
    assert values(refused, "issue-exceeds-stock")["given"] == "36"
    assert slip(
        send, docno, "WH-A", [{"product_code": "P-M8", "lot": L19, "quantity": 35}]
    ).accepted


def test_expired_lot_refused_unless_sales_named_it(send, con):
    free = ok(notice(send, con, [m8(10, "WH-A")], notice_date="2027-02-28"))
    refused = slip(
        send,
        free,
        "WH-A",
        [{"product_code": "P-M8", "lot": L7, "quantity": 10}],
        issue_date="2027-03-02",
    )
    assert codes(refused) == [("C15", "issue-lot-expired")]
    assert values(refused, "issue-lot-expired")["expiry"] == "2027-03-01"
    # the day of expiry itself is still fine
    assert slip(
        send,
        free,
        "WH-A",
        [{"product_code": "P-M8", "lot": L7, "quantity": 5}],
        issue_date="2027-03-01",
    ).accepted
    named = ok(notice(send, con, [m8(10, "WH-A", L7)], notice_date="2027-03-02"))
    assert slip(
        send,
        named,
        "WH-A",
        [{"product_code": "P-M8", "lot": L7, "quantity": 10}],
        issue_date="2027-03-02",
    ).accepted


def test_warehouse_may_not_take_what_another_notice_reserved(send, con):
    ok(notice(send, con, [m8(100, "WH-A", L7)]))
    other = ok(notice(send, con, [m8(50, "WH-A")]))
    refused = slip(send, other, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 30}])
    assert codes(refused) == [("C15", "issue-lot-reserved")]
    assert (
        values(refused, "issue-lot-reserved")["reserved"],
        values(refused, "issue-lot-reserved")["left"],
    ) == ("100", "20")
    assert slip(
        send,
        other,
        "WH-A",
        [
            {"product_code": "P-M8", "lot": L7, "quantity": 20},
            {"product_code": "P-M8", "lot": L19, "quantity": 30},
        ],
    ).accepted


def test_damaged_within_quantity_and_handling_cost_explained(send, sn):
    refused = slip(
        send,
        sn,
        "WH-A",
        [{"product_code": "P-W10", "quantity": 5, "damaged_quantity": 6}],
        handling_cost=20,
    )
    assert codes(refused) == [
        ("B11", "issue-handling-note-needed"),
        ("E15", "issue-damaged-exceeds-quantity"),
    ]
    assert codes(slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 0}])) == [
        ("D15", "not-positive")
    ]


def test_notice_line_column_and_matching_by_product(send, con):
    docno = ok(notice(send, con, [m8(10, "WH-A"), m8(10, "WH-A"), w10(5)]))
    ambiguous = slip(send, docno, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 5}])
    assert codes(ambiguous) == [("A15", "issue-notice-line-ambiguous")]
    assert codes(
        slip(
            send,
            docno,
            "WH-A",
            [{"notice_line": 9, "product_code": "P-M8", "lot": L7, "quantity": 1}],
        )
    ) == [("A15", "issue-notice-line-unknown")]
    assert codes(
        slip(
            send,
            docno,
            "WH-A",
            [{"notice_line": 3, "product_code": "P-M8", "lot": L7, "quantity": 1}],
        )
    ) == [("B15", "issue-product-differs")]
    assert codes(
        slip(send, docno, "WH-B", [{"product_code": "P-X", "quantity": 1}], sender=WAREHOUSE_B)
    ) == [("B15", "issue-product-not-on-notice")]
    assert slip(
        send, docno, "WH-A", [{"notice_line": 2, "product_code": "P-M8", "lot": L7, "quantity": 10}]
    ).accepted


def test_amended_slip_reverses_then_books_again(send, sn, gw):
    docno = ok(slip(send, sn, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 100}]))
    ok(slip(send, sn, "WH-A", [{"product_code": "P-M8", "lot": L19, "quantity": 30}], docno=docno))
    rows = gw.ledger.db.execute(
        "SELECT lot, quantity, movement, against, against_line FROM stock_movements WHERE docno = ? ORDER BY id",
        [docno],
    ).fetchall()
    assert rows == [
        (L7, "-100", "issue", sn, 1),
        (L7, "100", "reversal", sn, 1),
        (L19, "-30", "issue", sn, 1),
    ]
    assert stock(gw, "WH-A", "P-M8", L7) == 120 and stock(gw, "WH-A", "P-M8", L19) == 5
    assert F.issued_by_line(gw.ledger.view, sn) == {1: 30}
    # an amendment may use what the slip itself took before
    assert slip(
        send, sn, "WH-A", [{"product_code": "P-M8", "lot": L19, "quantity": 35}], docno=docno
    ).accepted


def test_cancelled_slip_gives_the_goods_back(send, sn, gw):
    docno = ok(slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 700}]))
    assert stock(gw, "WH-A", "P-W10") == 300
    ok(
        send(
            "issue_slip",
            {"docno": docno, "action": "cancel", "cancel_reason": "录错"},
            sender=WAREHOUSE_A,
        )
    )
    assert stock(gw, "WH-A", "P-W10") == 1000
    assert F.issued_by_line(gw.ledger.view, sn).get(2, 0) == 0
    assert (
        gw.ledger.db.execute(
            "SELECT COUNT(*) FROM stock_movements WHERE docno = ?", [docno]
        ).fetchone()[0]
        == 2
    )


def test_another_keeper_or_warehouse_may_not_amend_a_slip(send, sn):
    docno = ok(slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 1}]))
    refused = slip(
        send,
        sn,
        "WH-B",
        [{"product_code": "P-W10", "quantity": 1}],
        docno=docno,
        sender=WAREHOUSE_B,
    )
    assert codes(refused) == [("B4", "amend-not-owner")]


def test_salesperson_hears_progress_and_warehouse_gets_what_is_left(send, sn, gw):
    docno = ok(slip(send, sn, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 100}]))
    [progress] = mails(gw, "issue_progress", SALES)
    text = progress.get_body(("plain",)).get_content()
    assert (
        "第 1 行 P-M8 不锈钢螺栓 M8×40：发货 150，已出库 100，未出库 50（WH-A L2026-007 100）"
        in text
    )
    assert "第 3 行 P-M8 不锈钢螺栓 M8×40：发货 20，已出库 0，未出库 20" in text
    [confirmation] = [m for m in mails(gw, "confirmation", WAREHOUSE_A) if docno in m["Subject"]]
    rows = attached_rows(confirmation)
    assert [r[:4] for r in rows[14:17]] == [
        (1, "P-M8", L7, 20),
        (1, "P-M8", L19, 30),
        (2, "P-W10", None, 700),
    ]


def test_manager_may_not_issue_goods(send, sn):
    assert codes(
        slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 1}], sender=MANAGER)
    ) == [(None, "sender-not-allowed")]


# --- every fulfilment query uses an index -----------------------------------------------------
def test_fulfilment_queries_use_indexes(send, sn, gw):
    db = gw.ledger.db
    queries = [
        (
            "SELECT on_hand_milli FROM stock_on_hand WHERE warehouse = ? AND product_code = ? AND lot = ?",
            ["WH-A", "P", "L"],
        ),
        (
            "SELECT quantity FROM stock_movements WHERE against = ? AND against_line = ? AND movement IN ('issue', 'reversal')",
            [sn, 1],
        ),
        (
            "SELECT warehouse, product_code, lot, against, against_line, quantity FROM stock_movements WHERE docno = ?",
            ["X"],
        ),
        (
            "SELECT n.docno, n.line_no, n.quantity FROM shipment_notice_lines n JOIN documents d ON d.docno = n.docno "
            "WHERE n.product_code = ? AND n.lot = ? AND n.warehouse = ? AND d.status = 'active'",
            ["P", "L", "W"],
        ),
        (
            "SELECT n.docno, n.product_code, n.quantity FROM links l JOIN documents d ON d.docno = l.docno "
            "JOIN shipment_notice_lines n ON n.docno = l.docno WHERE l.target = ? AND l.field = 'contract_no' "
            "AND d.kind = 'shipment_notice' AND d.status = 'active'",
            ["C"],
        ),
        (
            "SELECT s.lot, s.on_hand_milli, l.expiry_date FROM stock_on_hand s LEFT JOIN lots l ON l.product_code = "
            "s.product_code AND l.lot = s.lot WHERE s.warehouse = ? AND s.product_code = ? AND s.on_hand_milli > 0",
            ["W", "P"],
        ),
    ]
    for sql, params in queries:
        plan = " | ".join(
            row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        )
        assert "SCAN" not in plan.replace("SCAN CONSTANT", ""), (sql, plan)


# --- silu status / silu stock -----------------------------------------------------------------
def test_status_of_contract_notice_and_order(send, con, firm, gw):
    import json

    from click.testing import CliRunner

    from silu_sheets.cli import main

    sn = ok(notice(send, con, [m8(150, "WH-A"), w10(700)]))
    ok(
        slip(
            send,
            sn,
            "WH-A",
            [
                {"product_code": "P-M8", "lot": L7, "quantity": 120},
                {"product_code": "P-M8", "lot": L19, "quantity": 10, "damaged_quantity": 1},
            ],
        )
    )
    ok(slip(send, sn, "WH-B", [{"product_code": "P-W10", "quantity": 200}]))
    run = CliRunner().invoke
    found = json.loads(run(main, ["--firm", str(firm.root), "status", con, "--json"]).output)
    contract = found["sections"]["contract"]
    assert contract["progress"] == [
        {
            "line_no": 1,
            "product_code": "P-M8",
            "quantity": "300",
            "noticed": "150",
            "issued": "130",
            "left_to_notice": "150",
            "unit_price": "1.15",
        },
        {
            "line_no": 2,
            "product_code": "P-W10",
            "quantity": "1200",
            "noticed": "700",
            "issued": "200",
            "left_to_notice": "500",
            "unit_price": "0.15",
        },
    ]
    assert contract["notices"] == [sn]
    found = json.loads(run(main, ["--firm", str(firm.root), "status", sn, "--json"]).output)
    of_notice = found["sections"]["shipment_notice"]
    assert of_notice["progress"][0]["issued_from"] == [
        {"warehouse": "WH-A", "lot": L7, "issued": "120"},
        {"warehouse": "WH-A", "lot": L19, "issued": "10"},
    ]
    assert (of_notice["progress"][0]["left"], of_notice["progress"][0]["damaged"]) == ("20", "1")
    assert of_notice["progress"][1]["issued_from"] == [
        {"warehouse": "WH-B", "lot": "", "issued": "200"}
    ]
    assert [s["docno"] for s in of_notice["slips"]] == ["ISS-2026-00001", "ISS-2026-00002"]
    blind = run(
        main, ["--firm", str(firm.root), "status", sn, "--json", "--as", WAREHOUSE_A]
    ).output
    assert "unit_price" not in blind and "1.15" not in blind
    order_no = found["refers_to"] and gw.ledger.view.document(con)["header"]["order_no"]
    found = json.loads(run(main, ["--firm", str(firm.root), "status", order_no, "--json"]).output)
    order = found["sections"]["order"]
    assert (order["decision"], order["contract"]) == ("accepted", con)
    order_zh = run(main, ["--firm", str(firm.root), "status", order_no]).output
    assert order_zh.splitlines()[0] == f"销售订单 {order_no}：已接受，已签合同 {con}"
    assert "accepted" not in order_zh and "decision" not in order_zh
    order_en = run(main, ["--firm", str(firm.root), "status", order_no, "--as", SALES_EN]).output
    assert order_en.splitlines()[0] == f"Sales order {order_no}: accepted, contract {con}"

    def rows(text: str, first: str) -> list[list[str]]:
        """The plain-text table rows starting with ``first`` (cells split on spaces)."""
        return [line.split() for line in text.splitlines() if line.split()[:1] == [first]]

    # the notice: a line table (line, product, name, warehouse, lot, noticed, issued, left,
    # damaged), then where line 1 came from (two lots), in the reader's language
    text = run(main, ["--firm", str(firm.root), "status", sn]).output
    assert text.splitlines()[0] == f"销售发货单 {sn}：部分出库"
    assert ["1", "P-M8", "不锈钢螺栓", "M8×40", "WH-A", "—", "150", "130", "20", "1"] in rows(
        text, "1"
    )
    assert ["1", "P-M8", "WH-A", "L2026-019", "10"] in rows(text, "1")
    assert (
        "从哪里出库" in text and "下一步：等仓库出库（尚未出库：WH-A 20、未指定仓库 500）。" in text
    )
    text = run(main, ["--firm", str(firm.root), "status", sn, "--as", SALES_EN]).output
    assert text.startswith(f"Shipment notice {sn}: partly issued\n")
    assert "Issued from" in text and "still to issue" in text
    typed = sn.lower().replace("-", "_").replace("sn", "ｓｎ")  # as a Chinese keyboard may type it
    zh = run(main, ["--firm", str(firm.root), "status", typed]).output
    assert zh.startswith(f"销售发货单 {sn}：")
    missing = run(main, ["--firm", str(firm.root), "status", "SN-2026-00999"])
    assert missing.exit_code == 1


def test_stock_shows_on_hand_reserved_and_available(send, con, firm):
    import json

    from click.testing import CliRunner

    from silu_sheets.cli import main

    sn = ok(notice(send, con, [m8(100, "WH-A", L7)]))
    ok(slip(send, sn, "WH-A", [{"product_code": "P-M8", "lot": L7, "quantity": 30}]))
    result = CliRunner().invoke(
        main, ["--firm", str(firm.root), "stock", "--warehouse", "WH-A", "--json"]
    )
    rows = json.loads(result.output)
    assert [
        (r["lot"], r["expiry_date"], r["on_hand"], r["reserved"], r["available"]) for r in rows
    ] == [
        (L7, "2027-03-01", "90", "70", "20"),
        (L19, "2027-05-10", "35", "0", "35"),
        ("", None, "1000", "0", "1000"),
    ]
    assert rows[0]["reserved_by"] == [f"{sn}#1"]
    assert {r["warehouse"] for r in rows} == {"WH-A"}
    assert "price" not in result.output
    typed = CliRunner().invoke(
        main, ["--firm", str(firm.root), "stock", "--warehouse", " wh-a ", "--json"]
    )
    assert json.loads(typed.output) == rows  # a code typed by hand is the code


# --- what was built on the goods: returns and payments ------------------------------------------
def sales_return(send, notice_no, quantity):
    header = {
        "return_date": "2026-11-26",
        "notice_no": notice_no,
        "reason": "包装破损",
        "request_person": "李娜",
        "money_person": "王强",
        "goods_person": "赵磊",
        "goods_disposition": "return",
        "money_disposition": "refund",
        "requested_amount": "1",
    }
    return send(
        "sales_return",
        header,
        [{"product_code": "P-W10", "quantity": quantity, "warehouse": "WH-A"}],
    )


def test_slip_cannot_drop_below_what_was_returned(send, con):
    sn = ok(notice(send, con, [w10(100, "WH-A")]))
    docno = ok(slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 100}]))
    ok(sales_return(send, sn, 10))
    cancel = send(
        "issue_slip",
        {"docno": docno, "action": "cancel", "cancel_reason": "录错"},
        sender=WAREHOUSE_A,
    )
    assert codes(cancel) == [("B5", "issue-below-returned")]
    assert (
        values(cancel, "issue-below-returned")["returned"],
        values(cancel, "issue-below-returned")["issued"],
    ) == ("10", "0")
    assert codes(
        slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 9}], docno=docno)
    ) == [("B4", "issue-below-returned")]
    assert slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 10}], docno=docno).accepted


def test_slip_cannot_drop_below_what_was_paid_and_the_keeper_sees_no_amount(send, con):
    from conftest import FINANCE

    sn = ok(notice(send, con, [w10(100, "WH-A", price="0.37")]))
    docno = ok(slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 100}]))
    ok(
        send(
            "payment",
            {
                "payment_date": "2026-11-26",
                "customer_code": "C001",
                "payment_type": "receivable",
                "amount": "37",
            },
            [{"notice_no": sn, "applied": "37"}],
            sender=FINANCE,
        )
    )
    cancel = send(
        "issue_slip",
        {"docno": docno, "action": "cancel", "cancel_reason": "录错"},
        sender=WAREHOUSE_A,
    )
    assert codes(cancel) == [("B5", "issue-below-paid")]
    assert "37" not in cancel.problems[0].message("zh") and "37" not in cancel.problems[0].message(
        "en"
    )
    assert codes(
        slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 99}], docno=docno)
    ) == [("B4", "issue-below-paid")]
    assert slip(
        send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 100}], docno=docno, note="复核"
    ).accepted


def test_notice_price_cannot_drop_below_what_was_paid(send, masters):
    from conftest import FINANCE

    con = signed_contract(send, [w10(100, price="0.37")])
    sn = ok(notice(send, con, [w10(100, "WH-A", price="0.37")]))
    ok(slip(send, sn, "WH-A", [{"product_code": "P-W10", "quantity": 100}]))
    ok(
        send(
            "payment",
            {
                "payment_date": "2026-11-26",
                "customer_code": "C001",
                "payment_type": "receivable",
                "amount": "37",
            },
            [{"notice_no": sn, "applied": "37"}],
            sender=FINANCE,
        )
    )
    refused = notice(send, con, [w10(100, "WH-A", price="0.30")], docno=sn)
    assert ("B4", "notice-below-paid") in codes(refused)
    assert (
        values(refused, "notice-below-paid")["settled"],
        values(refused, "notice-below-paid")["worth"],
    ) == ("37.00", "30.00")
    assert notice(send, con, [w10(100, "WH-A", price="0.37")], docno=sn).accepted


def test_ship_by_not_before_the_notice_date(send, con):
    refused = notice(send, con, [m8(10)], ship_by="2026-11-22")
    assert codes(refused) == [("B14", "date-before")]
    assert notice(send, con, [m8(10)], ship_by="2026-11-23").accepted


def test_warehouse_without_a_keeper_is_said_in_the_confirmation(send, con, firm, gw):
    staff = firm.root / "inbox_rules" / "staff.toml"
    staff.write_text(
        staff.read_text(encoding="utf-8").replace('warehouses = ["WH-B"]', "warehouses = []"),
        encoding="utf-8",
    )
    gw.roster = firm.roster()
    outcome = notice(send, con, [m8(10, "WH-B", L31)])
    assert outcome.accepted
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("D18", "notice-warehouse-no-keeper", "warning")
    ]
    assert mails(gw, "warehouse_copy") == []


# --- the demo scene -----------------------------------------------------------------------------
def test_demo_ships_the_contract_from_two_warehouses_with_one_slip_refused(tmp_path):
    from silu_sheets.demo import run

    demo = run(tmp_path / "demo-firm", echo=lambda _: None)
    slips = [o for o in demo.outcomes if o.kind == "issue_slip"]
    assert [(o.sender, o.accepted) for o in slips] == [
        (WAREHOUSE_A, True),
        (WAREHOUSE_B, False),
        (WAREHOUSE_B, True),
    ]
    assert codes(slips[1]) == [("C15", "issue-lot-not-as-named"), ("D16", "issue-exceeds-notice")]
    notices = [o.docno for o in demo.outcomes if o.kind == "shipment_notice" and o.accepted]
    assert len(notices) == 2
    from silu_sheets.ledger.store import Ledger

    ledger = Ledger(demo.folder.ledger_path)
    try:
        found = {
            n: {line["warehouse"] for line in F.lines_of(ledger.view, "shipment_notice", n)}
            for n in notices
        }
        assert sorted(found.values(), key=sorted) == [{"WH-A"}, {"WH-B"}]
        from silu_sheets.status import document_status

        contract = next(o.docno for o in demo.outcomes if o.kind == "contract")
        progress = document_status(ledger.view, contract)["sections"]["contract"]["progress"]
        assert [(r["quantity"], r["noticed"], r["issued"]) for r in progress] == [
            ("300", "300", "300"),
            ("1200", "1200", "1200"),
        ]
    finally:
        ledger.close()


def test_codes_typed_in_lower_case_are_the_codes(send, con, gw):
    """People type ``wh-a``, ``p-m8``, ``l2026-007`` by hand: codes match without case, are
    stored as the masters spell them, and the keeper of wh-a is the keeper of WH-A."""
    sn = ok(
        notice(
            send,
            con,
            [{"product_code": "p-m8", "quantity": 10, "unit_price": "1.15", "warehouse": "wh-a"}],
        )
    )
    line = gw.ledger.view.document(sn)["lines"][0]
    assert (line["product_code"], line["warehouse"]) == ("P-M8", "WH-A")
    issued = ok(
        slip(send, sn, "wh-a", [{"product_code": "p-m8", "lot": "l2026-007", "quantity": 10}])
    )
    moved = gw.ledger.db.execute(
        "SELECT warehouse, product_code, lot, quantity FROM stock_movements WHERE docno = ?",
        [issued],
    ).fetchall()
    assert [tuple(r[:3]) for r in moved] == [("WH-A", "P-M8", L7)]
