"""What ``silu status`` adds for the money and after-sales kinds: a return's quantities received,
its money (requested, agreed, credited, refunded, still to refund) and whether a replacement is
still owed; a payment's effect; a return inbound slip's return. ``prices=False`` (a warehouse
keeper) leaves every amount out. Registered into ``silu_sheets.status.EXTRAS``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from silu_sheets import money
from silu_sheets.problems import show

if TYPE_CHECKING:
    from silu_sheets.ledger.store import LedgerView


def _sales_return(view: LedgerView, doc: dict, prices: bool) -> dict:
    state = money.return_state(view, doc["docno"]) or {}
    to_receive = state.get("to_receive", {})
    found: dict[str, Any] = {
        "notice_no": state.get("notice_no"),
        "goods_disposition": state.get("goods_disposition"),
        "money_disposition": state.get("money_disposition"),
        "received": [
            {
                "line_no": x["line_no"],
                "product_code": x["product_code"],
                "quantity": show(x["quantity"]),
                "received": show(x["received"]),
                "left": show(to_receive.get(int(x["line_no"]), 0)),
            }
            for x in state.get("lines", [])
        ],
        "replaced_by": state.get("replaced_by", []),
        "replacement_open": state.get("replacement_open", False),
    }
    if prices:
        agreed = state.get("agreed_amount")
        found["money"] = {
            "requested": state.get("requested_amount"),
            "agreed": agreed,
            "credited": show(state.get("credited", 0)),
            "refunded": show(state.get("refunded", 0)),
            "refund_due": show(state.get("refund_due", 0)),
        }
    return found


def _payment(view: LedgerView, doc: dict, prices: bool) -> dict:
    if not prices:
        return {}
    rows = view.rows(
        "SELECT account, movement, amount, notice_no, return_no FROM money_movements WHERE docno = ? ORDER BY id",
        [doc["docno"]],
    )
    return {"movements": rows}


def _return_inbound(view: LedgerView, doc: dict, prices: bool) -> dict:
    return {"return_no": doc["header"].get("return_no")}


EXTRAS = {"sales_return": _sales_return, "payment": _payment, "return_inbound": _return_inbound}
