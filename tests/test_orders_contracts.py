"""Orders (firm / non-firm, citing quotes, decided by sending again) and contracts (only from an
accepted order, at most one, within the order, never below what notices ask). Every rule from
both sides, through real forms and a real ledger."""

from __future__ import annotations

import email
import email.policy
import io

from conftest import MANAGER, SALES, SALES_EN, codes
from fulfilment_flow import (
    ORDER_LINES,
    accepted_order,
    contract,
    decide,
    m8,
    notice,
    ok,
    order,
    signed_contract,
    w10,
)
from openpyxl import load_workbook


def quote(send, valid_until="2026-12-20", customer="C001", currency=None, price="1.15"):
    return ok(
        send(
            "quote",
            {
                "quote_date": "2026-11-20",
                "valid_until": valid_until,
                "customer_code": customer,
                "currency": currency,
            },
            [{"product_code": "P-M8", "quantity": 300, "unit_price": price}],
        )
    )


def values(outcome, code):
    return next(p.values for p in outcome.problems if p.code == code)


def attachments(gw, outbox_id):
    raw = gw.ledger.db.execute(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE id = ?",
        [outbox_id],
    ).fetchone()[0]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return {a.get_filename(): a.get_content() for a in msg.iter_attachments()}


def sheet_values(data: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


# --- order ------------------------------------------------------------------------------------
def test_firm_offer_needs_validity(send, masters):
    refused = order(send, offer_type="实盘 firm offer")
    assert codes(refused) == [("B12", "firm-offer-needs-validity")]
    assert order(send, offer_type="firm", valid_until="2026-12-01").accepted


def test_firm_offer_validity_not_before_order_date(send, masters):
    refused = order(send, offer_type="firm", valid_until="2026-11-20")
    assert codes(refused) == [("B12", "date-before")]


def test_non_firm_offer_needs_no_validity(send, masters):
    outcome = order(send, offer_type="non_firm")
    assert outcome.accepted and outcome.problems == []


def test_order_citing_a_valid_quote_with_same_prices_has_no_notes(send, masters):
    q = quote(send)
    outcome = order(send, [m8(300)], quote_no=q)
    assert outcome.accepted and codes(outcome) == []


def test_expired_quote_refused_on_the_day_after(send, masters):
    q = quote(send, valid_until="2026-11-20")
    refused = order(send, [m8(300)], quote_no=q, order_date="2026-11-21")
    assert codes(refused) == [("B9", "order-quote-expired")]
    assert values(refused, "order-quote-expired")["valid_until"] == "2026-11-20"
    # valid until includes that day
    assert order(send, [m8(300)], quote_no=q, order_date="2026-11-20").accepted


def test_prices_differing_from_the_quote_are_accepted_and_listed(send, masters, gw):
    q = quote(send)
    outcome = order(send, [m8(300, price="1.12"), w10(100)], quote_no=q)
    assert outcome.accepted
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("C21", "order-price-differs-from-quote", "warning"),
        ("A22", "order-product-not-on-quote", "warning"),
    ]
    assert str(values(outcome, "order-price-differs-from-quote")["quoted"]) == "1.15"
    subject = gw.ledger.db.execute(
        "SELECT subject FROM outbox WHERE id = ?", [outcome.outbox_ids[0]]
    ).fetchone()[0]
    assert "2 条提示" in subject


def test_quote_of_another_customer_or_currency_refused(send, masters):
    q = quote(send, customer="C002")
    assert codes(order(send, [m8(300)], quote_no=q)) == [("B9", "customer-mismatch")]
    q2 = quote(send, currency="USD")
    assert codes(order(send, [m8(300)], quote_no=q2)) == [("B13", "currency-mismatch")]


def test_unknown_or_wrong_kind_quote_refused(send, masters):
    assert codes(order(send, quote_no="QUO-2026-00099")) == [("B9", "doc-unknown")]
    other = ok(order(send))
    assert codes(order(send, quote_no=other)) == [("B9", "doc-wrong-kind")]


