"""``silu status`` and ``silu stock``: where a document stands, what the warehouses hold."""

from __future__ import annotations

import json
import sys

import click

from silu_sheets import firm as firm_folder
from silu_sheets.ledger.store import Ledger
from silu_sheets.roster import RosterError
from silu_sheets.values import code_argument, docno_text


def _folder(ctx: click.Context) -> firm_folder.FirmFolder:
    try:
        return firm_folder.open_firm(ctx.obj.get("firm") if ctx.obj else None)
    except firm_folder.FirmError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.argument("docno")
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable state.")
@click.option(
    "--as", "viewer", help="Show it as this person sees it (no prices for warehouse staff)."
)
@click.pass_context
def status(ctx: click.Context, docno: str, as_json: bool, viewer: str | None) -> None:
    """Show a document's state and progress: an order's decision and contract, a contract's
    noticed and issued per line, a notice's issued per line, warehouse and lot, and its slips."""
    from silu_sheets.status import document_status, render_status

    folder = _folder(ctx)
    prices, language = True, folder.language
    try:
        roster = folder.roster()
    except RosterError as exc:
        if viewer:
            raise click.ClickException("inbox_rules is wrong:\n" + "\n".join(exc.problems)) from exc
        roster = None  # the answer still stands, with addresses for names
    if viewer and roster:
        person = roster.find(viewer)
        if person is None:
            raise click.ClickException(f"{viewer} is not on the staff roster")
        prices, language = roster.sees_prices(person), person.language
    ledger = Ledger(folder.ledger_path)
    try:
        found = document_status(ledger.view, docno_text(docno), prices=prices, language=language)
    finally:
        ledger.close()
    if found is None:
        click.echo(f"{docno}: 单号不存在 / not in the ledger", err=True)
        sys.exit(1)
    click.echo(
        json.dumps(found, ensure_ascii=False, indent=2)
        if as_json
        else render_status(
            found,
            language,
            names=roster.name_of if roster else None,
            timezone=folder.firm.timezone,
        )
    )


@click.command()
@click.option("--warehouse", help="Only this warehouse.", callback=code_argument)
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable list.")
@click.pass_context
def stock(ctx: click.Context, warehouse: str | None, as_json: bool) -> None:
    """Show on hand, reserved and available stock per warehouse, product and lot, with expiry
    dates. No prices: the same list serves the warehouse."""
    from silu_sheets.status import render_stock, stock_report

    folder = _folder(ctx)
    ledger = Ledger(folder.ledger_path)
    try:
        rows = stock_report(ledger.view, warehouse)
    finally:
        ledger.close()
    click.echo(
        json.dumps(rows, ensure_ascii=False, indent=2)
        if as_json
        else render_stock(rows, folder.language)
    )
