"""How long checking and recording one 20-line issue slip takes as the ledger grows.

Two ledgers are built: one holding about 10^3 recorded document lines, one about 10^6 (contract,
notice and slip lines, plus a stock movement per slip line), seeded fast by bulk SQL into the very
tables and shapes the pipeline writes (documents, revisions, <kind> and <kind>_lines, links,
stock_movements — whose trigger keeps stock_on_hand — lots, numbers). The history is shaped like a
real firm's: the same 20 products issued from the same warehouse over and over, each lot named
by a few notices and used up (lots are finite), so the places the timed slip touches carry the
whole history. In each ledger the timed slips go through the real pipeline (read, check, book,
record, replies queued) against fresh notices.

    .venv/bin/python bench/issue_slip.py [--big 1000000] [--runs 9]

Prints both medians and their ratio (the target is <= 1.5), and the query plans of the checks.
Printed, never a timed test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, emit, seconds  # noqa: E402
from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets.kinds import KINDS  # noqa: E402
from silu_sheets.ledger import schema  # noqa: E402
from silu_sheets.pipeline import Gateway, ingest  # noqa: E402
from silu_sheets.workbook import fill  # noqa: E402

PRODUCTS = [f"P-{i:03d}" for i in range(1, 21)]
SALES, MANAGER, KEEPER, ADMIN = (
    "li.na@firm.test",
    "wang.qiang@firm.test",
    "zhao.lei@firm.test",
    "admin@firm.test",
)
LINES_PER_UNIT = 60  # one history unit: a 20-line contract, a 20-line notice, a 20-line slip
UNITS_PER_LOT = 5  # a historical lot is named by this many notices, then it is used up
STAMP = "2025-06-01T00:00:00+00:00"


def send(gw: Gateway, kind: str, header: dict, lines: list[dict], sender: str):
    outcome = ingest(gw, fill.filled(KINDS[kind], header, lines), f"{kind}.xlsx", sender)
    if not outcome.accepted:
        raise SystemExit(f"{kind} refused: {outcome.as_dict('en')}")
    return outcome


def masters(gw: Gateway) -> None:
    send(
        gw,
        "customers",
        {},
        [{"code": "C001", "name": "华东机电有限公司", "salesperson": SALES}],
        ADMIN,
    )
    send(
        gw,
        "products",
        {},
        [{"code": p, "name": f"螺栓 {p}", "unit": "个", "lot_tracked": "是"} for p in PRODUCTS],
        ADMIN,
    )
    send(
        gw,
        "warehouses",
        {},
        [{"code": "WH-A", "name": "上海一号仓"}, {"code": "WH-B", "name": "苏州二号仓"}],
        ADMIN,
    )


def row(columns: dict, values: dict) -> tuple:
    return tuple(values.get(c) for c in columns)


def insert(db, table: str, columns: dict, rows: list[tuple]) -> None:
    names = ", ".join(f"[{c}]" for c in columns)
    marks = ", ".join("?" for _ in columns)
    db.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({marks})", rows)


def seed_history(gw: Gateway, units: int) -> None:
    """``units`` × (contract, notice naming a lot, slip issuing it, movements), in 2025's numbers."""
    db = gw.ledger.db
    source = db.execute(
        "INSERT INTO sources (channel, sender, attachment_sha256, received_at) VALUES ('bench', ?, 'seed', ?)",
        [SALES, STAMP],
    ).lastrowid
    cols = {
        k: schema.header_columns(KINDS[k]) for k in ("contract", "shipment_notice", "issue_slip")
    }
    lcols = {
        k: schema.line_columns(KINDS[k]) for k in ("contract", "shipment_notice", "issue_slip")
    }
    batch: dict[str, list] = {}

    def add(table: str, values: tuple) -> None:
        batch.setdefault(table, []).append(values)

    def flush() -> None:
        for table, rows in batch.items():
            if table in cols:
                insert(db, table, cols[table], rows)
            elif table.endswith("_lines"):
                insert(db, table, lcols[table[: -len("_lines")]], rows)
            else:
                marks = ", ".join("?" for _ in rows[0])
                db.executemany(f"INSERT INTO [{table}] VALUES ({marks})", rows)
        batch.clear()

    def document(kind: str, docno: str, header: dict, lines: list[dict], owner: str) -> None:
        add("documents", (docno, kind, "active", 1, "C001", owner, STAMP, STAMP))
        data = json.dumps({"header": header | {"docno": docno}, "lines": lines}, ensure_ascii=False)
        add("revisions_", (docno, kind, 1, "record", data, source, owner, STAMP))
        add(
            kind,
            row(
                cols[kind],
                header
                | {
                    "docno": docno,
                    "revision": 1,
                    "status": "active",
                    "customer_code": "C001",
                    "salesperson": owner,
                    "recorded_by": owner,
                },
            ),
        )
        for line in lines:
            add(f"{kind}_lines", row(lcols[kind], line | {"docno": docno}))

    movement_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM stock_movements").fetchone()[0]
    with gw.ledger.transaction():
        for u in range(1, units + 1):
            con, sn, iss = f"CON-2025-{u:05d}", f"SN-2025-{u:05d}", f"ISS-2025-{u:05d}"
            lot = f"H{(u - 1) // UNITS_PER_LOT:05d}"
            contract_lines = [
                {"line_no": i, "product_code": p, "quantity": "100", "unit_price": "1.00"}
                for i, p in enumerate(PRODUCTS, 1)
            ]
            notice_lines = [c | {"warehouse": "WH-A", "lot": lot} for c in contract_lines]
            slip_lines = [
                {"line_no": i, "notice_line": i, "product_code": p, "lot": lot, "quantity": "100"}
                for i, p in enumerate(PRODUCTS, 1)
            ]
            document(
                "contract",
                con,
                {
                    "contract_date": "2025-06-01",
                    "order_no": None,
                    "customer_code": "C001",
                    "delivery_date": "2025-07-01",
                    "payment_days": 30,
                },
                contract_lines,
                SALES,
            )
            document(
                "shipment_notice",
                sn,
                {"notice_date": "2025-06-02", "contract_no": con, "customer_code": "C001"},
                notice_lines,
                SALES,
            )
            document(
                "issue_slip",
                iss,
                {"issue_date": "2025-06-03", "notice_no": sn, "warehouse": "WH-A"},
                slip_lines,
                KEEPER,
            )
            add("links", (sn, "contract_no", con))
            add("links", (iss, "notice_no", sn))
            if (u - 1) % UNITS_PER_LOT == 0:
                for p in PRODUCTS:
                    add("lots", (p, lot, "2025-01-01", "2026-01-01"))
                    movement_id += 1
                    add(
                        "stock_movements",
                        (
                            movement_id,
                            "WH-A",
                            p,
                            lot,
                            str(100 * UNITS_PER_LOT),
                            "opening",
                            "OPS-2025-00001",
                            None,
                            None,
                            None,
                            STAMP,
                        ),
                    )
            for i, p in enumerate(PRODUCTS, 1):
                movement_id += 1
                add(
                    "stock_movements",
                    (movement_id, "WH-A", p, lot, "-100", "issue", iss, i, sn, i, STAMP),
                )
            if u % 2000 == 0:
                _flush_revisions(db, batch)
                flush()
        _flush_revisions(db, batch)
        flush()
        for prefix in ("CON", "SN", "ISS"):
            db.execute(
                "INSERT INTO numbers (prefix, year, last) VALUES (?, 2025, ?)", [prefix, units]
            )


