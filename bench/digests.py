"""The morning's daily digests (每日提醒) for a whole firm: seconds to build and queue every
person's digest (list, workbook, pre-filled follow-up forms), per digest, and the sweep that finds
them all already sent (what ``silu serve`` does every ``retry_minutes`` the rest of the day).

The ledger is seeded by bulk SQL with masters and ``open_items`` rows in the shape the pipeline
keeps them (the digests only read them): per salesperson ``--items`` open items across every
sales obligation, a third of them due or late; notice lines to issue per warehouse; notices owed.

    .venv/bin/python bench/digests.py [--sales 50] [--items 100] [--quick]

Printed, never a timed test. Goal: a firm of 50 salespeople done within a minute on 2 cores, so
the mail loop pauses for no longer than that once a day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

TODAY = dt.date(2026, 12, 1)
WAREHOUSES = ["WH-A", "WH-B", "WH-C"]
SALES_KEYS = (
    "follow_up_due",
    "inquiry_no_date",
    "quote_validity",
    "sample_feedback",
    "order_decision",
    "contract_to_notice",
    "service_next_action",
)


def staff_toml(sales: list[str]) -> str:
    people = [(a, f"业务员{i}", "sales", []) for i, a in enumerate(sales, 1)]
    people += [("boss@firm.test", "主管", "sales_manager", [])]
    people += [(f"keeper{w[-1]}@firm.test", f"仓管{w}", "warehouse", [w]) for w in WAREHOUSES]
    people += [("cash@firm.test", "财务", "finance", [])]
    return "".join(
        f'[[staff]]\naddress = "{a}"\nname = "{n}"\nroles = ["{r}"]\nwarehouses = {w!r}\n\n'.replace(
            "'", '"'
        )
        for a, n, r, w in people
    )


def seed(root: Path, sales_count: int, items: int) -> int:
    from silu_sheets import firm as firm_folder
    from silu_sheets.ledger.store import Ledger

    folder = firm_folder.init(root)
    sales = [f"sales{i}@firm.test" for i in range(1, sales_count + 1)]
    (root / "inbox_rules" / "staff.toml").write_text(staff_toml(sales), encoding="utf-8")
    ledger = Ledger(folder.ledger_path)
    db = ledger.db
    rng = random.Random(7)
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO customers (code, name, salesperson) VALUES (?, ?, ?)",
        [(f"C{i:04d}", f"客户 {i} 有限公司", sales[i % len(sales)]) for i in range(500)],
    )
    db.executemany(
        "INSERT INTO products (code, name, unit) VALUES (?, ?, '个')",
        [(f"P-{i:04d}", f"产品 {i}") for i in range(200)],
    )
    rows = []
    n = 0
    for person in sales:
        for _ in range(items):
            n += 1
            key = SALES_KEYS[n % len(SALES_KEYS)]
            due = TODAY + dt.timedelta(days=rng.randint(-20, 40))
            quantity = key == "contract_to_notice"
            rows.append(
                (f"DOC-{n:07d}", "inquiry", 0, key, person, "sales", f"C{n % 500:04d}", person)
                + (None, f"P-{n % 200:04d}" if quantity else None, None)
                + ("quantity" if quantity else "flag", "40" if quantity else None)
                + ("100" if quantity else None, None)
                + (None if key in ("inquiry_no_date", "sample_feedback") else due.isoformat(),)
                + ((due - dt.timedelta(days=30)).isoformat(),)
            )
    for i in range(items * 3):
        n += 1
        w = WAREHOUSES[i % 3]
        rows.append(
            (f"SN-{n:07d}", "shipment_notice", 1, "notice_to_issue", sales[i % len(sales)])
            + ("warehouse", f"C{i % 500:04d}", sales[i % len(sales)], w, f"P-{i % 200:04d}", None)
            + ("quantity", "10", "30", None, TODAY.isoformat(), TODAY.isoformat())
        )
        rows.append(
            (f"SN-{n:07d}", "shipment_notice", 0, "notice_owed", sales[i % len(sales)])
            + ("finance", f"C{i % 500:04d}", sales[i % len(sales)], None, None, None)
            + (
                "amount",
                "1234.50",
                "2000.00",
                "CNY",
                (TODAY - dt.timedelta(days=i % 40)).isoformat(),
            )
            + (TODAY.isoformat(),)
        )
    db.executemany(
        "INSERT INTO open_items (docno, kind, line_no, obligation, owner, role, customer_code,"
        " salesperson, warehouse, product_code, lot, measure, remaining, total, currency, due_on,"
        " since) VALUES (" + ", ".join("?" * 17) + ")",
        rows,
    )
    db.execute("COMMIT")
    ledger.close()
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=50, help="salespeople on the roster")
    parser.add_argument("--items", type=int, default=100, help="open items per salesperson")
    parser.add_argument("--quick", action="store_true", help="5 salespeople, 20 items: a smoke run")
    args = parser.parse_args()
    sales, items = (5, 20) if args.quick else (args.sales, args.items)
    from silu_sheets import digest
    from silu_sheets import firm as firm_folder
    from silu_sheets.pipeline import Gateway

    with tempfile.TemporaryDirectory(prefix="silu-bench-digests-") as tmp:
        root = Path(tmp) / "firm"
        count = seed(root, sales, items)
        gw = Gateway.open(firm_folder.open_firm(root))
        people = len(gw.roster.staff)
        print(f"{people} people on the roster, {count:,} open items", flush=True)
        began = time.perf_counter()
        report = digest.send_digests(gw, on_time=False, day=TODAY)
        first = time.perf_counter() - began
        size = gw.ledger.db.execute(
            "SELECT count(*), avg(length(message)), max(length(message)) FROM outbox JOIN outbox_messages ON outbox_id = id"
            " WHERE purpose = 'digest'"
        ).fetchone()
        began = time.perf_counter()
        again = digest.send_digests(gw, on_time=False, day=TODAY)
        sweep = time.perf_counter() - began
        gw.ledger.close()
    print(
        f"digests queued: {len(report.sent)} ({len(report.nothing_due)} with nothing due,"
        f" {len(report.failed)} failed) in {first:.1f} s, {first / max(1, people) * 1000:.0f} ms a person"
    )
    print(f"mail size     : {size[1] / 1e3:.0f} kB on average, {size[2] / 1e3:.0f} kB the largest")
    print(
        f"sweep after   : {len(again.already)} already sent, {sweep * 1000:.1f} ms"
        "   (goal: 50 salespeople within 60 s)"
    )
    return 0 if not report.failed else 1


if __name__ == "__main__":
    sys.exit(main())
