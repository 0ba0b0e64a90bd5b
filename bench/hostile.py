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
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hostile import SALES, HostileCase, corpus, measure, valid_inquiry  # noqa: E402

from bench.figures import Figure, emit, seconds  # noqa: E402
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
    valid = measure(
        HostileCase("valid", "inquiry.xlsx", valid_inquiry("绍兴基准纺织"), ()),
        lambda: Gateway.open(folder),
    )
    print(f"{'case':40} {'seconds':>8} {'peak MB':>8}  answer")
    print(f"{'(a valid inquiry, for scale)':40} {valid.seconds:8.3f} {valid.peak_mb:8.1f}")
    measured = []
    for case in cases:
        m = measure(case, lambda: Gateway.open(folder))
        measured.append(m)
        flag = "" if m.seconds < SECONDS and m.peak_mb < MEGABYTES else "  OVER"
        over += bool(flag)
        answer = ("recorded " if m.accepted else "refused ") + ",".join(dict.fromkeys(m.codes))
        print(f"{case.name[:40]:40} {m.seconds:8.3f} {m.peak_mb:8.1f}  {answer[:60]}{flag}")
    print(f"\n{len(cases)} cases, {over} over the limits ({SECONDS} s, {MEGABYTES} MB)")
    slowest = max(measured, key=lambda m: m.seconds)
    largest = max(measured, key=lambda m: m.peak_mb)
    floor = f"valid form: {seconds(valid.seconds)}, {valid.peak_mb:.0f} MB"
    emit(
        [
            Figure(
                f"hostile ({len(cases)} cases): slowest",
                f"{seconds(slowest.seconds)} ({slowest.case})",
                floor,
                slowest.seconds / valid.seconds if valid.seconds > 0 else None,
                f"< {SECONDS:g} s each",
                slowest.seconds < SECONDS,
            ),
            Figure(
                f"hostile ({len(cases)} cases): most memory",
                f"{largest.peak_mb:.0f} MB ({largest.case})",
                floor,
                largest.peak_mb / valid.peak_mb if valid.peak_mb > 0 else None,
                f"< {MEGABYTES:g} MB each above start-up",
                largest.peak_mb < MEGABYTES,
            ),
        ]
    )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
