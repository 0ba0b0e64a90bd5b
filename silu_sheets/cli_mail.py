"""``silu poll``, ``silu serve``, ``silu send``: the mail gateway from the command line.

With no ``[mail.imap]`` in silu.toml they read the local Maildir ``mail/inbox`` of the firm
folder; with no ``[mail.smtp]`` replies are written to the local Maildir ``mail/sent`` (one file
per reply under sent/new; open it with any Maildir-capable client or read the files as .eml).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from silu_sheets import firm as firm_folder
from silu_sheets.ledger.store import DISK_FULL_EXIT, DISK_FULL_LINE, disk_full
from silu_sheets.roster import RosterError


def _setup(ctx: click.Context, verbose: bool, reads_mailbox: bool = False):
    from silu_sheets.mail import settings as mail_settings
    from silu_sheets.pipeline import Gateway

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    folder = None
    try:
        folder = firm_folder.open_firm(ctx.obj.get("firm") if ctx.obj else None)
        _log_errors_to(folder.errors_log)
        settings = mail_settings.load(folder)
        warning = settings.sender_check() if reads_mailbox else ""
        gw = Gateway.open(folder)
    except firm_folder.FirmError as exc:
        raise click.ClickException(str(exc)) from exc
    except RosterError as exc:
        raise click.ClickException("inbox_rules is wrong:\n" + "\n".join(exc.problems)) from exc
    except Exception as exc:
        if folder is None or not disk_full(exc, folder.ledger_path.parent):
            raise
        click.echo(f"silu stopped: {DISK_FULL_LINE.format(where=folder.root)}", err=True)
        sys.exit(DISK_FULL_EXIT)
    if warning:
        click.echo(warning, err=True)
        logging.getLogger("silu_sheets.mail").warning(warning)
    return folder, settings, gw


class _QuietFileHandler(logging.FileHandler):
    """The firm's fault log; a write that fails (a full disk) is not itself a traceback."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        return None


def _log_errors_to(path) -> None:
    """Errors and their traces also go to the firm folder's log, for the administrator."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _QuietFileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        return
    logger = logging.getLogger("silu_sheets")
    for old in [h for h in logger.handlers if isinstance(h, _QuietFileHandler)]:
        logger.removeHandler(old)
        old.close()
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)


def _login_refused(settings, exc: Exception) -> click.ClickException:
    user = settings.imap.user if settings.imap else "?"
    host = settings.imap.host if settings.imap else "?"
    return click.ClickException(
        f"the mail server {host} refused the login of {user}: check the password in "
        f"${settings.imap.password_env if settings.imap else '?'} (nothing was read)"
    )


def _print_report(report) -> None:
    for h in report.handled:
        if h.outcomes:
            for o in h.outcomes:
                word = (
                    f"recorded {o.docno}"
                    if o.accepted
                    else f"refused ({len(o.problems)} problem(s))"
                )
                click.echo(f"  {h.sender}: {o.filename} → {word}")
        else:
            click.echo(f"  {h.sender or '<>'}: {h.reason} → {h.folder}")
    s = report.sent
    click.echo(
        f"{len(report.handled)} mail(s) handled, {len(report.outcomes)} form(s); "
        f"{len(s.sent)} reply(ies) sent, {len(s.retrying)} to retry, {len(s.failed)} failed"
    )
    if s.waiting:
        click.echo(f"replies not sent: {s.waiting}", err=True)


@click.command()
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@click.pass_context
def poll(ctx: click.Context, verbose: bool) -> None:
    """Handle the shared mailbox once (IMAP, or the local Maildir), then send queued replies."""
    from imap_tools.errors import MailboxLoginError

    from silu_sheets.mail.idle import CONNECTION_ERRORS
    from silu_sheets.mail.idle import poll as poll_once

    folder, settings, gw = _setup(ctx, verbose, reads_mailbox=True)
    if verbose:
        click.echo(settings.describe(), err=True)
    try:
        report = poll_once(gw, settings)
    except MailboxLoginError as exc:
        raise _login_refused(settings, exc) from exc
    except CONNECTION_ERRORS as exc:
        raise click.ClickException(
            f"mail server: {exc!r}; nothing handled twice, run silu poll again"
        ) from exc
    finally:
        gw.ledger.close()
    _print_report(report)
    if report.stopped:
        click.echo(f"silu poll stopped: {report.stopped}", err=True)
        sys.exit(DISK_FULL_EXIT)


@click.command()
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@click.pass_context
def serve(ctx: click.Context, verbose: bool) -> None:
    """Keep answering: IMAP IDLE (or polling), reconnecting on drops, until stopped (Ctrl-C,
    SIGTERM); each person's daily digest at the time silu.toml [reminders] sets, the managers'
    weekly and monthly summary workbooks at the times [report] sets."""
    from silu_sheets import digest
    from silu_sheets.mail.idle import serve as serve_forever
    from silu_sheets.reminders import SettingsError
    from silu_sheets.report import mailing as report_mailing

    folder, settings, gw = _setup(ctx, verbose, reads_mailbox=True)
    try:
        timetable = digest.timetable(gw)
        report_mailing.add_to(timetable, gw)  # weekly and monthly summary workbooks
    except (SettingsError, ValueError) as exc:
        gw.ledger.close()
        raise click.ClickException(str(exc)) from exc
    click.echo(settings.describe(), err=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def on_cycle(report) -> None:
        if report.handled or report.sent.sent or report.sent.failed or report.sent.waiting:
            _print_report(report)
        if report.stopped:
            click.echo(f"silu serve: {report.stopped}", err=True)

    try:
        serve_forever(gw, settings, stop=stop, on_cycle=on_cycle, timetable=timetable)
    finally:
        gw.ledger.close()


@click.command()
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
@click.pass_context
def send(ctx: click.Context, verbose: bool) -> None:
    """Send the replies queued in the outbox once (SMTP, or the local sent folder)."""
    from silu_sheets.mail.smtp import send_queued

    folder, settings, gw = _setup(ctx, verbose)
    try:
        report = send_queued(gw, settings)
    finally:
        gw.ledger.close()
    click.echo(
        f"{len(report.sent)} sent, {len(report.retrying)} to retry later, {len(report.failed)} failed"
    )
    if report.waiting:
        click.echo(f"replies not sent: {report.waiting}", err=True)
