"""Each sheet of the summary workbook as pandas frames shaped from the report views
(``views.py``) and the open items. SQL does the grouping over the ledger's rows; pandas joins the
small aggregates, pivots them and works out ratios. Values arrive as exact integers in fixed units
(see ``views``) and become numbers only for the cell.

What "open" or "overdue" means comes from ``open_items`` alone: nothing here recomputes it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from silu_sheets.report.views import (
    MONEY_PLACES,
    QTY_PLACES,
    VALUE_PLACES,
    has_table,
    money,
    qty,
    scaled,
)
from silu_sheets.workbook.summary import Chart, Column, Sheet, Table

if TYPE_CHECKING:
    import pandas as pd

#: the drill-down lists at most this many documents (a longer period: the first ones, and it says so)
MAX_DRILL_ROWS = 30_000
AGE_BUCKETS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, 90, "31-90"), (91, None, "90+"))
PAST_DUE_BUCKETS = ((1, 30, "1-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "90+"))


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` … ``end``, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        """The same number of days just before."""
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.start.isoformat()} … {self.end.isoformat()}"


@dataclass
class Context:
    conn: sqlite3.Connection
    period: Period
    today: dt.date
    currency: str
    staff: dict[str, str]  # address -> name
    expiring_days: int = 90

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        import pandas as pd

        return pd.read_sql_query(sql, self.conn, params=list(params))

    @property
    def between(self) -> list[str]:
        return [self.period.start.isoformat(), self.period.end.isoformat()]

    def person(self, address: Any) -> str:
        if not isinstance(address, str) or not address:
            return ""
        return self.staff.get(address.lower(), address)

    @property
    def has_open_items(self) -> bool:
        return has_table(self.conn, "open_items")


def _kind_label(key: str) -> str:
    from silu_sheets.kinds import KINDS

    kind = KINDS.get(key)
    return f"{kind.zh} {kind.en}" if kind else key


def _value(series: pd.Series) -> pd.Series:
    """Exact 10^-7 integers as numbers for the cell."""
    return series.astype("float64") / 10**VALUE_PLACES


def _qty(series: pd.Series) -> pd.Series:
    return series.astype("float64") / 10**QTY_PLACES


def _ratio(part: pd.Series, whole: pd.Series) -> pd.Series:
    import numpy as np

    return (part / whole.replace(0, np.nan)).astype("float64")


def _bucket(days: int, buckets: tuple) -> str:
    for low, high, label in buckets:
        if days >= low and (high is None or days <= high):
            return label
    return ""


def _names(ctx: Context, table: str) -> dict[str, str]:
    return dict(ctx.conn.execute(f"SELECT code, name FROM {table}").fetchall())


# --- Overview --------------------------------------------------------------------------------
COUNTED = (
    ("inquiry", "咨询", "inquiries"),
    ("follow_up", "跟进", "follow-ups"),
    ("quote", "报价", "quotes"),
    ("sample", "样品", "samples sent"),
    ("order", "订单", "orders"),
    ("contract", "合同", "contracts"),
    ("shipment_notice", "发货单", "shipment notices"),
    ("issue_slip", "出库单", "issue slips"),
    ("payment", "收款单", "payments"),
    ("sales_return", "退货", "sales returns"),
    ("return_inbound", "退货入库", "return inbound slips"),
    ("service", "售后", "service records"),
)
VALUED = (
    ("contract", "合同金额", "contract value"),
    ("issue_slip", "出库货值", "goods issued, value"),
    ("payment", "收款", "money received"),
    ("sales_return", "退货商定金额", "returns agreed"),
)


def _period_figures(ctx: Context, period: Period, prices: bool) -> dict[str, float]:
    found: dict[str, float] = {}
    rows = ctx.conn.execute(
        "SELECT kind, currency, COUNT(*), SUM(value), SUM(quantity), "
        "SUM(CASE WHEN kind = 'payment' AND detail IN ('receivable', 'advance') THEN value END) "
        "FROM report_documents WHERE day BETWEEN ? AND ? GROUP BY kind, currency",
        [period.start.isoformat(), period.end.isoformat()],
    ).fetchall()
    for kind, currency, count, value, quantity, received in rows:
        found[f"count:{kind}"] = found.get(f"count:{kind}", 0) + count
        if kind in ("issue_slip", "return_inbound"):
            found[f"qty:{kind}"] = found.get(f"qty:{kind}", 0) + (quantity or 0) / 10**QTY_PLACES
        if prices and currency:
            amount = received if kind == "payment" else value
            key = f"value:{kind}:{currency}"
            found[key] = found.get(key, 0) + (amount or 0) / 10**VALUE_PLACES
    late = ctx.conn.execute(
        "SELECT COUNT(*) FROM report_follow_ups WHERE day BETWEEN ? AND ? AND due_on IS NOT NULL "
        "AND due_on != '' AND day > due_on",
        [period.start.isoformat(), period.end.isoformat()],
    ).fetchone()[0]
    found["late:follow_up"] = late
    return found


def overview(ctx: Context, prices: bool = True) -> Sheet:
    import pandas as pd

    now, before = (
        _period_figures(ctx, ctx.period, prices),
        _period_figures(ctx, ctx.period.previous, prices),
    )
    rows: list[dict] = []
    counted = (
        COUNTED
        if prices
        else [c for c in COUNTED if c[0] in ("shipment_notice", "issue_slip", "return_inbound")]
    )
    for kind, zh, en in counted:
        key = f"count:{kind}"
        rows.append(
            {
                "figure": f"{zh} {en}",
                "unit": "件 count",
                "now": now.get(key, 0),
                "before": before.get(key, 0),
            }
        )
        if kind == "follow_up":
            rows.append(
                {
                    "figure": "其中逾期跟进 of them late",
                    "unit": "件 count",
                    "now": now.get("late:follow_up", 0),
                    "before": before.get("late:follow_up", 0),
                }
            )
    for kind, zh, en in (
        ("issue_slip", "出库数量", "quantity issued"),
        ("return_inbound", "退货入库数量", "quantity returned in"),
    ):
        key = f"qty:{kind}"
        rows.append(
            {
                "figure": f"{zh} {en}",
                "unit": "数量 qty",
                "now": now.get(key, 0),
                "before": before.get(key, 0),
            }
        )
    if prices:
        currencies = sorted(
            {k.rsplit(":", 1)[1] for k in (*now, *before) if k.startswith("value:")}
        )
        for kind, zh, en in VALUED:
            for currency in currencies or [ctx.currency]:
                key = f"value:{kind}:{currency}"
                rows.append(
                    {
                        "figure": f"{zh} {en}",
                        "unit": currency,
                        "now": now.get(key, 0),
                        "before": before.get(key, 0),
                    }
                )
    frame = pd.DataFrame(rows, columns=["figure", "unit", "now", "before"])
    frame["change"] = frame["now"] - frame["before"]
    frame["change_pct"] = _ratio(frame["change"], frame["before"])

    def columns(fmt: Any, unit: bool) -> list[Column]:
        return [
            Column("figure", "指标", "Figure"),
            *([Column("unit", "单位", "Unit")] if unit else []),
            Column("now", "本期", "This period", fmt),
            Column("before", "上期", "Previous", fmt),
            Column("change", "变化", "Change", fmt),
            Column("change_pct", "变化率", "Change %", "percent"),
        ]

    def part(unit: Any) -> pd.DataFrame:
        chosen = (
            frame["unit"].isin(unit)
            if isinstance(unit, list)
            else ~frame["unit"].isin(["件 count", "数量 qty"])
        )
        return frame[chosen].reset_index(drop=True)

    tables = [
        Table(
            "OverviewCounts",
            f"单据数 Documents — 本期 this period {ctx.period} · 上期 previous {ctx.period.previous}",
            columns("int", False),
            part(["件 count"]),
            Chart("bar", "本期与上期 This period vs previous", "figure", ("now", "before")),
        ),
        Table("OverviewQuantities", "数量 Quantities", columns("qty", False), part(["数量 qty"])),
    ]
    if prices:
        tables.append(
            Table(
                "OverviewValues",
                "金额 Values",
                columns("money", True),
                part(None),
                currency_key="unit",
            )
        )
    if ctx.has_open_items:
        tables.append(_open_now(ctx, prices))
    how = (
        "计算：本期与上期（同样天数）内按单据日期统计的有效单据（作废的不计）"
        + ("；金额按单据上的价格×数量，按币种分列。" if prices else "。")
        + "  How: active documents (cancelled ones left out) counted by their own date in this period and in the "
        "same number of days before"
        + ("; values are quantity × the document's price, per currency." if prices else ".")
        + " The documents: sheet 明细 Documents."
    )
    return Sheet("总览 Overview", f"总览 Overview — {ctx.period}", how, tables, stacked=True)


def _open_now(ctx: Context, prices: bool) -> Table:
    import pandas as pd

    role = "" if prices else "AND role = 'warehouse'"
    frame = ctx.frame(
        "SELECT obligation, role, COUNT(*) AS open, "
        "SUM(CASE WHEN due_on IS NOT NULL AND due_on != '' AND due_on < ? THEN 1 ELSE 0 END) AS overdue "
        f"FROM open_items WHERE 1 = 1 {role} GROUP BY obligation, role ORDER BY role, obligation",
        [ctx.today.isoformat()],
    )
    frame["obligation"] = frame["obligation"].map(lambda o: OBLIGATIONS.get(o, o))
    return Table(
        "OpenNow",
        f"现在未结事项 Open now ({ctx.today.isoformat()})",
        [
            Column("obligation", "事项", "Obligation"),
            Column("role", "部门", "Role"),
            Column("open", "未结", "Open", "int"),
            Column("overdue", "逾期", "Overdue", "int"),
        ],
        frame if len(frame) else pd.DataFrame(columns=["obligation", "role", "open", "overdue"]),
    )


OBLIGATIONS = {
    "follow_up_due": "待跟进 follow-up due",
    "inquiry_no_date": "咨询未定跟进日期 inquiry without a follow-up date",
    "quote_validity": "报价有效期 quote validity",
    "sample_feedback": "样品待反馈 sample feedback",
    "order_decision": "订单待决定 order decision",
    "firm_offer_validity": "实盘有效期 firm offer validity",
    "contract_to_notice": "合同待发货 contract to notice",
    "notice_to_issue": "发货单待出库 notice to issue",
    "notice_owed": "应收款 notice owed",
    "return_agreement": "退货待商定 return agreement",
    "replacement_owed": "待换货 replacement owed",
    "refund_owed": "待退款 refund owed",
    "return_to_receive": "退货待入库 return to receive",
    "service_next_action": "售后待处理 service next action",
    "receipt_to_sign": "待签收 receipt to sign",
}


# --- Salespeople (业务员评估) ------------------------------------------------------------------
def salespeople(ctx: Context) -> Sheet:
    import pandas as pd

    start, end = ctx.between
    counts = ctx.frame(
        "SELECT salesperson, kind, COUNT(*) AS n FROM report_documents WHERE day BETWEEN ? AND ? "
        "AND kind IN ('inquiry', 'quote', 'sample', 'order', 'contract') AND COALESCE(salesperson, '') != '' "
        "GROUP BY salesperson, kind",
        [start, end],
    )
    table = counts.pivot_table(
        index="salesperson", columns="kind", values="n", aggfunc="sum", fill_value=0
    )
    table = table.reindex(columns=["inquiry", "quote", "sample", "order", "contract"], fill_value=0)
    follow = ctx.frame(
        "SELECT salesperson, SUM(CASE WHEN due_on IS NOT NULL AND due_on != '' AND day > due_on THEN 1 ELSE 0 END) AS late, "
        "SUM(CASE WHEN due_on IS NULL OR due_on = '' OR day <= due_on THEN 1 ELSE 0 END) AS on_time "
        "FROM report_follow_ups WHERE day BETWEEN ? AND ? GROUP BY salesperson",
        [start, end],
    ).set_index("salesperson")
    converted = ctx.frame(
        "SELECT i.salesperson, COUNT(DISTINCT c.inquiry_no) AS converted FROM report_contract_chain c "
        "JOIN inquiry i ON i.docno = c.inquiry_no "
        "WHERE c.inquiry_date BETWEEN ? AND ? AND c.contract_date <= ? GROUP BY i.salesperson",
        [start, end, end],
    ).set_index("salesperson")
    sampled = _samples_ordered(ctx)
    days = ctx.frame(
        "SELECT salesperson, AVG(julianday(contract_date) - julianday(inquiry_date)) AS days "
        "FROM report_contract_chain WHERE contract_date BETWEEN ? AND ? AND inquiry_date IS NOT NULL "
        "GROUP BY salesperson",
        [start, end],
    ).set_index("salesperson")
    values = ctx.frame(
        "SELECT salesperson, currency, SUM(value) AS value FROM report_documents WHERE kind = 'contract' "
        "AND day BETWEEN ? AND ? GROUP BY salesperson, currency",
        [start, end],
    )
    value_table = values.pivot_table(
        index="salesperson", columns="currency", values="value", aggfunc="sum"
    )
    overdue = (
        ctx.frame(
            "SELECT COALESCE(NULLIF(salesperson, ''), owner) AS salesperson, COUNT(*) AS overdue FROM open_items "
            "WHERE role = 'sales' AND due_on IS NOT NULL AND due_on != '' AND due_on < ? GROUP BY 1",
            [ctx.today.isoformat()],
        ).set_index("salesperson")
        if ctx.has_open_items
        else pd.DataFrame(columns=["overdue"])
    )
    people = sorted(
        {
            p
            for p in (*table.index, *follow.index, *overdue.index, *value_table.index)
            if isinstance(p, str) and p
        }
    )
    frame = pd.DataFrame({"address": people})
    frame["name"] = frame["address"].map(ctx.person)
    for key in ("inquiry", "quote", "sample", "order", "contract"):
        frame[key] = frame["address"].map(table[key]).fillna(0).astype("int64")
    frame["on_time"] = frame["address"].map(follow["on_time"]).fillna(0).astype("int64")
    frame["late"] = frame["address"].map(follow["late"]).fillna(0).astype("int64")
    frame["conv_contract"] = _ratio(
        frame["address"].map(converted["converted"]).fillna(0), frame["inquiry"]
    )
    frame["conv_order"] = _ratio(
        frame["address"].map(sampled["ordered"]).fillna(0), frame["sample"]
    )
    frame["days"] = frame["address"].map(days["days"])
    currencies = list(value_table.columns) or [ctx.currency]
    value_columns = []
    for currency in currencies:
        key = f"value_{currency}"
        series = value_table[currency] if currency in value_table else pd.Series(dtype="float64")
        frame[key] = _value(frame["address"].map(series).fillna(0))
        value_columns.append(
            Column(key, "合同金额", f"Contract value {currency}", "money", currency)
        )
    frame["overdue"] = frame["address"].map(overdue["overdue"]).fillna(0).astype("int64")
    frame = frame.sort_values(["inquiry", "contract"], ascending=False, kind="stable").reset_index(
        drop=True
    )
    columns = [
        Column("name", "业务员", "Salesperson"),
        Column("address", "邮箱", "Address"),
        Column("inquiry", "咨询", "Inquiries", "int"),
        Column("on_time", "按时跟进", "Follow-ups on time", "int"),
        Column("late", "逾期跟进", "Follow-ups late", "int"),
        Column("quote", "报价", "Quotes", "int"),
        Column("sample", "样品", "Samples", "int"),
        Column("order", "订单", "Orders", "int"),
        Column("contract", "合同", "Contracts", "int"),
        Column("conv_contract", "咨询→合同", "Inquiry→contract", "percent"),
        Column("conv_order", "样品→订单", "Sample→order", "percent"),
        Column("days", "咨询到合同天数", "Days inquiry→contract", "days"),
        *value_columns,
        Column("overdue", "当前逾期事项", "Overdue now", "int"),
    ]
    how = (
        "计算：本期内各业务员的咨询、报价、样品、订单、合同数；跟进在应跟进日（咨询或上次跟进定的日期）当天或之前为按时；"
        "咨询→合同＝本期咨询中已有合同（合同←订单←报价←咨询）的比例；样品→订单＝本期样品中同一客户其后有订单的比例；"
        f"天数＝本期合同从咨询日起的平均天数；当前逾期＝未结事项中到期日早于 {ctx.today.isoformat()} 的。"
        "  How: per salesperson, documents dated in the period; a follow-up is on time when recorded on or before the "
        "date set by the inquiry or the previous follow-up; inquiry→contract = share of the period's inquiries that "
        "reached a contract (contract←order←quote←inquiry); sample→order = share of the period's samples followed by "
        "an order of the same customer; days = average from inquiry to the period's contracts; overdue now = open "
        "items past their due date."
    )
    return Sheet(
        "业务员评估 Salespeople",
        f"业务员评估 Salespeople — {ctx.period}",
        how,
        [
            Table(
                "Salespeople",
                "业务员评估 Salesperson evaluation",
                columns,
                frame,
                Chart(
                    "column",
                    "咨询、报价、合同 Inquiries, quotes, contracts",
                    "name",
                    ("inquiry", "quote", "contract"),
                ),
            )
        ],
    )


def _samples_ordered(ctx: Context) -> pd.DataFrame:
    """Per salesperson, the period's samples followed (that day or later, up to the period's end)
    by an order of the same customer: each sample matched to its customer's next order."""
    import pandas as pd

    start, end = ctx.between
    samples = ctx.frame(
        "SELECT salesperson, customer_code, day FROM report_documents WHERE kind = 'sample' "
        "AND day BETWEEN ? AND ? AND customer_code IS NOT NULL ORDER BY day",
        [start, end],
    )
    orders = ctx.frame(
        "SELECT customer_code, day AS ordered FROM report_documents WHERE kind = 'order' AND day >= ? "
        "AND day <= ? AND customer_code IS NOT NULL ORDER BY day",
        [start, end],
    )
    if not len(samples):
        return pd.DataFrame(columns=["ordered"])
    samples["day"] = pd.to_datetime(samples["day"])
    orders["ordered"] = pd.to_datetime(orders["ordered"])
    matched = pd.merge_asof(
        samples, orders, left_on="day", right_on="ordered", by="customer_code", direction="forward"
    )
    return matched.groupby("salesperson")[["ordered"]].count()