def _flush_revisions(db, batch: dict) -> None:
    rows = batch.pop("revisions_", [])
    if rows:
        db.executemany(
            "INSERT INTO revisions (docno, kind, revision, action, data, source_id, sender, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def prepare(root: Path, recorded_lines: int, runs: int) -> tuple[Gateway, list[str]]:
    folder = firm_folder.init(root)
    gw = Gateway.open(folder)
    masters(gw)
    started = time.perf_counter()
    seed_history(gw, max(1, recorded_lines // LINES_PER_UNIT))
    seeded = time.perf_counter() - started
    send(
        gw,
        "opening_stock",
        {"as_of": "2026-11-01"},
        [
            {
                "warehouse": "WH-A",
                "product_code": p,
                "lot": f"NOW-{k}",
                "quantity": 1_000_000,
                "expiry_date": f"2028-0{k}-01",
            }
            for p in PRODUCTS
            for k in (1, 2)
        ],
        ADMIN,
    )
    lines = [{"product_code": p, "quantity": 1000, "unit_price": "1.20"} for p in PRODUCTS]
    order = send(
        gw,
        "order",
        {
            "order_date": "2026-11-20",
            "customer_code": "C001",
            "offer_type": "non_firm",
            "decision": "accepted",
        },
        lines,
        SALES,
    )
    contract = send(
        gw,
        "contract",
        {
            "contract_date": "2026-11-21",
            "order_no": order.docno,
            "customer_code": "C001",
            "delivery_date": "2026-12-20",
            "payment_days": 30,
        },
        lines,
        SALES,
    )
    notices = []
    for _ in range(runs + 2):
        notices.append(
            send(
                gw,
                "shipment_notice",
                {"notice_date": "2026-11-22", "contract_no": contract.docno},
                [x | {"quantity": 40, "warehouse": "WH-A"} for x in lines],
                SALES,
            ).docno
            or ""
        )
    total = gw.ledger.db.execute(
        "SELECT (SELECT COUNT(*) FROM contract_lines) + (SELECT COUNT(*) FROM shipment_notice_lines) "
        "+ (SELECT COUNT(*) FROM issue_slip_lines), (SELECT COUNT(*) FROM stock_movements)"
    ).fetchone()
    print(
        f"  ledger with {total[0]:,} recorded lines and {total[1]:,} stock movements (seeded in {seeded:.1f} s)"
    )
    return gw, notices


def time_slips(gw: Gateway, notices: list[str]) -> list[float]:
    """Check and record one 20-line slip per notice; the first two warm the caches."""
    timings = []
    for n, notice in enumerate(notices):
        slip = fill.filled(
            KINDS["issue_slip"],
            {"issue_date": "2026-11-24", "notice_no": notice, "warehouse": "WH-A"},
            [
                {"notice_line": i, "product_code": p, "lot": "NOW-1", "quantity": 30}
                for i, p in enumerate(PRODUCTS, 1)
            ],
        )
        started = time.perf_counter()
        outcome = ingest(gw, slip, "issue_slip.xlsx", KEEPER)
        elapsed = time.perf_counter() - started
        if not outcome.accepted:
            raise SystemExit(f"slip refused: {outcome.as_dict('en')}")
        if n >= 2:
            timings.append(elapsed)
    return timings


PLANS = [
    (
        "on hand",
        "SELECT on_hand_milli FROM stock_on_hand WHERE warehouse = 'WH-A' AND product_code = 'P-001' AND lot = 'NOW-1'",
    ),
    (
        "issued per notice line",
        "SELECT quantity FROM stock_movements WHERE against = 'SN-2025-00001' AND against_line = 1 "
        "AND movement IN ('issue', 'reversal')",
    ),
    (
        "reserved by open notices",
        "SELECT n.docno, n.line_no, n.quantity FROM shipment_notice_lines n JOIN documents d "
        "ON d.docno = n.docno WHERE n.product_code = 'P-001' AND n.lot = 'NOW-1' AND n.warehouse = 'WH-A' "
        "AND d.status = 'active'",
    ),
    (
        "lots held (FEFO)",
        "SELECT s.lot, s.on_hand_milli, l.expiry_date FROM stock_on_hand s LEFT JOIN lots l "
        "ON l.product_code = s.product_code AND l.lot = s.lot WHERE s.warehouse = 'WH-A' AND s.product_code = 'P-001' "
        "AND s.on_hand_milli > 0",
    ),
    ("a slip's own movements", "SELECT * FROM stock_movements WHERE docno = 'ISS-2025-00001'"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    medians = {}
    with tempfile.TemporaryDirectory(prefix="silu-bench-") as tmp:
        for size in (args.small, args.big):
            print(f"ledger of ~{size:,} recorded lines:")
            gw, notices = prepare(Path(tmp) / f"firm-{size}", size, args.runs)
            timings = time_slips(gw, notices)
            medians[size] = statistics.median(timings)
            print(
                f"  one 20-line issue slip, checked and recorded: median {medians[size] * 1000:.1f} ms "
                f"(min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f}, {len(timings)} runs)"
            )
            if size == args.big:
                for name, sql in PLANS:
                    plan = "; ".join(
                        r[3] for r in gw.ledger.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
                    )
                    print(f"  plan, {name}: {plan}")
            gw.ledger.close()
    ratio = medians[args.big] / medians[args.small]
    verdict = "ok" if ratio <= 1.5 else "TOO SLOW"
    print(
        f"median at ~{args.small:,}: {medians[args.small] * 1000:.1f} ms; at ~{args.big:,}: "
        f"{medians[args.big] * 1000:.1f} ms; ratio {ratio:.2f} (target <= 1.5: {verdict})"
    )
    emit(
        [
            Figure(
                f"one 20-line issue slip, ~{args.big:,} vs ~{args.small:,} ledger lines",
                seconds(medians[args.big]),
                seconds(medians[args.small]),
                ratio,
                "<= 1.5x",
                ratio <= 1.5,
            )
        ]
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
