"""The demo's last scene: the day's reminder mails (每日提醒), as ``silu serve`` sends them at
each person's digest time — every person with something due gets their list by mail."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silu_sheets.demo import Demo


def scene(demo: Demo) -> None:
    """Queue and deliver today's digests into the local sent Maildir, then say who got what."""
    from silu_sheets.digest import send_digests
    from silu_sheets.mail.maildir import demo_settings
    from silu_sheets.mail.smtp import send_queued

    gw = demo.gateway
    before = gw.ledger.db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
    report = send_digests(gw, on_time=False)
    send_queued(gw, demo_settings(demo.folder))
    rows = gw.ledger.db.execute(
        "SELECT recipient, subject FROM outbox WHERE purpose = 'digest' AND id > ? ORDER BY id",
        [before],
    ).fetchall()
    demo.echo("")
    demo.echo("== The day's reminder mails (每日提醒), as silu serve sends them each morning")
    for recipient, subject in rows:
        person = gw.roster.find(recipient)
        demo.echo(f"  ✉ {person.name if person else recipient} — {subject}")
    if report.nothing_due:
        names = ", ".join(p.name for a in report.nothing_due if (p := gw.roster.find(a)))
        demo.echo(f"  (nothing due today, no mail: {names})")
    demo.echo(
        f"  {len(rows)} digests in {demo.folder.mail_dir / 'sent'}, each with the list as a workbook"
        " and a pre-filled follow-up form per follow-up due; `silu remind` prints the same lists"
    )
