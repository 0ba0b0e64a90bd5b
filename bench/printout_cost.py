"""CPU cost of one printed copy (a 20-line quote's 报价单), in-process: how much is the ledger
reads (``printing.printout``), how much our layout (``workbook/printout.py``), how much
xlsxwriter's own writing and zipping (printed, not a timed test).

    .venv/bin/python bench/printout_cost.py [--reps 300]

Each figure is ``time.process_time`` over ``--reps`` builds, after one warm-up build. The floor
is the same xlsxwriter calls one build makes (recorded, then replayed with no layout logic):
what the copy costs with xlsxwriter as its writer, whatever our layout does.
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
from xlsxwriter.worksheet import Worksheet  # noqa: E402

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


#: the Worksheet calls a printout makes, recorded for the replay
SHEET_CALLS = [
    "write_string",
    "write_number",
    "write_blank",
    "write_datetime",
    "merge_range",
    "set_column",
    "set_row",
    "repeat_rows",
    "print_area",
    "set_paper",
    "set_portrait",
    "set_landscape",
    "fit_to_pages",
    "center_horizontally",
    "set_margins",
    "set_footer",
    "set_header",
    "hide_gridlines",
    "set_h_pagebreaks",
    "insert_image",
]


def xlsxwriter_alone(doc: printing.Printout) -> Callable[[], bytes]:
    """The xlsxwriter calls one ``printout.build(doc)`` makes, as a function that makes them
    again with no layout logic in between: the floor of the copy's cost with xlsxwriter."""
    calls: list[tuple] = []
    made: dict[str, object] = {}
    saved = {name: getattr(Worksheet, name) for name in SHEET_CALLS}
    init, add_format, set_properties = (
        Workbook.__init__,
        Workbook.add_format,
        Workbook.set_properties,
    )

    def recording(name: str, method: Callable) -> Callable:
        def record(self, *args, **kw):  # type: ignore[no-untyped-def]
            result = method(self, *args, **kw)
            calls.append((name, args, kw, result))
            return result

        return record

    def opened(self, filename, options=None):  # type: ignore[no-untyped-def]
        made["options"] = {k: dict(v) if isinstance(v, dict) else v for k, v in options.items()}
        init(self, filename, options)
        made["sheet"] = doc.sheet[:31]
        self.add_format = lambda props=None: record_format(self, props)

    def record_format(book: Workbook, props: dict | None) -> object:
        result = add_format(book, props)
        calls.append(("add_format", (dict(props or {}),), {}, result))
        return result

    for name, method in saved.items():
        setattr(Worksheet, name, recording(name, method))
    Workbook.__init__ = opened  # type: ignore[method-assign]
    Workbook.set_properties = recording("set_properties", set_properties)  # type: ignore[method-assign]
    try:
        printout.build(doc)
    finally:
        for name, method in saved.items():
            setattr(Worksheet, name, method)
        Workbook.__init__, Workbook.set_properties = init, set_properties  # type: ignore[method-assign]

    def replay() -> bytes:
        out = io.BytesIO()
        # xlsxwriter writes into the nested dicts of its options: each workbook its own
        options = {k: dict(v) if isinstance(v, dict) else v for k, v in made["options"].items()}  # type: ignore[attr-defined]
        book = Workbook(out, options)
        ws = book.add_worksheet(str(made["sheet"]))
        formats: dict[int, object] = {}
        for name, args, kw, result in calls:
            if name == "add_format":
                formats[id(result)] = book.add_format(dict(args[0]))
            elif name == "set_properties":
                book.set_properties(*args)
            else:
                getattr(ws, name)(*(formats.get(id(a), a) for a in args), **kw)
        book.close()
        return out.getvalue()

    return replay


def same_parts(a: bytes, b: bytes) -> bool:
    """Whether two .xlsx files hold the same parts (their creation time aside)."""
    with zipfile.ZipFile(io.BytesIO(a)) as x, zipfile.ZipFile(io.BytesIO(b)) as y:
        names = [n for n in x.namelist() if n != "docProps/core.xml"]
        return names == [n for n in y.namelist() if n != "docProps/core.xml"] and all(
            x.read(n) == y.read(n) for n in names
        )


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
        replay = xlsxwriter_alone(doc)
        assert same_parts(replay(), printout.build(doc)), "the replay writes another workbook"
        # the floor and the build measured in turns, the best of each: a busy machine's noise
        # is larger than their difference
        rounds = [
            (ms(reps // 5, lambda: printout.build(doc)), ms(reps // 5, replay)) for _ in range(5)
        ]
        alone, ours = min(r[1] for r in rounds), min(r[0] for r in rounds)
        gw.ledger.close()
    print(f"printed copy of a 20-line quote, CPU per copy over {reps} builds")
    print(f"  customer_copy (ledger reads + layout + xlsxwriter): {copy:5.2f} ms")
    print(f"  of which the workbook (printout.build):             {build:5.2f} ms")
    print(f"    xlsxwriter's close (XML parts + zip):              {closed:5.2f} ms")
    print(f"      of which zipping:                                {zipped:5.2f} ms")
    print(f"    our layout with xlsxwriter's cell calls:           {build - closed:5.2f} ms")
    print(
        f"  xlsxwriter alone, the same calls replayed:          {alone:5.2f} ms  (the floor; the build"
        f" {ours:.2f} ms, both best of 5 in turns)"
    )
    print(f"  an empty xlsxwriter workbook, for scale:            {empty:5.2f} ms")


if __name__ == "__main__":
    main()
