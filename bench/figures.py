"""One row of the bench table, and how a bench script hands its rows to ``bench/run.py``.

Each script prints its own figures for a person, then one line ``BENCH-FIGURES [...]`` (JSON)
that ``run.py`` gathers into the single table. A floor is measured in the same run as the
result, under the same load, so their ratio means something on a busy machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MARK = "BENCH-FIGURES "


@dataclass(frozen=True)
class Figure:
    """``result`` and ``floor`` as printed (with units); ``ratio`` result/floor, or None."""

    figure: str
    result: str
    floor: str
    ratio: float | None
    goal: str
    met: bool


def emit(figures: Sequence[Figure]) -> None:
    print(MARK + json.dumps([asdict(f) for f in figures], ensure_ascii=False), flush=True)


def gather(output: str) -> list[Figure]:
    found: list[Figure] = []
    for line in output.splitlines():
        if line.startswith(MARK):
            found += [Figure(**f) for f in json.loads(line[len(MARK) :])]
    return found


def table(figures: Sequence[Figure]) -> str:
    """The figures as one plain-text table."""
    head = ("figure", "result", "floor (same run)", "ratio", "goal", "")
    rows = [head] + [
        (
            f.figure,
            f.result,
            f.floor,
            "—" if f.ratio is None else f"{f.ratio:.2f}",
            f.goal,
            "ok" if f.met else "MISSED",
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def python_env(cache: Path) -> dict[str, str]:
    """The environment for timed child processes: bytecode cached (in ``cache``), as in an
    installed wheel, whatever the caller's PYTHONDONTWRITEBYTECODE says."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def wall(command: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> float:
    """Seconds one run of ``command`` takes, start to exit; it must succeed."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(
            f"{' '.join(command)} failed:\n{done.stdout.decode()}{done.stderr.decode()}"
        )
    return elapsed


def record_masters(gw: Any, products: Sequence[dict]) -> None:
    """The benchmarks' firm: the test customers and warehouses and ``products``, recorded by the
    administrator through the real pipeline."""
    from silu_sheets.api import fill_form
    from silu_sheets.pipeline import ingest
    from tests.conftest import ADMIN, CUSTOMERS, WAREHOUSES

    for kind, lines in (
        ("customers", CUSTOMERS),
        ("products", products),
        ("warehouses", WAREHOUSES),
    ):
        outcome = ingest(gw, fill_form(kind, {}, lines), f"{kind}.xlsx", ADMIN)
        assert outcome.accepted, outcome.as_dict("en")


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
