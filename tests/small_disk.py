"""A real small filesystem for full-disk tests: a tmpfs of a few MB mounted for the test (root
only; where mounting is impossible the test is skipped with the reason), and a filler file that
takes the space that is left."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path


def cannot_mount() -> str:
    """Why no small filesystem can be mounted here ("" when one can)."""
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    return ""


@contextlib.contextmanager
def small_disk(where: Path, size: str = "3m") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise OSError(f"mount tmpfs failed: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Take every free byte of ``disk`` but ``leave``; returns the filler to delete later."""
    filler = disk / "filler.bin"
    with filler.open("ab", buffering=0) as out:
        for size in (65536, 4096, 512, 1):  # smaller and smaller, up to the last byte
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                pass
    if leave:
        size = filler.stat().st_size
        os.truncate(filler, max(0, size - leave))
    return filler
