"""LibreOffice as a converter: workbooks to PDF for printing and sending.

One ``soffice`` run converts many files (starting LibreOffice takes seconds); a private user
profile keeps it from clashing with a LibreOffice the person has open.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: Sequence[Path], to: str = "pdf", outdir: Path | None = None) -> list[Path]:
    """``files`` converted by LibreOffice into ``outdir`` (default: beside each file's folder of
    the first); returns the converted files. Raises ``RuntimeError`` when LibreOffice is absent
    or fails."""
    program = soffice()
    if program is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    if not files:
        return []
    target = outdir or files[0].parent
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="silu-office-") as profile:
        done = subprocess.run(
            [
                program,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                to,
                "--outdir",
                str(target),
                *(str(f) for f in files),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    made = [target / f"{f.stem}.{to.split(':')[0]}" for f in files]
    missing = [m for m in made if not m.exists()]
    if done.returncode != 0 or missing:
        raise RuntimeError(
            f"LibreOffice could not convert {missing or files}: {done.stderr[-400:]}"
        )
    return made
