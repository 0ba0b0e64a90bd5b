"""``silu demo``: a day at a sample firm on the embedded default — no servers needed.

A firm folder is made anew; staff mail filled forms (some with mistakes) into the firm's local
Maildir inbox; one gateway pass per form runs each through the real pipeline into a real
ledger; replies land in the local Maildir mail/sent; a short summary is printed. Each scene of the sales process lives in its own module here and
is listed in ``SCENES``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.mail.maildir import demo_settings, mail_form_locally
from silu_sheets.mail.smtp import send_queued
from silu_sheets.pipeline import Gateway, Outcome
from silu_sheets.replies import describe

Echo = Callable[[str], None]


@dataclass
class Demo:
    folder: firm_folder.FirmFolder
    gateway: Gateway
    echo: Echo
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def forms_dir(self) -> Path:
        return self.folder.root / "forms"

    def send(
        self,
        who: str,
        kind: str,
        header: Mapping[str, Any] | None = None,
        lines: Sequence[Mapping[str, Any]] = (),
        filename: str | None = None,
        note: str = "",
    ) -> Outcome:
        """``who`` fills a form, saves it under forms/ and sends it in; the outcome is printed."""
        self.forms_dir.mkdir(exist_ok=True)
        name = filename or f"{len(self.outcomes) + 1:02d}-{kind}.xlsx"
        path = self.forms_dir / name
        path.write_bytes(fill_form(kind, header, lines))
        # mailed into the firm's local Maildir inbox and answered by one gateway pass
        outcome = mail_form_locally(
            self.gateway, demo_settings(self.folder), who, path.read_bytes(), name
        )
        self.outcomes.append(outcome)
        self._print(outcome, note)
        return outcome

    def _print(self, o: Outcome, note: str) -> None:
        person = self.gateway.roster.find(o.sender)
        language = person.language if person else "zh"
        who = person.name if person else o.sender
        head = f"{who:<10} {o.filename:<28}"
        if o.accepted:
            self.echo(f"  ✔ {head} → {o.docno}" + (f"   ({note})" if note else ""))
        else:
            self.echo(
                f"  ✘ {head} → refused, {len(o.problems)} problem(s)"
                + (f"   ({note})" if note else "")
            )
        from silu_sheets.kinds import KINDS

        kind = KINDS.get(o.kind or "")
        for p in o.problems:
            self.echo(
                f"       {'!' if p.severity == 'warning' else '-'} {describe(p, kind, language)}"
            )


def scenes() -> list[tuple[str, Callable[[Demo], None]]]:
    from silu_sheets.demo import fulfilment, presales
    from silu_sheets.demo.money import scene as money_scene

    return [
        ("Pre-sales: masters, inquiries, follow-ups, quotes, samples", presales.scene),
        ("Orders, contract, two notices from two warehouses, issue slips", fulfilment.scene),
        (
            "Money and after-sales: advance, part payment, a return agreed, a replacement",
            money_scene,
        ),
    ]


def run(directory: Path, echo: Echo = print) -> Demo:
    if directory.exists() and (directory / firm_folder.SETTINGS).exists():
        shutil.rmtree(directory)
    from silu_sheets.demo import documents

    settings = firm_folder.init(directory).root / firm_folder.SETTINGS
    settings.write_text(
        documents.letterhead(settings.read_text(encoding="utf-8")), encoding="utf-8"
    )
    folder = firm_folder.open_firm(directory)
    gateway = Gateway.open(folder)
    demo = Demo(folder, gateway, echo)
    echo(f"silu demo — sample firm in {folder.root}")
    for title, scene in scenes():
        echo("")
        echo(f"== {title}")
        scene(demo)
    written = send_queued(gateway, demo_settings(folder)).sent
    accepted = sum(o.accepted for o in demo.outcomes)
    refused = len(demo.outcomes) - accepted
    echo("")
    echo(
        f"Summary: {len(demo.outcomes)} forms, {accepted} recorded, {refused} refused (each sender told why, cell by cell)."
    )
    echo(
        f"  {len(written)} replies in {folder.mail_dir / 'sent'} (a Maildir: one mail per file in new/, open with any mail client)"
    )
    echo(f"  ledger: {folder.ledger_path}   forms sent: {demo.forms_dir}")
    from silu_sheets.demo import digests

    digests.scene(demo)
    from silu_sheets.demo import report

    report.scene(demo)
    documents.scene(demo)
    gateway.ledger.close()
    return demo
