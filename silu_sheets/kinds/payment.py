"""Payment receipt (收款单, finance): a receivable applied to shipment notices, an advance into
the customer's balance (结余款), the balance applied to notices, or a refund of an agreed return.
No notice is paid above what it owes; the balance is never applied above what it holds."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from silu_sheets import drawdown
from silu_sheets import money as accounts
from silu_sheets.amounts import Money, money_text
from silu_sheets.declare import Choice as C
from silu_sheets.declare import (
    Kind,
    LineTable,
    choice,
    currency_field,
    customer_field,
    date,
    docno,
    document_header,
    money,
    text,
)
from silu_sheets.document import Context, Document, Line, decimal_sum
from silu_sheets.hooks import Hooks
from silu_sheets.kinds import common
from silu_sheets.money import ZERO
from silu_sheets.problems import Problem, problem_type, words

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView, LedgerWriter

PAYMENT_TYPES = (
    C("receivable", "应收款", "receivable"),
    C("advance", "预收款", "advance"),
    C("apply_balance", "结余冲抵", "apply balance"),
    C("refund", "退款", "refund"),
)
METHODS = (
    C("bank", "银行转账", "bank transfer"),
    C("cash", "现金", "cash"),
    C("cheque", "支票", "cheque"),
    C("online", "在线支付", "online payment"),
    C("other", "其他", "other"),
)

KIND = Kind(
    key="payment",
    zh="收款单",
    en="Payment receipt",
    prefix="PAY",
    version=1,
    senders=("finance",),
    header=document_header(
        date("payment_date", "收款日期", "Payment date", required=True),
        customer_field(),
        choice("payment_type", "收款类型", "Payment type", PAYMENT_TYPES, required=True),
        money(
            "amount",
            "金额",
            "Amount",
            hint_zh="实收（或退款）金额；结余冲抵时留空。",
            hint_en="Amount received (or refunded); empty when applying the balance.",
        ),
        currency_field(),
        choice("method", "收款方式", "Method", METHODS),
        text("bank_reference", "银行流水号", "Bank reference"),
        docno("sales_return_no", "退货单号(退款时)", "Sales return (for a refund)", "sales_return"),
        text("note", "备注", "Note"),
    ),
    lines=LineTable(
        "lines",
        "核销明细",
        "Applied to shipment notices",
        (
            docno("notice_no", "发货单号", "Shipment notice", "shipment_notice", required=True),
            money("applied", "核销金额", "Amount applied", required=True),
            text("note", "备注", "Note"),
        ),
        key_columns=("notice_no", "applied"),
        # an advance or a refund has no lines; receivables and balance applications need them
        required=False,
    ),
)


# --- rules --------------------------------------------------------------------------------------
AMOUNT_NEEDED = problem_type(
    "payment-amount-needed",
    "{type}需要填写金额（大于 0）。",
    "A {type} needs an amount above 0.",
)
ADVANCE_NO_LINES = problem_type(
    "advance-has-lines",
    "预收款只写客户，不核销发货单：请清空核销明细（要核销请选“应收款”或“结余冲抵”）。",
    "An advance names only the customer: empty the lines (to pay notices choose receivable or apply balance).",
)
LINES_NEEDED = problem_type(
    "payment-lines-needed",
    "{type}需要在核销明细中填写发货单号和核销金额。",
    "A {type} needs lines naming the shipment notices and the amounts applied.",
)
APPLIED_ABOVE_AMOUNT = problem_type(
    "applied-above-amount",
    "核销合计 {applied} 超过本次收款金额 {amount}。请把核销金额减少 {excess}，或核对收款金额。",
    "The lines apply {applied}, more than the {amount} received. Apply {excess} less, or check the amount.",
)
NOTICE_OVERPAID = problem_type(
    "notice-paid-above-owed",
    "发货单 {docno} 目前只欠 {owed}（已出库货值 {gross}，已收/已冲 {settled}），本行核销 {applied}。请改为不超过 {owed}。",
    "Shipment notice {docno} still owes only {owed} (goods issued {gross}, already paid or credited {settled}); this line applies {applied}. Apply at most {owed}.",
)
NOTHING_ISSUED_YET = problem_type(
    "notice-nothing-owed-yet",
    "发货单 {docno} 还没有任何货物出库，目前什么也不欠：应收款按已出库数量 × 发货单价计算。请等仓库出库后再核销；客户先付的钱请记为预收款（收款类型选“预收款”）。",
    "Shipment notice {docno} has no goods issued yet, so nothing is owed on it: a receivable is issued quantity × notice price. Apply it once the warehouse has issued the goods; money the customer pays first is an advance (payment type “advance”).",
)
NOTHING_LEFT_OWED = problem_type(
    "notice-settled",
    "发货单 {docno} 已经收清，目前什么也不欠（已出库货值 {gross}，已收/已冲 {settled}）。请不要再核销此发货单；多收的钱请记入客户结余款（不填核销行即转入结余）。",
    "Shipment notice {docno} is settled and owes nothing now (goods issued {gross}, paid or credited {settled}). Apply nothing more to it; money beyond what is owed goes to the customer's balance (leave it unapplied).",
)
BELOW_PAID = problem_type(
    "notice-below-paid",
    "发货单 {docno} 已收款/冲抵 {settled}，按本次修改的单价，已出库货物只值 {worth}。请先调整收款核销，或保持原单价。",
    "Shipment notice {docno} has {settled} paid or credited; at the amended prices its issued goods are worth only {worth}. Adjust the payments first, or keep the prices.",
)
SLIP_BELOW_PAID = problem_type(
    "issue-below-paid",
    "发货单 {docno} 已有收款核销，修改或作废本单会使出库少于已收款的部分。请联系销售和财务先处理。",
    "Payments were already applied to shipment notice {docno}; amending or cancelling this slip would leave less issued than was paid for. Ask sales and finance to settle it first.",
)
BALANCE_SHORT = problem_type(
    "balance-insufficient",
    "客户 {customer} 的结余款（{currency}）到本行只剩 {left}，本行冲抵 {applied}。请改为不超过 {left}。",
    "Customer {customer}'s balance ({currency}) has only {left} left for this line, which applies {applied}. Apply at most {left}.",
)
BALANCE_WOULD_GO_NEGATIVE = problem_type(
    "balance-would-go-negative",
    "客户 {customer} 的结余款（{currency}）已被使用，撤回本单后只剩 {left}，将为负数。请先修改或作废使用该结余的单据。",
    "Customer {customer}'s balance ({currency}) has been used; without this document it would be {left}, below zero. Amend or cancel what used it first.",
)
NOT_POSITIVE_APPLIED = problem_type(
    "applied-not-positive",
    "核销金额必须大于 0。",
    "The amount applied must be above 0.",
)
REFUND_NEEDS_RETURN = problem_type(
    "refund-needs-return",
    "退款必须填写退货单号（退款只支付已商定的退货款）。",
    "A refund needs the sales return number (refunds pay out an agreed return's money).",
)
RETURN_ONLY_FOR_REFUND = problem_type(
    "return-only-for-refund",
    "只有收款类型为“退款”时才填写退货单号。",
    "The sales return is filled only for a refund.",
)
REFUND_NO_LINES = problem_type(
    "refund-has-lines",
    "退款不核销发货单：请清空核销明细。",
    "A refund applies nothing to notices: empty the lines.",
)
REFUND_NOT_AGREED = problem_type(
    "refund-not-agreed",
    "退货单 {docno} 的金额尚未商定，商定前不能退款。请先由业务员在退货单上填写商定金额并再次发送。",
    "The money of sales return {docno} is not agreed yet; nothing is refunded before. Sales must send the return again with the agreed amount.",
)
REFUND_NOT_REFUND = problem_type(
    "refund-not-refund-disposition",
    "退货单 {docno} 的货款处理是“{disposition}”，不是退款。",
    "Sales return {docno} settles its money as “{disposition}”, not by refund.",
)
REFUND_ABOVE_DUE = problem_type(
    "refund-above-due",
    "退货单 {docno} 还可退款 {due}（商定 {agreed}，已冲减发货单欠款 {credited}，已退 {refunded}），本单填写 {amount}。请改为不超过 {due}。",
    "Sales return {docno} has {due} left to refund (agreed {agreed}, credited to the notice's unpaid amount {credited}, refunded {refunded}); this form pays {amount}. Pay at most {due}.",
)


def _notice_worth(
    view: LedgerView, notice_no: str, change: drawdown.Change | None
) -> dict[drawdown.Key, Decimal]:
    """What the goods issued against a notice are worth at its prices, after ``change`` (a slip
    or the notice itself amended or cancelled)."""
    slips = drawdown.relation("issue_slip", "shipment_notice")
    issued = drawdown.drawn_after(view, slips, notice_no, change)
    prices = {
        n["line_no"]: accounts.dec(n["unit_price"]) for n in accounts.notice_lines(view, notice_no)
    }
    if change is not None and change.docno == notice_no:
        prices = {x.number: x["unit_price"] or ZERO for x in change.doc.lines}
    return {None: sum((q * prices.get(n, ZERO) for n, q in issued.items()), ZERO)}


def _notice_settled(
    view: LedgerView, notice_no: str, excluding: str | None
) -> dict[drawdown.Key, Decimal]:
    """Paid and credited against a notice: payments, applied balances, agreed return credits."""
    return {None: accounts.notice_settled(view, notice_no, excluding=excluding)}


def _exceeds_owed(doc: Document, line: Line, share: drawdown.Share) -> Problem:
    if share.left <= 0:  # "apply at most 0" says nothing: say why nothing is owed
        return doc.problem(
            NOTHING_LEFT_OWED if share.gives > 0 else NOTHING_ISSUED_YET,
            "applied",
            line,
            docno=share.source,
            gross=doc.money(share.gives),
            settled=doc.money(share.drawn),
        )
    return doc.problem(
        NOTICE_OVERPAID,
        "applied",
        line,
        docno=share.source,
        owed=doc.money(max(share.left, ZERO)),
        gross=doc.money(share.gives),
        settled=doc.money(share.drawn),
        applied=doc.money(share.given),
    )


def _below_paid(change: drawdown.Change, share: drawdown.Share, line: Line | None) -> Problem:
    """A slip or a notice changed so that the goods issued are worth less than was paid. The
    keeper amending a slip is told that payments stand in the way, never how much."""
    if change.kind == "shipment_notice":
        return change.doc.problem(
            BELOW_PAID,
            "docno",
            docno=share.source,
            settled=change.doc.money(share.drawn),
            worth=change.doc.money(share.gives),
        )
    where = "action" if change.cancelling else "docno"
    return change.doc.problem(SLIP_BELOW_PAID, where, docno=share.source)


#: a payment line draws on what its notice owes: issued value less what was paid or credited
DRAWS = (
    drawdown.DrawsOn(
        kind="payment",
        source="shipment_notice",
        via="notice_no",
        via_line=True,
        key=None,
        takes=("applied",),
        gives=_notice_worth,
        drawn_by=_notice_settled,
        depends_on=("issue_slip",),
        exceeds=_exceeds_owed,
        below=_below_paid,
    ),
)


def _type_words(doc: Document) -> dict[str, str]:
    c = KIND.field("payment_type").choice(doc["payment_type"] or "")
    return words(c.zh, c.en) if c else words("收款", "payment")


def currency_of(doc: Document, ctx: Context) -> str:
    return (doc["currency"] or ctx.firm.currency).upper()


def check(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Every rule of a payment at once; see the module docstring."""
    found = common.customer_known(doc, ledger) + common.currency_valid(doc)
    kind = doc["payment_type"]
    amount = doc["amount"]
    currency = currency_of(doc, ctx)
    applying = kind in ("receivable", "apply_balance")
    if kind in ("receivable", "advance", "refund") and (amount is None or amount <= 0):
        found.append(doc.problem(AMOUNT_NEEDED, "amount", type=_type_words(doc)))
    if kind in ("advance", "refund") and doc.lines:
        code = ADVANCE_NO_LINES if kind == "advance" else REFUND_NO_LINES
        found.append(doc.problem(code, "notice_no", doc.lines[0]))
    if applying and not doc.lines:
        layout = KIND.layout
        found.append(
            Problem(
                LINES_NEEDED,
                {"type": _type_words(doc)},
                sheet=KIND.sheet,
                field="notice_no",
                cell=layout.line_cell("notice_no", layout.first_line_row or 0),
            )
        )
    if kind != "refund" and doc["sales_return_no"]:
        found.append(doc.problem(RETURN_ONLY_FOR_REFUND, "sales_return_no"))
    if applying:
        found += _check_lines(doc, ledger, ctx, currency)
    if kind == "receivable" and amount is not None and amount > 0:
        applied = decimal_sum([line["applied"] for line in doc.lines])
        if applied > amount:
            found.append(
                doc.problem(
                    APPLIED_ABOVE_AMOUNT,
                    "amount",
                    applied=doc.money(applied),
                    amount=doc.money(amount),
                    excess=doc.money(applied - amount),
                )
            )
    if kind == "refund":
        found += _check_refund(doc, ledger, ctx, currency)
    if not found and doc["customer_code"]:
        found += _balance_kept(doc, ledger, ctx)
    return found


