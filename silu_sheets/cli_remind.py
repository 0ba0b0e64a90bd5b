"""``silu remind``: the reminder centre from the command line, and the daily digests once (cron)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from silu_sheets import firm as firm_folder
from silu_sheets.roster import RosterError


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: write the day as 2026-11-29") from exc


@click.command()
@click.option(
    "--date", "day", callback=_day, help="The day to list (default: each person's today)."
)
@click.option("--person", help="Only this person (an address on the roster).")
@click.option("--json", "as_json", is_flag=True, help="Print the lists as JSON.")
@click.option(
    "--send",
    is_flag=True,
    help="Queue and send each person's digest for the day, once (for cron or a systemd timer).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@click.pass_context
def remind(
    ctx: click.Context,
    day: dt.date | None,
    person: str | None,
    as_json: bool,
    send: bool,
    verbose: bool,
) -> None:
    """What is due and overdue, per person (提醒中心). With --send, each person gets today's
    digest by mail — at most once a day, whether silu serve already sent it or not."""
    from silu_sheets import digest, reminders
    from silu_sheets.pipeline import Gateway

    try:
        folder = firm_folder.open_firm(ctx.obj.get("firm") if ctx.obj else None)
        settings = reminders.load_settings(folder)
        gw = Gateway.open(folder)
    except (firm_folder.FirmError, reminders.SettingsError) as exc:
        raise click.ClickException(str(exc)) from exc
    except RosterError as exc:
        raise click.ClickException("inbox_rules is wrong:\n" + "\n".join(exc.problems)) from exc
    try:
        if person is not None and gw.roster.find(person) is None:
            raise click.ClickException(
                f"{person} is not on the staff roster (inbox_rules/staff.toml)"
            )
        if send:
            _send(gw, settings, person, day, verbose)
            return
        people = [gw.roster.find(person)] if person else list(gw.roster.staff.values())
        lists = [
            reminders.todo_list(
                gw.ledger.view, gw.roster, p, day or digest.today_of(gw, p), settings
            )
            for p in people
            if p is not None
        ]
    finally:
        gw.ledger.close()
    if as_json:
        click.echo(json.dumps([t.as_dict() for t in lists], ensure_ascii=False, indent=2))
        return
    for todo in lists:
        if person is None and todo.empty:
            continue
        click.echo(render(todo))
    if person is None and all(t.empty for t in lists):
        click.echo("没有到期或逾期的事项 / nothing due or overdue")


def render(todo) -> str:
    from silu_sheets.reminders import describe

    p, language = todo.person, todo.person.language
    zh = language == "zh"
    head = (
        f"{p.name} <{p.address}> {todo.today.isoformat()}："
        + (
            f"{len(todo.reminders)} 项，逾期 {todo.overdue} 项"
            if todo.reminders
            else "没有到期事项"
        )
        if zh
        else f"{p.name} <{p.address}> {todo.today.isoformat()}: "
        + (
            f"{len(todo.reminders)} item(s), {todo.overdue} overdue"
            if todo.reminders
            else "nothing due"
        )
    )
    lines = [head]
    for section, items in todo.sections():
        lines.append(f"  {todo.heading(section, language)}")
        lines += [
            f"    {'!' if r.overdue else '-'} {describe(r, language, p.manager)}" for r in items
        ]
    return "\n".join(lines)


def _send(gw, settings, person: str | None, day: dt.date | None, verbose: bool) -> None:
    import logging

    from silu_sheets import digest
    from silu_sheets.mail import settings as mail_settings
    from silu_sheets.mail.smtp import send_queued

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        mail = mail_settings.load(gw.firm)
    except firm_folder.FirmError as exc:
        raise click.ClickException(str(exc)) from exc
    report = digest.send_digests(gw, settings, only=person, on_time=False, day=day)
    sent = send_queued(gw, mail)
    where = "SMTP" if mail.smtp else str(mail.sent_dir)
    click.echo(
        f"{len(report.sent)} digest(s) queued, {len(report.already)} already done today, "
        f"{len(report.nothing_due)} with nothing due, {len(report.failed)} failed; "
        f"{len(sent.sent)} mail(s) sent ({where})"
    )
    if sent.waiting:
        click.echo(f"mail not sent: {sent.waiting}", err=True)
    if report.failed:
        click.echo(
            "digest failed for: " + ", ".join(report.failed) + " (see the log; run again)", err=True
        )
        sys.exit(1)