# --- Sales -----------------------------------------------------------------------------------
def sales(ctx: Context) -> Sheet:
    import pandas as pd

    start, end = ctx.between
    contracted = ctx.frame(
        f"SELECT substr(c.contract_date, 1, 7) AS month, c.customer_code, l.product_code, "
        f"COALESCE(NULLIF(upper(trim(c.currency)), ''), ?) AS currency, SUM({qty('l.quantity')}) AS c_qty, "
        f"SUM({qty('l.quantity')} * {scaled('l.unit_price', MONEY_PLACES)}) AS c_value "
        "FROM contract c JOIN documents d ON d.docno = c.docno AND d.status = 'active' "
        "JOIN contract_lines l ON l.docno = c.docno WHERE c.contract_date BETWEEN ? AND ? "
        "GROUP BY 1, 2, 3, 4",
        [ctx.currency, start, end],
    )
    issued = ctx.frame(
        f"SELECT substr(i.issue_date, 1, 7) AS month, n.customer_code, s.product_code, "
        f"COALESCE(NULLIF(upper(trim(n.currency)), ''), ?) AS currency, SUM({qty('s.quantity')}) AS i_qty, "
        f"SUM({qty('s.quantity')} * {scaled('nl.unit_price', MONEY_PLACES)}) AS i_value "
        "FROM issue_slip i JOIN documents d ON d.docno = i.docno AND d.status = 'active' "
        "JOIN issue_slip_lines s ON s.docno = i.docno JOIN shipment_notice n ON n.docno = i.notice_no "
        "LEFT JOIN shipment_notice_lines nl ON nl.docno = i.notice_no AND nl.line_no = s.notice_line "
        "WHERE i.issue_date BETWEEN ? AND ? GROUP BY 1, 2, 3, 4",
        [ctx.currency, start, end],
    )
    keys = ["month", "customer_code", "product_code", "currency"]
    frame = contracted.merge(issued, on=keys, how="outer")
    for column in ("c_qty", "i_qty"):
        frame[column] = _qty(frame[column].fillna(0))
    for column in ("c_value", "i_value"):
        frame[column] = _value(frame[column].fillna(0))
    customers, products = _names(ctx, "customers"), _names(ctx, "products")
    frame["customer"] = frame["customer_code"].map(customers)
    frame["product"] = frame["product_code"].map(products)
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    by_month = (
        frame.groupby(["month", "currency"], as_index=False)[["c_value", "i_value"]].sum()
        if len(frame)
        else pd.DataFrame(columns=["month", "currency", "c_value", "i_value"])
    )
    by_customer = (
        frame.groupby(["customer_code", "customer", "currency"], as_index=False, dropna=False)[
            ["c_value", "i_value"]
        ]
        .sum()
        .sort_values("c_value", ascending=False, kind="stable")
        .reset_index(drop=True)
        if len(frame)
        else pd.DataFrame(columns=["customer_code", "customer", "currency", "c_value", "i_value"])
    )
    by_customer["label"] = by_customer["customer"].fillna(by_customer["customer_code"])
    by_product = (
        frame.groupby(["product_code", "product", "currency"], as_index=False, dropna=False)[
            ["c_qty", "c_value", "i_qty", "i_value"]
        ]
        .sum()
        .sort_values("c_value", ascending=False, kind="stable")
        .reset_index(drop=True)
        if len(frame)
        else pd.DataFrame(
            columns=["product_code", "product", "currency", "c_qty", "c_value", "i_qty", "i_value"]
        )
    )
    value_cols = [
        Column("c_value", "合同金额", "Contracted value", "money"),
        Column("i_value", "出库货值", "Issued value", "money"),
    ]
    how = (
        "计算：合同按合同日期、出库按出库日期归月；合同金额＝合同行数量×单价；出库货值＝出库数量×发货单单价。"
        "  How: contracts by contract date, goods issued by issue-slip date; contracted value = contract line "
        "quantity × price; issued value = quantity issued × the notice's price."
    )
    return Sheet(
        "销售 Sales",
        f"销售 Sales — {ctx.period}",
        how,
        [
            Table(
                "SalesDetail",
                "按月、客户、产品 By month, customer and product",
                [
                    Column("month", "月份", "Month"),
                    Column("customer_code", "客户编号", "Customer"),
                    Column("customer", "客户名称", "Customer name"),
                    Column("product_code", "产品编号", "Product"),
                    Column("product", "产品名称", "Product name"),
                    Column("currency", "币种", "Currency"),
                    Column("c_qty", "合同数量", "Contracted qty", "qty"),
                    value_cols[0],
                    Column("i_qty", "出库数量", "Issued qty", "qty"),
                    value_cols[1],
                ],
                frame,
            ),
            Table(
                "SalesByMonth",
                "按月 By month",
                [
                    Column("month", "月份", "Month"),
                    Column("currency", "币种", "Currency"),
                    *value_cols,
                ],
                by_month,
                Chart(
                    "column",
                    "每月合同与出库 Contracted and issued by month",
                    "month",
                    ("c_value", "i_value"),
                ),
            ),
            Table(
                "SalesByCustomer",
                "按客户 By customer",
                [
                    Column("label", "客户", "Customer"),
                    Column("customer_code", "客户编号", "Code"),
                    Column("currency", "币种", "Currency"),
                    *value_cols,
                ],
                by_customer,
                Chart("bar", "客户合同金额 Contracted by customer", "label", ("c_value",)),
            ),
            Table(
                "SalesByProduct",
                "按产品 By product",
                [
                    Column("product_code", "产品编号", "Product"),
                    Column("product", "产品名称", "Product name"),
                    Column("currency", "币种", "Currency"),
                    Column("c_qty", "合同数量", "Contracted qty", "qty"),
                    value_cols[0],
                    Column("i_qty", "出库数量", "Issued qty", "qty"),
                    value_cols[1],
                ],
                by_product,
            ),
        ],
    )


