"""Every document kind, declared once, in the order of the sales process.

A kind's module holds its ``KIND`` declaration and its ``HOOKS`` (``silu_sheets/hooks.py``:
its rules, effects, replies, status section and what it draws on). Adding a kind: its module,
one line in the list below, its test file, and the generated template and docs.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from silu_sheets.declare import Kind
from silu_sheets.drawdown import DrawsOn
from silu_sheets.hooks import Hooks

#: the kinds in the order of the sales process: adding a kind is one line here
REGISTERED = (
    "customers",
    "products",
    "warehouses",
    "opening_stock",
    "inquiry",
    "follow_up",
    "quote",
    "sample",
    "order",
    "contract",
    "shipment_notice",
    "issue_slip",
    "delivery_receipt",
    "payment",
    "sales_return",
    "return_inbound",
    "service",
)
MODULES: dict[str, ModuleType] = {
    m.KIND.key: m for m in (import_module(f"silu_sheets.kinds.{name}") for name in REGISTERED)
}
KINDS: dict[str, Kind] = {key: m.KIND for key, m in MODULES.items()}
#: each kind's rules and effects, typed in silu_sheets/hooks.py
HOOKS: dict[str, Hooks] = {key: m.HOOKS for key, m in MODULES.items()}
#: every draw-down relation, declared by the kind that draws (silu_sheets/drawdown.py)
DRAWS: list[DrawsOn] = [d for h in HOOKS.values() for d in h.draws]
MASTERS = tuple(k for k, kind in KINDS.items() if kind.master)
DOCUMENTS = tuple(k for k, kind in KINDS.items() if not kind.master)


def enforced(kind: str) -> bool:
    """Whether the kind's rules are in place; forms of other kinds are refused, not recorded."""
    return kind in HOOKS


def by_prefix(prefix: str) -> Kind | None:
    return next((k for k in KINDS.values() if k.prefix == prefix), None)
