"""A filled form as plain values, and the context a check runs in.

The reader builds a ``Document`` from a workbook; checks and booking read it and never touch
openpyxl. Problem locations come from the kind's layout, so a rule names a field, not a cell.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from silu_sheets.amounts import Money
from silu_sheets.declare import Kind
from silu_sheets.problems import Problem, Severity


@dataclass
class Line:
    """One filled row of the line table; ``number`` is its 1-based place in the table."""

    number: int
    row: int
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class Document:
    kind: Kind
    header: dict[str, Any]
    lines: list[Line] = field(default_factory=list)
    #: the firm's currency, for a form whose currency cell is empty (the pipeline sets it)
    default_currency: str = "CNY"

    def __getitem__(self, key: str) -> Any:
        return self.header.get(key)

    @property
    def currency(self) -> str:
        """The document's currency: its own cell, else the firm's default."""
        return str(self.header.get("currency") or self.default_currency).upper()

    def money(self, amount: Any) -> Money:
        """An amount of this document as a person reads it (in its currency's decimals)."""
        return Money(amount, self.currency)

    @property
    def docno(self) -> str | None:
        return self.header.get("docno")

    @property
    def cancelling(self) -> bool:
        return self.header.get("action") == "cancel"

    def problem(
        self,
        problem_code: str,
        field_key: str | None = None,
        line: Line | None = None,
        severity: Severity = "error",
        **values: object,
    ) -> Problem:
        """A problem placed at a header field, or at a column of ``line``."""
        layout = self.kind.layout
        cell = None
        if field_key and line is not None:
            cell = layout.line_cell(field_key, line.row)
        elif field_key:
            cell = layout.header_cells.get(field_key)
        return Problem(
            problem_code,
            values,
            sheet=self.kind.sheet,
            cell=cell,
            field=field_key,
            line=line.number if line else None,
            severity=severity,
        )


class Staff(NamedTuple):
    """A person on the roster (``inbox_rules/``)."""

    address: str
    name: str
    roles: tuple[str, ...]
    language: str = "zh"
    warehouses: tuple[str, ...] = ()
    #: IANA time zone of the person's own calendar (daily digests); None: the firm's
    timezone: str | None = None
    #: False: no daily reminder mail for this person (TODO still answers)
    digest: bool = True

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def manager(self) -> bool:
        return self.has("sales_manager", "manager", "admin")


class Firm(NamedTuple):
    """Settings from silu.toml that the rules need."""

    name: str = "示例公司"
    currency: str = "CNY"
    timezone: str = "Asia/Shanghai"
    mailbox: str = "forms@firm.test"
    #: a document's own date more than this many days before or after today is a typo
    #: (2062 typed for 2026): refused at its cell. silu.toml [firm] date_past_days / _future_days
    date_past_days: int = 1095
    date_future_days: int = 366


class Context(NamedTuple):
    """Who sent the form, the firm's calendar day, its settings and its staff."""

    sender: Staff
    today: dt.date
    firm: Firm = Firm()
    staff: tuple[Staff, ...] = ()

    def roster_addresses(self, *roles: str) -> set[str]:
        return {s.address for s in self.staff if s.has(*roles)}


def decimal_sum(values: list[Any]) -> Decimal:
    return sum((Decimal(v) for v in values if v is not None), Decimal(0))
