"""Every case of the hostile corpus (tests/hostile.py) through the pipeline: time and peak
memory each, against the limits (under 1 s, under 100 MB above start-up).

    .venv/bin/python bench/hostile.py [--only NAME]

Each case runs in a forked child of one process that has imported everything and opened the
firm folder, so start-up is not counted and cases do not share a high-water mark. Linux only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile import SALES, corpus, measure  # noqa: E402

from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets.pipeline import Gateway, ingest  # noqa: E402

SECONDS, MEGABYTES = 1.0, 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()
    cases = [c for c in corpus() if not args.only or args.only in c.name]
    # warm up as a running gateway is: one case of each answer in a scratch firm, so imports,
    # templates and blanks are loaded before the fork (the children inherit them)
    scratch = Gateway.open(firm_folder.init(Path(tempfile.mkdtemp()) / "firm"))
    firsts = {(c.expected[:1], c.accepted): c for c in reversed(corpus())}
    for case in firsts.values():
        ingest(scratch, case.data, case.filename, SALES)
    scratch.ledger.close()
    folder = firm_folder.init(Path(tempfile.mkdtemp()) / "firm")
    Gateway.open(folder).ledger.close()  # migrations done once, before any case
    over = 0
    print(f"{'case':40} {'seconds':>8} {'peak MB':>8}  answer")
    for case in cases:
        m = measure(case, lambda: Gateway.open(folder))
        flag = "" if m.seconds < SECONDS and m.peak_mb < MEGABYTES else "  OVER"
        over += bool(flag)
        answer = ("recorded " if m.accepted else "refused ") + ",".join(dict.fromkeys(m.codes))
        print(f"{case.name[:40]:40} {m.seconds:8.3f} {m.peak_mb:8.1f}  {answer[:60]}{flag}")
    print(f"\n{len(cases)} cases, {over} over the limits ({SECONDS} s, {MEGABYTES} MB)")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