# --- Fulfilment ------------------------------------------------------------------------------
def fulfilment(ctx: Context, prices: bool = True) -> Sheet:
    start, end = ctx.between
    lines = ctx.frame(
        "SELECT * FROM report_contract_fulfilment WHERE contract_date <= ? AND (contract_date >= ? "
        "OR COALESCE(issued, 0) < contracted)",
        [end, start],
    )
    for column in ("contracted", "noticed", "issued"):
        lines[column] = _qty(lines[column].fillna(0))
    lines["to_notice"] = (lines["contracted"] - lines["noticed"]).clip(lower=0)
    lines["to_issue"] = (lines["noticed"] - lines["issued"]).clip(lower=0)

    def state(row: Any) -> str:
        if row.issued >= row.contracted:
            return "已完成 done"
        if row.issued > 0:
            return "部分出库 partly issued"
        if row.noticed > 0:
            return "已通知未出库 noticed, not issued"
        return "未发货 not started"

    lines["state"] = [state(r) for r in lines.itertuples()] if len(lines) else []
    customers, products = _names(ctx, "customers"), _names(ctx, "products")
    lines["customer"] = lines["customer_code"].map(customers)
    lines["product"] = lines["product_code"].map(products)
    lines["salesperson_name"] = lines["salesperson"].map(ctx.person)
    lines = lines.sort_values(
        ["contract_date", "contract_no", "product_code"], kind="stable"
    ).reset_index(drop=True)
    handling = f"SUM({money('i.handling_cost')})" if prices else "NULL"
    warehouses = ctx.frame(
        "SELECT i.warehouse, COUNT(DISTINCT i.docno) AS slips, SUM(v.quantity) AS issued, "
        f"SUM(v.damaged) AS damaged, {handling} AS handling "
        "FROM issue_slip i JOIN documents d ON d.docno = i.docno AND d.status = 'active' "
        "LEFT JOIN report_slip_values v ON v.docno = i.docno WHERE i.issue_date BETWEEN ? AND ? "
        "GROUP BY i.warehouse ORDER BY i.warehouse",
        [start, end],
    )
    inbound = ctx.frame(
        "SELECT warehouse, SUM(quantity) AS returned FROM report_documents WHERE kind = 'return_inbound' "
        "AND day BETWEEN ? AND ? GROUP BY warehouse",
        [start, end],
    ).set_index("warehouse")
    names = _names(ctx, "warehouses")
    warehouses["name"] = warehouses["warehouse"].map(names)
    warehouses["issued"] = _qty(warehouses["issued"].fillna(0))
    warehouses["damaged"] = _qty(warehouses["damaged"].fillna(0))
    if prices:
        warehouses["handling"] = _value(warehouses["handling"].fillna(0))
    warehouses["returned"] = _qty(warehouses["warehouse"].map(inbound["returned"]).fillna(0))
    warehouse_cols = [
        Column("warehouse", "仓库", "Warehouse"),
        Column("name", "仓库名称", "Name"),
        Column("slips", "出库单数", "Issue slips", "int"),
        Column("issued", "出库数量", "Issued", "qty"),
        Column("damaged", "破损数量", "Damaged", "qty"),
        Column("returned", "退货入库数量", "Returned in", "qty"),
    ]
    if prices:
        warehouse_cols.append(
            Column("handling", "出库杂费", "Handling costs", "money", ctx.currency)
        )
    how = (
        "计算：每个合同按产品：合同数量、已开发货单数量（换货发货单除外）、已出库数量；本期合同及尚未出完的合同都列出。"
        "仓库：本期出库单的出库、破损数量" + ("和杂费" if prices else "") + "，本期退货入库数量。"
        "  How: per contract and product: contracted, on shipment notices (replacements aside) and issued; contracts "
        "of the period and any not fully issued. Per warehouse: the period's issue slips, quantities issued and "
        "damaged" + (", handling costs" if prices else "") + ", and quantities returned in."
    )
    return Sheet(
        "履约 Fulfilment",
        f"履约 Fulfilment — {ctx.period}",
        how,
        [
            Table(
                "ContractLines",
                "合同发货与出库 Contracts noticed and issued",
                [
                    Column("contract_no", "合同号", "Contract"),
                    Column("contract_date", "合同日期", "Date", "date"),
                    Column("customer_code", "客户编号", "Customer"),
                    Column("customer", "客户名称", "Customer name"),
                    Column("salesperson_name", "业务员", "Salesperson"),
                    Column("delivery_date", "交货日期", "Delivery", "date"),
                    Column("product_code", "产品编号", "Product"),
                    Column("product", "产品名称", "Product name"),
                    Column("contracted", "合同数量", "Contracted", "qty"),
                    Column("noticed", "已通知", "Noticed", "qty"),
                    Column("issued", "已出库", "Issued", "qty"),
                    Column("to_notice", "待通知", "To notice", "qty"),
                    Column("to_issue", "待出库", "To issue", "qty"),
                    Column("state", "状态", "State"),
                ],
                lines,
            ),
            Table(
                "Warehouses",
                "按仓库 By warehouse",
                warehouse_cols,
                warehouses,
                Chart(
                    "column", "出库与破损 Issued and damaged", "warehouse", ("issued", "damaged")
                ),
            ),
        ],
    )


