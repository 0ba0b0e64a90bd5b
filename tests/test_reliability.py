"""The reliability suite's quick form (``bench/reliability.py --quick``) in the default run: a
few hostile attachments mailed, ``silu poll`` SIGKILLed once at each named step of the mail
path, a full disk under a backlog, forged sender headers — against the real Dovecot and SMTP
servers. Nothing lost, nothing duplicated. The full run writes docs/RELIABILITY.md."""

from __future__ import annotations

import os

import pytest

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
    assert len(kills) == 5 and all(
        f.note.startswith(f"{f.cases} of {f.cases} runs killed") for f in kills
    )