def _check_lines(doc: Document, ledger: LedgerView, ctx: Context, currency: str) -> list[Problem]:
    found: list[Problem] = []
    left = accounts.balance(ledger, doc["customer_code"] or "", currency, excluding=doc.docno)
    for line in doc.lines:
        number, applied = line["notice_no"], line["applied"]
        if applied is not None and applied <= 0:
            found.append(doc.problem(NOT_POSITIVE_APPLIED, "applied", line))
            continue
        if not number:
            continue
        notice = _line_notice(doc, line, ledger, found)
        if notice is None:
            continue
        if doc["customer_code"] and notice["customer_code"] != doc["customer_code"]:
            found.append(
                doc.problem(
                    common.CUSTOMER_MISMATCH,
                    "notice_no",
                    line,
                    docno=number,
                    expected=notice["customer_code"],
                    actual=doc["customer_code"],
                )
            )
            continue
        theirs = accounts.notice_currency(notice["header"], ctx.firm.currency)
        if theirs != currency:
            found.append(
                doc.problem(
                    common.CURRENCY_MISMATCH,
                    "notice_no",
                    line,
                    docno=number,
                    expected=theirs,
                    actual=currency,
                )
            )
            continue
        if applied is None:
            continue
        if doc["payment_type"] == "apply_balance":
            if applied > left:
                found.append(
                    doc.problem(
                        BALANCE_SHORT,
                        "applied",
                        line,
                        customer=doc["customer_code"],
                        currency=currency,
                        left=doc.money(max(left, ZERO)),
                        applied=doc.money(applied),
                    )
                )
            left -= applied
    return found


