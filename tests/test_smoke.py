from conftest import ADMIN, SALES, codes


def test_masters_then_inquiry_recorded(send, masters, gw):
    outcome = send(
        "inquiry",
        {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话 phone"},
        [{"product_code": "P-M8", "quantity": "１２"}],
    )
    assert outcome.accepted, outcome.as_dict("en")
    assert outcome.docno == "INQ-2026-00001"
    assert gw.ledger.view.document("INQ-2026-00001")["customer_code"] == "C001"


def test_unknown_product_refused_with_cell(send, masters):
    outcome = send(
        "inquiry",
        {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "phone"},
        [{"product_code": "P-NOPE"}],
        sender=SALES,
    )
    assert not outcome.accepted
    assert codes(outcome) == [("A21", "product-unknown")]


def test_warehouse_may_not_send_masters(send):
    outcome = send("customers", {}, [{"code": "X", "name": "Y"}], sender="zhao.lei@firm.test")
    assert codes(outcome) == [(None, "sender-not-allowed")]
    assert ADMIN
