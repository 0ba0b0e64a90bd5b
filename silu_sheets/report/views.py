"""The SQL views the summary workbook is built from, over the ledger's own tables and the open
items. They are TEMP views on a read-only connection: the report never writes to the ledger and
needs no migration, and each one can be pasted into any SQLite browser to check a figure.

Exact arithmetic in SQL: decimal text ("1.15") becomes an integer in fixed units (quantities in
thousandths, prices and amounts in ten-thousandths), so a line's value is an exact integer in
10^-7 of the currency and sums never go through binary floats. Only documents whose
``documents.status`` is ``active`` count (a cancelled one is in the ledger but not in any figure).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: places of the fixed units: quantities (thousandths), money (ten-thousandths), value = q × p
QTY_PLACES, MONEY_PLACES, VALUE_PLACES = 3, 4, 7


def scaled(q: str, places: int) -> str:
    """SQL for decimal text ``q`` (signed, NULL or '' are 0) as an integer in 10^-places units."""
    digits = f"ltrim(COALESCE({q}, ''), '-+')"
    point = f"instr({digits}, '.')"
    whole = f"CAST(CASE WHEN {point} > 0 THEN substr({digits}, 1, {point} - 1) ELSE {digits} END AS INTEGER)"
    part = (
        f"CASE WHEN {point} > 0 THEN CAST(substr(substr({digits}, {point} + 1) || '{'0' * places}', 1, {places})"
        " AS INTEGER) ELSE 0 END"
    )
    sign = f"(CASE WHEN substr(COALESCE({q}, ''), 1, 1) = '-' THEN -1 ELSE 1 END)"
    return f"({sign} * ({whole} * {10**places} + {part}))"


def qty(q: str) -> str:
    return scaled(q, QTY_PLACES)


def money(q: str) -> str:
    """An amount in 10^-7 units, the unit of line values (quantity × price)."""
    return f"({scaled(q, MONEY_PLACES)} * {10 ** (VALUE_PLACES - MONEY_PLACES)})"


def _active(alias: str) -> str:
    return f"JOIN documents d_{alias} ON d_{alias}.docno = {alias}.docno AND d_{alias}.status = 'active'"


def view_sql(currency: str) -> dict[str, str]:
    """Every view by name. ``currency`` is the firm's default, for documents that name none."""
    cur = currency.replace("'", "")

    def currency_of(expr: str) -> str:
        return f"COALESCE(NULLIF(upper(trim({expr})), ''), '{cur}')"

    def line_totals(table: str, price: str | None) -> str:
        value = f"SUM({qty('quantity')} * {scaled(price, MONEY_PLACES)})" if price else "NULL"
        return (
            f"(SELECT docno, {value} AS value, SUM({qty('quantity')}) AS quantity "
            f'FROM "{table}" GROUP BY docno)'
        )

    def kind(
        key: str,
        day: str,
        *,
        lines: str | None = None,
        price: str | None = None,
        currency_col: str | None = None,
        value: str | None = None,
        warehouse: str = "NULL",
        customer: str = "t.customer_code",
        salesperson: str = "t.salesperson",
        extra_join: str = "",
        quantity: str | None = None,
        detail: str = "NULL",
    ) -> str:
        join = f"LEFT JOIN {line_totals(lines, price)} v ON v.docno = t.docno" if lines else ""
        value_sql = value or ("v.value" if lines and price else "NULL")
        quantity_sql = quantity or ("v.quantity" if lines else "NULL")
        currency_sql = currency_of(currency_col) if currency_col else "NULL"
        return (
            f"SELECT '{key}' AS kind, t.docno, t.{day} AS day, {customer} AS customer_code, "
            f"{salesperson} AS salesperson, {warehouse} AS warehouse, {currency_sql} AS currency, "
            f"{value_sql} AS value, {quantity_sql} AS quantity, {detail} AS detail "
            f'FROM "{key}" t {_active("t")} {join} {extra_join}'
        )

    # a contract's notices (replacement notices aside) and their lines, for what was noticed and issued
    notices = (
        f"FROM shipment_notice n {_active('n')} JOIN shipment_notice_lines x ON x.docno = n.docno "
    )
    documents = "\nUNION ALL\n".join(
        [
            kind("inquiry", "inquiry_date", lines="inquiry_lines", detail="t.likelihood"),
            kind("follow_up", "follow_up_date", detail="t.result"),
            kind(
                "quote",
                "quote_date",
                lines="quote_lines",
                price="unit_price",
                currency_col="t.currency",
            ),
            kind("sample", "send_date", lines="sample_lines"),
            kind(
                "order",
                "order_date",
                lines="order_lines",
                price="unit_price",
                currency_col="t.currency",
                detail="t.decision",
            ),
            kind(
                "contract",
                "contract_date",
                lines="contract_lines",
                price="unit_price",
                currency_col="t.currency",
            ),
            kind(
                "shipment_notice",
                "notice_date",
                lines="shipment_notice_lines",
                price="unit_price",
                currency_col="t.currency",
            ),
            kind(
                "issue_slip",
                "issue_date",
                warehouse="t.warehouse",
                customer="n.customer_code",
                salesperson="n.salesperson",
                currency_col="n.currency",
                value="s.value",
                extra_join=(
                    "LEFT JOIN shipment_notice n ON n.docno = t.notice_no "
                    "LEFT JOIN report_slip_values s ON s.docno = t.docno"
                ),
                quantity="s.quantity",
            ),
            kind(
                "payment",
                "payment_date",
                currency_col="t.currency",
                detail="t.payment_type",
                value=f"CASE WHEN t.payment_type = 'apply_balance' THEN a.applied ELSE {money('t.amount')} END",
                extra_join=(
                    f"LEFT JOIN (SELECT docno, SUM({money('applied')}) AS applied FROM payment_lines "
                    "GROUP BY docno) a ON a.docno = t.docno"
                ),
            ),
            kind(
                "sales_return",
                "return_date",
                lines="sales_return_lines",
                currency_col="t.currency",
                detail="t.money_disposition",
                value=f"CASE WHEN COALESCE(t.agreed_amount, '') = '' THEN NULL ELSE {money('t.agreed_amount')} END",
            ),
            kind(
                "return_inbound",
                "inbound_date",
                lines="return_inbound_lines",
                warehouse="t.warehouse",
                customer="r.customer_code",
                salesperson="r.salesperson",
                extra_join="LEFT JOIN sales_return r ON r.docno = t.return_no",
            ),
            kind("service", "service_date", lines="service_lines"),
        ]
    )
    return {
        # what each issue slip's goods are worth at its notice's prices
        "report_slip_values": (
            f"SELECT s.docno, SUM({qty('s.quantity')} * {scaled('n.unit_price', MONEY_PLACES)}) AS value, "
            f"SUM({qty('s.quantity')}) AS quantity, SUM({qty('s.damaged_quantity')}) AS damaged "
            "FROM issue_slip_lines s JOIN issue_slip i ON i.docno = s.docno "
            "LEFT JOIN shipment_notice_lines n ON n.docno = i.notice_no AND n.line_no = s.notice_line "
            "GROUP BY s.docno"
        ),
        # one row per active document: its business date, customer, salesperson, value, quantity
        "report_documents": documents,
        # each follow-up with the date it was due: the inquiry's first follow-up date, then the
        # next date the previous follow-up set; late when recorded after that date
        "report_follow_ups": (
            "SELECT f.docno, f.inquiry_no, f.follow_up_date AS day, f.result, "
            "COALESCE(i.salesperson, f.salesperson) AS salesperson, "
            "CASE WHEN ROW_NUMBER() OVER w = 1 THEN i.next_follow_up "
            "ELSE LAG(f.next_follow_up) OVER w END AS due_on "
            f"FROM follow_up f {_active('f')} LEFT JOIN inquiry i ON i.docno = f.inquiry_no "
            "WINDOW w AS (PARTITION BY f.inquiry_no ORDER BY f.follow_up_date, f.docno)"
        ),
        # contract ← accepted order ← quote ← inquiry, for conversion and days to contract
        "report_contract_chain": (
            "SELECT c.docno AS contract_no, c.contract_date, c.customer_code, c.salesperson, "
            "o.docno AS order_no, q.docno AS quote_no, i.docno AS inquiry_no, i.inquiry_date "
            f"FROM contract c {_active('c')} "
            'LEFT JOIN "order" o ON o.docno = c.order_no '
            "LEFT JOIN quote q ON q.docno = o.quote_no "
            "LEFT JOIN inquiry i ON i.docno = q.inquiry_no"
        ),
        # per contract and product: contracted, noticed (replacements aside) and issued quantity
        "report_contract_fulfilment": (
            f"WITH cl AS (SELECT docno, product_code, SUM({qty('quantity')}) AS q FROM contract_lines "
            "GROUP BY docno, product_code), "
            f"nl AS (SELECT n.contract_no, x.product_code, SUM({qty('x.quantity')}) AS q {notices}"
            "WHERE COALESCE(n.replaces_return, '') = '' GROUP BY 1, 2), "
            f"il AS (SELECT n.contract_no, x.product_code, -SUM({qty('m.quantity')}) AS q {notices}"
            "JOIN stock_movements m ON m.against = x.docno AND m.against_line = x.line_no "
            "AND m.movement IN ('issue', 'reversal') WHERE COALESCE(n.replaces_return, '') = '' GROUP BY 1, 2) "
            "SELECT c.docno AS contract_no, c.contract_date, c.customer_code, c.salesperson, c.delivery_date, "
            "cl.product_code, cl.q AS contracted, nl.q AS noticed, il.q AS issued "
            f"FROM contract c {_active('c')} JOIN cl ON cl.docno = c.docno "
            "LEFT JOIN nl ON nl.contract_no = c.docno AND nl.product_code = cl.product_code "
            "LEFT JOIN il ON il.contract_no = c.docno AND il.product_code = cl.product_code"
        ),
        # on-hand stock per warehouse, product and lot, with the lot's expiry date
        "report_stock": (
            "SELECT s.warehouse, w.name AS warehouse_name, s.product_code, p.name AS product_name, "
            "p.unit, s.lot, l.production_date, l.expiry_date, s.on_hand_milli AS on_hand "
            "FROM stock_on_hand s LEFT JOIN warehouses w ON w.code = s.warehouse "
            "LEFT JOIN products p ON p.code = s.product_code "
            "LEFT JOIN lots l ON l.product_code = s.product_code AND l.lot = s.lot "
            "WHERE s.on_hand_milli != 0"
        ),
    }


#: views read by several sheets, worked out once per report into a temporary table (indexed)
MATERIALISED = {"report_slip_values": ("docno",), "report_documents": ("day", "docno", "kind")}


def connect(path: Path | str, currency: str) -> sqlite3.Connection:
    """A read-only connection to the ledger file with the report views in place. The ledger is
    read in one transaction, so every sheet sees the same moment even while forms are recorded."""
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA temp_store=FILE")  # the temporary tables on disk, not in memory
    conn.execute("BEGIN")
    for name, sql in view_sql(currency).items():
        if name in MATERIALISED:
            conn.execute(f"CREATE TEMP TABLE {name} AS {sql}")
            for column in MATERIALISED[name]:
                conn.execute(f"CREATE INDEX temp.{name}_{column} ON {name} ({column})")
        else:
            conn.execute(f"CREATE TEMP VIEW {name} AS {sql}")
    return conn


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]
        ).fetchone()
        is not None
    )
