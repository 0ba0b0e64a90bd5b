"""The summary workbook (``silu report``) on a ledger of about 10^6 document lines: seconds and
peak memory of the full report, beside the floor — the very same frames written by pandas alone
(``DataFrame.to_excel``, no tables, formats or charts) — and their ratio.

The ledger is seeded fast by bulk SQL into the tables and shapes the pipeline writes
(``documents``, the kind tables and their lines, ``stock_movements`` — whose trigger keeps
``stock_on_hand`` — ``money_movements``, ``open_items``, lots and masters); revisions are left
out (the report never reads them). A year of deals: inquiry → follow-up → quote → (sample) →
order → contract → notice → issue slip → payment, 60 % of them converting, 5 lines a document.

    .venv/bin/python bench/report.py [--lines 1000000] [--quick]

Each measurement runs in its own process, so its peak resident memory is its own. Goals: full
report <= 30 s and <= 500 MB on a 2-core machine, <= 1.2x the floor. Printed, never a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, emit  # noqa: E402

START = dt.date(2025, 12, 1)
END = dt.date(2026, 11, 30)
SALESPEOPLE = [f"sales{i}@firm.test" for i in range(1, 9)]
CUSTOMERS = [f"C{i:04d}" for i in range(1, 501)]
PRODUCTS = [f"P-{i:04d}" for i in range(1, 201)]
WAREHOUSES = ["WH-A", "WH-B", "WH-C"]
LINES = 5


def seed(root: Path, target_lines: int) -> int:
    """A firm folder at ``root`` whose ledger holds about ``target_lines`` document lines."""
    from silu_sheets import firm as firm_folder
    from silu_sheets.ledger.store import Ledger

    folder = firm_folder.init(root)
    ledger = Ledger(folder.ledger_path)
    db = ledger.db  # the sqlite3 connection
    stamp = "2026-11-30T08:00:00+00:00"
    rows: dict[str, list[tuple]] = {}

    def add(table: str, *values: object) -> None:
        rows.setdefault(table, []).append(values)

    for c in CUSTOMERS:
        add("customers", c, f"客户 {c} 有限公司", SALESPEOPLE[int(c[1:]) % 8], 30)
    for p in PRODUCTS:
        add("products", p, f"产品 {p}", "个", "1.50", 1)
        add(
            "lots", p, f"L-{p}", "2026-01-01", (END + dt.timedelta(days=int(p[2:]) * 3)).isoformat()
        )
    for w in WAREHOUSES:
        add("warehouses", w, f"仓库 {w}")
        for p in PRODUCTS:
            add(
                "stock_movements",
                w,
                p,
                f"L-{p}",
                "10000000",
                "opening",
                "OPS-2025-00001",
                1,
                None,
                None,
                stamp,
            )

    lines = 0
    chain = 0
    days = (END - START).days
    while lines < target_lines:
        chain += 1
        n = f"{chain:07d}"
        d0 = START + dt.timedelta(days=(chain * 7919) % (days - 45))
        day = lambda k, d0=d0: (d0 + dt.timedelta(days=k)).isoformat()  # noqa: E731
        customer = CUSTOMERS[chain % len(CUSTOMERS)]
        sales = SALESPEOPLE[chain % len(SALESPEOPLE)]
        products = [PRODUCTS[(chain * 13 + i * 7) % len(PRODUCTS)] for i in range(LINES)]
        prices = [f"{1 + (chain + i) % 9}.{(chain * i) % 100:02d}" for i in range(LINES)]
        converts = chain % 5 < 3
        # a steady state: what is older than ~6 weeks was issued in full, paid (all but a few
        # bad debts) or lost; only recent deals leave open items
        recent = (END - d0).days <= 45

        def document(kind: str, docno: str, owner: str = sales, customer: str = customer) -> None:
            add("documents", docno, kind, "active", 1, customer, owner, stamp, stamp)

        inquiry, quote = f"INQ-{n}", f"QUO-{n}"
        document("inquiry", inquiry)
        add(
            "inquiry",
            inquiry,
            1,
            "active",
            day(0),
            customer,
            sales,
            ("high", "medium", "low")[chain % 3],
            day(5),
        )
        for i, p in enumerate(products, 1):
            add("inquiry_lines", inquiry, i, p, "100")
        document("follow_up", f"FUP-{n}")
        add(
            "follow_up",
            f"FUP-{n}",
            1,
            "active",
            inquiry,
            day(4 + 4 * (chain % 2)),
            "continue" if converts or recent else "lost",
            day(14),
            customer,
            sales,
        )
        document("quote", quote)
        add("quote", quote, 1, "active", day(6), day(36), customer, inquiry, "CNY", sales)
        for i, (p, price) in enumerate(zip(products, prices, strict=True), 1):
            add("quote_lines", quote, i, p, "100", price)
        lines += 2 * LINES
        if chain % 3 == 0:
            document("sample", f"SMP-{n}")
            add("sample", f"SMP-{n}", 1, "active", day(7), customer, inquiry, sales)
            add("sample_lines", f"SMP-{n}", 1, products[0], "5")
            lines += 1
        if not converts and not recent:
            continue
        if not converts:
            add(
                "open_items",
                inquiry,
                "inquiry",
                0,
                "follow_up_due",
                sales,
                "sales",
                customer,
                sales,
                None,
                None,
                None,
                "flag",
                None,
                None,
                None,
                day(14),
                day(0),
            )
            add(
                "open_items",
                quote,
                "quote",
                0,
                "quote_validity",
                sales,
                "sales",
                customer,
                sales,
                None,
                None,
                None,
                "flag",
                None,
                None,
                None,
                day(36),
                day(6),
            )
            continue
        order, contract, notice, slip = f"ORD-{n}", f"CON-{n}", f"SN-{n}", f"ISS-{n}"
        warehouse = WAREHOUSES[chain % len(WAREHOUSES)]
        document("order", order)
        add(
            "order",
            order,
            1,
            "active",
            day(10),
            customer,
            quote,
            "non_firm",
            "CNY",
            sales,
            "accepted",
        )
        document("contract", contract)
        add("contract", contract, 1, "active", day(12), order, customer, sales, day(30), 30, "CNY")
        document("shipment_notice", notice)
        add("shipment_notice", notice, 1, "active", day(14), contract, customer, sales, "CNY")
        document("issue_slip", slip, "keeper@firm.test")
        add("issue_slip", slip, 1, "active", day(15), notice, warehouse, "12.50", customer, sales)
        owed = 0
        for i, (p, price) in enumerate(zip(products, prices, strict=True), 1):
            add("order_lines", order, i, p, "100", price)
            add("contract_lines", contract, i, p, "100", price)
            add("shipment_notice_lines", notice, i, p, "100", price, warehouse, f"L-{p}")
            issued = 100 if i % 4 or not recent else 80
            add("issue_slip_lines", slip, i, i, p, f"L-{p}", str(issued), "1" if i == 1 else None)
            add(
                "stock_movements",
                warehouse,
                p,
                f"L-{p}",
                f"-{issued}",
                "issue",
                slip,
                i,
                notice,
                i,
                stamp,
            )
            if issued < 100:
                add(
                    "open_items",
                    notice,
                    "shipment_notice",
                    i,
                    "notice_to_issue",
                    sales,
                    "warehouse",
                    customer,
                    sales,
                    warehouse,
                    p,
                    f"L-{p}",
                    "quantity",
                    str(100 - issued),
                    "100",
                    None,
                    day(14),
                    day(14),
                )
            owed += issued * round(float(price) * 100)
        lines += 4 * LINES
        if (chain % 2 or not recent) and chain % 20:
            payment = f"PAY-{n}"
            document("payment", payment, "finance@firm.test")
            amount = f"{owed // 100}.{owed % 100:02d}"
            add(
                "payment",
                payment,
                1,
                "active",
                day(40),
                customer,
                "receivable",
                amount,
                "CNY",
                "finance@firm.test",
            )
            add("payment_lines", payment, 1, notice, amount)
            add(
                "money_movements",
                customer,
                "CNY",
                "notice",
                "receipt_applied",
                amount,
                payment,
                1,
                notice,
                None,
                day(40),
                stamp,
            )
            lines += 1
        else:
            amount = f"{owed // 100}.{owed % 100:02d}"
            add(
                "open_items",
                notice,
                "shipment_notice",
                0,
                "notice_owed",
                sales,
                "finance",
                customer,
                sales,
                None,
                None,
                None,
                "amount",
                amount,
                amount,
                "CNY",
                day(45),
                day(14),
            )

    columns = {
        "customers": "code, name, salesperson, payment_days",
        "products": "code, name, unit, list_price, lot_tracked",
        "lots": "product_code, lot, production_date, expiry_date",
        "warehouses": "code, name",
        "stock_movements": "warehouse, product_code, lot, quantity, movement, docno, line_no, against, against_line, moved_at",
        "documents": "docno, kind, status, revision, customer_code, owner, first_recorded_at, updated_at",
        "inquiry": "docno, revision, status, inquiry_date, customer_code, salesperson, likelihood, next_follow_up",
        "inquiry_lines": "docno, line_no, product_code, quantity",
        "follow_up": "docno, revision, status, inquiry_no, follow_up_date, result, next_follow_up, customer_code, salesperson",
        "quote": "docno, revision, status, quote_date, valid_until, customer_code, inquiry_no, currency, salesperson",
        "quote_lines": "docno, line_no, product_code, quantity, unit_price",
        "sample": "docno, revision, status, send_date, customer_code, inquiry_no, salesperson",
        "sample_lines": "docno, line_no, product_code, quantity",
        "order": "docno, revision, status, order_date, customer_code, quote_no, offer_type, currency, salesperson, decision",
        "order_lines": "docno, line_no, product_code, quantity, unit_price",
        "contract": "docno, revision, status, contract_date, order_no, customer_code, salesperson, delivery_date, payment_days, currency",
        "contract_lines": "docno, line_no, product_code, quantity, unit_price",
        "shipment_notice": "docno, revision, status, notice_date, contract_no, customer_code, salesperson, currency",
        "shipment_notice_lines": "docno, line_no, product_code, quantity, unit_price, warehouse, lot",
        "issue_slip": "docno, revision, status, issue_date, notice_no, warehouse, handling_cost, customer_code, salesperson",
        "issue_slip_lines": "docno, line_no, notice_line, product_code, lot, quantity, damaged_quantity",
        "payment": "docno, revision, status, payment_date, customer_code, payment_type, amount, currency, salesperson",
        "payment_lines": "docno, line_no, notice_no, applied",
        "money_movements": "customer_code, currency, account, movement, amount, docno, line_no, notice_no, return_no, moved_on, moved_at",
        "open_items": "docno, kind, line_no, obligation, owner, role, customer_code, salesperson, warehouse, product_code, lot, measure, remaining, total, currency, due_on, since",
    }
    db.execute("BEGIN")
    for table, names in columns.items():
        marks = ", ".join("?" * len(names.split(",")))
        db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows.pop(table, []))
    db.execute("COMMIT")
    ledger.close()
    return lines


def measure(root: Path, what: str, start: dt.date, end: dt.date) -> dict:
    """Run in its own process: the report (``full``) or the floor (``floor``)."""
    from silu_sheets import firm as firm_folder
    from silu_sheets import report

    folder = firm_folder.open_firm(root)
    period = report.Period(start, end)
    out = root / f"{what}.xlsx"
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    began = time.perf_counter()
    if what == "full":
        report.write_report(folder, out, period, today=END)
    else:
        import pandas as pd

        built = report._sheets(folder, period, "manager", END, 90)
        with pd.ExcelWriter(out, engine="xlsxwriter") as writer:
            for sheet in built:
                col = 0
                for table in sheet.tables:
                    frame = table.frame[[c.key for c in table.columns]]
                    frame.to_excel(
                        writer, sheet_name=sheet.name, startrow=4, startcol=col, index=False
                    )
                    col += len(table.columns) + 1
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "bytes": out.stat().st_size}


def run(root: Path, what: str, start: str, end: str) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            what,
            "--root",
            str(root),
            "--from",
            start,
            "--to",
            end,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10^4 lines, a smoke run")
    parser.add_argument("--measure", choices=["full", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    # the last full month of the seeded year: a monthly workbook, the largest one mailed
    parser.add_argument("--from", dest="start", default="2026-10-01", help="period start")
    parser.add_argument("--to", dest="end", default="2026-10-31", help="period end")
    parser.add_argument("--keep", type=Path, help="seed into (or reuse) this folder, keep it")
    args = parser.parse_args()
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    if args.measure:
        print(json.dumps(measure(args.root, args.measure, start, end)))
        return 0
    size = 10_000 if args.quick else args.lines
    with tempfile.TemporaryDirectory(prefix="silu-bench-report-") as tmp:
        root = args.keep or Path(tmp) / "firm"
        if not (root / "ledger" / "silu.db").exists():
            began = time.perf_counter()
            lines = seed(root, size)
            print(f"ledger: {lines:,} document lines seeded in {time.perf_counter() - began:.1f} s")
        full = run(root, "full", args.start, args.end)
        floor = run(root, "floor", args.start, args.end)
        print(f"period {start} … {end} (and the previous period, as long, before it)")
        for name, m in (("full report ", full), ("pandas floor", floor)):
            print(
                f"{name}: {m['seconds']:6.1f} s wall, {m['cpu']:6.1f} s CPU, peak {m['peak_mb']:5.0f} MB"
                f"  ({m['bytes'] / 1e6:.1f} MB file)"
            )
        print(
            f"ratio       : {full['seconds'] / floor['seconds']:.2f}x wall, "
            f"{full['cpu'] / floor['cpu']:.2f}x CPU, {full['peak_mb'] / floor['peak_mb']:.2f}x memory"
            "   (goal: <= 30 s, <= 500 MB, <= 1.2x the floor; wall time counts other load on the machine)"
        )
        lines_text = "10^4" if args.quick else f"{size:,}"
        emit(
            [
                Figure(
                    f"summary workbook, {lines_text} ledger lines, {start}…{end}: seconds (wall)",
                    f"{full['seconds']:.1f} s",
                    f"{floor['seconds']:.1f} s",
                    full["seconds"] / floor["seconds"],
                    "<= 30 s, <= 1.2x",
                    full["seconds"] <= 30 and full["seconds"] <= 1.2 * floor["seconds"],
                ),
                Figure(
                    "summary workbook: CPU seconds",
                    f"{full['cpu']:.1f} s",
                    f"{floor['cpu']:.1f} s",
                    full["cpu"] / floor["cpu"],
                    "<= 1.2x",
                    full["cpu"] <= 1.2 * floor["cpu"],
                ),
                Figure(
                    "summary workbook: peak memory",
                    f"{full['peak_mb']:.0f} MB",
                    f"{floor['peak_mb']:.0f} MB",
                    full["peak_mb"] / floor["peak_mb"],
                    "<= 500 MB, <= 1.2x",
                    full["peak_mb"] <= 500 and full["peak_mb"] <= 1.2 * floor["peak_mb"],
                ),
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
