"""The ``silu`` command, run as a person runs it: the installed console script, in a process.

Every command has help text and is named in README.md (the sqlite-utils test_docs idea):
a command nobody can find out about is a command nobody uses.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import SALES, SALES_EN

from silu_sheets import cli
from silu_sheets.api import fill_form
from silu_sheets.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
SILU = str(Path(sys.executable).with_name("silu"))
COMMANDS = cli.main.list_commands(click.Context(cli.main))


def silu(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SILU, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_the_console_script_is_installed():
    assert Path(SILU).exists(), f"{SILU} missing: pip install -e . creates it"


def test_init_makes_a_firm_folder(tmp_path):
    done = silu("init", str(tmp_path / "myfirm"))
    assert done.returncode == 0, done.stderr
    firm = tmp_path / "myfirm"
    for path in (
        "silu.toml",
        "inbox_rules/staff.toml",
        "inbox_rules/roles.toml",
        "ledger",
        "mail/outbox",
    ):
        assert (firm / path).exists(), path
    assert "myfirm" in done.stdout
    # running it again keeps what is there (a firm's edited roster is never overwritten)
    (firm / "inbox_rules" / "staff.toml").write_text("# edited\n", encoding="utf-8")
    assert silu("init", str(firm)).returncode == 0
    assert (firm / "inbox_rules" / "staff.toml").read_text(encoding="utf-8") == "# edited\n"


def test_templates_out_writes_one_form_per_kind(tmp_path):
    done = silu("templates", "--out", str(tmp_path / "forms"))
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in (tmp_path / "forms").glob("*.xlsx"))
    assert len(written) == len(KINDS)
    assert len(done.stdout.splitlines()) == len(KINDS)


def test_describe_json_is_the_forms_spec():
    done = silu("describe", "quote", "--json")
    assert done.returncode == 0, done.stderr
    spec = json.loads(done.stdout)
    assert (spec["kind"], spec["titles"]["zh"]) == ("quote", "销售报价单")
    fields = {f["key"]: f for f in spec["fields"]}
    assert fields["valid_until"]["cell"] == "B8"
    assert fields["valid_until"]["type"] == "date" and fields["valid_until"]["required"] is True
    assert fields["inquiry_no"]["refers_to"] == "inquiry"
    (table,) = spec["line_tables"]
    assert (table["header_row"], table["first_data_row"], table["max_rows"]) == (17, 18, 200)
    columns = {c["key"]: c for c in table["columns"]}
    assert (columns["unit_price"]["column"], columns["unit_price"]["type"]) == ("C", "money")


def test_describe_in_words_and_unknown_kind():
    done = silu("describe", "inquiry")
    assert done.returncode == 0
    assert "客户咨询单 Customer inquiry" in done.stdout and "B7" in done.stdout
    unknown = silu("describe", "invoice")
    assert unknown.returncode == 2 and "invoice" in unknown.stderr
    assert "Traceback" not in unknown.stderr


@pytest.fixture
def forms(tmp_path) -> dict[str, Path]:
    def save(name: str, kind: str, header: dict, lines: list[dict] = ()) -> Path:
        path = tmp_path / name
        path.write_bytes(fill_form(kind, header, lines))
        return path

    return {
        "good": save(
            "咨询.xlsx",
            "inquiry",
            {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"},
        ),
        "good2": save(
            "inquiry2.xlsx",
            "inquiry",
            {"inquiry_date": "2026-11-21", "customer_code": "C002", "channel": "email"},
        ),
        "bad": save(
            "quote.xlsx",
            "quote",
            {"quote_date": "2026-11-25", "valid_until": "2026-11-20", "customer_code": "C404"},
            [{"product_code": "P-M8", "quantity": "-1", "unit_price": "1.15"}],
        ),
    }


def test_ingest_all_accepted_exits_0(seeded_firm, forms):
    done = silu(
        "--firm",
        str(seeded_firm.root),
        "ingest",
        str(forms["good"]),
        str(forms["good2"]),
        "--from",
        SALES,
        "--json",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert [(r["file"], r["accepted"], r["kind"], r["action"], r["problems"]) for r in result] == [
        ("咨询.xlsx", True, "inquiry", "record", []),
        ("inquiry2.xlsx", True, "inquiry", "record", []),
    ]
    year = seeded_firm.today().year
    assert [r["docno"] for r in result] == [f"INQ-{year}-00001", f"INQ-{year}-00002"]
    assert len(list(seeded_firm.outbox_dir.glob("*li.na*.eml"))) == 2


@pytest.mark.parametrize(("sender", "language"), [(SALES, "zh"), (SALES_EN, "en")])
def test_ingest_any_refused_exits_1_with_every_problem(seeded_firm, forms, sender, language):
    done = silu(
        "--firm",
        str(seeded_firm.root),
        "ingest",
        str(forms["bad"]),
        str(forms["good"]),
        "--from",
        sender,
        "--json",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    refused, accepted = json.loads(done.stdout)
    assert accepted["accepted"] is True
    assert refused["accepted"] is False and refused["docno"] is None
    assert [(p["code"], p["sheet"], p["cell"]) for p in refused["problems"]] == [
        ("date-before", "销售报价单", "B8"),
        ("customer-unknown", "销售报价单", "B9"),
        ("below-minimum", "销售报价单", "B18"),
    ]
    messages = [p["message"] for p in refused["problems"]]
    if language == "zh":
        assert (
            messages[1]
            == "工作表「销售报价单」B9（客户编号）：客户编号 C404 不存在。请核对，或先发送客户资料表登记该客户。"
        )
    else:
        assert messages[1] == (
            'Sheet "销售报价单" B9 (Customer code): Customer code C404 does not exist. '
            "Check it, or send the customers workbook to add the customer first."
        )
    assert refused["problems"][2]["values"] == {"value": "-1", "minimum": "0"}


def test_ingest_in_words(seeded_firm, forms):
    done = silu("--firm", str(seeded_firm.root), "ingest", str(forms["bad"]), "--from", SALES_EN)
    assert done.returncode == 1
    assert "quote.xlsx: not recorded, 3 problem(s)" in done.stdout
    assert "[customer-unknown]" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_ingest_from_an_unknown_sender_records_nothing(seeded_firm, forms):
    done = silu(
        "--firm",
        str(seeded_firm.root),
        "ingest",
        str(forms["good"]),
        "--from",
        "x@example.com",
        "--json",
    )
    assert done.returncode == 1
    (result,) = json.loads(done.stdout)
    assert [p["code"] for p in result["problems"]] == ["sender-unknown"]


def test_ingest_with_a_broken_roster_says_so_and_records_nothing(seeded_firm, forms):
    """The roster is read once, before anything is recorded: a staff file that does not parse
    is one line naming inbox_rules, no traceback, no document."""
    import shutil

    root = seeded_firm.root.parent / "broken-roster"
    shutil.copytree(seeded_firm.root, root)
    (root / "inbox_rules" / "staff.toml").write_text("[[staff]\naddress = ", encoding="utf-8")
    done = silu("--firm", str(root), "ingest", str(forms["good"]), "--from", SALES)
    assert done.returncode == 1
    assert "inbox_rules is wrong" in done.stderr and "staff.toml" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not list((root / "mail" / "outbox").glob("*.eml"))


def test_ingest_outside_a_firm_folder_says_so(tmp_path, forms):
    done = silu("ingest", str(forms["good"]), "--from", SALES, cwd=tmp_path)
    assert done.returncode == 1
    assert "silu init" in done.stderr
    assert "Traceback" not in done.stderr


def test_ingest_a_missing_file_is_a_usage_error(seeded_firm):
    done = silu("--firm", str(seeded_firm.root), "ingest", "nope.xlsx", "--from", SALES)
    assert done.returncode == 2 and "nope.xlsx" in done.stderr


def test_demo_runs_and_prints_a_summary(tmp_path):
    done = silu("demo", "--dir", str(tmp_path / "demo-firm"))
    assert done.returncode == 0, done.stderr
    assert "Summary:" in done.stdout
    assert "recorded" in done.stdout and "refused" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert (tmp_path / "demo-firm" / "ledger" / "silu.db").exists()
    # it ends with the day's reminder mails and where they are
    tail = done.stdout.split("== The day's reminder mails")[-1]
    assert "✉" in tail and str(tmp_path / "demo-firm" / "mail" / "sent") in tail
    # then the summary workbook of the demo's month and where it is
    workbook = tmp_path / "demo-firm" / "reports" / "汇总-2026-11-01_2026-11-30.xlsx"
    assert str(workbook) in done.stdout and workbook.exists()
    # and, last, the documents to print, on the sample firm's letterhead
    papers = done.stdout.split("== Documents to print")[-1].strip().splitlines()[1:]
    printed = tmp_path / "demo-firm" / "print"
    names = ["报价单-QUO-", "销售合同-CON-", "送货单-ISS-", "对账单-C00001-CNY"]
    assert len(papers) == len(names) and sorted(p.name for p in printed.iterdir()) == sorted(
        p.rsplit("/", 1)[-1] for p in papers
    )
    for line, name in zip(papers, names, strict=True):
        path = Path(line.split(": ", 1)[1])
        assert name in path.name and path.parent == printed
    statement = next(printed.glob("对账单-*.xlsx"))
    with zipfile.ZipFile(statement) as z:
        text = z.read("xl/sharedStrings.xml").decode()
    assert "1001 2345 6789 0123 456" in text and "中国工商银行上海张江支行" in text


# --- every command documented ----------------------------------------------------------------
def test_the_group_help_lists_every_command():
    done = silu("--help")
    assert done.returncode == 0
    for name in COMMANDS:
        assert f"  {name} " in done.stdout, name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name):
    """In-process (click's runner), as sqlite-utils does: the real script's start-up is paid once above."""
    done = CliRunner().invoke(cli.main, [name, "--help"], prog_name="silu")
    assert done.exit_code == 0, done.output
    assert f"Usage: silu {name}" in done.output
    command = cli.main.get_command(click.Context(cli.main), name)
    assert command is not None
    assert command.help and len(command.help.strip()) > 20, f"silu {name} needs a docstring"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"silu {name} {param.opts[0]} needs help text"


@pytest.mark.parametrize("name", sorted(cli.ELSEWHERE))
def test_silu_help_shows_the_start_of_each_command_it_does_not_import(name):
    """``silu --help`` shows a line for the commands it does not import; that line must still be
    how the command's own docstring begins."""
    command = cli.main.get_command(click.Context(cli.main), name)
    assert command is not None and command.name == name
    assert " ".join((command.help or "").split()).startswith(cli.ELSEWHERE[name][2])


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_named_in_the_readme(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"silu {name}" in readme, f"README.md does not mention `silu {name}`"


def test_a_broken_ledger_is_one_line_not_a_traceback(tmp_path):
    """A ledger file that is not a database (copied over by mistake): the person reads what
    stopped and where the details went; the trace is in the log for the administrator."""
    root = tmp_path / "firm"
    assert silu("init", str(root)).returncode == 0
    (root / "ledger" / "silu.db").write_bytes(b"this is not a database, it was overwritten" * 100)
    result = silu("--firm", str(root), "status", "INQ-2026-00001")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.startswith("silu stopped: DatabaseError: file is not a database")
    log = Path(result.stderr.split("details for the administrator in ")[1].rstrip(")\n"))
    assert "Traceback" in log.read_text(encoding="utf-8")
