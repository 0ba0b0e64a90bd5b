"""``silu report``: the summary workbook from the command line (a thin layer over
``silu_sheets.report``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from silu_sheets import firm as firm_folder


def _day(option: str, text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} 不是日期，请写成 2026-11-30 / is not a date; write it like 2026-11-30",
            param_hint=option,
        ) from None


@click.command()
@click.option(
    "--from", "start", metavar="DATE", help="First day (default: the 1st of --to's month)."
)
@click.option("--to", "end", metavar="DATE", help="Last day, included (default: today).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx to write (default: reports/汇总-FROM_TO.xlsx in the firm folder).",
)
@click.option(
    "--for",
    "audience",
    type=click.Choice(["manager", "warehouse"]),
    default="manager",
    show_default=True,
    help="warehouse: stock and fulfilment quantities only, no price, amount or balance.",
)
@click.pass_context
def report(
    ctx: click.Context, start: str | None, end: str | None, out: Path | None, audience: str
) -> None:
    """Write the summary workbook: overview, salespeople (业务员评估), pipeline, sales,
    fulfilment, receivables, returns, stock, service and the documents behind the totals."""
    from silu_sheets.report import default_period, report_filename, write_report

    try:
        folder = firm_folder.open_firm(ctx.obj.get("firm") if ctx.obj else None)
    except firm_folder.FirmError as exc:
        raise click.ClickException(str(exc)) from exc
    first, last = _day("--from", start), _day("--to", end)
    period = default_period(folder.today(), first, last)
    if period.start > period.end:
        raise click.BadParameter(
            f"--from {period.start} 晚于 --to {period.end} / is after --to", param_hint="--from"
        )
    target = out or folder.root / "reports" / report_filename(period, audience)  # type: ignore[arg-type]
    if target.suffix.lower() != ".xlsx":
        target = target.with_suffix(".xlsx")
    from silu_sheets.report.mailing import ReportSettingsError

    try:
        write_report(folder, target, period, audience)  # type: ignore[arg-type]
    except ReportSettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{target}  ({period}, {audience})")
