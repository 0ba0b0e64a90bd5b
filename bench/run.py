"""Every benchmark in turn, each in its own process, then one table of the figures that matter:
figure, result, the floor measured in the same run, their ratio, and the goal.

    .venv/bin/python bench/run.py [--quick] [--only NAME]

``--quick`` runs them all at once with small sizes: a smoke run, so the benchmarks cannot rot
(``make test`` runs it); its figures are not the goals' sizes and mean little. The mail benchmarks need the test Dovecot
(``scripts/test-deps`` installs it). Nothing here is a timed test: a missed goal is printed,
and only a benchmark that breaks makes the exit status non-zero.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import MARK, Figure, gather, table  # noqa: E402

HERE = Path(__file__).resolve().parent

#: (script, full-size arguments, quick arguments)
BENCHES = (
    ("startup.py", [], ["--runs", "1"]),
    ("mail_backlog.py", [], ["--forms", "10"]),
    ("mail_latency.py", [], ["--runs", "3"]),
    ("issue_slip.py", [], ["--small", "200", "--big", "2000", "--runs", "1"]),
    ("refusal.py", [], ["--gib", "0.25"]),
    ("hostile.py", [], ["--only", "stray"]),
    ("report.py", [], ["--quick"]),
    ("open_items.py", [], ["--slips", "20", "--runs", "3"]),
)


def start(script: str, arguments: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / script), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )


def finish(process: subprocess.Popen[str], live: bool) -> tuple[int, list[Figure]]:
    """Its output passed through (as it comes when ``live``); its exit status and figures."""
    assert process.stdout is not None
    output = []
    for line in process.stdout:
        output.append(line)
        if live and not line.startswith(MARK):
            print(line, end="", flush=True)
    if not live:
        print("".join(line for line in output if not line.startswith(MARK)), end="")
    return process.wait(), gather("".join(output))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--only", help="run the benchmarks whose script name contains this")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or args.only in b[0]]
    failed, figures = [], []
    started = time.monotonic()
    # full size: one at a time, so no benchmark disturbs another's figures; quick: all at once
    # (a smoke run whose figures mean nothing), so that it stays cheap enough for every test run
    running = {s: start(s, quick) for s, _, quick in chosen} if args.quick else {}
    for script, full, _ in chosen:
        print(f"\n=== {script} ===", flush=True)
        process = running.get(script) or start(script, full)
        code, found = finish(process, live=not args.quick)
        print(f"--- {script}: exit {code}, {time.monotonic() - started:.0f} s", flush=True)
        figures += found
        if code:
            failed.append(script)
        if not args.quick:
            started = time.monotonic()
    print("\n" + ("quick run (small sizes): " if args.quick else "") + "figures of this run")
    print(table(figures))
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