def test_decided_by_sending_again(send, masters, gw):
    docno = ok(order(send))
    assert gw.ledger.view.document(docno)["header"].get("decision") is None
    declined = decide(send, docno, "拒绝 declined")
    assert codes(declined) == [("B16", "order-decline-needs-reason")]
    assert ok(decide(send, docno, "declined", decline_reason="交期太短")) == docno
    assert gw.ledger.view.document(docno)["header"]["decision"] == "declined"
    assert ok(decide(send, docno, "accepted")) == docno
    assert gw.ledger.view.document(docno)["revision"] == 3


def test_another_salesperson_may_not_decide_but_the_owner_and_a_manager_may(send, masters):
    docno = ok(order(send))
    assert codes(decide(send, docno, "accepted", sender=SALES_EN)) == [("B4", "amend-not-owner")]
    assert decide(send, docno, "accepted", sender=SALES).accepted
    assert decide(send, docno, "accepted", sender=MANAGER).accepted


def test_accepted_order_confirmation_carries_the_contract(send, masters, gw):
    outcome = order(
        send, [m8(100), m8(200), w10(50)], decision="accepted", delivery_date="2026-12-15"
    )
    files = attachments(gw, outcome.outbox_ids[0])
    [(name, data)] = files.items()
    assert name.startswith("contract-")
    rows = sheet_values(data)
    assert rows[7][1] == outcome.docno  # B8 order number
    assert rows[8][1] == "C001"
    # each order line as it is (merging lines of one product once changed prices and totals)
    assert [r[:3] for r in rows[23:27]] == [
        ("P-M8", 100, 1.15),
        ("P-M8", 200, 1.15),
        ("P-W10", 50, 0.15),
        (None, None, None),
    ]


def test_pending_order_confirmation_carries_no_contract(send, masters, gw):
    outcome = order(send)
    assert attachments(gw, outcome.outbox_ids[0]) == {}


def test_order_with_contract_cannot_be_declined_nor_cancelled(send, masters):
    order_no = accepted_order(send)
    con = ok(contract(send, order_no))
    refused = decide(send, order_no, "declined", decline_reason="客户撤单")
    assert codes(refused) == [("B15", "order-has-contract")]
    assert values(refused, "order-has-contract")["contract"] == con
    cancel = send(
        "order", {"docno": order_no, "action": "cancel", "cancel_reason": "x"}, sender=MANAGER
    )
    assert codes(cancel) == [("B5", "cancel-has-dependents")]


def test_order_with_contract_keeps_the_contract_quantities(send, masters):
    order_no = accepted_order(send)
    ok(contract(send, order_no, [m8(250)]))
    refused = decide(send, order_no, "accepted", lines=[m8(200), w10(1200)])
    assert codes(refused) == [("B21", "order-below-contract")]
    assert str(values(refused, "order-below-contract")["contracted"]) == "250"
    assert decide(send, order_no, "accepted", lines=[m8(250), w10(10)]).accepted


# --- contract ---------------------------------------------------------------------------------
def test_contract_only_from_an_accepted_order(send, masters):
    pending = ok(order(send))
    refused = contract(send, pending)
    assert codes(refused) == [("B8", "contract-order-not-accepted")]
    decide(send, pending, "declined", decline_reason="价格")
    assert codes(contract(send, pending)) == [("B8", "contract-order-not-accepted")]
    decide(send, pending, "accepted")
    assert contract(send, pending).accepted


def test_contract_needs_an_existing_active_order(send, masters):
    assert codes(contract(send, "ORD-2026-00042")) == [("B8", "doc-unknown")]
    cancelled = ok(order(send))
    send("order", {"docno": cancelled, "action": "cancel", "cancel_reason": "dup"})
    assert codes(contract(send, cancelled)) == [("B8", "doc-cancelled")]


