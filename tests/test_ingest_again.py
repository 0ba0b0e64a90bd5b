"""``silu ingest`` follows the mail path's rules (issue 10, items 2, 3, 12): the same file from
the same person is recorded once however often the batch is run again (after a crash too), a
full disk is the administrator's business (one line, nothing recorded, no traceback, no reply
to the sender), faults are logged in the firm folder, and replies are written exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SALES

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from tests.small_disk import cannot_mount, fill, small_disk

SILU = str(Path(sys.executable).with_name("silu"))


def silu(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SILU, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )


def inquiry(tmp_path: Path, n: int) -> Path:
    header = {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"}
    data = fill_form(
        "inquiry", header | {"questions": f"问题 {n}"}, [{"product_code": "P-M8", "quantity": n}]
    )
    path = tmp_path / f"inquiry-{n}.xlsx"
    path.write_bytes(data)
    return path


def count(firm: firm_folder.FirmFolder, sql: str) -> int:
    import sqlite3

    with sqlite3.connect(firm.ledger_path) as db:
        return db.execute(sql).fetchone()[0]


def test_the_same_file_ingested_again_is_already_recorded(seeded_firm, tmp_path: Path) -> None:
    form = inquiry(tmp_path, 1)
    first = silu("--firm", str(seeded_firm.root), "ingest", str(form), "--from", SALES, "--json")
    assert first.returncode == 0, first.stderr
    again = silu("--firm", str(seeded_firm.root), "ingest", str(form), "--from", SALES, "--json")
    (result,) = json.loads(again.stdout)
    assert result["accepted"] is False
    assert [p["code"] for p in result["problems"]] == ["already-recorded"]
    assert result["docno"] == json.loads(first.stdout)[0]["docno"]
    assert count(seeded_firm, "SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 1
    # the person is told, once, that nothing was recorded again
    replies = sorted(p.name for p in seeded_firm.outbox_dir.glob("*li.na*.eml"))
    assert [n.split("-")[1] for n in replies] == ["confirmation", "duplicate"]


def test_a_batch_run_again_after_a_kill_records_nothing_twice(seeded_firm, tmp_path: Path) -> None:
    forms = [str(inquiry(tmp_path, n)) for n in range(1, 5)]
    args = ("--firm", str(seeded_firm.root), "ingest", *forms, "--from", SALES)
    killed = silu(*args, SILU_CRASH_AT="in-transaction:3")
    assert killed.returncode == -9
    assert count(seeded_firm, "SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 2
    silu(*args)
    silu(*args)
    assert count(seeded_firm, "SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 4


def test_a_kill_while_writing_replies_leaves_no_tmp_and_each_reply_once(
    seeded_firm, tmp_path: Path
) -> None:
    import sqlite3

    with sqlite3.connect(seeded_firm.ledger_path) as db:  # the masters' replies went long ago
        db.execute("UPDATE outbox SET status = 'sent'")
    forms = [str(inquiry(tmp_path, n)) for n in range(1, 4)]
    args = ("--firm", str(seeded_firm.root), "ingest", *forms, "--from", SALES)
    killed = silu(*args, SILU_CRASH_AT="reply-marked:2")
    assert killed.returncode == -9
    # the next run of any sending command finishes what the killed one left
    done = silu("--firm", str(seeded_firm.root), "send")
    assert done.returncode == 0, done.stderr
    outbox = seeded_firm.outbox_dir
    assert not [p for p in outbox.iterdir() if p.name.endswith(".tmp")]
    written = sorted(p.name for p in outbox.glob("*li.na*.eml"))
    sent = (
        list((seeded_firm.mail_dir / "sent").rglob("*"))
        if (seeded_firm.mail_dir / "sent").exists()
        else []
    )
    assert len(written) + len([p for p in sent if p.is_file()]) == 3
    assert count(seeded_firm, "SELECT count(*) FROM outbox WHERE status != 'sent'") == 0


def test_faults_are_logged_in_the_firm_folder(seeded_firm) -> None:
    seeded_firm.ledger_path.write_bytes(b"this is not a ledger" * 100)
    done = silu("--firm", str(seeded_firm.root), "stock")
    assert done.returncode == 2
    assert str(seeded_firm.errors_log) in done.stderr
    assert "Traceback" in seeded_firm.errors_log.read_text(encoding="utf-8")
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(bool(cannot_mount()), reason=cannot_mount() or "")
@pytest.mark.parametrize("leave", [0, 40_000, 120_000])
def test_ingest_on_a_full_disk_tells_the_administrator_and_records_it_once_later(
    seeded_folder: Path, tmp_path: Path, leave: int
) -> None:
    forms = [str(inquiry(tmp_path, n)) for n in range(1, 4)]
    with small_disk(tmp_path / "disk") as disk:
        shutil.copytree(seeded_folder, disk / "firm")
        firm = firm_folder.open_firm(disk / "firm")
        args = ("--firm", str(firm.root), "ingest", *forms, "--from", SALES)
        filler = fill(disk, leave=leave)

        done = silu(*args)

        assert done.returncode == 75, done.stdout + done.stderr
        assert "the server's disk is full" in done.stderr and "nothing was recorded" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert "internal" not in (done.stderr + done.stdout).lower()
        filler.unlink()
        # what was recorded before the disk filled up is whole, with its reply; nothing else
        recorded = count(firm, "SELECT count(*) FROM documents WHERE kind = 'inquiry'")
        assert recorded < 3
        assert (
            count(firm, "SELECT count(*) FROM sources WHERE sender = 'li.na@firm.test'") == recorded
        )
        assert count(firm, "SELECT count(*) FROM rejections") == 0

        again = silu(*args)

        assert again.returncode == 0, again.stdout + again.stderr
        assert count(firm, "SELECT count(*) FROM documents WHERE kind = 'inquiry'") == 3
        assert len(list(firm.outbox_dir.glob("*li.na*.eml"))) == 3
        assert not list(firm.outbox_dir.glob(".*.tmp"))


def test_a_kill_before_the_printed_quote_is_attached_loses_nothing(
    seeded_firm, tmp_path: Path
) -> None:
    """The printed copy is built after the quote's commit, outside the write lock; killed right
    there, the reply waits in the outbox saying what to attach, and the next delivery (here
    ``silu send``) sends it once, with the printed quote."""
    import email
    from email import policy

    header = {"quote_date": "2026-11-20", "valid_until": "2026-12-20", "customer_code": "C001"}
    form = tmp_path / "quote.xlsx"
    form.write_bytes(
        fill_form("quote", header, [{"product_code": "P-M8", "quantity": 3, "unit_price": "1.2"}])
    )
    args = ("--firm", str(seeded_firm.root), "ingest", str(form), "--from", SALES)
    assert silu(*args, SILU_CRASH_AT="printout-pending").returncode == -9
    assert count(seeded_firm, "SELECT count(*) FROM documents WHERE kind = 'quote'") == 1
    assert count(seeded_firm, "SELECT count(*) FROM outbox WHERE status = 'printing'") == 1
    assert not list(seeded_firm.outbox_dir.glob("*-confirmation-li.na*.eml"))

    done = silu("--firm", str(seeded_firm.root), "send")
    assert done.returncode == 0, done.stderr
    sent = [p for p in (seeded_firm.mail_dir / "sent").rglob("*") if p.is_file()]
    (mail,) = [
        m
        for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sent)
        if m["To"] == SALES
    ]
    names = [a.get_filename() for a in mail.iter_attachments()]
    assert "报价单-QUO-2026-00001.xlsx" in names
    assert "报价单-QUO-2026-00001.xlsx" in mail.get_body(("plain",)).get_content()
    assert count(seeded_firm, "SELECT count(*) FROM outbox WHERE status != 'sent'") == 0