# --- Returns ---------------------------------------------------------------------------------
def returns(ctx: Context) -> Sheet:
    from silu_sheets.kinds import sales_return

    start, end = ctx.between
    frame = ctx.frame(
        "SELECT COALESCE(NULLIF(trim(r.reason), ''), '—') AS reason, r.goods_disposition, r.money_disposition, "
        "COALESCE(NULLIF(upper(trim(r.currency)), ''), ?) AS currency, COUNT(*) AS returns, "
        "SUM(v.quantity) AS quantity, SUM(" + money("r.requested_amount") + ") AS requested, "
        "SUM(CASE WHEN COALESCE(r.agreed_amount, '') != '' THEN "
        + money("r.agreed_amount")
        + " END) AS agreed, "
        "SUM(CASE WHEN COALESCE(r.agreed_amount, '') = '' THEN 1 ELSE 0 END) AS pending "
        "FROM sales_return r JOIN documents d ON d.docno = r.docno AND d.status = 'active' "
        "LEFT JOIN report_documents v ON v.docno = r.docno WHERE r.return_date BETWEEN ? AND ? "
        "GROUP BY 1, 2, 3, 4 ORDER BY returns DESC, reason",
        [ctx.currency, start, end],
    )
    kind = sales_return.KIND
    for key in ("goods_disposition", "money_disposition"):
        f = kind.field(key)
        frame[key] = frame[key].map(lambda k, f=f: c.shown if (c := f.choice(k)) else (k or ""))
    frame["quantity"] = _qty(frame["quantity"].fillna(0))
    frame["requested"] = _value(frame["requested"].fillna(0))
    frame["agreed"] = _value(frame["agreed"].fillna(0))
    how = (
        "计算：本期（按退货日期）的有效退货单，按原因、货物处理、货款处理分组；商定金额只计已商定的，待商定单另列件数。"
        "  How: the period's active sales returns by return date, grouped by reason, goods and money disposition; "
        "agreed amounts only where agreed; returns still awaiting agreement are counted apart."
    )
    return Sheet(
        "退货 Returns",
        f"退货 Returns — {ctx.period}",
        how,
        [
            Table(
                "Returns",
                "按原因与处理 By reason and disposition",
                [
                    Column("reason", "退货原因", "Reason"),
                    Column("goods_disposition", "货物处理", "Goods"),
                    Column("money_disposition", "货款处理", "Money"),
                    Column("currency", "币种", "Currency"),
                    Column("returns", "退货单数", "Returns", "int"),
                    Column("quantity", "退货数量", "Quantity", "qty"),
                    Column("requested", "客户要求金额", "Requested", "money"),
                    Column("agreed", "商定金额", "Agreed", "money"),
                    Column("pending", "待商定", "Awaiting agreement", "int"),
                ],
                frame,
                Chart("pie", "退货原因 Returns by reason", "reason", ("returns",)),
            )
        ],
    )


