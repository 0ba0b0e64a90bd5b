"""What the mail pass writes into the ledger, form by form (printed, not a timed test).

The backlog of ``bench/mail_backlog.py`` (mails of one 20-line quote each) goes through one
``silu poll`` while a reader holds the ledger's first snapshot open, so no checkpoint can copy
or restart the WAL: every page any process (the pass, its printer process, its sending thread)
wrote during the poll stays in the WAL file. Each WAL frame names its page; each page is named
by ``dbstat`` (table or index) afterwards. Printed: pages a form dirties per table and index,
the commits a form costs and what each kind of commit writes, and what a checkpoint would copy
for a few ``wal_autocheckpoint`` sizes (pages written again within one WAL are copied once).

    .venv/bin/python bench/ledger_writes.py [--forms 200]
"""

from __future__ import annotations

import argparse
import collections
import os
import sqlite3
import struct
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mail_backlog import children_cpu, make_firm, quote, written_bytes  # noqa: E402
from bench.mail_latency import PASSWORD_ENV  # noqa: E402
from silu_sheets.mail import idle  # noqa: E402
from silu_sheets.mail import settings as mail_settings  # noqa: E402
from silu_sheets.pipeline import Gateway  # noqa: E402
from tests.conftest import SALES  # noqa: E402
from tests.mail import eml, loopback  # noqa: E402
from tests.mail.conftest import FORMS, ROSTER  # noqa: E402

FRAME_HEADER, WAL_HEADER = 24, 32


def wal_frames(wal: Path, page_size: int) -> list[tuple[int, bool]]:
    """(page number, ends a commit) for every frame of the WAL file, in order."""
    data = wal.read_bytes()
    frames = []
    at = WAL_HEADER
    while at + FRAME_HEADER + page_size <= len(data):
        page, size_after = struct.unpack(">II", data[at : at + 8])
        frames.append((page, size_after != 0))
        at += FRAME_HEADER + page_size
    return frames


def commits(frames: list[tuple[int, bool]]) -> list[list[int]]:
    """The frames grouped by the commit they belong to."""
    found: list[list[int]] = [[]]
    for page, ends in frames:
        found[-1].append(page)
        if ends:
            found.append([])
    return [c for c in found if c]


def checkpoint_copies(groups: list[list[int]], autocheckpoint: int) -> int:
    """Pages a checkpoint every ``autocheckpoint`` WAL frames would copy into the database: each
    page once per WAL generation, however often it was written in it (readers ignored)."""
    copied, since, pages = 0, 0, set()
    for group in groups:
        since += len(group)
        pages.update(group)
        if since >= autocheckpoint:
            copied += len(pages)
            since, pages = 0, set()
    return copied + len(pages)


def commit_kind(written: set[str]) -> str:
    """What a commit was, by the tables it wrote (a freed page reused later is named by its
    last owner, so a commit is known by what it surely touched)."""
    if "documents" in written:
        return "a form recorded (the pass)"
    if {"outbox_messages", "outbox_printouts"} & written:  # the first before migration 12
        return "printed copies attached (the printer process)"
    if written <= {"outbox", "outbox_by_status_held", "sqlite_schema"}:
        return "a reply's state (claimed, sent)"
    return "other: " + ", ".join(sorted(written))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", type=int, default=200)
    args = parser.parse_args()
    n = args.forms
    os.environ[PASSWORD_ENV] = loopback.PASSWORD
    servers = loopback.start([*ROSTER, FORMS], smtp_in_process=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = make_firm(servers, Path(tmp) / "firm")
            for i in range(n):
                raw = eml.with_form(SALES, FORMS, quote(i), f"报价-{i:04d}.xlsx")
                servers.dovecot.deliver(FORMS, raw, sender=SALES)
            settings = mail_settings.load(folder)
            gw = Gateway.open(folder)
            path = gw.ledger.path
            # the snapshot held open: no checkpoint copies or restarts the WAL during the poll
            reader = sqlite3.connect(path, isolation_level=None)
            reader.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
            cpu, printer, written = time.process_time(), children_cpu(), written_bytes()
            started = time.perf_counter()
            report = idle.poll(gw, settings, settle_seconds=0)
            elapsed = time.perf_counter() - started
            cpu, printer = time.process_time() - cpu, children_cpu() - printer
            written = written_bytes() - written
            reader.execute("ROLLBACK")
            page_size = reader.execute("PRAGMA page_size").fetchone()[0]
            frames = wal_frames(Path(f"{path}-wal"), page_size)
            owner = dict(reader.execute("SELECT pageno, name FROM dbstat").fetchall())
            reader.close()
            gw.ledger.close()
    finally:
        servers.stop()

    groups = commits(frames)
    print(
        f"{n} mailed 20-line quotes through silu poll: {elapsed:.2f} s, {len(report.sent.sent)} replies sent"
    )
    print(
        f"  CPU a form: the pass {cpu / n * 1000:.1f} ms, the printer process {printer / n * 1000:.1f} ms;"
        f" written by the pass's process {written / n / 1024:.0f} KiB a form (ledger, WAL, SMTP)"
    )
    print(
        f"  WAL: {len(frames)} frames of {page_size} B in {len(groups)} commits:"
        f" {len(frames) / n:.1f} pages ({len(frames) * (page_size + FRAME_HEADER) / n / 1024:.0f} KiB)"
        f" and {len(groups) / n:.2f} commits a form"
    )
    by_object = collections.Counter(owner.get(p, "(freed since)") for p, _ in frames)
    distinct = collections.Counter(owner.get(p, "(freed since)") for p in {p for p, _ in frames})
    print("  pages written a form, by table or index (distinct pages over the run in brackets):")
    for name, count in by_object.most_common():
        print(f"    {name:40s} {count / n:6.2f}  [{distinct[name]}]")
    print("  commits by what they write (a form's count, pages each):")
    shapes: dict[str, list[int]] = collections.defaultdict(list)
    for group in groups:
        shapes[commit_kind({owner.get(p, "") for p in group})].append(len(group))
    for kind, sizes in sorted(shapes.items(), key=lambda s: -sum(s[1])):
        print(f"    {len(sizes) / n:5.2f} x {sum(sizes) / len(sizes):5.1f} pages: {kind}")
    print("  a checkpoint's copy into silu.db, by wal_autocheckpoint (pages a form):")
    for size in (1000, 4000, 16000, 10**9):
        copied = checkpoint_copies(groups, size)
        label = "never (one copy at the end)" if size == 10**9 else f"{size:>5} pages"
        print(f"    {label:28s} {copied / n:6.2f} ({copied * page_size / n / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
