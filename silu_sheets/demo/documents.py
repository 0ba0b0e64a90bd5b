"""The demo's paperwork: the documents a firm prints, seals and hands over, written from the
demo's ledger into the firm folder's print/ — the first quote and contract, the first issue
slip's delivery note (送货单) and the customer's statement (对账单) — on the sample firm's
letterhead, as ``silu print`` and ``silu statement`` write them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silu_sheets.demo import Demo

#: the sample firm's letterhead, written into its silu.toml before the first form
LETTERHEAD = {
    "address": "上海市浦东新区张江路 88 号",
    "phone": "021-5080 1234",
    "tax_number": "91310115MA1K3XXXX8",
    "bank": "中国工商银行上海张江支行",
    "bank_account": "1001 2345 6789 0123 456",
}


def letterhead(settings_text: str) -> str:
    """``silu.toml`` as ``silu init`` writes it, with the letterhead lines filled in."""
    for key, value in LETTERHEAD.items():
        settings_text = settings_text.replace(f'# {key} = "{value}"', f'{key} = "{value}"', 1)
    return settings_text


def scene(demo: Demo) -> None:
    from silu_sheets import money, printing
    from silu_sheets.workbook import printout as layout

    folder, view = demo.folder, demo.gateway.ledger.view
    out = folder.root / "print"
    out.mkdir(exist_ok=True)
    written = []
    for kind in ("quote", "contract", "issue_slip"):
        first = next((o for o in demo.outcomes if o.accepted and o.kind == kind), None)
        if first is None or first.docno is None:
            continue
        doc = printing.printout(view, first.docno, folder)
        written.append((out / f"{doc.zh}-{doc.docno}.xlsx", doc))
    customer = view.customer("C00001")
    if customer is not None:
        cur = folder.firm.currency
        st = money.statement(view, "C00001", cur, None, None)
        doc = printing.statement(st, customer, printing.Letterhead.of(folder), folder.today())
        written.append((out / f"{doc.zh}-C00001-{cur}.xlsx", doc))
    demo.echo("")
    demo.echo("== Documents to print, seal and hand over (silu print, silu statement)")
    for path, doc in written:
        path.write_bytes(layout.build(doc))
        demo.echo(f"  {doc.zh} {doc.en}: {path}")