# --- Stock -----------------------------------------------------------------------------------
def stock(ctx: Context) -> Sheet:
    frame = ctx.frame(
        "SELECT * FROM report_stock ORDER BY warehouse, product_code, expiry_date, lot"
    )
    frame["on_hand"] = _qty(frame["on_hand"])
    today = ctx.today

    def days_left(expiry: Any) -> float | None:
        if not isinstance(expiry, str) or not expiry:
            return None
        return float((dt.date.fromisoformat(expiry) - today).days)

    frame["days_left"] = [days_left(e) for e in frame["expiry_date"]]
    within = ctx.expiring_days

    def state(days: Any) -> str:
        if days is None or days != days:
            return ""
        if days < 0:
            return "已过期 expired"
        if days <= within:
            return f"{within} 天内到期 expiring"
        return ""

    frame["state"] = [state(d) for d in frame["days_left"]]
    expiring = (
        frame[frame["state"] != ""].sort_values("days_left", kind="stable").reset_index(drop=True)
    )
    by_warehouse = frame.groupby(["warehouse"], as_index=False)["on_hand"].sum()
    columns = [
        Column("warehouse", "仓库", "Warehouse"),
        Column("warehouse_name", "仓库名称", "Warehouse name"),
        Column("product_code", "产品编号", "Product"),
        Column("product_name", "产品名称", "Product name"),
        Column("unit", "单位", "Unit"),
        Column("lot", "批号", "Lot"),
        Column("production_date", "生产日期", "Produced", "date"),
        Column("expiry_date", "到期日", "Expires", "date"),
        Column("days_left", "剩余天数", "Days left", "int"),
        Column("on_hand", "库存", "On hand", "qty"),
        Column("state", "提示", "Note"),
    ]
    how = (
        f"计算：现在（{today.isoformat()}）各仓库、产品、批号的库存＝期初＋退货入库－出库（含冲销）；"
        f"{within} 天内到期或已过期的批号另列。"
        f"  How: on hand now per warehouse, product and lot = opening + returns in − issues (with reversals); "
        f"lots expiring within {within} days or expired are listed apart."
    )
    return Sheet(
        "库存 Stock",
        f"库存 Stock — {today.isoformat()}",
        how,
        [
            Table("Stock", "库存 On hand", columns, frame),
            Table(
                "Expiring", f"{within} 天内到期 Expiring within {within} days", columns, expiring
            ),
            Table(
                "StockByWarehouse",
                "按仓库 By warehouse",
                [
                    Column("warehouse", "仓库", "Warehouse"),
                    Column("on_hand", "库存", "On hand", "qty"),
                ],
                by_warehouse,
                Chart("column", "各仓库存 On hand by warehouse", "warehouse", ("on_hand",)),
            ),
        ],
    )


