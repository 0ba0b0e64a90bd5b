"""The summary workbook for managers (and a quantities-only one for the warehouse).

``write_report(folder, out, period=..., audience="manager")`` reads the ledger through a
read-only connection and SQL views (``views``), shapes each sheet with pandas (``sheets``) and
writes one .xlsx (``workbook.summary``). The warehouse version is made of frames that never
select a price, amount or balance: nothing is hidden, it is never there.

Default period: the month holding ``--to`` (today by default), from its first day; the previous
period is the same number of days just before it.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from silu_sheets.report.sheets import Period

if TYPE_CHECKING:
    from silu_sheets.firm import FirmFolder

Audience = Literal["manager", "warehouse"]
__all__ = [
    "Audience",
    "Period",
    "default_period",
    "report_bytes",
    "write_report",
    "report_filename",
]


def default_period(
    today: dt.date, start: dt.date | None = None, end: dt.date | None = None
) -> Period:
    """``end`` defaults to today, ``start`` to the first day of ``end``'s month."""
    end = end or today
    return Period(start or end.replace(day=1), end)


def report_filename(period: Period, audience: Audience = "manager") -> str:
    word = "汇总" if audience == "manager" else "仓库汇总"
    return f"{word}-{period.start.isoformat()}_{period.end.isoformat()}.xlsx"


def _sheets(
    folder: FirmFolder, period: Period, audience: Audience, today: dt.date, expiring_days: int
):
    from silu_sheets.report import sheets, views

    staff: dict[str, str] = {}
    try:
        staff = {s.address: s.name for s in folder.roster().staff.values()}
    except Exception:  # noqa: BLE001 - a broken roster still gives a report, with addresses for names
        staff = {}
    conn = views.connect(folder.ledger_path, folder.firm.currency)
    try:  # a generator: the sheets are built one at a time, as the writer takes them
        ctx = sheets.Context(
            conn, period, today, folder.firm.currency.upper(), staff, expiring_days
        )
        yield from (
            sheets.manager_sheets(ctx) if audience == "manager" else sheets.warehouse_sheets(ctx)
        )
    finally:
        conn.close()


def write_report(
    folder: FirmFolder,
    out: Path | io.BytesIO,
    period: Period | None = None,
    audience: Audience = "manager",
    today: dt.date | None = None,
) -> Path | io.BytesIO:
    """Write the workbook to ``out`` (a path or a buffer) and return it."""
    from silu_sheets.workbook import summary

    today = today or folder.today()
    period = period or default_period(today)
    from silu_sheets.report.mailing import load_settings

    expiring = int(load_settings(folder).expiring_days)
    built = _sheets(folder, period, audience, today, expiring)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        summary.write(built, str(out))
    else:
        summary.write(built, out)
    return out


def report_bytes(
    folder: FirmFolder,
    period: Period | None = None,
    audience: Audience = "manager",
    today: dt.date | None = None,
) -> bytes:
    buffer = io.BytesIO()
    write_report(folder, buffer, period, audience, today)
    return buffer.getvalue()
