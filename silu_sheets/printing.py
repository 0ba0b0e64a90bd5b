"""Documents a firm hands its customers, built from the ledger: quote (报价单), sales contract
(销售合同), delivery note (送货单) and customer statement (对账单).

Each is a ``Printout``: plain values (letterhead, parties, facts, a table, totals, clauses,
signature blocks) that ``workbook/printout.py`` lays out on an A4 sheet. The amounts a customer
reads are in the currency's decimals, and a CNY total is also written in capitals (大写金额),
as Chinese paperwork expects. The warehouse never receives any of these: they carry prices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from silu_sheets.amounts import as_decimal, capitals, money_text, rounded

if TYPE_CHECKING:
    from silu_sheets.firm import FirmFolder
    from silu_sheets.ledger.store import LedgerView

ZERO = Decimal(0)


class Letterhead(NamedTuple):
    """The firm as its paper shows it, from ``[firm]`` in silu.toml."""

    name: str
    address: str = ""
    phone: str = ""
    tax_number: str = ""
    bank: str = ""
    bank_account: str = ""
    logo: Path | None = None

    @staticmethod
    def of(folder: FirmFolder) -> Letterhead:
        f = folder.settings.get("firm", {})
        logo = f.get("logo")
        return Letterhead(
            name=folder.firm.name,
            address=f.get("address", ""),
            phone=f.get("phone", ""),
            tax_number=f.get("tax_number", ""),
            bank=f.get("bank", ""),
            bank_account=f.get("bank_account", ""),
            logo=(folder.root / logo) if logo else None,
        )

    def contact_line(self) -> str:
        parts = [
            f"地址 Address：{self.address}" if self.address else "",
            f"电话 Tel：{self.phone}" if self.phone else "",
            f"税号 Tax No.：{self.tax_number}" if self.tax_number else "",
        ]
        return "    ".join(p for p in parts if p)

    def bank_line(self) -> str:
        parts = [
            f"开户行 Bank：{self.bank}" if self.bank else "",
            f"账号 Account：{self.bank_account}" if self.bank_account else "",
        ]
        return "    ".join(p for p in parts if p)


class Column(NamedTuple):
    key: str
    zh: str
    en: str
    #: text, quantity, money or date: how the cell is written and aligned
    type: str = "text"


class Printout(NamedTuple):
    """One customer-ready document as values; the workbook layer only lays it out."""

    key: str
    zh: str
    en: str
    docno: str
    currency: str
    letterhead: Letterhead
    #: side-by-side blocks, e.g. 卖方 Seller / 买方 Buyer: (title, [(label, value), …])
    parties: Sequence[tuple[str, list[tuple[str, str]]]] = ()
    #: label and value pairs, two to a row
    facts: Sequence[tuple[str, str]] = ()
    columns: Sequence[Column] = ()
    rows: Sequence[dict[str, Any]] = ()
    #: rows after the lines: the label and the values of some columns (totals, balances)
    totals: Sequence[tuple[str, dict[str, Any]]] = ()
    #: the amount written in capitals below the table (CNY only)
    in_words: tuple[str, Decimal] | None = None
    clauses: Sequence[str] = ()
    #: side-by-side signature blocks: (title, [lines])
    signatures: Sequence[tuple[str, list[str]]] = ()
    #: lines per printed page (a picking list); None lets the page fill
    rows_per_page: int | None = None

    @property
    def sheet(self) -> str:
        return self.zh


def _party(view: LedgerView, code: str | None) -> list[tuple[str, str]]:
    c = (view.customer(code) if code else None) or {}
    pairs = [
        ("名称 Name", c.get("name") or code or ""),
        ("客户编号 Code", code or ""),
        ("联系人 Contact", c.get("contact_person") or ""),
        ("电话 Tel", c.get("phone") or ""),
        ("地址 Address", c.get("address") or ""),
    ]
    return [(k, v) for k, v in pairs if v]


def _seller(head: Letterhead) -> list[tuple[str, str]]:
    pairs = [
        ("名称 Name", head.name),
        ("地址 Address", head.address),
        ("电话 Tel", head.phone),
        ("税号 Tax No.", head.tax_number),
        ("开户行 Bank", head.bank),
        ("账号 Account", head.bank_account),
    ]
    return [(k, v) for k, v in pairs if v]


#: what a delivery note says of the firm that sends the goods
SHIPPER = ("名称 Name", "地址 Address", "电话 Tel")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _person(address: str | None, people: Mapping[str, str] | None) -> str:
    """A salesperson as the customer should read them: name and address, not the address alone."""
    name = (people or {}).get(address or "")
    return f"{name} {address}" if name and address else _text(address)


LINE_NO = Column("line_no", "序号", "No.", "text")
CODE = Column("product_code", "产品编号", "Code")
PRODUCT = Column("product", "品名规格", "Product")
UNIT = Column("unit", "单位", "Unit")
QUANTITY = Column("quantity", "数量", "Qty", "quantity")
UNIT_PRICE = Column("unit_price", "单价", "Unit price", "money")
AMOUNT = Column("amount", "金额", "Amount", "money")
NOTE = Column("note", "备注", "Note")
#: a quote's and a contract's lines
LINE_COLUMNS = [LINE_NO, CODE, PRODUCT, UNIT, QUANTITY, UNIT_PRICE, AMOUNT, NOTE]


def _priced_rows(
    view: LedgerView, lines: list[dict], currency: str
) -> tuple[list[dict], Decimal, Decimal]:
    """The table rows of a priced document, its quantity total and its amount total."""
    rows, quantity, total = [], ZERO, ZERO
    products = view.products(line.get("product_code") or "" for line in lines)
    for i, line in enumerate(lines, start=1):
        product = products.get(line.get("product_code") or "") or {}
        qty = as_decimal(line.get("quantity"))
        price = as_decimal(line.get("unit_price"))
        amount = rounded(qty * price, currency)
        rows.append(
            {
                "line_no": i,
                "product_code": line.get("product_code") or "",
                "product": " ".join(x for x in (product.get("name"), product.get("spec")) if x),
                "unit": product.get("unit") or "",
                "quantity": qty,
                "unit_price": price,
                "amount": amount,
                "note": _text(line.get("note")),
            }
        )
        quantity += qty
        total += amount
    return rows, quantity, total


def _in_words(total: Decimal, currency: str) -> tuple[str, Decimal] | None:
    return (capitals(total), total) if currency == "CNY" else None


def quote(
    view: LedgerView,
    docno: str,
    head: Letterhead,
    default_currency: str,
    people: Mapping[str, str] | None = None,
    read: dict | None = None,
) -> Printout:
    doc = _document(view, docno, "quote", read)
    h = doc["header"]
    cur = (h.get("currency") or default_currency).upper()
    rows, qty, total = _priced_rows(view, doc["lines"], cur)
    return Printout(
        "quote",
        "报价单",
        "Quotation",
        docno,
        cur,
        head,
        parties=[("报价方 From", _seller(head)), ("客户 To", _party(view, h.get("customer_code")))],
        facts=[
            ("报价日期 Date", _text(h.get("quote_date"))),
            ("有效期至 Valid until", _text(h.get("valid_until"))),
            ("币种 Currency", cur),
            ("业务员 Salesperson", _person(h.get("salesperson") or doc.get("owner"), people)),
            ("付款条件 Payment", _text(h.get("payment_terms"))),
            ("交货条件 Delivery", _text(h.get("delivery_terms"))),
        ],
        columns=LINE_COLUMNS,
        rows=rows,
        totals=[("合计 Total", {"quantity": qty, "amount": total})],
        in_words=_in_words(total, cur),
        clauses=[
            c
            for c in (
                f"本报价有效期至 {h.get('valid_until')}（含当天）。This quotation is valid until "
                f"{h.get('valid_until')} inclusive.",
                f"备注 Note：{h['note']}" if h.get("note") else "",
            )
            if c
        ],
        signatures=[
            ("报价方（盖章）Quoted by (seal)", ["签字 Signature：", "日期 Date："]),
            ("客户确认（盖章）Accepted by (seal)", ["签字 Signature：", "日期 Date："]),
        ],
    )


TRADE_WORDS = {"domestic": "内贸 domestic", "export": "出口 export", "import": "进口 import"}


def contract(
    view: LedgerView,
    docno: str,
    head: Letterhead,
    default_currency: str,
    people: Mapping[str, str] | None = None,
    read: dict | None = None,
) -> Printout:
    doc = _document(view, docno, "contract", read)
    h = doc["header"]
    cur = (h.get("currency") or default_currency).upper()
    rows, qty, total = _priced_rows(view, doc["lines"], cur)
    transport = [
        ("运输方式 Transport", h.get("transport_mode")),
        ("承运人 Carrier", h.get("carrier")),
        ("贸易术语 Incoterm", h.get("incoterm")),
        ("装运港 Port of loading", h.get("port_of_loading")),
        ("目的港 Port of discharge", h.get("port_of_discharge")),
        ("报关单号 Customs declaration", h.get("customs_declaration_no")),
    ]
    shipping = "；".join(f"{k}：{v}" for k, v in transport if v)
    days = h.get("payment_days")
    clauses = [
        "一、产品名称、规格、数量、单价及金额见上表。Products, quantities, prices and amounts as "
        "in the table above.",
        f"二、交货日期：{h.get('delivery_date')} 前。Delivery by {h.get('delivery_date')}.",
        f"三、付款方式：货到后 {days} 天内付清货款（{cur}）。Payment in full within {days} days "
        f"of delivery ({cur}).",
        "四、运输与报关 Transport and customs："
        + (shipping or "由卖方安排运输，费用按双方约定。Arranged by the seller as agreed."),
        "五、验收：买方收货时当场清点数量、检查外观，质量异议应在收货后 7 日内书面提出。"
        "The buyer checks quantity and condition on receipt; quality claims in writing within "
        "7 days.",
        "六、争议解决：双方协商解决；协商不成的，提交卖方所在地人民法院诉讼解决。Disputes are "
        "settled by negotiation, failing which by the people's court where the seller resides.",
        "七、本合同一式两份，双方各执一份，经双方签字盖章后生效。Two originals, one for each "
        "party, effective when signed and sealed by both.",
    ]
    if h.get("note"):
        clauses.append(f"八、其他约定 Other terms：{h['note']}")
    trade = TRADE_WORDS.get(h.get("trade") or "", _text(h.get("trade")))
    return Printout(
        "contract",
        "销售合同",
        "Sales Contract",
        docno,
        cur,
        head,
        parties=[
            ("卖方 Seller", _seller(head)),
            ("买方 Buyer", _party(view, h.get("customer_code"))),
        ],
        facts=[
            ("合同日期 Date", _text(h.get("contract_date"))),
            ("订单号 Order", _text(h.get("order_no"))),
            ("交货日期 Delivery by", _text(h.get("delivery_date"))),
            ("付款期限 Payment", f"{days} 天 days" if days not in (None, "") else ""),
            ("币种 Currency", cur),
            ("贸易类型 Trade", trade),
        ],
        columns=LINE_COLUMNS,
        rows=rows,
        totals=[("合计 Total", {"quantity": qty, "amount": total})],
        in_words=_in_words(total, cur),
        clauses=clauses,
        signatures=[
            (
                "卖方（盖章）Seller (seal)",
                [head.name, "授权代表 Authorised：", "日期 Date："],
            ),
            (
                "买方（盖章）Buyer (seal)",
                [_party_name(view, h.get("customer_code")), "授权代表 Authorised：", "日期 Date："],
            ),
        ],
    )


#: a delivery note's lines: the lot, and what arrived (left empty: the receiver writes it)
DELIVERY_COLUMNS = [
    LINE_NO,
    CODE,
    PRODUCT,
    Column("lot", "批号", "Lot"),
    UNIT,
    QUANTITY,
    UNIT_PRICE,
    AMOUNT,
    Column("received", "实收数量", "Received"),
    NOTE,
]


def delivery_note(
    view: LedgerView,
    slip_no: str,
    head: Letterhead,
    default_currency: str,
    priced: bool,
    people: Mapping[str, str] | None = None,
    read: dict | None = None,
) -> Printout:
    """The 送货单 that travels with the goods of one issue slip: what the warehouse really
    issued (products, lots, quantities, units), its notice, contract and order, the customer,
    where to deliver and whom to call, the contract's carrier and transport where known (the
    driver and vehicle are written in by hand), an empty 实收数量 column and the receiver's
    signature. One note per slip because the customer signs for
    what arrived together, and the signed note is recorded as a delivery receipt (客户签收单)
    against that slip. Prices (from the notice lines) only with ``priced``: silu.toml
    ``[documents] delivery_note_prices = true``, and never on a copy for the warehouse."""
    slip = _document(view, slip_no, "issue_slip", read)
    h = slip["header"]
    notice = view.document(h.get("notice_no") or "") or {"header": {}, "lines": []}
    n = notice["header"]
    contract = view.document(n.get("contract_no") or "") or {"header": {}}
    c = contract["header"]
    cur = (n.get("currency") or default_currency).upper()
    prices = {int(x["line_no"]): x.get("unit_price") for x in notice["lines"] if x.get("line_no")}
    rows: list[dict[str, Any]] = []
    quantity, total = ZERO, ZERO
    products = view.products(line.get("product_code") or "" for line in slip["lines"])
    for line in slip["lines"]:
        if not line.get("product_code"):
            continue
        product = products.get(line["product_code"]) or {}
        qty = as_decimal(line.get("quantity"))
        damaged = as_decimal(line.get("damaged_quantity"))
        notes = [_text(line.get("note"))]
        if damaged:
            notes.append(f"其中破损 {_quantity(damaged)} damaged")
        row: dict[str, Any] = {
            "line_no": line.get("line_no") or len(rows) + 1,
            "product_code": line["product_code"],
            "product": " ".join(x for x in (product.get("name"), product.get("spec")) if x),
            "lot": _text(line.get("lot")),
            "unit": product.get("unit") or "",
            "quantity": qty,
            "note": "；".join(x for x in notes if x),
        }
        if priced:
            price = as_decimal(prices.get(int(line.get("notice_line") or 0)))
            amount = rounded(qty * price, cur)
            row |= {"unit_price": price, "amount": amount}
            total += amount
        quantity += qty
        rows.append(row)
    code = n.get("customer_code") or c.get("customer_code")
    customer = (view.customer(code) if code else None) or {}
    receiver = [
        ("名称 Name", customer.get("name") or code or ""),
        ("客户编号 Code", code or ""),
        ("收货地址 Deliver to", n.get("ship_to") or customer.get("address") or ""),
        ("联系人 Contact", customer.get("contact_person") or ""),
        ("电话 Tel", customer.get("phone") or ""),
    ]
    columns = [x for x in DELIVERY_COLUMNS if priced or x.type != "money"]
    sums: dict[str, Any] = {"quantity": quantity} | ({"amount": total} if priced else {})
    return Printout(
        "delivery_note",
        "送货单",
        "Delivery Note",
        slip_no,
        cur,
        head,
        parties=[
            # name, address and phone: a delivery note asks for no payment
            ("发货方 From", [(k, v) for k, v in _seller(head) if k in SHIPPER]),
            ("收货方 To", [(k, v) for k, v in receiver if v]),
        ],
        facts=[
            ("送货日期 Date", _text(h.get("issue_date"))),
            ("出库单号 Issue slip", slip_no),
            ("发货单号 Shipment notice", _text(h.get("notice_no"))),
            ("合同号 Contract", _text(n.get("contract_no"))),
            ("订单号 Order", _text(c.get("order_no"))),
            ("换货，对应退货单 Replaces return", _text(n.get("replaces_return"))),
            ("发货仓库 Warehouse", _text(h.get("warehouse"))),
            ("承运人 Carrier", _text(c.get("carrier"))),
            ("运输方式 Transport", _text(c.get("transport_mode"))),
            ("业务员 Salesperson", _person(n.get("salesperson") or notice.get("owner"), people)),
        ],
        columns=columns,
        rows=rows,
        totals=[("合计 Total", sums)],
        in_words=_in_words(total, cur) if priced else None,
        clauses=[
            "收货时请当场清点数量、检查外观，在“实收数量”栏填写实收数；如有短缺或破损，请在备注栏"
            "注明并由送货人签字。Please count and check the goods on receipt and write the "
            "quantity received; note any shortage or damage and have the driver sign it."
        ],
        signatures=[
            # written by hand: the slip does not record who drove
            ("送货人 Delivered by", ["司机签字 Driver：", "车牌号 Vehicle：", "日期 Date："]),
            ("收货人签收 Received by", ["签字（盖章）Signature (seal)：", "日期 Date："]),
        ],
    )


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.normalize() else format(value, "f")


def slip_to_print(view: LedgerView, notice_no: str) -> str:
    """The issue slip whose delivery note a notice's number prints: its only active slip.
    Nothing issued yet, or several slips (goods that left at different times or from different
    warehouses, each signed for apart): say which slips exist and how to print each."""
    from silu_sheets import fulfilment

    slips = fulfilment.slips_of_notice(view, notice_no)
    if len(slips) == 1:
        return slips[0]
    if not slips:
        raise NotPrintable(
            notice_no,
            f"发货单 {notice_no} 还没有出库：送货单按仓库实际出库的数量打印，出库单登记后用"
            f"“silu print 出库单号”打印。",
            f"Nothing is issued on shipment notice {notice_no} yet: a delivery note shows what "
            "the warehouse issued; once an issue slip is recorded, print it with "
            "'silu print SLIP-NUMBER'.",
        )
    listed = []
    for number in slips:
        slip = view.document(number) or {"header": {}, "lines": []}
        h = slip["header"]
        goods = "、".join(
            f"{x.get('product_code')} {_quantity(as_decimal(x.get('quantity')))}"
            for x in slip["lines"]
            if x.get("product_code")
        )
        listed.append(
            f"  silu print {number}    {h.get('issue_date') or ''} {h.get('warehouse') or ''}"
            f"  {goods}"
        )
    rows = "\n".join(listed)
    raise NotPrintable(
        notice_no,
        f"发货单 {notice_no} 分 {len(slips)} 张出库单出库，每张出库单的货物随车一张送货单，"
        f"客户按出库单签收：\n{rows}",
        f"Shipment notice {notice_no} was issued on {len(slips)} issue slips; the goods of "
        f"each travel with their own delivery note, signed for slip by slip:\n{rows}",
    )


STATEMENT_WORDS = {
    "shipment": "发货 goods issued",
    "receivable": "收款 payment",
    "advance": "预收款 advance",
    "return": "退货 return (agreed)",
    "refund": "退款 refund",
    "apply_balance": "结余冲抵 balance applied",
}
STATEMENT_COLUMNS = [
    Column("date", "日期", "Date", "date"),
    Column("docno", "单号", "Document"),
    Column("what", "摘要", "Description"),
    Column("charge", "应收", "Charge", "money"),
    Column("credit", "收回/冲减", "Credit", "money"),
    Column("balance", "余额", "Balance", "money"),
    Column("note", "备注", "Note"),
]


def statement(st: dict, customer: dict | None, head: Letterhead, issued_on: dt.date) -> Printout:
    """A 对账单 from ``money.statement``: opening, one row per entry with the running balance,
    totals in their own row, the closing balance in figures and (CNY) in capitals, the bank to
    pay into and the customer's confirmation block."""
    cur = st["currency"]
    code = st["customer_code"]
    running: Decimal = st["opening"]
    rows: list[dict[str, Any]] = [
        {"what": "期初余额 Opening balance", "balance": running, "date": _day(st["since"])}
    ]
    for e in st["lines"]:
        running += e.charge - e.credit
        rows.append(
            {
                "date": _day(e.date),
                "docno": e.docno,
                "what": STATEMENT_WORDS.get(e.what, e.what),
                "charge": e.charge or None,
                "credit": e.credit or None,
                "balance": running,
                "note": e.note,
            }
        )
    charges = sum((e.charge for e in st["lines"]), ZERO)
    credits = sum((e.credit for e in st["lines"]), ZERO)
    closing: Decimal = st["closing"]
    name = (customer or {}).get("name") or code
    period = f"{st['since'] or '…'} 至 {st['until'] or issued_on.isoformat()}"
    owes = "客户应付" if closing >= 0 else "我方结余/应退"
    return Printout(
        "statement",
        "对账单",
        "Customer Statement",
        f"{code}-{issued_on.isoformat()}",
        cur,
        head,
        parties=[("我方 From", _seller(head)), ("客户 Customer", _party_of(customer, code))],
        facts=[
            ("对账期间 Period", period),
            ("出具日期 Issued on", issued_on.isoformat()),
            ("币种 Currency", cur),
            ("结余款 Customer balance", money_text(st["balance"], cur)),
        ],
        columns=STATEMENT_COLUMNS,
        rows=rows,
        totals=[
            ("本期合计 Period totals", {"charge": charges, "credit": credits}),
            (f"期末余额 Closing balance（{owes}）", {"balance": closing}),
        ],
        in_words=_in_words(abs(closing), cur),
        clauses=[
            "余额为正数表示客户尚欠我方货款，负数表示我方持有客户的结余款或应退款。"
            "A positive balance is owed by the customer; a negative one is the customer's money "
            "we hold.",
            f"请核对后在下方签字盖章并回传；如有不符，请于 7 日内告知，逾期视为无误。"
            f"Please check, sign, seal and return this statement; tell us of any difference "
            f"within 7 days. ({name})",
        ],
        signatures=[
            ("我方（盖章）Issued by (seal)", [head.name, "经办人 Prepared by：", "日期 Date："]),
            (
                "客户确认（盖章）Confirmed by the customer (seal)",
                ["以上对账无误 Agreed as above", "签字 Signature：", "日期 Date："],
            ),
        ],
    )