# --- Pipeline (open items) ------------------------------------------------------------------
LIKELIHOOD = {"high": "高 high", "medium": "中 medium", "low": "低 low"}


def pipeline(ctx: Context) -> Sheet:
    import pandas as pd

    today = ctx.today.isoformat()
    inquiries = ctx.frame(
        "SELECT o.docno, o.obligation, o.owner, o.customer_code, o.due_on, i.inquiry_date, i.likelihood, "
        "CAST(julianday(?) - julianday(i.inquiry_date) AS INTEGER) AS age FROM open_items o "
        "JOIN inquiry i ON i.docno = o.docno WHERE o.obligation IN ('follow_up_due', 'inquiry_no_date') "
        "ORDER BY i.inquiry_date, o.docno",
        [today],
    )
    inquiries["likelihood"] = inquiries["likelihood"].map(
        lambda k: LIKELIHOOD.get(k, "未填 not given")
    )
    inquiries["age_bucket"] = [
        _bucket(int(a), AGE_BUCKETS) if a == a else "" for a in inquiries["age"]
    ]
    inquiries["days_late"] = [_days_late(d, ctx.today) for d in inquiries["due_on"]]
    inquiries["owner"] = inquiries["owner"].map(ctx.person)
    inquiries["customer"] = inquiries["customer_code"].map(_names(ctx, "customers"))
    labels = [b[2] for b in AGE_BUCKETS]
    grid = (
        inquiries.pivot_table(
            index="likelihood", columns="age_bucket", values="docno", aggfunc="count", fill_value=0
        )
        .reindex(index=[*LIKELIHOOD.values(), "未填 not given"], columns=labels, fill_value=0)
        .reset_index()
    )
    grid.columns = ["likelihood", *[f"age_{label}" for label in labels]]
    grid["total"] = grid[[f"age_{label}" for label in labels]].sum(axis=1)
    quotes = ctx.frame(
        "SELECT o.docno, o.owner, o.customer_code, o.due_on, d.day, d.currency, d.value, "
        "CAST(julianday(o.due_on) - julianday(?) AS INTEGER) AS days_left FROM open_items o "
        "LEFT JOIN report_documents d ON d.docno = o.docno WHERE o.obligation = 'quote_validity' "
        "ORDER BY o.due_on, o.docno",
        [today],
    )

    def validity(days: Any) -> str:
        if days is None or days != days:
            return "无有效期 no date"
        if days < 0:
            return "已过期 expired"
        if days <= 7:
            return "7 天内到期 expiring within 7 days"
        return "有效 valid"

    quotes["state"] = [validity(d) for d in quotes["days_left"]]
    quotes["value"] = _value(quotes["value"].fillna(0))
    quotes["owner"] = quotes["owner"].map(ctx.person)
    quotes["customer"] = quotes["customer_code"].map(_names(ctx, "customers"))
    by_state = (
        quotes.groupby(["state", "currency"], as_index=False, dropna=False)
        .agg(quotes=("docno", "count"), value=("value", "sum"))
        .sort_values("state", kind="stable")
        if len(quotes)
        else pd.DataFrame(columns=["state", "currency", "quotes", "value"])
    )
    age_columns = [
        Column(f"age_{label}", f"{label} 天", f"{label} days", "int") for label in labels
    ]
    how = (
        f"计算：现在（{today}）未结的咨询（未成交也未失败），按成交可能性和咨询至今天数分组；"
        "未被订单引用的报价按有效期分组（7 天内到期、已过期）。均取自未结事项（明细 Documents 的 Open items）。"
        "  How: inquiries open now (neither won nor lost) by likelihood and days since the inquiry; quotes no order "
        "cites yet by their valid-until date. Both read from the open items."
    )
    return Sheet(
        "销售漏斗 Pipeline",
        f"销售漏斗 Pipeline — {today}",
        how,
        [
            Table(
                "PipelineGrid",
                "未结咨询：可能性×天数 Open inquiries: likelihood × age",
                [
                    Column("likelihood", "成交可能性", "Likelihood"),
                    *age_columns,
                    Column("total", "合计", "Total", "int"),
                ],
                grid,
                Chart(
                    "column",
                    "未结咨询 Open inquiries",
                    "likelihood",
                    tuple(c.key for c in age_columns),
                    stacked=True,
                ),
            ),
            Table(
                "OpenInquiries",
                "未结咨询 Open inquiries",
                [
                    Column("docno", "咨询单号", "Inquiry"),
                    Column("inquiry_date", "咨询日期", "Date", "date"),
                    Column("customer_code", "客户编号", "Customer"),
                    Column("customer", "客户名称", "Customer name"),
                    Column("owner", "业务员", "Salesperson"),
                    Column("likelihood", "成交可能性", "Likelihood"),
                    Column("age", "天数", "Age (days)", "int"),
                    Column("due_on", "下次跟进", "Next follow-up", "date"),
                    Column("days_late", "逾期天数", "Days late", "int"),
                ],
                inquiries,
            ),
            Table(
                "QuotesByValidity",
                "报价按有效期 Quotes by validity",
                [
                    Column("state", "有效期", "Validity"),
                    Column("currency", "币种", "Currency"),
                    Column("quotes", "报价数", "Quotes", "int"),
                    Column("value", "金额", "Value", "money"),
                ],
                by_state,
            ),
            Table(
                "OpenQuotes",
                "未成单报价 Quotes not yet ordered",
                [
                    Column("docno", "报价单号", "Quote"),
                    Column("day", "报价日期", "Date", "date"),
                    Column("customer_code", "客户编号", "Customer"),
                    Column("customer", "客户名称", "Customer name"),
                    Column("owner", "业务员", "Salesperson"),
                    Column("due_on", "有效期至", "Valid until", "date"),
                    Column("days_left", "剩余天数", "Days left", "int"),
                    Column("state", "状态", "State"),
                    Column("currency", "币种", "Currency"),
                    Column("value", "金额", "Value", "money"),
                ],
                quotes,
            ),
        ],
    )


