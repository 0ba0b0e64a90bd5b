"""A command pays only for what it uses: the light commands never import the heavy libraries.

Staff and scripts call ``silu`` one file or one question at a time, so its start-up is felt on
every call: pandas, numpy, openpyxl and sqlite-utils cost ~0.2-0.5 s each to import, more than
the work itself. The rule (README, "Start-up"): heavy libraries are imported inside the functions
that need them. Each command below runs in a fresh process, as a person runs it, and reports
which of them it loaded. Nothing here is timed; ``bench/run.py`` prints the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ADMIN, SALES

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.pipeline import Gateway, ingest

#: the libraries no light command may import (numpy comes with pandas and openpyxl)
HEAVY = ("pandas", "numpy", "openpyxl", "sqlite_utils")
#: what a command that sends no mail needs none of: the reply templates and the ``email`` package
NOT_FOR_LIGHT = (*HEAVY, "jinja2", "email")
#: what recording one form needs none of: the mail gateway and the ``email`` parser are for
#: mail that arrives, not for a file given on the command line; the mail settings only when
#: silu.toml names an SMTP server; ``logging`` (~4 ms with the ``traceback`` it brings) only
#: when something goes wrong (silu_sheets/logs.py); ``html`` and its entity table (~1.5 ms):
#: a form's cells and a reply's title escape with values.element_text, and the reader resolves
#: a number format's references with html.unescape only when it has one; ``secrets`` and the
#: ``hmac`` it brings (~1.5M instructions): a reply's MIME boundaries come from os.urandom; the
#: marking of a refused form's cells (pipeline imports it for a refusal)
NOT_FOR_ONE_FORM = (
    *HEAVY,
    "silu_sheets.mail.gateway",
    "silu_sheets.mail.commands",
    "silu_sheets.mail.settings",
    "email.policy",
    "logging",
    "traceback",
    "html",
    "secrets",
    "hmac",
    "silu_sheets.workbook.marking",
)

#: run the real console entry point, then say which of the watched modules it loaded
DRIVER = """
import atexit, json, sys
watched = json.loads(sys.argv.pop(1))
atexit.register(lambda: print("LOADED " + json.dumps(
    sorted(m for m in watched if m in sys.modules))))
from silu_sheets.cli import run
sys.argv[0] = "silu"
run()
"""


def loaded(*args: str, cwd: Path | None = None, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """The ``watched`` modules ``silu ARGS`` imported; the command itself must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(watched), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.rsplit("LOADED ", 1)[1])


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, seeded_folder: Path) -> Path:
    """The seeded firm with one inquiry recorded (status has a document to show) and the
    example memo written."""
    import shutil

    from silu_sheets import memo

    root = tmp_path_factory.mktemp("startup") / "firm"
    shutil.copytree(seeded_folder, root)
    gateway = Gateway.open(firm_folder.open_firm(root))
    form = fill_form(
        "inquiry",
        {"customer_code": "C001", "inquiry_date": "2026-11-20", "channel": "电话 phone"},
        [{"product_code": "P-M8", "quantity": 100}],
    )
    outcome = ingest(gateway, form, "inquiry.xlsx", SALES)
    assert outcome.accepted, outcome.as_dict("en")
    gateway.ledger.close()
    memo.write_example(memo.memo_path(root))
    return root


def test_importing_the_cli_loads_no_heavy_library():
    assert loaded("--help", watched=NOT_FOR_LIGHT) == []


@pytest.mark.parametrize(
    "args",
    [
        ("describe", "--help"),
        ("describe", "inquiry"),
        ("describe", "shipment_notice", "--json"),
        ("status", "INQ-2026-00001"),
        ("stock",),
        ("stock", "--json"),
        ("balance",),
        ("lookup", "product", "P-M8"),
        ("lookup", "contract", "C001"),
        ("memo",),
        ("note", "add", "--as", ADMIN, "call back Monday"),
        ("note", "list", "--as", ADMIN),
    ],
    ids=" ".join,
)
def test_a_light_command_loads_no_heavy_library(recorded: Path, args: tuple[str, ...]):
    assert loaded("--firm", str(recorded), *args, watched=NOT_FOR_LIGHT) == []


def test_the_guard_can_fail(tmp_path: Path):
    """Writing workbooks does load openpyxl: the check above sees an import when there is one."""
    assert "openpyxl" in loaded("templates", "--out", str(tmp_path))


