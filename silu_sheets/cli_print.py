"""``silu print DOCNO``: a customer-ready document (报价单, 销售合同, 送货单) as a print-ready
workbook, and as a PDF through LibreOffice when asked (registered in silu_sheets/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click

from silu_sheets import firm as firm_folder
from silu_sheets.values import docno_text


def write_printout(printout: object, out: Path, pdf: bool) -> list[Path]:
    """The workbook at ``out`` (its folder made if missing) and, with ``pdf``, its PDF beside it."""
    from silu_sheets import office
    from silu_sheets.workbook import printout as layout

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot make the folder {out.parent}: {exc}") from exc
    out.write_bytes(layout.build(printout))  # type: ignore[arg-type]
    written = [out]
    if pdf:
        try:
            written += office.convert([out], "pdf", out.parent)
        except RuntimeError as exc:
            raise click.ClickException(f"{out} written; no PDF: {exc}") from exc
    return written


@click.command("print")
@click.argument("docno")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Workbook to write.")
@click.option("--pdf", is_flag=True, help="Also write a PDF (needs LibreOffice).")
@click.option(
    "--no-prices",
    is_flag=True,
    help="A delivery note without prices whatever silu.toml says (the driver's or warehouse's copy).",
)
@click.pass_context
def print_document(
    ctx: click.Context, docno: str, out: Path | None, pdf: bool, no_prices: bool
) -> None:
    """Write a quote, contract or delivery note ready to print and send.

    A delivery note (送货单) shows what an issue slip issued: give the slip's number, or a
    shipment notice's when it has only one slip."""
    from silu_sheets import printing
    from silu_sheets.ledger.store import Ledger

    try:
        folder = firm_folder.open_firm((ctx.obj or {}).get("firm"))
    except firm_folder.FirmError as exc:
        raise click.ClickException(str(exc)) from exc
    number = docno_text(docno)
    ledger = Ledger(folder.ledger_path)
    try:
        try:
            found = printing.printout(ledger.view, number, folder, for_warehouse=no_prices)
        except printing.NotPrintable as why:
            if why.zh:
                raise click.ClickException(f"{why.zh}\n{why.en}") from None
            raise click.ClickException(
                f"{number}: no such quote, contract, issue slip or shipment notice "
                "(报价单、销售合同、送货单); customer statements: silu statement CUSTOMER"
            ) from None
    finally:
        ledger.close()
    if no_prices and found.key != "delivery_note":
        raise click.ClickException(
            f"--no-prices: only a delivery note prints without prices; {number} is a {found.en.lower()}"
        )
    path = out or Path(f"{found.zh}-{found.docno}.xlsx")
    for written in write_printout(found, path, pdf):
        click.echo(str(written))