def _line_notice(
    doc: Document, line: Line, ledger: LedgerView, found: list[Problem]
) -> dict | None:
    """The active shipment notice a line names, or the problem why there is none."""
    from silu_sheets.kinds import KINDS

    number = line["notice_no"]
    recorded = ledger.document(number)
    if recorded is None:
        found.append(doc.problem(common.DOC_UNKNOWN, "notice_no", line, docno=number))
        return None
    if recorded["kind"] != "shipment_notice":
        actual, expected = KINDS[recorded["kind"]], KINDS["shipment_notice"]
        found.append(
            doc.problem(
                common.DOC_WRONG_KIND,
                "notice_no",
                line,
                docno=number,
                actual=words(actual.zh, actual.en),
                expected=words(expected.zh, expected.en),
            )
        )
        return None
    if recorded["status"] == "cancelled":
        found.append(doc.problem(common.DOC_CANCELLED, "notice_no", line, docno=number))
        return None
    return recorded


def _check_refund(doc: Document, ledger: LedgerView, ctx: Context, currency: str) -> list[Problem]:
    if not doc["sales_return_no"]:
        return [doc.problem(REFUND_NEEDS_RETURN, "sales_return_no")]
    ret, found = common.referenced(doc, ledger, "sales_return_no", "sales_return")
    if ret is None:
        return found
    found += common.same_customer(doc, ret, "sales_return_no") + common.same_currency(
        doc, ret, ctx.firm.currency
    )
    from silu_sheets.kinds import KINDS

    header = ret["header"]
    number = ret["docno"]
    if header.get("money_disposition") != "refund":
        choice_ = (
            KINDS["sales_return"]
            .field("money_disposition")
            .choice(header.get("money_disposition") or "")
        )
        found.append(
            doc.problem(
                REFUND_NOT_REFUND,
                "sales_return_no",
                docno=number,
                disposition=words(choice_.zh, choice_.en) if choice_ else "-",
            )
        )
    elif header.get("agreed_amount") in (None, ""):
        found.append(doc.problem(REFUND_NOT_AGREED, "sales_return_no", docno=number))
    elif doc["amount"] is not None and doc["amount"] > 0:
        due = accounts.refundable(ledger, number, excluding=doc.docno)
        if doc["amount"] > due:
            agreed = accounts.dec(header.get("agreed_amount"))
            refunded = accounts.refunded(ledger, number, excluding=doc.docno)
            found.append(
                doc.problem(
                    REFUND_ABOVE_DUE,
                    "amount",
                    docno=number,
                    due=doc.money(max(due, ZERO)),
                    agreed=doc.money(agreed),
                    credited=doc.money(agreed - due - refunded),
                    refunded=doc.money(refunded),
                    amount=doc.money(doc["amount"]),
                )
            )
    return found


