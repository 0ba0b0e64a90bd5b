"""What a person waits for one ``silu`` call: start-up and one form, each beside its floor.

- ``silu --help`` against a bare ``python -c "import click"``: what the command costs before it
  does anything (goal: within 2x);
- ``silu ingest`` of one 20-line quote into a firm with its masters recorded, against a bare
  script that reads the same file with python-calamine and inserts its rows into SQLite
  (goal: within 3x);
- beside it, the libraries that ingest loads (``LIBRARIES``), imported alone: a second floor,
  which no change to our code can go under, so the reader sees how much of the gap is ours.

Every run is a new process, as when staff or a script call the command one file at a time.
Ours and the floor alternate, so load from other work on the machine falls on both; medians are
printed. Bytecode is cached as in an installed wheel (one warm-up run each). The CPU time each
run used (user + system) is printed too: on a busy machine it moves far less than the wall time.
With ``--instructions`` (and valgrind installed), one more ingest and the libraries alone are
counted in instructions (cachegrind): a figure the load of the machine does not move, to compare
a change of ours to the one before it.

    .venv/bin/python bench/startup.py [--runs 9] [--instructions]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, emit, median, python_env, record_masters, seconds, wall  # noqa: E402
from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets.api import fill_form  # noqa: E402
from silu_sheets.pipeline import Gateway  # noqa: E402
from tests.conftest import SALES  # noqa: E402

PRODUCTS = [
    {"code": f"P-{i:03d}", "name": f"产品 {i}", "unit": "个", "list_price": "1.00"}
    for i in range(1, 21)
]
SILU = str(Path(sys.executable).with_name("silu"))

#: the least any tool must do with one form: read its cells, keep its rows, commit
FLOOR_INGEST = """
import sqlite3, sys
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS cells (form TEXT, line INTEGER, a, b, c, d, e, f)")
db.executemany(
    "INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [(sys.argv[1], i, *(list(r) + [None] * 6)[:6]) for i, r in enumerate(rows) if any(r)],
)
db.execute("COMMIT")
"""


#: what one ``silu ingest`` must import besides our code: the command line, the ledger, exact
#: money, the xlsx file (a zip of XML), silu.toml, the firm's calendar day, the ledger's JSON,
#: the reply mail and its text, and the printed quote. (python-calamine, email.message and
#: email.policy are not among them: silu reads the xlsx itself and builds its mail from parts.)
#: tests/test_startup.py checks the ingest still loads each one.
LIBRARIES = (
    "click",
    "sqlite3",
    "decimal",
    "zipfile",
    "xml.parsers.expat",
    "tomllib",
    "zoneinfo",
    "json",
    "email.utils",
    "email.header",
    "jinja2",
    "xlsxwriter",
)
FLOOR_LIBRARIES = "import " + ", ".join(LIBRARIES)


def quote(n: int) -> bytes:
    lines = [
        {"product_code": p["code"], "quantity": 10 + n + i, "unit_price": f"{1 + i / 100:.2f}"}
        for i, p in enumerate(PRODUCTS)
    ]
    return fill_form(
        "quote",
        {"quote_date": "2026-11-20", "valid_until": "2026-12-31", "customer_code": "C001"},
        lines,
    )


def make_firm(root: Path) -> Path:
    folder = firm_folder.init(root)
    gw = Gateway.open(folder)
    record_masters(gw, PRODUCTS)
    gw.ledger.close()
    return root


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = wall(command, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def instructions(command: list[str], env: dict[str, str]) -> int:
    """Instructions one run of ``command`` executes (valgrind's cachegrind, user space)."""
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
        + command,
        env=env,
        capture_output=True,
        text=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"{' '.join(command)} under valgrind failed:\n{done.stderr}")
    return int(found[1].replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (needs valgrind)"
    )
    args = parser.parse_args()
    if args.instructions and not shutil.which("valgrind"):
        raise SystemExit("--instructions needs valgrind on the PATH")
    with tempfile.TemporaryDirectory(prefix="silu-bench-") as tmp:
        work = Path(tmp)
        env = python_env(work / "pyc")
        firm = make_firm(work / "firm")
        forms = []
        for n in range(args.runs + 2):
            forms.append(work / f"quote-{n:02d}.xlsx")
            forms[-1].write_bytes(quote(n))

        runs: dict[str, list[tuple[float, float]]] = {}
        for n, form in enumerate(forms[:-1]):  # the first round warms the bytecode cache
            for key, command in (
                ("help ours", [SILU, "--help"]),
                ("help floor", [sys.executable, "-c", "import click"]),
                ("ingest ours", [SILU, "--firm", str(firm), "ingest", str(form), "--from", SALES]),
                (
                    "ingest floor",
                    [sys.executable, "-c", FLOOR_INGEST, str(form), str(work / "floor.db")],
                ),
                ("ingest libraries", [sys.executable, "-c", FLOOR_LIBRARIES]),
            ):
                if n:
                    runs.setdefault(key, []).append(timed(command, env))
                else:
                    timed(command, env)
        counted = None
        if args.instructions:
            ingest = [sys.executable, SILU, "--firm", str(firm), "ingest", str(forms[-1])]
            counted = (
                instructions([*ingest, "--from", SALES], env),
                instructions([sys.executable, "-c", FLOOR_LIBRARIES], env),
            )

    figures = []
    for name, key, goal in (
        ("start-up: silu --help", "help", 2.0),
        ("one-form ingest (20-line quote)", "ingest", 3.0),
    ):
        ours = [w for w, _ in runs[f"{key} ours"]]
        bare = [w for w, _ in runs[f"{key} floor"]]
        cpu_ours = median([c for _, c in runs[f"{key} ours"]])
        cpu_bare = median([c for _, c in runs[f"{key} floor"]])
        ratio = median(ours) / median(bare)
        print(
            f"{name}: median {seconds(median(ours))} (min {seconds(min(ours))}); floor "
            f"{seconds(median(bare))} (min {seconds(min(bare))}); ratio {ratio:.2f}, goal <= {goal:g}x"
            f"; CPU {seconds(cpu_ours)} against {seconds(cpu_bare)}, {cpu_ours / cpu_bare:.2f}x"
        )
        figures.append(
            Figure(
                name,
                seconds(median(ours)),
                seconds(median(bare)),
                ratio,
                f"<= {goal:g}x floor",
                ratio <= goal,
            )
        )
    ours = runs["ingest ours"]
    libs = runs["ingest libraries"]
    bare = runs["ingest floor"]
    cpu_ours, cpu_libs, cpu_bare = (median([c for _, c in r]) for r in (ours, libs, bare))
    ratio = median([w for w, _ in libs]) / median([w for w, _ in bare])
    print(
        f"  its libraries imported alone ({', '.join(LIBRARIES)}): median "
        f"{seconds(median([w for w, _ in libs]))}; ratio {ratio:.2f} to the floor"
        f"; CPU {seconds(cpu_libs)}, {cpu_libs / cpu_bare:.2f}x the floor's"
        f"; ours beyond them: CPU {seconds(cpu_ours - cpu_libs)}"
        f" ({cpu_ours / cpu_libs:.2f}x the libraries')"
    )
    if counted is not None:
        ingest, alone = counted
        print(
            f"  instructions (cachegrind, one run each): the ingest {ingest / 1e6:.0f}M, its "
            f"libraries alone {alone / 1e6:.0f}M; ours beyond them {(ingest - alone) / 1e6:.0f}M"
        )
    figures.append(
        Figure(
            "one-form ingest: its libraries imported alone",
            seconds(median([w for w, _ in libs])),
            seconds(median([w for w, _ in bare])),
            ratio,
            "none (not ours to cut)",
            True,
        )
    )
    emit(figures)


if __name__ == "__main__":
    main()
