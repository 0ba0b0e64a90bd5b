"""CPU cost of one printed copy (a 20-line quote's 报价单), in-process: how much is the ledger
reads (``printing.printout``), how much our layout (``workbook/printout.py``), how much
xlsxwriter's own writing and zipping (printed, not a timed test).

    .venv/bin/python bench/printout_cost.py [--reps 300]

Each figure is ``time.process_time`` over ``--reps`` builds, after one warm-up build.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlsxwriter import Workbook  # noqa: E402

from bench.figures import record_masters  # noqa: E402
from bench.mail_backlog import PRODUCTS, quote  # noqa: E402
from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets import printing  # noqa: E402
from silu_sheets.pipeline import Gateway, customer_copy, ingest  # noqa: E402
from silu_sheets.workbook import printout  # noqa: E402
from tests.conftest import SALES  # noqa: E402


def ms(reps: int, work: Callable[[], object]) -> float:
    work()
    started = time.process_time()
    for _ in range(reps):
        work()
    return (time.process_time() - started) / reps * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=300)
    reps = parser.parse_args().reps
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "firm"
        firm_folder.init(root)
        folder = firm_folder.open_firm(root)
        gw = Gateway.open(folder)
        record_masters(gw, PRODUCTS)
        outcome = ingest(gw, quote(1), "quote.xlsx", SALES)
        assert outcome.accepted and outcome.docno, outcome.as_dict("en")
        docno, view = outcome.docno, gw.ledger.view
        doc = printing.printout(view, docno, folder)

        copy = ms(reps, lambda: customer_copy(gw, view, docno, SALES))
        build = ms(reps, lambda: printout.build(doc))
        closing = [0.0]
        close = Workbook.close

        def timed_close(book: Workbook) -> None:
            started = time.process_time()
            close(book)
            closing[0] += time.process_time() - started

        Workbook.close = timed_close  # type: ignore[method-assign]
        try:
            ms(reps, lambda: printout.build(doc))
        finally:
            Workbook.close = close  # type: ignore[method-assign]
        closed = closing[0] / (reps + 1) * 1000
        zipping = [0.0]
        writestr = zipfile.ZipFile.writestr

        def timed_writestr(self: zipfile.ZipFile, *args, **kw) -> None:  # type: ignore[no-untyped-def]
            started = time.process_time()
            writestr(self, *args, **kw)
            zipping[0] += time.process_time() - started

        zipfile.ZipFile.writestr = timed_writestr  # type: ignore[method-assign]
        try:
            ms(reps, lambda: printout.build(doc))
        finally:
            zipfile.ZipFile.writestr = writestr  # type: ignore[method-assign]
        zipped = zipping[0] / (reps + 1) * 1000
        empty = ms(reps, lambda: Workbook(io.BytesIO(), {"in_memory": True}).close())
        gw.ledger.close()
    print(f"printed copy of a 20-line quote, CPU per copy over {reps} builds")
    print(f"  customer_copy (ledger reads + layout + xlsxwriter): {copy:5.2f} ms")
    print(f"  of which the workbook (printout.build):             {build:5.2f} ms")
    print(f"    xlsxwriter's close (XML parts + zip):              {closed:5.2f} ms")
    print(f"      of which zipping:                                {zipped:5.2f} ms")
    print(f"    our layout with xlsxwriter's cell calls:           {build - closed:5.2f} ms")
    print(f"  an empty xlsxwriter workbook, for scale:            {empty:5.2f} ms")


if __name__ == "__main__":
    main()
