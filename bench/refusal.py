"""How fast, and in how little memory, a hostile file is refused: a 2 GiB zip bomb and an
entity-expansion file, beside a valid form through the same pipeline in the same run.

- the bomb: a real inquiry whose sheet carries 2 GiB of spaces, 2 MB as sent (under the file
  cap, as a bomb is); once with its sizes declared truly in the zip directory, once with the
  directory lying (it claims the sheet is small), so the reader itself must stop unpacking;
- the entity expansion: "billion laughs" in the sheet XML (tests/hostile.py's case).

Each case runs in a forked child of a warmed-up process (``tests/hostile.measure``): time of
``ingest`` alone and the peak resident memory above what the child held before. Goals: under
1 s and under 100 MB each. Linux only.

    .venv/bin/python bench/refusal.py [--gib 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile import (  # noqa: E402
    BILLION_LAUGHS,
    SALES,
    SHEET,
    HostileCase,
    measure,
    spaces_bomb,
    valid_inquiry,
    with_doctype,
)

from bench.figures import Figure, emit, seconds  # noqa: E402
from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets import problems as P  # noqa: E402
from silu_sheets.pipeline import Gateway, ingest  # noqa: E402

SECONDS, MEGABYTES = 1.0, 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="size of the bomb's sheet")
    args = parser.parse_args()
    form = valid_inquiry()
    cases = [
        HostileCase("valid inquiry", "inquiry.xlsx", form, (), accepted=True),
        HostileCase(
            f"{args.gib:g} GiB zip bomb, sizes declared",
            "inquiry.xlsx",
            spaces_bomb(form, args.gib, lie=False),
            (P.FILE_ZIP_BOMB,),
        ),
        HostileCase(
            f"{args.gib:g} GiB zip bomb, directory lying",
            "inquiry.xlsx",
            spaces_bomb(form, args.gib, lie=True),
            (P.FILE_DAMAGED,),  # the directory and the data disagree
        ),
        HostileCase(
            "entity expansion (billion laughs)",
            "inquiry.xlsx",
            with_doctype(form, SHEET, BILLION_LAUGHS, "&lol9;"),
            (P.FILE_UNSAFE_XML,),
        ),
    ]
    # warm up as a running gateway is, so imports and blanks are loaded before each fork
    scratch = Gateway.open(firm_folder.init(Path(tempfile.mkdtemp()) / "firm"))
    for case in cases:
        ingest(scratch, case.data, case.filename, SALES)
    scratch.ledger.close()
    folder = firm_folder.init(Path(tempfile.mkdtemp()) / "firm")
    Gateway.open(folder).ledger.close()
    results = [measure(case, lambda: Gateway.open(folder)) for case in cases]
    valid, failures = results[0], 0
    print(f"{'case':40} {'sent':>8} {'seconds':>8} {'peak MB':>8}  answer")
    figures = []
    for case, m in zip(cases, results, strict=True):
        answer = ("recorded " if m.accepted else "refused ") + ",".join(dict.fromkeys(m.codes))
        print(
            f"{case.name:40} {len(case.data) / 1e6:7.1f}M {m.seconds:8.3f} {m.peak_mb:8.1f}  {answer}"
        )
        if m is valid:
            continue
        right = not m.accepted and set(case.expected) <= set(m.codes)
        met = right and m.seconds < SECONDS and m.peak_mb < MEGABYTES
        failures += not right
        figures.append(
            Figure(
                f"refusal: {case.name}",
                f"{seconds(m.seconds)}, {m.peak_mb:.0f} MB" + ("" if right else f" ({answer})"),
                f"valid form: {seconds(valid.seconds)}, {valid.peak_mb:.0f} MB",
                m.seconds / valid.seconds if valid.seconds > 0 else None,
                f"< {SECONDS:g} s and < {MEGABYTES:g} MB",
                met,
            )
        )
    emit(figures)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
