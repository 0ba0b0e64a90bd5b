"""The reliability suite's quick form (``bench/reliability.py --quick``) in the default run: a
few hostile attachments mailed, ``silu poll`` SIGKILLed once at each named step of the mail
path (inquiries and quotes, so a quote's reply waits for its printed copy), a full disk under a
backlog, forged sender headers — against the real Dovecot and SMTP servers. Nothing lost,
nothing duplicated, every named step reached. The full run writes docs/RELIABILITY.md."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from silu_sheets import crashpoints
from tests.mail import loopback

pytestmark = pytest.mark.mail


def test_quick_reliability_run_loses_and_duplicates_nothing() -> None:
    if not loopback.dovecot_available():
        if os.environ.get("SILU_CI"):
            pytest.fail("Dovecot is missing in CI: scripts/test-deps must install it")
        pytest.skip("Dovecot is not installed")
    from bench.reliability import run

    figures = run(quick=True)

    assert [f.line() for f in figures if not f.held] == []
    kills = [f for f in figures if f.what.startswith("SIGKILL")]
    assert [f.what.split()[2] for f in kills] == list(crashpoints.MAIL_PATH)
    assert all(f.note.startswith(f"{f.cases} of {f.cases} runs killed") for f in kills)


def test_every_crash_point_in_the_code_is_a_named_step() -> None:
    """A crash point the code calls but crashpoints.STEPS does not name would never be killed
    by the suite (and a named step no code calls is a step the suite cannot reach)."""
    package = Path(crashpoints.__file__).parent
    called = {
        step
        for path in package.rglob("*.py")
        for step in re.findall(r"crash_point\(\"([a-z0-9-]+)\"\)", path.read_text("utf-8"))
    }
    assert called == set(crashpoints.STEPS)
