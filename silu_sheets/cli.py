"""The ``silu`` command: a thin layer over the Python API that prints what it returns."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from silu_sheets.firm import FirmFolder

#: commands kept in their own modules, imported only when run or asked for their own help, so
#: ``silu --help`` pays for none of them: name -> (module, function, the start of its docstring
#: that ``silu --help`` shows; tests/test_cli.py checks it still starts the docstring)
ELSEWHERE: dict[str, tuple[str, str, str]] = {
    "poll": ("cli_mail", "poll", "Handle the shared mailbox once"),
    "serve": ("cli_mail", "serve", "Keep answering: IMAP IDLE (or polling)"),
    "send": ("cli_mail", "send", "Send the replies queued in the outbox once"),
    "balance": ("cli_money", "balance", "Customers' balances (结余款)"),
    "statement": ("cli_money", "statement", "Write a customer's statement (对账单)"),
    "lookup": ("cli_money", "lookup", "Quick lookups: a customer's contracts, a product's stock"),
    "memo": ("cli_money", "memo", "The company memo (备忘录)"),
    "note": ("cli_money", "note", "Your personal notepad (个人记事本)"),
    "status": ("cli_fulfilment", "status", "Show a document's state and progress"),
    "stock": ("cli_fulfilment", "stock", "Show on hand, reserved and available stock"),
    "report": ("cli_report", "report", "Write the summary workbook"),
    "remind": ("cli_remind", "remind", "What is due and overdue, per person (提醒中心)"),
    "print": ("cli_print", "print_document", "Write a quote, contract or delivery note"),
}


class Commands(click.Group):
    """The command group: commands of ``ELSEWHERE`` are imported when first looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *ELSEWHERE})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in ELSEWHERE:
            import importlib

            module, function, _ = ELSEWHERE[cmd_name]
            found = getattr(importlib.import_module(f"silu_sheets.{module}"), function)
            self.add_command(found, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit=60)))
            else:
                rows.append((name, ELSEWHERE[name][2] + "…"))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class KindChoice(click.Choice):
    """The form kinds, looked up when a command line is checked or its help shown: declaring
    every kind is work ``silu --help`` and the other commands need not pay for."""

    def __init__(self) -> None:
        super().__init__([])

    @property  # type: ignore[override]
    def choices(self) -> list[str]:
        from silu_sheets.kinds import KINDS

        return list(KINDS)

    @choices.setter
    def choices(self, _: object) -> None:
        pass


def _open(ctx: click.Context) -> FirmFolder:
    from silu_sheets import firm as firm_folder

    try:
        return firm_folder.open_firm(ctx.obj.get("firm"))
    except firm_folder.FirmError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--firm",
    "firm_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SILU_FIRM",
    help="The firm's working folder (default: the current directory).",
)
@click.pass_context
def main(ctx: click.Context, firm_dir: Path | None) -> None:
    """silu-sheets: a small firm's sales process on Excel forms and email."""
    ctx.ensure_object(dict)
    ctx.obj["firm"] = firm_dir
    _chosen_firm[:] = [firm_dir]


