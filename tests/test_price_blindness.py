"""The warehouse never sees a price: every message warehouse staff receive, every MIME part of
it, every part of every workbook attached (unzipped: cells, shared strings, hidden sheets, defined
names, comments, document properties) is searched for the prices and amounts sales used, written
the ways people and programs write them. None may be found."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from decimal import Decimal

import pytest
from conftest import MANAGER, SALES, WAREHOUSE_A, WAREHOUSE_B
from fulfilment_flow import notice, ok, slip

from silu_sheets.kinds import KINDS
from silu_sheets.warehouse_copy import safe_text

#: unusual prices so that no quantity, date or style number can look like one by chance
PRICES = {"P-M8": Decimal("7.13"), "P-W10": Decimal("0.287")}
QUANTITIES = {"P-M8": Decimal(150), "P-W10": Decimal(700)}


def written_ways(value: Decimal) -> set[str]:
    """``7.13`` as ``7.13``, ``7.130``, ``7.1300``; ``1069.5`` also as ``1,069.50``, ``1069.50``…"""
    ways = {format(value.normalize(), "f")}
    for places in (2, 3, 4):
        ways.add(f"{value:.{places}f}")
        ways.add(f"{value:,.{places}f}")
    return {w for w in ways if len(w.replace(".", "").replace(",", "").lstrip("0")) >= 3}


def needles() -> set[str]:
    amounts = {p * QUANTITIES[k] for k, p in PRICES.items()}
    values = set(PRICES.values()) | amounts | {sum(amounts, Decimal(0))}
    found: set[str] = set()
    for v in values:
        found |= written_ways(v)
    return found


def test_needles_cover_the_usual_ways():
    found = needles()
    assert {
        "7.13",
        "7.130",
        "0.287",
        "1069.50",
        "1,069.50",
        "1069.5",
        "200.90",
        "1270.40",
        "1,270.40",
    } <= found


def everything_in(raw: bytes) -> list[tuple[str, str]]:
    """(where, text) for every header, every decoded MIME part and every unzipped file part."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    # message ids are random opaque tokens ("<…70.287…@host>" happens by chance); nobody reads them
    opaque = {"message-id", "in-reply-to", "references"}
    found = [(f"header {k}", str(v)) for k, v in msg.items() if k.lower() not in opaque]
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        name = part.get_filename() or part.get_content_type()
        found.append((name, payload.decode("utf-8", "replace")))
        if payload[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(payload)) as z:
                for member in z.namelist():
                    found.append((f"{name}:{member}", z.read(member).decode("utf-8", "replace")))
    return found