def test_at_most_one_contract_per_order(send, masters):
    order_no = accepted_order(send)
    first = ok(contract(send, order_no))
    refused = contract(send, order_no)
    assert codes(refused) == [("B8", "contract-order-has-contract")]
    assert values(refused, "contract-order-has-contract")["contract"] == first
    # amending the one contract is not a second contract
    assert contract(send, order_no, docno=first, carrier="顺丰").accepted
    # once it is cancelled, a new contract may be made
    send("contract", {"docno": first, "action": "cancel", "cancel_reason": "重签"})
    assert contract(send, order_no).accepted


def test_contract_differing_from_the_order_is_recorded_with_the_differences(send, masters):
    order_no = accepted_order(send)
    outcome = contract(
        send,
        order_no,
        [
            m8(301),
            {"product_code": "P-W10", "quantity": 10, "unit_price": "0.15"},
            {"product_code": "P-W10", "quantity": 5, "unit_price": "0.15"},
        ],
    )
    assert outcome.accepted
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("B8", "contract-total-differs-from-order", "warning"),
        ("B24", "contract-quantity-differs-from-order", "warning"),
        ("B25", "contract-quantity-differs-from-order", "warning"),
    ]
    assert str(values(outcome, "contract-quantity-differs-from-order")["ordered"]) == "300"


def test_contract_product_not_on_order_is_listed(send, masters):
    order_no = accepted_order(send, [m8(300)])
    outcome = contract(send, order_no, [m8(300), w10(5)])
    assert outcome.accepted
    assert [(p.cell, p.code) for p in outcome.problems] == [
        ("B8", "contract-total-differs-from-order"),
        ("A25", "contract-product-not-on-order"),
    ]


def test_contract_same_customer_and_currency_as_order(send, masters):
    order_no = accepted_order(send)
    assert codes(contract(send, order_no, customer_code="C002")) == [("B8", "customer-mismatch")]
    assert codes(contract(send, order_no, currency="USD")) == [("B13", "currency-mismatch")]


def test_contract_dates(send, masters):
    order_no = accepted_order(send)
    refused = contract(send, order_no, contract_date="2026-11-20", delivery_date="2026-11-19")
    assert codes(refused) == [("B7", "contract-before-order"), ("B11", "date-before")]


def test_contract_after_a_firm_offer_lapsed_is_recorded_with_a_note(send, masters):
    order_no = accepted_order(send, offer_type="firm", valid_until="2026-11-21")
    outcome = contract(send, order_no, contract_date="2026-11-22")
    assert outcome.accepted
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("B7", "contract-after-firm-offer", "warning")
    ]


def test_contract_carries_transport_customs_and_terms(send, masters, gw):
    order_no = accepted_order(send)
    docno = ok(
        contract(
            send,
            order_no,
            trade="出口 export",
            carrier="COSCO",
            transport_mode="海运",
            incoterm="FOB",
            port_of_loading="宁波",
            port_of_discharge="Hamburg",
            customs_declaration_no="310120260001",
            payment_days=45,
        )
    )
    row = gw.ledger.db.execute(
        "SELECT trade, carrier, incoterm, port_of_loading, port_of_discharge, customs_declaration_no, payment_days, "
        "delivery_date FROM contract WHERE docno = ?",
        [docno],
    ).fetchone()
    assert row == ("export", "COSCO", "FOB", "宁波", "Hamburg", "310120260001", 45, "2026-12-10")


def test_contract_confirmation_carries_the_first_notice_with_what_is_left(send, masters, gw):
    con = signed_contract(send)
    ok(notice(send, con, [m8(100, "WH-A")]))
    amended = contract(send, con.replace("CON", "ORD"), docno=con)  # same order number pattern
    assert amended.accepted
    files = attachments(gw, amended.outbox_ids[0])
    [(name, data)] = [(n, d) for n, d in files.items() if not n.startswith("销售合同-")]
    assert name.startswith("shipment_notice-")
    rows = sheet_values(data)
    assert rows[7][1] == con
    assert rows[17][:3] == ("P-M8", 200, 1.15)
    assert rows[18][:3] == ("P-W10", 1200, 0.15)