#: the --firm given on this run, for ``run()``'s fault log (click's context is gone by then)
_chosen_firm: list[Path | None] = [None]


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--authserv-id",
    default=None,
    help="Your receiving mail server's name in its Authentication-Results header: only its "
    "topmost stamp is trusted (asked when run in a terminal).",
)
@click.option(
    "--trust-unauthenticated",
    is_flag=True,
    help="Your receiving server stamps nothing: believe the From line (anyone can forge it).",
)
def init(directory: Path, authserv_id: str | None, trust_unauthenticated: bool) -> None:
    """Create a firm's working folder: silu.toml, inbox_rules/, ledger/, mail/."""
    if authserv_id is None and not trust_unauthenticated and sys.stdin.isatty():
        authserv_id = click.prompt(
            "Your receiving mail server's name, as the first word of the Authentication-Results "
            "header it adds (blank: decide later in silu.toml; docs/MAIL.md)",
            default="",
            show_default=False,
        ).strip()
    from silu_sheets import firm as firm_folder

    folder = firm_folder.init(directory, authserv_id or "", trust_unauthenticated)
    click.echo(f"Firm folder ready: {folder.root}")
    click.echo("  edit inbox_rules/staff.toml (who may send forms) and silu.toml (firm settings)")
    if not authserv_id and not trust_unauthenticated:
        click.echo(
            "  before reading a real mailbox, set authserv_id (or trust_unauthenticated) in "
            "silu.toml [mail]: see docs/MAIL.md"
        )


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("templates/xlsx"),
    show_default=True,
    help="Folder to write the blank forms into.",
)
def templates(out: Path) -> None:
    """Write one blank .xlsx form per document kind."""
    from silu_sheets.kinds import KINDS
    from silu_sheets.workbook import template

    for path in template.write_templates(out, list(KINDS.values())):
        click.echo(str(path))


@main.command()
@click.argument("kind", type=KindChoice(), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable spec.")
@click.option(
    "--markdown", is_flag=True, help="Print every form's fields as Markdown (docs/FORMS.md)."
)
def describe(kind: str | None, as_json: bool, markdown: bool) -> None:
    """Show a form's fields, cells and line table; every form's when no KIND is named (with
    --json: a list of specs)."""
    from silu_sheets.describe import describe as describe_kind
    from silu_sheets.describe import markdown as forms_markdown
    from silu_sheets.kinds import KINDS

    kinds = [KINDS[kind]] if kind else list(KINDS.values())
    if markdown:
        click.echo(forms_markdown(kinds))
        return
    specs = [describe_kind(k) for k in kinds]
    if as_json:
        click.echo(json.dumps(specs[0] if kind else specs, ensure_ascii=False, indent=2))
        return
    for spec in specs:
        _describe_in_words(spec)


def _describe_in_words(spec: dict) -> None:
    kind = spec["kind"]
    click.echo(f"{spec['titles']['zh']} {spec['titles']['en']} ({kind}, version {spec['version']})")
    for f in spec["fields"]:
        star = "*" if f["required"] else " "
        click.echo(
            f"  {f['cell']:>5} {star} {f['labels']['zh']} / {f['labels']['en']} [{f['type']}]"
        )
    for table in spec["line_tables"]:
        click.echo(f"  lines from row {table['first_data_row']} (up to {table['max_rows']}):")
        for c in table["columns"]:
            star = "*" if c["required"] else " "
            click.echo(
                f"  {c['column']:>5} {star} {c['labels']['zh']} / {c['labels']['en']} [{c['type']}]"
            )


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--from", "sender", required=True, help="The sender's address, as on the roster.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of each file as JSON.")
@click.pass_context
def ingest(ctx: click.Context, files: tuple[Path, ...], sender: str, as_json: bool) -> None:
    """Check and record forms from files, as if SENDER had mailed them. Exit 1 if any is refused."""
    from silu_sheets.api import ingest_files
    from silu_sheets.ledger.store import DISK_FULL_EXIT, DISK_FULL_LINE, DiskFull
    from silu_sheets.roster import RosterError

    folder = _open(ctx)
    stopped = None
    try:
        roster = folder.roster()  # read once: the ingest's and the sender's language
        outcomes = ingest_files(folder, list(files), sender, roster=roster)
    except RosterError as exc:
        raise click.ClickException("inbox_rules is wrong:\n" + "\n".join(exc.problems)) from exc
    except DiskFull as exc:  # the administrator's problem, not the sender's: no reply, no trace
        outcomes, stopped = exc.outcomes, exc
    person = roster.find(sender)
    language = person.language if person else folder.language
    if as_json:
        click.echo(
            json.dumps([o.as_dict(language) for o in outcomes], ensure_ascii=False, indent=2)
        )
    else:
        for o in outcomes:
            click.echo(render_outcome(o.as_dict(language), language))
    if stopped is not None:
        line = DISK_FULL_LINE.format(where=folder.root)
        click.echo(
            f"silu ingest stopped: {line}. Not recorded: {', '.join(stopped.left)}. "
            "Run the same command again then: files already recorded are answered "
            '"already recorded", nothing is recorded twice.',
            err=True,
        )
        sys.exit(DISK_FULL_EXIT)
    sys.exit(0 if all(o.accepted for o in outcomes) else 1)


def render_outcome(o: dict, language: str) -> str:
    zh = language == "zh"
    if o["accepted"]:
        words = (
            {"record": "已登记", "amend": "已修改", "cancel": "已作废"}
            if zh
            else {"record": "recorded", "amend": "amended", "cancel": "cancelled"}
        )
        word = words[o["action"]]
        lines = [f"✔ {o['file']}: {word} {o['docno']}"]
    else:
        count = len(o["problems"])
        lines = [
            f"✘ {o['file']}: "
            + (f"未登记，{count} 处需要修改" if zh else f"not recorded, {count} problem(s)")
        ]
    for p in o["problems"]:
        mark = "!" if p["severity"] == "warning" else "-"
        lines.append(f"   {mark} [{p['code']}] {p['message']}")
    return "\n".join(lines)


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-firm"),
    show_default=True,
    help="Where to build the sample firm (made anew each run).",
)
def demo(directory: Path) -> None:
    """Run a day at a sample firm on the embedded default: no servers needed."""
    from silu_sheets.demo import run

    run(directory, echo=click.echo)