def balance_effects(doc: Document, ctx: Context) -> dict[tuple[str, str], Decimal]:
    """What this payment adds to (or takes from) the customer's balance."""
    key = (doc["customer_code"] or "", currency_of(doc, ctx))
    applied = decimal_sum([line["applied"] for line in doc.lines])
    kind, amount = doc["payment_type"], doc["amount"] or ZERO
    if kind == "advance":
        return {key: amount}
    if kind == "receivable":
        return {key: amount - applied}
    if kind == "apply_balance":
        return {key: -applied}
    return {}


def _balance_kept(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """An amendment must not leave a balance below zero that later documents already used."""
    if not doc.docno:
        return []
    return [
        doc.problem(
            BALANCE_WOULD_GO_NEGATIVE,
            "amount",
            customer=c,
            currency=cur,
            left=Money(left + balance_effects(doc, ctx).get((c, cur), ZERO), cur),
        )
        for c, cur, left in accounts.balance_shortfalls(
            ledger, doc.docno, balance_effects(doc, ctx)
        )
    ]


def check_cancel(doc: Document, ledger: LedgerView, ctx: Context) -> list[Problem]:
    """Cancelling takes the payment's money back out of the balance: refused when the balance
    it brought was already used."""
    if not doc.docno:
        return []
    return [
        doc.problem(
            BALANCE_WOULD_GO_NEGATIVE, "action", customer=c, currency=cur, left=Money(left, cur)
        )
        for c, cur, left in accounts.balance_shortfalls(ledger, doc.docno, {})
    ]


def book(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    """Money movements: applied amounts against notices, the rest into the balance; an advance
    into the balance; the balance applied to notices; a refund out of what a return owes."""
    accounts.reverse(writer, docno, doc["payment_date"])
    currency = currency_of(doc, ctx)
    doc.header["currency"] = currency
    customer = doc["customer_code"]
    kind, amount = doc["payment_type"], doc["amount"] or ZERO
    base = {
        "customer_code": customer,
        "currency": currency,
        "docno": docno,
        "moved_on": doc["payment_date"],
    }
    for line in doc.lines if kind in ("receivable", "apply_balance") else ():
        movement = "receipt_applied" if kind == "receivable" else "balance_applied"
        accounts.move(
            writer,
            **base,
            account="notice",
            movement=movement,
            amount=line["applied"],
            line_no=line.number,
            notice_no=line["notice_no"],
        )
        if kind == "apply_balance":
            accounts.move(
                writer,
                **base,
                account="balance",
                movement=movement,
                amount=-line["applied"],
                line_no=line.number,
                notice_no=line["notice_no"],
            )
    rest = balance_effects(doc, ctx).get((customer, currency), ZERO)
    if kind == "receivable" and rest:
        accounts.move(writer, **base, account="balance", movement="receipt_to_balance", amount=rest)
    if kind == "advance":
        accounts.move(writer, **base, account="balance", movement="advance", amount=amount)
    if kind == "refund":
        accounts.move(
            writer,
            **base,
            account="refundable",
            movement="refund",
            amount=-amount,
            return_no=doc["sales_return_no"],
        )


def on_cancel(doc: Document, docno: str, writer: LedgerWriter, ctx: Context) -> None:
    accounts.reverse(writer, docno, ctx.today)


def confirmation_facts(doc: Document, docno: str, ledger: LedgerView, ctx: Context) -> list[str]:
    """The confirmation says where the money went: what each notice still owes, a receivable's
    rest or an advance into the customer's balance, and the balance now."""
    currency = currency_of(doc, ctx)
    customer = doc["customer_code"]
    rest = balance_effects(doc, ctx).get((customer, currency), ZERO)
    zh = ctx.sender.language == "zh"
    facts = []
    for line in doc.lines if doc["payment_type"] in ("receivable", "apply_balance") else ():
        owed = accounts.notice_owed(ledger, line["notice_no"])
        facts.append(
            f"发货单 {line['notice_no']}：本次核销 {money_text(line['applied'], currency)}，尚欠 {money_text(owed, currency)} {currency}"
            if zh
            else f"Notice {line['notice_no']}: {money_text(line['applied'], currency)} applied, {money_text(owed, currency)} {currency} still owed"
        )
    if doc["payment_type"] in ("receivable", "advance") and rest > 0:
        facts.append(
            f"{money_text(rest, currency)} {currency} 已转入客户 {customer} 的结余款"
            if zh
            else f"{money_text(rest, currency)} {currency} went into customer {customer}'s balance"
        )
    if doc["payment_type"] == "refund":
        due = accounts.refundable(ledger, doc["sales_return_no"])
        facts.append(
            f"退货单 {doc['sales_return_no']} 还需退款 {money_text(due, currency)} {currency}"
            if zh
            else f"Sales return {doc['sales_return_no']}: {money_text(due, currency)} {currency} left to refund"
        )
    now_balance = accounts.balance(ledger, customer, currency)
    facts.append(
        f"客户 {customer} 当前结余款：{money_text(now_balance, currency)} {currency}"
        if zh
        else f"Customer {customer}'s balance is now {money_text(now_balance, currency)} {currency}"
    )
    return facts


def status(view: LedgerView, doc: dict, prices: bool) -> dict:
    """Its section of ``silu status``: the amount and what it moved, on which account (a notice
    paid, the customer's balance, a refund due); only for a reader who sees prices, the others
    are told the amounts are not theirs to see."""
    from silu_sheets.answers import both

    if not prices:
        return {
            "text": both(
                lambda language: [
                    "收款单的金额只发给财务和销售。"
                    if language == "zh"
                    else "A payment's amounts go to finance and sales only."
                ]
            )
        }
    header = doc["header"]
    rows = view.rows(
        "SELECT account, movement, amount, notice_no, return_no FROM money_movements WHERE docno = ? ORDER BY id",
        [doc["docno"]],
    )
    found = {"movements": rows}
    return found | {
        "summary": both(lambda language: _received(header, language)),
        "text": both(lambda language: _status_text(rows, header.get("currency"), language)),
    }


#: what a money movement did, and the account it moved (table ``money_movements``)
MOVEMENTS = {
    "receipt_applied": ("收款核销", "payment applied"),
    "receipt_to_balance": ("收款转结余", "payment into the balance"),
    "advance": ("预收款", "advance"),
    "balance_applied": ("结余冲抵", "balance applied"),
    "auto_applied": ("结余自动冲抵", "balance applied automatically"),
    "refund": ("退款", "refund"),
    "reversal": ("冲回", "reversal"),
    "return_credit": ("退货冲抵欠款", "return credited to the notice"),
    "return_to_balance": ("退货转结余", "return into the balance"),
    "return_refundable": ("退货待退款", "return to refund"),
}
ACCOUNTS = {
    "notice": ("发货单欠款", "notice owed"),
    "balance": ("客户结余", "customer balance"),
    "refund_due": ("待退款", "refund due"),
    "refundable": ("待退款", "refund due"),
}


def _received(header: dict, language: str) -> str:
    """``收款 30.00 CNY（应收款，银行转账）``: the amount and how it came."""
    zh = language == "zh"
    how = [
        choice.label(language)
        for key in ("payment_type", "method")
        if (choice := KIND.field(key).choice(str(header.get(key) or "")))
    ]
    amount = f"{money_text(header.get('amount'), header.get('currency'))} {header.get('currency') or ''}".strip()
    said = f"{'收款' if zh else 'received'} {amount}"
    if how:
        said += f"（{'，'.join(how)}）" if zh else f" ({', '.join(how)})"
    return said


def _status_text(rows: list[dict], currency: str | None, language: str) -> list:
    from silu_sheets.answers import Column, table

    zh = language == "zh"
    i = 0 if zh else 1
    shown = [
        {
            "movement": MOVEMENTS.get(r["movement"], (r["movement"],) * 2)[i],
            "account": ACCOUNTS.get(r["account"], (r["account"],) * 2)[i],
            "docno": r["notice_no"] or r["return_no"],
            "amount": money_text(r["amount"], currency),
        }
        for r in rows
    ]
    columns = (
        Column("movement", "款项", "What"),
        Column("account", "账户", "Account"),
        Column("docno", "单号", "Document"),
        Column("amount", "金额", "Amount", figure=True),
    )
    return (
        [table(columns, shown, language, "款项去向" if zh else "Where the money went")]
        if shown
        else []
    )


HOOKS = Hooks(
    status=status,
    check=check,
    check_cancel=check_cancel,
    book=book,
    on_cancel=on_cancel,
    confirmation_facts=confirmation_facts,
    draws=DRAWS,
)
