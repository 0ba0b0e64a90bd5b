"""Quick lookups for sales and service (合同速查, 产品快速查找): plain data from a ``LedgerView``,
so the CLI, the mail gateway's subject commands and the tests all print the same facts.

Prices appear only for people who may see them: a warehouse keeper asking about a product gets
stock, never a price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from silu_sheets import money
from silu_sheets.money import ZERO, dec

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView

#: contract header fields shown as its terms
CONTRACT_TERMS = (
    "contract_date",
    "order_no",
    "delivery_date",
    "payment_days",
    "currency",
    "trade",
    "carrier",
    "transport_mode",
    "incoterm",
    "port_of_loading",
    "port_of_discharge",
    "customs_declaration_no",
)


def find_customers(view: LedgerView, query: str) -> list[dict]:
    """Customers by exact code, else by a part of the name, code or phone (case-insensitive)."""
    query = query.strip()
    if not query:
        return []
    exact = view.customer(query) or view.customer(query.upper())
    if exact:
        return [exact]
    like = f"%{query.lower()}%"
    return view.rows(
        "SELECT * FROM customers WHERE lower(name) LIKE ? OR lower(code) LIKE ? OR phone_digits LIKE ? ORDER BY code",
        [like, like, f"%{query}%"],
    )


def _contract_numbers(view: LedgerView, customer_code: str) -> list[str]:
    return [
        r["docno"]
        for r in view.rows(
            "SELECT docno FROM documents WHERE customer_code = ? AND kind = 'contract' AND status = 'active' ORDER BY docno",
            [customer_code],
        )
    ]


def _notices_of_contract(view: LedgerView, contract_no: str) -> list[str]:
    return [
        r["docno"]
        for r in view.rows(
            "SELECT DISTINCT l.docno FROM links l JOIN documents d ON d.docno = l.docno WHERE l.target = ? "
            "AND l.field = 'contract_no' AND d.kind = 'shipment_notice' AND d.status = 'active' ORDER BY l.docno",
            [contract_no],
        )
    ]


def contract_summary(view: LedgerView, contract_no: str) -> dict | None:
    """One contract: its terms; per line the contract, noticed and issued quantities; per notice
    what the goods issued are worth, what was paid or credited and what is still owed."""
    found = view.document(contract_no)
    if found is None or found["kind"] != "contract":
        return None
    header = found["header"]
    notices = _notices_of_contract(view, contract_no)
    noticed: dict[str, Decimal] = {}
    issued: dict[str, Decimal] = {}
    money_rows: list[dict[str, Any]] = []
    for n in notices:
        for line in money.notice_lines(view, n):
            code = line["product_code"]
            noticed[code] = noticed.get(code, ZERO) + dec(line["quantity"])
            issued[code] = issued.get(code, ZERO) + money.issued(view, n, line["line_no"])
        gross = money.notice_gross(view, n)
        settled = money.notice_settled(view, n)
        money_rows.append(
            {
                "docno": n,
                "issued_value": gross,
                "paid_or_credited": settled,
                "owed": gross - settled,
            }
        )
    names = {
        code: (view.product(code) or {}).get("name") or ""
        for code in {line.get("product_code") or "" for line in found["lines"]}
    }
    lines = [
        {
            "line_no": line.get("line_no"),
            "product_code": line.get("product_code"),
            "name": names.get(line.get("product_code") or "", ""),
            "quantity": dec(line.get("quantity")),
            "unit_price": dec(line.get("unit_price")),
            "noticed": noticed.get(line.get("product_code") or "", ZERO),
            "issued": issued.get(line.get("product_code") or "", ZERO),
        }
        for line in found["lines"]
    ]
    return {
        "docno": contract_no,
        "customer_code": found["customer_code"],
        "status": found["status"],
        "terms": {k: header.get(k) for k in CONTRACT_TERMS if header.get(k) not in (None, "")},
        "lines": lines,
        "notices": money_rows,
        "shipped_value": sum((r["issued_value"] for r in money_rows), ZERO),
        "paid": sum((r["paid_or_credited"] for r in money_rows), ZERO),
        "owed": sum((r["owed"] for r in money_rows), ZERO),
        "fully_shipped": all(x["issued"] >= x["quantity"] for x in lines) if lines else False,
    }


def lookup_contracts(view: LedgerView, query: str) -> list[dict]:
    """Contracts for ``query``: a contract number, or a customer (code, part of its name or
    phone) whose active contracts are listed with terms, shipped and paid state."""
    query = query.strip()
    direct = contract_summary(view, query.upper()) if query else None
    if direct:
        customer = view.customer(direct["customer_code"] or "")
        return [direct | {"customer_name": customer["name"] if customer else ""}]
    out = []
    for customer in find_customers(view, query):
        for number in _contract_numbers(view, customer["code"]):
            summary = contract_summary(view, number)
            if summary:
                out.append(summary | {"customer_name": customer["name"]})
    return out


def lookup_products(
    view: LedgerView, query: str, sees_prices: bool, currency: str | None = None
) -> list[dict]:
    """Products by exact code, else by a part of code, name or spec: code, name, spec, unit, stock
    per warehouse (with lots), and the list price only when ``sees_prices``, in ``currency`` (the
    firm's: the products list names none)."""
    query = query.strip()
    if not query:
        return []
    exact = view.product(query) or view.product(query.upper())
    like = f"%{query.lower()}%"
    products = (
        [exact]
        if exact
        else view.rows(
            "SELECT * FROM products WHERE lower(code) LIKE ? OR lower(name) LIKE ? OR lower(coalesce(spec, '')) LIKE ? ORDER BY code",
            [like, like, like],
        )
    )
    warehouses = [w["code"] for w in view.warehouses()]
    out = []
    for p in products:
        stock = []
        for w in warehouses:
            lots: dict[str, Decimal] = {}
            for r in view.rows(
                "SELECT lot, quantity FROM stock_movements WHERE warehouse = ? AND product_code = ?",
                [w, p["code"]],
            ):
                lots[r["lot"]] = lots.get(r["lot"], ZERO) + dec(r["quantity"])
            held = {lot: q for lot, q in sorted(lots.items()) if q}
            if held:
                stock.append(
                    {
                        "warehouse": w,
                        "on_hand": sum(held.values(), ZERO),
                        "lots": [{"lot": lot, "on_hand": q} for lot, q in held.items()],
                    }
                )
        entry = {
            "code": p["code"],
            "name": p["name"],
            "spec": p.get("spec"),
            "unit": p.get("unit"),
            "stock": stock,
            "on_hand": sum((s["on_hand"] for s in stock), ZERO),
        }
        if sees_prices:
            entry["list_price"] = (
                dec(p["list_price"]) if p.get("list_price") not in (None, "") else None
            )
            entry["currency"] = currency
        out.append(entry)
    return out


def product_answer(found: list[dict], language: str) -> list:
    """Products as a person reads them (PRODUCT, ``silu lookup product``): per product a line
    (code, name, spec, stock, the list price where the reader may see it), then a table of its
    stock by warehouse and lot."""
    from silu_sheets.amounts import money_text
    from silu_sheets.answers import LOT, WAREHOUSE, Column, table
    from silu_sheets.problems import show

    zh = language == "zh"
    stock_columns = (WAREHOUSE, LOT, Column("on_hand", "库存", "On hand", figure=True))
    out: list = []
    for p in found:
        unit = f" {p['unit']}" if p.get("unit") else ""
        name = " ".join(x for x in (p["code"], p.get("name") or "") if x)
        if p.get("spec"):
            name += f"（{p['spec']}）" if zh else f" ({p['spec']})"
        said = [f"库存 {show(p['on_hand'])}{unit}" if zh else f"{show(p['on_hand'])}{unit} on hand"]
        if p.get("list_price") is not None:
            price = money_text(p["list_price"], p.get("currency"))
            said.append(f"标准价 {price}" if zh else f"list price {price}")
        out.append(f"{name}{'：' if zh else ': '}{('，' if zh else ', ').join(said)}")
        rows = [
            {"warehouse": s["warehouse"], "lot": x["lot"], "on_hand": show(x["on_hand"])}
            for s in p.get("stock", [])
            for x in s["lots"]
        ]
        if rows:
            out.append(
                table(stock_columns, rows, language, f"{p['code']} {'库存' if zh else 'stock'}")
            )
    return out


def contract_answer(found: list[dict], language: str) -> list:
    """Contracts as a person reads them (CONTRACT, ``silu lookup contract``): per contract a
    head line, its terms under the form's labels, a table per product (contract, noticed,
    issued, left to notice) and, where the reader sees money, one per notice (worth issued,
    paid or credited, owed)."""
    from silu_sheets.amounts import money_text
    from silu_sheets.answers import CONTRACT_PROGRESS, NAME, PRODUCT, Column, money_owed, table
    from silu_sheets.kinds import KINDS
    from silu_sheets.problems import show

    zh = language == "zh"
    kind = KINDS["contract"]
    term_columns = (Column("term", "条款", "Term"), Column("value", "内容", "Value"))
    line_columns = (PRODUCT, NAME, *CONTRACT_PROGRESS)
    money_columns = (
        Column("docno", "发货单", "Notice"),
        Column("issued_value", "已出库货值", "Worth issued", figure=True),
        Column("paid_or_credited", "已收/冲抵", "Paid or credited", figure=True),
        Column("owed", "尚欠", "Owed", figure=True),
    )
    out: list = []
    for c in found:
        currency = c.get("terms", {}).get("currency")
        customer = " ".join(x for x in (c.get("customer_code"), c.get("customer_name")) if x)
        state = (
            ("已全部出库" if zh else "all issued")
            if c.get("fully_shipped")
            else ("执行中" if zh else "in progress")
        )
        head = f"{customer}，{state}" if zh else f"{customer}, {state}"
        out.append(f"{kind.title(language)} {c['docno']}{'：' if zh else ': '}{head}")
        terms = []
        for key, value in c.get("terms", {}).items():
            f = kind.field(key)
            choice = f.choice(str(value)) if f.choices else None
            terms.append(
                {
                    "term": f.label(language),
                    "value": choice.label(language) if choice else show(value),
                }
            )
        if terms:
            out.append(table(term_columns, terms, language, "合同条款" if zh else "Terms"))
        rows = [
            {
                "product_code": x["product_code"],
                "name": x.get("name") or "",
                "quantity": show(x["quantity"]),
                "noticed": show(x["noticed"]),
                "issued": show(x["issued"]),
                "left_to_notice": show(max(x["quantity"] - x["noticed"], ZERO)),
            }
            for x in c.get("lines", [])
        ]
        out.append(table(line_columns, rows, language, "执行情况" if zh else "Progress"))
        notices = [n for n in c.get("notices", []) if "owed" in n]
        if notices:
            rows = [
                {k: n[k] if k == "docno" else money_text(n[k], currency) for k in n}
                for n in notices
            ]
            owed = money_owed(c["shipped_value"], c["paid"], c["owed"], currency, language)
            caption = f"货款：{owed}" if zh else f"Money: {owed}"
            out.append(table(money_columns, rows, language, caption))
    return out