@pytest.fixture
def day_of_shipping(send, masters, gw):
    """A contract at the unusual prices shipped in notices from both warehouses, with slips
    accepted, refused, amended and cancelled, a notice amended and one cancelled. The firm prints
    its delivery notes priced, so the keepers' copies of them must drop the prices."""
    gw.firm.settings.setdefault("documents", {})["delivery_note_prices"] = True  # silu.toml
    m8 = {"product_code": "P-M8", "quantity": 150, "unit_price": "7.13"}
    w10 = {"product_code": "P-W10", "quantity": 700, "unit_price": "0.287"}
    quote = ok(
        send(
            "quote",
            {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"},
            [m8, w10],
        )
    )
    order = ok(
        send(
            "order",
            {
                "order_date": "2026-11-21",
                "customer_code": "C001",
                "quote_no": quote,
                "offer_type": "non_firm",
                "decision": "accepted",
            },
            [m8, w10],
        )
    )
    con = ok(
        send(
            "contract",
            {
                "contract_date": "2026-11-22",
                "order_no": order,
                "customer_code": "C001",
                "delivery_date": "2026-12-10",
                "payment_days": 30,
            },
            [m8, w10],
        )
    )
    first = ok(
        notice(
            send,
            con,
            [m8 | {"quantity": 100, "warehouse": "WH-A"}, w10 | {"quantity": 500}],
            ship_to="宁波市北仑区 3 单元",
            note="按单价 7.13 结算，货款 1069.50 元",
        )
    )
    second = ok(
        notice(
            send,
            con,
            [
                m8 | {"quantity": 50, "warehouse": "WH-B", "lot": "L2026-031"},
                w10 | {"quantity": 200, "warehouse": "WH-B"},
            ],
            note="轻拿轻放",
        )
    )
    ok(
        notice(
            send,
            con,
            [m8 | {"quantity": 100, "warehouse": "WH-A"}, w10 | {"quantity": 450}],
            docno=first,
        )
    )
    issued = ok(
        slip(
            send,
            first,
            "WH-A",
            [
                {"product_code": "P-M8", "lot": "L2026-007", "quantity": 100},
                {"product_code": "P-W10", "quantity": 300},
            ],
        )
    )
    refused = slip(
        send,
        second,
        "WH-B",
        [
            {"product_code": "P-M8", "lot": "L2026-007", "quantity": 60},
            {"product_code": "P-W10", "quantity": 250},
        ],
    )
    assert not refused.accepted
    ok(
        slip(
            send,
            second,
            "WH-B",
            [
                {"product_code": "P-M8", "lot": "L2026-031", "quantity": 50},
                {"product_code": "P-W10", "quantity": 200},
            ],
        )
    )
    ok(
        slip(
            send,
            first,
            "WH-A",
            [
                {"product_code": "P-M8", "lot": "L2026-007", "quantity": 90},
                {"product_code": "P-W10", "quantity": 300},
            ],
            docno=issued,
        )
    )
    ok(
        send(
            "issue_slip",
            {"docno": issued, "action": "cancel", "cancel_reason": "重录"},
            sender=WAREHOUSE_A,
        )
    )
    spare = ok(notice(send, con, [w10 | {"quantity": 50, "warehouse": "WH-A"}]))
    ok(
        send(
            "shipment_notice",
            {"docno": spare, "action": "cancel", "cancel_reason": "客户不要了"},
            sender=MANAGER,
        )
    )
    return gw


def test_nothing_the_warehouse_receives_holds_a_price(day_of_shipping):
    gw = day_of_shipping
    rows = gw.ledger.db.execute(
        "SELECT recipient, purpose, message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE recipient IN (?, ?) ORDER BY id",
        [WAREHOUSE_A, WAREHOUSE_B],
    ).fetchall()
    purposes = {purpose for _, purpose, _ in rows}
    assert {"warehouse_copy", "confirmation", "rejection"} <= purposes
    notes = [
        where
        for _, purpose, raw in rows
        if purpose == "confirmation"
        for where, _ in everything_in(raw)
        if where.startswith("送货单-ISS-") and where.endswith(".xlsx")
    ]
    assert len(notes) >= 3  # each keeper's slip confirmation carries its delivery note
    assert len(rows) >= 9
    parts = 0
    for recipient, purpose, raw in rows:
        for where, text in everything_in(raw):
            parts += 1
            for needle in needles():
                assert needle not in text, f"{needle!r} reached {recipient} in {purpose} / {where}"
            for word in ("单价", "Unit price", "金额", "货款", "结余", "Balance"):
                assert word not in text, f"{word!r} reached {recipient} in {purpose} / {where}"
    assert parts > 100  # the workbooks were opened, not just the mail text


def test_the_prices_are_there_for_sales(day_of_shipping):
    """The search finds prices where they belong: the same search over what sales receives is
    not empty, so the test above could fail."""
    gw = day_of_shipping
    rows = gw.ledger.db.execute(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE recipient = ?",
        [SALES],
    ).fetchall()
    seen = {
        needle
        for (raw,) in rows
        for _, text in everything_in(raw)
        for needle in needles()
        if needle in text
    }
    assert "7.13" in seen or "0.287" in seen


def test_sales_notes_about_money_are_withheld_from_the_warehouse(day_of_shipping):
    gw = day_of_shipping
    texts = [
        text
        for (raw,) in gw.ledger.db.execute(
            "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE recipient = ? AND purpose = 'warehouse_copy'",
            [WAREHOUSE_A],
        ).fetchall()
        for where, text in everything_in(raw)
        if where == "text/plain"
    ]
    assert any("销售的这条说明未转给仓库" in t for t in texts)
    assert any("宁波市北仑区 3 单元" in t for t in texts)  # an address is passed on as is
    b_texts = [
        text
        for (raw,) in gw.ledger.db.execute(
            "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE recipient = ? AND purpose = 'warehouse_copy'",
            [WAREHOUSE_B],
        ).fetchall()
        for where, text in everything_in(raw)
        if where == "text/plain"
    ]
    assert any("说明：轻拿轻放" in t for t in b_texts)


@pytest.mark.parametrize(
    ("note", "withheld"),
    [
        ("按 7.13 结算", True),
        ("共 1,069.50", True),
        ("USD terms", True),
        ("price as agreed", True),
        ("每箱 150 个", False),
        ("3 单元 2 楼", False),
        ("", False),
    ],
)
def test_safe_text(note, withheld):
    secret = {Decimal("7.13"), Decimal("1069.5")}
    assert (safe_text(note, secret, "zh") != note) is withheld


def filled(kind):
    """A document of ``kind`` with every field filled, the prices and amounts of this module in
    every money field and written into every free text, as a careless sender might."""
    import datetime as dt

    from silu_sheets.document import Document, Line

    def value(f):
        if f.priced:
            return PRICES["P-M8"]
        return {
            "cost": Decimal("3.5"),  # a handling cost is the warehouse's own, not a price
            "quantity": QUANTITIES["P-M8"],
            "integer": 3,
            "date": dt.date(2026, 11, 26),
            "bool": True,
            "choice": f.choices[0].key if f.choices else None,
            "code": "P-M8",
            "docno": "SN-2026-00001",
            "email": SALES,
            "phone": "021-5555 1234",
        }.get(f.type, "单价 7.13 元，货款 1069.50")

    header = {f.key: value(f) for f in kind.header if f.key not in ("docno", "action")}
    lines = []
    if kind.lines:
        first = kind.layout.first_line_row or 1
        lines = [Line(1, first, {c.key: value(c) for c in kind.lines.columns})]
    return Document(kind, header, lines)


@pytest.mark.parametrize("kind_key", [k for k, kind in KINDS.items() if not kind.master], ids=str)
def test_a_keepers_copy_of_any_kind_holds_no_price(kind_key, firm):
    """Every document kind, on its own: the keeper's copy built from its declaration (a new
    kind is walked without anyone adding it here) carries none of the prices or amounts."""
    from silu_sheets.replies import as_mail
    from silu_sheets.warehouse_copy import document_copies

    roster = firm.roster()
    copies = document_copies(filled(KINDS[kind_key]), "T-2026-00001", "record", "WH-A", roster,
                             "admin@firm.test")  # fmt: skip
    assert copies, "the keeper of WH-A gets a copy"
    for reply in copies:
        raw = as_mail(reply, "forms@firm.test", "Firm")
        for where, text in everything_in(raw):
            for needle in needles() | {"7.13"}:
                assert needle not in text, f"{needle!r} in {kind_key}'s copy, {where}"
