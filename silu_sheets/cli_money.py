"""``silu balance``, ``silu statement``, ``silu lookup``, ``silu memo``, ``silu note``: thin
printing over silu_sheets.money, lookup, memo and notes (registered in silu_sheets/cli.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from silu_sheets import firm as firm_folder
from silu_sheets import lookup as lookups
from silu_sheets import memo as memo_book
from silu_sheets import money, notes
from silu_sheets.amounts import money_text
from silu_sheets.answers import table_lines
from silu_sheets.ledger.store import Ledger
from silu_sheets.problems import show
from silu_sheets.values import code_argument


def _firm(ctx: click.Context) -> firm_folder.FirmFolder:
    try:
        return firm_folder.open_firm((ctx.obj or {}).get("firm"))
    except firm_folder.FirmError as exc:
        raise click.ClickException(str(exc)) from exc


def _plain(value: Any) -> Any:
    """Decimals as exact text for JSON (never floats)."""
    if isinstance(value, Decimal):
        return show(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "_asdict"):  # a record (a statement's line), by its field names
        return _plain(value._asdict())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return _plain(vars(value))
    return value


def _person(folder: firm_folder.FirmFolder, address: str | None):  # type: ignore[no-untyped-def]
    if not address:
        return None
    person = folder.roster().find(address)
    if person is None:
        raise click.ClickException(f"{address} is not on the staff roster (inbox_rules/staff.toml)")
    return person


@click.command()
@click.argument("customer", required=False, callback=code_argument)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def balance(ctx: click.Context, customer: str | None, as_json: bool) -> None:
    """Customers' balances (结余款), what their notices still owe and refunds due."""
    folder = _firm(ctx)
    ledger = Ledger(folder.ledger_path)
    try:
        if customer and ledger.view.customer(customer) is None:
            raise click.ClickException(f"customer {customer} does not exist")
        rows = money.balances(ledger.view, customer)
        if as_json:
            click.echo(json.dumps(_plain(rows), ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo(_nothing_open(ledger, customer))
            return
        table = {
            "caption": "",
            "columns": [
                "客户 Customer",
                "币种",
                "结余款 Balance",
                "尚欠 Owed",
                "待退款 Refund due",
            ],
            "right": [2, 3, 4],
            "rows": [
                [r["customer_code"], r["currency"]]
                + [money_text(r[key], r["currency"]) for key in ("balance", "owed", "refund_due")]
                for r in rows
            ],
        }
        click.echo("\n".join(table_lines(table)))  # aligned by display width, as for status
    finally:
        ledger.close()


def _nothing_open(ledger: Ledger, customer: str | None) -> str:
    """No balance, nothing owed, no refund due: settled when money or goods ever moved."""
    if customer is None:
        return "没有未结清的往来款项 Nothing open: no balance, nothing owed, no refund due"
    moved = ledger.view.row(
        "SELECT 1 AS any_ FROM money_movements WHERE customer_code = ? LIMIT 1", [customer]
    ) or money.customer_notices(ledger.view, customer)
    if moved:
        return (
            f"{customer} 已结清：无结余款、无欠款、无待退款\n"
            f"{customer} is settled: no balance, nothing owed, no refund due"
        )
    return f"{customer} 没有往来款项 No money on record for {customer}"


@click.command()
@click.argument("customer", callback=code_argument)
@click.option("--currency", help="Currency of the statement (default: the firm's).")
@click.option("--since", help="First day (YYYY-MM-DD); earlier entries make the opening balance.")
@click.option("--until", help="Last day (YYYY-MM-DD).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Workbook to write.")
@click.option("--pdf", is_flag=True, help="Also write a PDF (needs LibreOffice).")
@click.pass_context
def statement(
    ctx: click.Context,
    customer: str,
    currency: str | None,
    since: str | None,
    until: str | None,
    out: Path | None,
    pdf: bool,
) -> None:
    """Write a customer's statement (对账单) ready to sign: opening, shipments, payments, returns,
    closing in figures and in capitals, bank details and the customer's confirmation block."""
    from silu_sheets import printing
    from silu_sheets.cli_print import write_printout

    folder = _firm(ctx)
    ledger = Ledger(folder.ledger_path)
    try:
        found = ledger.view.customer(customer)
        if found is None:
            raise click.ClickException(f"customer {customer} does not exist")
        cur = (currency or folder.firm.currency).upper()
        st = money.statement(ledger.view, customer, cur, since, until)
    finally:
        ledger.close()
    sheet = printing.statement(st, found, printing.Letterhead.of(folder), folder.today())
    path = out or Path(f"statement-{customer}-{cur}.xlsx")
    written = write_printout(sheet, path, pdf)
    click.echo(
        f"{path}: "
        + ", ".join(
            f"{word} {money_text(st[key], cur)}"
            for word, key in (
                ("opening", "opening"),
                ("goods", "shipments"),
                ("payments", "payments"),
                ("returns", "returns"),
                ("refunds", "refunds"),
                ("closing", "closing"),
            )
        )
        + f" {cur}"
    )
    for extra in written[1:]:
        click.echo(str(extra))


@click.group()
def lookup() -> None:
    """Quick lookups: a customer's contracts, a product's stock."""


LANGUAGE = click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the answer.",
)


@lookup.command("contract")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@LANGUAGE
@click.pass_context
def lookup_contract(ctx: click.Context, query: str, as_json: bool, language: str) -> None:
    """Contracts by number or customer (code, part of name or phone): terms, shipped, paid."""
    folder = _firm(ctx.find_root())
    ledger = Ledger(folder.ledger_path)
    try:
        found = lookups.lookup_contracts(ledger.view, query)
        if as_json:
            click.echo(json.dumps(_plain(found), ensure_ascii=False, indent=2))
            return
        if not found:
            click.echo(f"没有找到合同 No contract found for “{query}”")
        from silu_sheets.answers import text_lines

        click.echo("\n".join(text_lines(lookups.contract_answer(found, language))))
    finally:
        ledger.close()


@lookup.command("product")
@click.argument("query")
@click.option(
    "--as", "address", help="Who asks (roster address): prices only for roles that may see them."
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@LANGUAGE
@click.pass_context
def lookup_product(
    ctx: click.Context, query: str, address: str | None, as_json: bool, language: str
) -> None:
    """Products by code, name or spec: stock per warehouse and lot; the price only for those who may see it."""
    folder = _firm(ctx.find_root())
    person = _person(folder, address)
    sees = folder.roster().sees_prices(person) if person else False
    ledger = Ledger(folder.ledger_path)
    try:
        found = lookups.lookup_products(ledger.view, query, sees, folder.firm.currency)
        if as_json:
            click.echo(json.dumps(_plain(found), ensure_ascii=False, indent=2))
            return
        if not found:
            click.echo(f"没有找到产品 No product found for “{query}”")
        from silu_sheets.answers import text_lines

        click.echo("\n".join(text_lines(lookups.product_answer(found, language))))
    finally:
        ledger.close()


@click.command()
@click.argument("topic", required=False)
@click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the answers.",
)
@click.option(
    "--init",
    "make",
    is_flag=True,
    help="Write an example memo.xlsx into the firm folder if none exists.",
)
@click.pass_context
def memo(ctx: click.Context, topic: str | None, language: str, make: bool) -> None:
    """The company memo (备忘录): standard answers, from memo.xlsx in the firm folder."""
    folder = _firm(ctx)
    path = memo_book.memo_path(folder.root)
    if make and not path.exists():
        memo_book.write_example(path)
        click.echo(f"{path} written; edit it in Excel (topic / 中文答复 / English answer)")
    if not path.exists():
        raise click.ClickException(f"no memo yet: run `silu memo --init` and edit {path}")
    found = memo_book.memo(folder.root, topic)
    if not found:
        topics = "、".join(e.topic for e in memo_book.load_memo(folder.root))
        raise click.ClickException(f"no memo topic matches “{topic}”. Topics: {topics}")
    for e in found:
        click.echo(f"【{e.topic}】 {e.answer(language)}")


@click.group()
def note() -> None:
    """Your personal notepad (个人记事本)."""


@note.command("add")
@click.argument("text", nargs=-1, required=True)
@click.option("--as", "address", required=True, help="Your roster address.")
@click.pass_context
def note_add(ctx: click.Context, text: tuple[str, ...], address: str) -> None:
    """Keep a note for yourself."""
    folder = _firm(ctx.find_root())
    person = _person(folder, address)
    ledger = Ledger(folder.ledger_path)
    try:
        number = notes.add_note(ledger, person.address, " ".join(text))
    finally:
        ledger.close()
    click.echo(f"已记下第 {number} 条。" if person.language == "zh" else f"Kept as note {number}.")


@note.command("list")
@click.option("--as", "address", required=True, help="Your roster address.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def note_list(ctx: click.Context, address: str, as_json: bool) -> None:
    """Your notes, newest first."""
    folder = _firm(ctx.find_root())
    person = _person(folder, address)
    ledger = Ledger(folder.ledger_path)
    try:
        found = notes.list_notes(ledger.view, person.address, timezone=folder.firm.timezone)
    finally:
        ledger.close()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    from silu_sheets.answers import text_lines

    click.echo("\n".join(text_lines(notes.notes_blocks(found, person.language))))
