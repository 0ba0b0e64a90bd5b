"""The customer's signed delivery receipt (客户签收单), the thirteenth kind: against an issue slip,
never more than each slip line issued less earlier receipts, the slip never amended below what was
signed for; by the contract's salesperson or a manager; the keeper gets a price-free copy; status
of the slip, notice and contract shows what was signed for; damaged goods come back as a
pre-filled sales return. Real forms through the real pipeline."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile

import pytest
from conftest import MANAGER, SALES, SALES_EN, WAREHOUSE_A
from fulfilment_flow import m8, notice, ok, signed_contract, slip
from openpyxl import load_workbook
from tables import table_rows

from silu_sheets.status import document_status, render_status, status_blocks

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session


@pytest.fixture
def issued(send, masters) -> dict:
    """Contract → notice (P-M8 100 @ 1.15 from WH-A lot L2026-007) → slip of 60."""
    con = signed_contract(send)
    sn = ok(notice(send, con, [m8(100, "WH-A", "L2026-007")]))
    iss = ok(slip(send, sn, "WH-A", [{"notice_line": 1, "product_code": "P-M8",
                                      "lot": "L2026-007", "quantity": 60}]))  # fmt: skip
    return {"contract": con, "notice": sn, "slip": iss}


def receipt(send, slip_no, lines, sender=SALES, **more):
    header = {"receipt_date": "2026-11-26", "slip_no": slip_no, "signed_by": "王经理"} | more
    return send("delivery_receipt", header, lines, sender=sender)


def refusals(outcome):
    assert not outcome.accepted
    return [(p.code, p.field, p.line) for p in outcome.problems if p.severity == "error"]


def mails(gw, purpose=None, recipient=None):
    rows = gw.ledger.db.execute(
        "SELECT recipient, purpose, message FROM outbox JOIN outbox_messages ON outbox_id = id ORDER BY id"
    )
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for to, why, raw in rows
        if (purpose is None or why == purpose) and (recipient is None or to == recipient)
    ]


def test_signed_within_what_the_slip_issued(gw, send, issued):
    line = {"slip_line": 1, "product_code": "P-M8", "received_quantity": 55, "damaged_quantity": 5}
    first = ok(receipt(send, issued["slip"], [line]))
    again = receipt(send, issued["slip"], [{"product_code": "P-M8", "received_quantity": 1}])
    assert refusals(again) == [("receipt-exceeds-slip", "received_quantity", 1)]
    values = {k: str(v) for k, v in again.problems[0].values.items()}
    assert (values["left"], values["issued"], values["signed"], values["given"]) == (
        "0",
        "60",
        "60",
        "1",
    )
    # the slip amended below what was signed for is refused at its quantity cell
    lower = slip(send, issued["notice"], "WH-A", [{"notice_line": 1, "product_code": "P-M8",
                 "lot": "L2026-007", "quantity": 50}], docno=issued["slip"])  # fmt: skip
    assert refusals(lower) == [("issue-below-signed", "quantity", 1)]
    # nor cancelled while the receipt stands; cancel the receipt, then the slip may go
    cancel = {"docno": issued["slip"], "action": "cancel", "cancel_reason": "错单"}
    assert refusals(send("issue_slip", cancel, sender=WAREHOUSE_A)) == [
        ("cancel-has-dependents", "action", None)
    ]
    ok(send("delivery_receipt", {"docno": first, "action": "cancel", "cancel_reason": "重签"}))
    ok(send("issue_slip", cancel, sender=WAREHOUSE_A))
    # a receipt of a cancelled slip is refused
    late = receipt(send, issued["slip"], [{"product_code": "P-M8", "received_quantity": 1}])
    assert refusals(late) == [("doc-cancelled", "slip_no", None)]


def test_only_the_contracts_salesperson_or_a_manager(send, issued):
    line = [{"product_code": "P-M8", "received_quantity": 10}]
    assert refusals(receipt(send, issued["slip"], line, sender=SALES_EN)) == [
        ("receipt-not-salesperson", "slip_no", None)
    ]
    assert receipt(send, issued["slip"], line, sender=MANAGER).accepted
    assert refusals(receipt(send, issued["slip"], line, sender=WAREHOUSE_A)) == [
        ("sender-not-allowed", None, None)
    ]


def test_keeper_copy_has_no_price_and_damaged_goods_come_back_as_a_return(gw, send, issued):
    line = {"slip_line": 1, "product_code": "P-M8", "received_quantity": 55, "damaged_quantity": 5}
    ok(receipt(send, issued["slip"], [line], note="单价 1.15 照旧"))
    [copy] = mails(gw, "warehouse_copy", WAREHOUSE_A)[-1:]
    [part] = list(copy.iter_attachments())
    data = part.get_content()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        everything = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    assert "1.15" not in everything and "1.15" not in copy.get_body().get_content()
    assert "55" in everything  # the quantities are there
    [confirmation] = mails(gw, "confirmation", SALES)[-1:]
    [returned] = [a for a in confirmation.iter_attachments() if "sales_return" in a.get_filename()]
    sheet = load_workbook(io.BytesIO(returned.get_content())).worksheets[0]
    cells = {c.value for row in sheet.iter_rows() for c in row if c.value is not None}
    assert issued["notice"] in cells and 5 in cells


def test_status_of_slip_notice_and_contract_shows_what_was_signed_for(gw, send, issued):
    line = {"product_code": "P-M8", "received_quantity": 55, "damaged_quantity": 5}
    dlv = ok(receipt(send, issued["slip"], [line]))
    view = gw.ledger.view
    for key, line_key in (("slip", 1), ("notice", 1), ("contract", "P-M8")):
        found = document_status(view, issued[key])
        section = found["sections"]["delivery_receipt"]
        assert section["receipts"] == [dlv]
        assert section["signed"] == [{"line": line_key, "received": "55", "damaged": "5"}]
        # a table in the reader's words: one row per line signed for
        assert table_rows(status_blocks(found, "zh"), "客户签收") == [
            {"出库单行" if key == "slip" else "发货单行" if key == "notice" else "产品": str(line_key),
             "实收": "55", "破损": "5"}
        ]  # fmt: skip
        assert "Signed for" in render_status(found, "en")


def test_a_firm_whose_roles_name_the_kind_decides(gw, send, issued, firm):
    """roles.toml written before the kind existed lets the declared senders send it; a firm
    that names it in roles.toml decides who may."""
    from silu_sheets.roster import load

    assert gw.roster.may_send(gw.roster.find(SALES), "delivery_receipt")
    roles = firm.root / "inbox_rules" / "roles.toml"
    text = roles.read_text(encoding="utf-8").replace(
        '"customers", "products"]', '"customers", "products", "delivery_receipt"]'
    )
    roles.write_text(text, encoding="utf-8")
    roster = load(firm.root / "inbox_rules")
    assert roster.may_send(roster.find(MANAGER), "delivery_receipt")
    assert not roster.may_send(roster.find(SALES), "delivery_receipt")


def test_the_example_roles_say_what_the_declarations_say(firm):
    """Who may send a kind is declared with the kind; the example roles.toml repeats it (a firm
    edits it to decide otherwise)."""
    from silu_sheets.kinds import KINDS

    roster = firm.roster()
    for key, role in roster.roles.items():
        if key == "manager":
            continue
        declared = {k for k, kind in KINDS.items() if key in kind.senders}
        assert set(role.may_send) == declared - {"delivery_receipt"}, key


def test_the_confirmation_says_the_keeper_got_a_copy_only_when_one_was_sent(
    gw, send, issued, monkeypatch
):
    line = [{"product_code": "P-M8", "received_quantity": 10}]
    ok(receipt(send, issued["slip"], line))
    [sent] = mails(gw, "confirmation", SALES)[-1:]
    assert "仓库已收到本签收单副本" in sent.get_body(("plain",)).get_content()
    copies = len(mails(gw, "warehouse_copy"))
    for address, person in list(gw.roster.staff.items()):
        if "WH-A" in person.warehouses:  # no keeper of the slip's warehouse on the roster
            monkeypatch.delitem(gw.roster.staff, address)
    ok(receipt(send, issued["slip"], line))
    assert len(mails(gw, "warehouse_copy")) == copies
    [unsent] = mails(gw, "confirmation", SALES)[-1:]
    assert "仓库已收到" not in unsent.get_body(("plain",)).get_content()
