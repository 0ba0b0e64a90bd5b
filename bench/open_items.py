"""What keeping the open items costs a form: one issue slip through the real pipeline in a firm
whose notice already has ``--slips`` slips against it, and, timed on its own, the open-items
refresh that slip's transaction runs (the slip, its notice, the notice's contract and the
contract's notices). Also the time to fill the table from
scratch for that ledger (what opening a ledger made before the table costs once).

    .venv/bin/python bench/open_items.py [--slips 200] [--runs 15]

Prints medians; never a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets import open_items  # noqa: E402
from silu_sheets.kinds import KINDS  # noqa: E402
from silu_sheets.pipeline import Gateway, ingest  # noqa: E402
from silu_sheets.workbook import fill  # noqa: E402

SALES, KEEPER, ADMIN = "li.na@firm.test", "zhao.lei@firm.test", "admin@firm.test"


def send(gw: Gateway, kind: str, header: dict, lines: list[dict], sender: str) -> str:
    outcome = ingest(gw, fill.filled(KINDS[kind], header, lines), f"{kind}.xlsx", sender)
    if not outcome.accepted:
        raise SystemExit(f"{kind} refused: {outcome.as_dict('en')}")
    return outcome.docno or ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slips", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gw = Gateway.open(firm_folder.init(Path(tmp) / "firm"))
        send(
            gw, "customers", {}, [{"code": "C001", "name": "华东机电", "salesperson": SALES}], ADMIN
        )
        send(gw, "products", {}, [{"code": "P-1", "name": "螺栓", "unit": "个"}], ADMIN)
        send(gw, "warehouses", {}, [{"code": "WH-A", "name": "一号仓"}], ADMIN)
        big = 10 * (args.slips + 2 * args.runs + 10)
        send(gw, "opening_stock", {"as_of": "2026-11-01"},
             [{"warehouse": "WH-A", "product_code": "P-1", "quantity": big}], ADMIN)  # fmt: skip
        line = [{"product_code": "P-1", "quantity": big, "unit_price": "1.5"}]
        order = send(gw, "order", {"order_date": "2026-11-20", "customer_code": "C001",
                                   "offer_type": "虚盘", "decision": "accepted"}, line, SALES)  # fmt: skip
        contract = send(gw, "contract", {"contract_date": "2026-11-21", "order_no": order,
                                         "customer_code": "C001", "delivery_date": "2026-12-30",
                                         "payment_days": 30}, line, SALES)  # fmt: skip
        notice = send(gw, "shipment_notice", {"notice_date": "2026-11-22",
                                              "contract_no": contract}, line, SALES)  # fmt: skip
        slip = {"issue_date": "2026-11-23", "notice_no": notice, "warehouse": "WH-A"}
        one = [{"notice_line": 1, "product_code": "P-1", "quantity": 1}]
        for _ in range(args.slips):
            send(gw, "issue_slip", slip, one, KEEPER)
        last = ""
        for _ in range(3):
            last = send(gw, "issue_slip", slip, one, KEEPER)
        forms: list[float] = []
        for _ in range(args.runs):
            started = time.perf_counter()
            send(gw, "issue_slip", slip, one, KEEPER)
            forms.append(time.perf_counter() - started)
        refreshes: list[float] = []
        with gw.ledger.transaction() as writer:
            touched = {last} | open_items.cited(writer.view, last)
            for _ in range(args.runs):
                started = time.perf_counter()
                open_items.refresh(writer, touched)
                refreshes.append(time.perf_counter() - started)
        with gw.ledger.transaction() as writer:
            started = time.perf_counter()
            rows = open_items.rebuild(writer)
            rebuilt = time.perf_counter() - started
        documents = gw.ledger.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        gw.ledger.close()
    form, refresh = statistics.median(forms), statistics.median(refreshes)
    print(f"one issue slip against a notice with {args.slips}+ slips, median of {args.runs}:")
    print(f"  the whole form through the pipeline  {form * 1000:8.2f} ms")
    print(
        f"  of which the open-items refresh      {refresh * 1000:8.2f} ms ({len(touched)} documents)"
    )
    print(
        f"filling the table from scratch: {documents} documents, {rows} rows, {rebuilt * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