def _party_of(customer: dict | None, code: str) -> list[tuple[str, str]]:
    c = customer or {}
    pairs = [
        ("名称 Name", c.get("name") or code),
        ("客户编号 Code", code),
        ("联系人 Contact", c.get("contact_person") or ""),
        ("电话 Tel", c.get("phone") or ""),
        ("地址 Address", c.get("address") or ""),
    ]
    return [(k, v) for k, v in pairs if v]


def _party_name(view: LedgerView, code: str | None) -> str:
    c = (view.customer(code) if code else None) or {}
    return c.get("name") or code or ""


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


class NotPrintable(Exception):
    """The number prints no customer document; ``zh`` and ``en`` say why and what does."""

    def __init__(self, docno: str, zh: str = "", en: str = "") -> None:
        super().__init__(docno)
        self.docno, self.zh, self.en = docno, zh, en


def _document(view: LedgerView, docno: str, kind: str, read: dict | None = None) -> dict:
    """``docno`` as the ledger holds it (``read``: as the caller read it already), if it is
    a ``kind`` still in force."""
    doc = view.document(docno) if read is None else read
    if doc is None or doc["kind"] != kind:
        raise NotPrintable(docno)
    if doc.get("status") == "cancelled":
        raise NotPrintable(docno, f"{docno} 已作废，不能打印。", f"{docno} is cancelled.")
    return doc