def test_contract_cannot_drop_below_what_notices_ask(send, masters):
    con = signed_contract(send)
    first = ok(notice(send, con, [m8(100), w10(400)]))
    ok(notice(send, con, [m8(50)]))
    order_no = con.replace("CON", "ORD")
    refused = contract(send, order_no, [m8(149), w10(1200)], docno=con)
    assert [p.flat() for p in refused.problems if p.severity == "error"] == [
        ("B24", "contract-below-noticed")
    ]
    assert str(values(refused, "contract-below-noticed")["noticed"]) == "150"
    removed = contract(send, order_no, [m8(150)], docno=con)
    assert [p.flat() for p in removed.problems if p.severity == "error"] == [
        ("B4", "contract-below-noticed")
    ]
    assert contract(send, order_no, [m8(150), w10(400)], docno=con).accepted
    # a cancelled notice no longer counts
    send("shipment_notice", {"docno": first, "action": "cancel", "cancel_reason": "客户改期"})
    assert contract(send, order_no, [m8(50)], docno=con).accepted


def test_contract_with_notices_cannot_be_cancelled(send, masters):
    con = signed_contract(send)
    ok(notice(send, con, [m8(10)]))
    refused = send("contract", {"docno": con, "action": "cancel", "cancel_reason": "x"})
    assert codes(refused) == [("B5", "cancel-has-dependents")]


def test_order_lines_reach_the_contract_unchanged(send, masters, gw):
    con = signed_contract(send)
    rows = gw.ledger.db.execute(
        "SELECT product_code, quantity, unit_price FROM contract_lines WHERE docno = ? ORDER BY line_no",
        [con],
    ).fetchall()
    assert rows == [(x["product_code"], str(x["quantity"]), x["unit_price"]) for x in ORDER_LINES]


def test_export_contract_without_trade_terms_is_recorded_with_a_note(send, masters):
    order_no = accepted_order(send)
    outcome = contract(send, order_no, trade="export", port_of_loading="宁波")
    assert outcome.accepted
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("B17", "contract-trade-terms-missing", "warning")
    ]
    assert "Incoterm, Port of discharge" in outcome.problems[0].message("en")
    con = outcome.docno
    complete = contract(
        send,
        order_no,
        docno=con,
        trade="export",
        incoterm="FOB",
        port_of_loading="宁波",
        port_of_discharge="Hamburg",
    )
    assert complete.accepted and complete.problems == []


def test_salesperson_hears_the_managers_decision_with_the_contract(send, masters, gw):
    docno = ok(order(send))
    ok(decide(send, docno, "accepted", sender=MANAGER))
    rows = gw.ledger.db.execute(
        "SELECT id, subject FROM outbox WHERE recipient = ? AND purpose = 'order_decided'", [SALES]
    ).fetchall()
    assert [subject for _, subject in rows] == [f"订单 {docno} 已接受（王强）"]
    [(name, data)] = attachments(gw, rows[0][0]).items()
    assert name.startswith("contract-") and sheet_values(data)[7][1] == docno
    # the same decision sent again is not news; the owner deciding herself needs no notice
    ok(decide(send, docno, "accepted", sender=MANAGER, note="加急"))
    ok(decide(send, docno, "declined", sender=SALES, decline_reason="客户撤回"))
    count = gw.ledger.db.execute(
        "SELECT COUNT(*) FROM outbox WHERE purpose = 'order_decided'"
    ).fetchone()[0]
    assert count == 1
    ok(decide(send, docno, "declined", sender=MANAGER, decline_reason="客户撤回", note="x"))
    assert (
        gw.ledger.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE purpose = 'order_decided'"
        ).fetchone()[0]
        == 1
    )