def test_the_installed_package_holds_no_test_servers(tmp_path: Path) -> None:
    """The loopback Dovecot and SMTP servers live in tests/mail/loopback.py: importing every
    module of the package (outside the repository) loads neither them nor aiosmtpd."""
    walk = (
        "import importlib, json, pkgutil, sys, silu_sheets\n"
        "names = [m.name for m in pkgutil.walk_packages(silu_sheets.__path__, 'silu_sheets.')\n"
        "         if not m.name.endswith('__main__')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(json.dumps({'modules': names, 'loaded': sorted(m for m in sys.modules\n"
        "      if m.split('.')[0] in ('tests', 'aiosmtpd'))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", walk], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert "silu_sheets.mail.loopback" not in found["modules"]
    assert not [m for m in found["modules"] if m.endswith(".testing")]
    assert found["loaded"] == []


@pytest.fixture
def one_quote(seeded_folder: Path, tmp_path: Path) -> tuple[Path, tuple[str, ...]]:
    """A copy of the seeded firm and the arguments of ``silu ingest`` of one quote into it."""
    import shutil

    root = tmp_path / "firm"
    shutil.copytree(seeded_folder, root)
    form = tmp_path / "quote.xlsx"
    header = {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"}
    form.write_bytes(
        fill_form("quote", header, [{"product_code": "P-M8", "quantity": 3, "unit_price": "1.2"}])
    )
    args = ("--firm", str(root), "ingest", str(form), "--from", SALES)
    return root, args


def test_one_form_ingest_and_silu_print_load_only_what_they_use(
    one_quote: tuple[Path, tuple[str, ...]], tmp_path: Path
) -> None:
    """``silu ingest`` of one quote, as staff run it file by file, records it and answers with
    the printed quote, written with xlsxwriter: openpyxl and the numpy it brings would cost it
    ~0.1 s, the mail gateway and mail parser ~15 ms. ``silu print`` needs no openpyxl either."""
    import email
    from email import policy

    root, args = one_quote
    # and it does load each library bench/startup.py imports alone as the ingest's second floor
    from bench.startup import LIBRARIES

    assert loaded(*args, watched=(*NOT_FOR_ONE_FORM, *LIBRARIES)) == sorted(LIBRARIES)
    # the ledger was closed, its WAL checkpointed into the file: not left to the exit, which
    # skips what gc.freeze() hid from it (silu_sheets/cli.py, run)
    assert not (root / "ledger" / "silu.db-wal").exists()
    (reply,) = (root / "mail" / "outbox").glob("*-confirmation-li.na*.eml")
    mail = email.message_from_bytes(reply.read_bytes(), policy=policy.default)
    assert "报价单-QUO-2026-00001.xlsx" in [a.get_filename() for a in mail.iter_attachments()]
    out = tmp_path / "quote-printed.xlsx"
    heavy = loaded("--firm", str(root), "print", "QUO-2026-00001", "--out", str(out))
    assert "openpyxl" not in heavy and "numpy" not in heavy
    assert out.stat().st_size > 0


def test_one_form_ingest_reads_the_roster_once(one_quote: tuple[Path, tuple[str, ...]]) -> None:
    """``silu ingest`` reads inbox_rules once (two TOML files parsed in Python), for the
    pipeline and for the sender's language alike."""
    root, args = one_quote
    counting = (
        "import atexit, sys\n"
        "from silu_sheets import roster\n"
        "read = roster.load\n"
        "calls = []\n"
        "roster.load = lambda folder: calls.append(folder) or read(folder)\n"
        "atexit.register(lambda: print(f'ROSTER READ {len(calls)}'))\n"
        "from silu_sheets.cli import run\n"
        "sys.argv[0] = 'silu'\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", counting, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ROSTER READ 1" in done.stdout


def test_garbage_is_collected_as_usual_once_start_up_is_over() -> None:
    """``silu`` runs no collection during start-up (tens of thousands of objects that live
    until exit); a command that goes on past ``START_UP_OBJECTS`` new objects, as a batch or
    ``silu serve`` does, gets the usual thresholds back and its garbage collected."""
    script = (
        "import gc, json, weakref\n"
        "from silu_sheets import cli\n"
        "usual = gc.get_threshold()\n"
        "cli._collect_after_start_up()\n"
        "during = gc.get_threshold()\n"
        "kept = [[i] for i in range(cli.START_UP_OBJECTS + 1000)]\n"
        "class Node: pass\n"
        "node = Node(); node.me = node; gone = weakref.ref(node); del node\n"
        "more = [[] for _ in range(3 * usual[0])]\n"
        "print(json.dumps([usual, during, gc.get_threshold(), gone() is None]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    usual, during, after, collected = json.loads(done.stdout)
    assert during[0] > usual[0] and after == usual
    assert collected  # a dropped cycle is collected by the usual passes