#: the kinds ``silu print`` knows, and what each prints as
PRINTABLE = {
    "quote": "报价单",
    "contract": "销售合同",
    "issue_slip": "送货单",
    "shipment_notice": "送货单",
}


def printout(
    view: LedgerView,
    docno: str,
    folder: FirmFolder,
    *,
    for_warehouse: bool = False,
    people: Mapping[str, str] | None = None,
) -> Printout:
    """The customer-ready document for ``docno``: a quote, a contract, or the delivery note of
    an issue slip (a shipment notice's number: its only slip's). ``for_warehouse``: a copy
    warehouse staff receive, so a delivery note carries no price whatever silu.toml says.
    ``people``: staff names by address when the caller has the roster loaded already (the
    mail gateway: reading it again cost each printed copy ~0.5 ms), else read here."""
    doc = view.document(docno)
    if doc is None or doc["kind"] not in PRINTABLE:
        raise NotPrintable(docno)
    head = Letterhead.of(folder)
    cur = folder.firm.currency
    people = staff_names(folder) if people is None else people
    # the document read above is handed on, not read again
    if doc["kind"] == "quote":
        return quote(view, docno, head, cur, people, doc)
    if doc["kind"] == "contract":
        return contract(view, docno, head, cur, people, doc)
    priced = notes_priced(folder) and not for_warehouse
    if doc["kind"] == "issue_slip":
        return delivery_note(view, docno, head, cur, priced, people, doc)
    return delivery_note(view, slip_to_print(view, docno), head, cur, priced, people)


def notes_priced(folder: FirmFolder) -> bool:
    """Whether the firm's delivery notes carry prices (silu.toml ``[documents]
    delivery_note_prices``; off unless set): a copy for the warehouse never does."""
    return bool(folder.settings.get("documents", {}).get("delivery_note_prices", False))


def staff_names(folder: FirmFolder) -> dict[str, str]:
    """Address -> name from the roster; none where the roster cannot be read (the document
    then shows addresses: a printout is no place to stop over a roster problem)."""
    from silu_sheets.roster import RosterError

    try:
        return {s.address: s.name for s in folder.roster().staff.values()}
    except (OSError, RosterError):
        return {}
