"""The demo's last step: the managers' summary workbook (and the warehouse's) over the demo's
month, written into the firm folder's reports/ and named on screen."""

from __future__ import annotations

import calendar
import datetime as dt
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silu_sheets.demo import Demo


def scene(demo: Demo) -> None:
    from silu_sheets.report import Audience, Period, report_filename, write_report

    folder = demo.folder
    with sqlite3.connect(folder.ledger_path) as conn:
        # the demo's forms carry fixed dates: the workbook covers their month, whatever today is
        latest = conn.execute(
            "SELECT MAX(COALESCE(json_extract(data, '$.header.contract_date'), "
            "json_extract(data, '$.header.inquiry_date'))) FROM revisions"
        ).fetchone()[0]
    last = dt.date.fromisoformat(latest) if latest else folder.today()
    period = Period(
        last.replace(day=1), last.replace(day=calendar.monthrange(last.year, last.month)[1])
    )
    demo.echo("")
    audiences: tuple[tuple[Audience, str], ...] = (
        ("manager", "managers"),
        ("warehouse", "the warehouse, no prices"),
    )
    for audience, who in audiences:
        path = folder.root / "reports" / report_filename(period, audience)
        write_report(folder, path, period, audience)
        demo.echo(f"  summary workbook for {who}: {path}")