# --- Receivables (open items + money movements) ----------------------------------------------
def receivables(ctx: Context) -> Sheet:
    import pandas as pd

    today = ctx.today.isoformat()
    start, end = ctx.between
    buckets = (
        ("not_due", "未到期", "not yet due"),
        ("d0_30", "0-30", "0-30"),
        ("d31_60", "31-60", "31-60"),
        ("d61_90", "61-90", "61-90"),
        ("d90", "90+", "90+"),
    )
    owed = ctx.frame(
        "SELECT customer_code, COALESCE(NULLIF(currency, ''), ?) AS currency, "
        f"SUM({money('remaining')}) AS owed, COUNT(*) AS notices, "
        f"SUM(CASE WHEN due_on IS NULL OR due_on = '' OR due_on >= ? THEN {money('remaining')} ELSE 0 END) AS not_due, "
        + ", ".join(
            f"SUM(CASE WHEN julianday(?) - julianday(due_on) BETWEEN {low} AND {high} THEN {money('remaining')} "
            f"ELSE 0 END) AS {key}"
            for key, low, high in (
                ("d0_30", 1, 30),
                ("d31_60", 31, 60),
                ("d61_90", 61, 90),
                ("d90", 91, 10**9),
            )
        )
        + " FROM open_items WHERE obligation = 'notice_owed' GROUP BY 1, 2",
        [ctx.currency, today, today, today, today, today],
    )
    balances = ctx.frame(
        f"SELECT customer_code, currency, SUM({money('amount')}) AS balance FROM money_movements "
        "WHERE account = 'balance' GROUP BY 1, 2"
    )
    advances = ctx.frame(
        f"SELECT customer_code, currency, SUM({money('amount')}) AS advances FROM money_movements "
        "WHERE account = 'balance' AND movement = 'advance' AND moved_on BETWEEN ? AND ? GROUP BY 1, 2",
        [start, end],
    )
    refunds = ctx.frame(
        f"SELECT customer_code, COALESCE(NULLIF(currency, ''), ?) AS currency, SUM({money('remaining')}) AS refunds "
        "FROM open_items WHERE obligation = 'refund_owed' GROUP BY 1, 2",
        [ctx.currency],
    )
    keys = ["customer_code", "currency"]
    frame = owed
    for other in (balances, advances, refunds):
        frame = frame.merge(other, on=keys, how="outer")
    value_keys = ["owed", *[b[0] for b in buckets], "balance", "advances", "refunds"]
    for key in value_keys:
        frame[key] = _value(frame[key].fillna(0)) if key in frame else 0.0
    frame["notices"] = frame["notices"].fillna(0).astype("int64")
    frame["net"] = frame["owed"] - frame["balance"] + frame["refunds"]
    frame = frame[(frame[value_keys] != 0).any(axis=1)] if len(frame) else frame
    frame["customer"] = frame["customer_code"].map(_names(ctx, "customers"))
    frame["label"] = frame["customer"].fillna(frame["customer_code"])
    frame = frame.sort_values(
        ["owed", "customer_code"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    columns = [
        Column("customer_code", "客户编号", "Customer"),
        Column("customer", "客户名称", "Customer name"),
        Column("label", "客户", "Customer (chart)"),
        Column("currency", "币种", "Currency"),
        Column("notices", "欠款发货单", "Notices owing", "int"),
        Column("owed", "应收合计", "Owed", "money"),
        *[
            Column(
                key,
                zh if key == "not_due" else f"逾期 {zh} 天",
                en if key == "not_due" else f"{en} days past terms",
                "money",
            )
            for key, zh, en in buckets
        ],
        Column("balance", "客户结余", "Customer balance", "money"),
        Column("advances", "本期预收", "Advances this period", "money"),
        Column("refunds", "待退款", "Refunds due", "money"),
        Column("net", "净应收", "Net owed", "money"),
    ]
    how = (
        f"计算：应收＝每张发货单已出库数量×单价－退货冲减－已收款（未结事项 notice_owed），按到期日（最后出库日＋账期天数）"
        f"至 {today} 的逾期天数分段；客户结余＝结余款流水合计；本期预收＝本期预收款；待退款＝已商定未付的退款；净应收＝应收－结余＋待退款。"
        "  How: owed = each notice's issued quantity × price less return credits less payments (open items), aged by "
        "days past its due date (last issue + payment days); balance = the customer's balance movements; advances = "
        "advances received in the period; refunds due = agreed, unpaid; net = owed − balance + refunds due."
    )
    if not len(frame):
        frame = pd.DataFrame(columns=[c.key for c in columns])
    return Sheet(
        "应收 Receivables",
        f"应收 Receivables — {today}",
        how,
        [
            Table(
                "Receivables",
                "应收账龄 Receivables ageing past terms",
                columns,
                frame,
                Chart(
                    "bar", "应收账龄 Ageing", "label", tuple(b[0] for b in buckets), stacked=True
                ),
            )
        ],
    )


# --- Service ---------------------------------------------------------------------------------
def service(ctx: Context) -> Sheet:
    import pandas as pd

    start, end = ctx.between
    today = ctx.today.isoformat()
    records = ctx.frame(
        "SELECT s.docno, s.service_date, s.customer_code, s.contract_no, s.channel, s.request, s.action_taken, "
        "s.salesperson, o.due_on, o.docno IS NOT NULL AS open, "
        "CASE WHEN o.docno IS NULL THEN 'closed' WHEN o.due_on IS NOT NULL AND o.due_on != '' AND o.due_on < ? "
        "THEN 'overdue' ELSE 'open' END AS state "
        "FROM service s JOIN documents d ON d.docno = s.docno AND d.status = 'active' "
        "LEFT JOIN open_items o ON o.docno = s.docno AND o.obligation = 'service_next_action' "
        "WHERE s.service_date BETWEEN ? AND ? OR o.docno IS NOT NULL ORDER BY s.service_date, s.docno",
        [today, start, end],
    )
    states = {"open": "处理中 open", "overdue": "已逾期 overdue", "closed": "已完成 closed"}
    records["customer"] = records["customer_code"].map(_names(ctx, "customers"))
    records["salesperson"] = records["salesperson"].map(ctx.person)
    by_customer = (
        records.pivot_table(
            index=["customer_code"], columns="state", values="docno", aggfunc="count", fill_value=0
        )
        .reindex(columns=list(states), fill_value=0)
        .reset_index()
        if len(records)
        else pd.DataFrame(columns=["customer_code", *states])
    )
    by_customer["customer"] = by_customer["customer_code"].map(_names(ctx, "customers"))
    by_customer["label"] = by_customer["customer"].fillna(by_customer["customer_code"])
    by_customer["total"] = by_customer[list(states)].sum(axis=1)
    by_customer = by_customer.sort_values("total", ascending=False, kind="stable").reset_index(
        drop=True
    )
    records["state"] = records["state"].map(states)
    how = (
        f"计算：本期的售后记录及现在仍未完成的记录；状态取自未结事项：有下次处理日期且未到＝处理中，已过＝已逾期（{today}），"
        "无未结事项＝已完成。  How: the period's service records and any still open; state from the open items: "
        "next action ahead = open, passed = overdue, none = closed."
    )
    return Sheet(
        "售后 Service",
        f"售后 Service — {ctx.period}",
        how,
        [
            Table(
                "ServiceByCustomer",
                "按客户与状态 By customer and state",
                [
                    Column("label", "客户", "Customer"),
                    Column("customer_code", "客户编号", "Code"),
                    *[
                        Column(key, zh.split()[0], zh.split()[1], "int")
                        for key, zh in states.items()
                    ],
                    Column("total", "合计", "Total", "int"),
                ],
                by_customer,
                Chart("bar", "售后记录 Service records", "label", tuple(states), stacked=True),
            ),
            Table(
                "ServiceRecords",
                "售后记录 Service records",
                [
                    Column("docno", "单号", "Record"),
                    Column("service_date", "日期", "Date", "date"),
                    Column("customer_code", "客户编号", "Customer"),
                    Column("customer", "客户名称", "Customer name"),
                    Column("contract_no", "合同号", "Contract"),
                    Column("request", "客户要求", "Request"),
                    Column("action_taken", "处理", "Action taken"),
                    Column("salesperson", "负责人", "Person"),
                    Column("due_on", "下次处理", "Next action", "date"),
                    Column("state", "状态", "State"),
                ],
                records,
            ),
        ],
    )


# --- Drill-down ------------------------------------------------------------------------------
def documents(ctx: Context, prices: bool = True) -> Sheet:
    previous = ctx.period.previous
    kinds = "" if prices else "AND kind IN ('shipment_notice', 'issue_slip', 'return_inbound')"
    frame = ctx.frame(
        "SELECT CASE WHEN day >= ? THEN '本期 this' ELSE '上期 previous' END AS period, docno, kind, day, "
        f"customer_code, salesperson, warehouse, {'currency, value, ' if prices else ''}quantity, detail "
        f"FROM report_documents WHERE day BETWEEN ? AND ? {kinds} ORDER BY day DESC, docno LIMIT ?",
        [
            ctx.period.start.isoformat(),
            previous.start.isoformat(),
            ctx.period.end.isoformat(),
            MAX_DRILL_ROWS + 1,
        ],
    )
    cut = len(frame) > MAX_DRILL_ROWS
    frame = frame.iloc[:MAX_DRILL_ROWS]
    frame["kind"] = frame["kind"].map(_kind_label)
    frame["customer"] = frame["customer_code"].map(_names(ctx, "customers"))
    frame["salesperson"] = frame["salesperson"].map(ctx.person)
    frame["quantity"] = _qty(frame["quantity"])
    columns = [
        Column("period", "期间", "Period"),
        Column("docno", "单号", "Document"),
        Column("kind", "单据", "Kind"),
        Column("day", "日期", "Date", "date"),
        Column("customer_code", "客户编号", "Customer"),
        Column("customer", "客户名称", "Customer name"),
        Column("salesperson", "业务员", "Salesperson"),
        Column("warehouse", "仓库", "Warehouse"),
        Column("quantity", "数量", "Quantity", "qty"),
    ]
    if prices:
        frame["value"] = _value(frame["value"])
        columns += [
            Column("currency", "币种", "Currency"),
            Column("value", "金额", "Value", "money"),
        ]
    tables = [
        Table(
            "Documents",
            "本期和上期的单据（用 STATUS 单号 可查每一张）Documents of both periods (STATUS number shows each)"
            + (
                f" — 只列最近 {MAX_DRILL_ROWS:,} 张 only the latest {MAX_DRILL_ROWS:,}"
                if cut
                else ""
            ),
            columns,
            frame.reset_index(drop=True),
        )
    ]
    if ctx.has_open_items:
        tables.append(_open_items_table(ctx, prices))
    how = (
        "计算：各表合计背后的单据：本期与上期内按单据日期的有效单据，以及现在的未结事项。"
        "  How: the documents behind the totals: active documents dated in this or the previous period, and the "
        "open items now."
    )
    return Sheet(
        "明细 Documents",
        f"明细 Documents — {ctx.period.previous.start} … {ctx.period.end}",
        how,
        tables,
    )


def _open_items_table(ctx: Context, prices: bool) -> Table:
    where = "" if prices else "WHERE role = 'warehouse' AND measure != 'amount'"
    frame = ctx.frame(
        "SELECT docno, kind, obligation, role, owner, customer_code, warehouse, product_code, lot, measure, "
        f"remaining, currency, due_on, since FROM open_items {where} ORDER BY due_on IS NULL, due_on, docno "
        "LIMIT ?",
        [MAX_DRILL_ROWS],
    )
    frame["kind"] = frame["kind"].map(_kind_label)
    frame["obligation"] = frame["obligation"].map(lambda o: OBLIGATIONS.get(o, o))
    frame["owner"] = frame["owner"].map(ctx.person)
    frame["remaining"] = [
        float(r) if isinstance(r, str) and r else None for r in frame["remaining"]
    ]
    frame["days_late"] = [_days_late(d, ctx.today) for d in frame["due_on"]]
    return Table(
        "OpenItems",
        f"现在的未结事项 Open items now ({ctx.today.isoformat()})",
        [
            Column("docno", "单号", "Document"),
            Column("kind", "单据", "Kind"),
            Column("obligation", "事项", "Obligation"),
            Column("owner", "负责人", "Owner"),
            Column("customer_code", "客户", "Customer"),
            Column("warehouse", "仓库", "Warehouse"),
            Column("product_code", "产品", "Product"),
            Column("remaining", "未结", "Remaining", "qty"),
            Column("currency", "币种", "Currency"),
            Column("due_on", "到期", "Due", "date"),
            Column("days_late", "逾期天数", "Days late", "int"),
        ],
        frame,
    )


def _days_late(due: Any, today: dt.date) -> int:
    if not isinstance(due, str) or not due:
        return 0
    return max((today - dt.date.fromisoformat(due)).days, 0)


MANAGER_SHEETS: tuple[Callable[[Context], Sheet], ...] = (
    overview,
    salespeople,
    pipeline,
    sales,
    fulfilment,
    receivables,
    returns,
    stock,
    service,
    documents,
)


def manager_sheets(ctx: Context) -> Iterator[Sheet]:
    """Each sheet built when the writer asks for it, so only one sheet's frames are held."""
    return (build(ctx) for build in MANAGER_SHEETS)


def warehouse_sheets(ctx: Context) -> Iterator[Sheet]:
    """Quantities only: built from frames that never select a price, amount or balance."""
    yield overview(ctx, prices=False)
    yield fulfilment(ctx, prices=False)
    yield stock(ctx)
    yield documents(ctx, prices=False)
