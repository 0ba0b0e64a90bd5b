"""Every benchmark in turn, each in its own process, each printing its figures and its target.

    .venv/bin/python bench/run.py [--quick]

``--quick`` runs each with small sizes (a smoke run: the figures are not the targets' sizes).
The mail benchmarks need the test Dovecot (``scripts/test-deps`` installs it). Nothing here is
a timed test; the figures are printed for a person to read.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (script, full-size arguments, quick arguments)
BENCHES = (
    ("issue_slip.py", [], ["--big", "20000", "--runs", "3"]),
    ("mail_latency.py", [], ["--runs", "5"]),
    ("mail_backlog.py", [], ["--forms", "100"]),
    ("report.py", [], ["--quick"]),
    ("hostile.py", [], ["--only", "stray"]),
    ("digests.py", [], ["--quick"]),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args()
    failed = []
    for script, full, quick in BENCHES:
        print(f"\n=== {script} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call(
            [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        )
        print(f"--- {script}: exit {code}, {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(script)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