#: objects made before the collector first runs: more than a one-form ingest makes (~50,000)
START_UP_OBJECTS = 100_000


def _collect_after_start_up() -> None:
    """No garbage collection during start-up: the modules a command imports make tens of
    thousands of objects that live until exit, and the collector's passes over them find
    nothing (~10 ms of a one-form ingest's CPU). A command that runs on past that many new
    objects (a batch, ``silu serve``) then freezes what is alive out of the collector's sight,
    as Python's docs advise for a long-lived process after its imports, and collects as usual
    from there on (a cycle dropped before that moment stays: once, and less than that many)."""
    usual = gc.get_threshold()

    def first_collection(phase: str, info: dict) -> None:
        gc.callbacks.remove(first_collection)
        gc.freeze()  # this collection and the next find only what is made from now on
        gc.set_threshold(*usual)

    gc.set_threshold(START_UP_OBJECTS, *usual[1:])
    gc.callbacks.append(first_collection)


def run() -> None:
    """The ``silu`` console command: an unexpected fault (a disk that is full, a ledger that is
    locked too long) is told in one line with where the details went, never as a traceback."""
    _collect_after_start_up()
    try:
        main(standalone_mode=True)
    except Exception as exc:  # noqa: BLE001 - the one place that turns any fault into words
        import datetime as dt
        import traceback

        from silu_sheets import firm as firm_folder

        try:
            log = firm_folder.open_firm(_chosen_firm[0]).errors_log
        except firm_folder.FirmError:  # no firm folder: the user's own home, never shared /tmp
            log = Path.home() / ".silu-errors.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as out:
                out.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} {sys.argv}\n")
                out.write(traceback.format_exc())
            where = f"details for the administrator in {log}"
        except OSError:
            where = "no details could be written"
        click.echo(f"silu stopped: {type(exc).__name__}: {exc} ({where})", err=True)
        sys.exit(2)
    finally:
        # The process ends here and the OS takes its memory back at once: frozen, the objects
        # still alive are not walked again by the interpreter's exit, whose collections over
        # every imported module's objects cost a one-form ingest ~20 ms of its ~190 ms CPU.
        # Nothing left holds unwritten data: the ledger is closed and files are written whole.
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    run()
