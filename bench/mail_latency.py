"""Reply latency with IMAP IDLE against the test Dovecot (printed, not a timed test).

Measured from the moment a form is delivered into the shared mailbox over LMTP until the reply
file appears in the salesperson's own mailbox (Dovecot's Maildir, delivered there by the test
SMTP server over LMTP) — what a person waits. ``silu serve`` runs in a thread with IDLE.

    .venv/bin/python bench/mail_latency.py [--runs 100]

Targets (issue 5): median <= 1.0 s, 95th percentile <= 1.2 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, emit, record_masters, seconds  # noqa: E402
from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets.api import fill_form  # noqa: E402
from silu_sheets.mail import idle  # noqa: E402
from silu_sheets.mail import settings as mail_settings  # noqa: E402
from silu_sheets.pipeline import Gateway, ingest  # noqa: E402
from tests.conftest import ADMIN, OPENING, PRODUCTS, SALES  # noqa: E402
from tests.mail import (
    eml,  # noqa: E402
    loopback,  # noqa: E402
)
from tests.mail.conftest import FORMS, ROSTER  # noqa: E402

PASSWORD_ENV = "SILU_BENCH_IMAP_PASSWORD"


def no_rate_limit(toml: str) -> str:
    """A benchmark is one sender mailing hundreds of forms a minute: lift the per-sender limit."""
    if "rate_limit_per_hour" in toml:
        return re.sub(r"rate_limit_per_hour = \d+", "rate_limit_per_hour = 1000000", toml)
    return toml.replace('local = "mail"', 'local = "mail"\nrate_limit_per_hour = 1000000')


def make_firm(servers: loopback.MailServers, root: Path) -> firm_folder.FirmFolder:
    folder = firm_folder.init(root)
    path = root / firm_folder.SETTINGS
    path.write_text(
        no_rate_limit(path.read_text()) + servers.settings_toml(FORMS, PASSWORD_ENV),
        encoding="utf-8",
    )
    folder = firm_folder.open_firm(root)
    gw = Gateway.open(folder)
    record_masters(gw, PRODUCTS)
    assert ingest(
        gw, fill_form("opening_stock", {"as_of": "2026-11-01"}, OPENING), "o.xlsx", ADMIN
    ).accepted
    gw.ledger.db.execute("UPDATE outbox SET status = 'sent' WHERE status = 'queued'")
    gw.ledger.db.commit()
    gw.ledger.close()
    return folder


def inquiry(n: int) -> bytes:
    return fill_form(
        "inquiry",
        {
            "inquiry_date": "2026-11-20",
            "customer_code": "C001",
            "channel": "电话",
            "questions": f"#{n}",
        },
        [{"product_code": "P-M8", "quantity": 100 + n}],
    )


def files_in(maildir: Path) -> int:
    return sum(len(os.listdir(maildir / sub)) for sub in ("new", "cur") if (maildir / sub).is_dir())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    os.environ[PASSWORD_ENV] = loopback.PASSWORD
    servers = loopback.start([*ROSTER, FORMS], smtp_in_process=False)
    stop = threading.Event()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = make_firm(servers, Path(tmp) / "firm")
            settings = mail_settings.load(folder)

            def run() -> None:
                gw = Gateway.open(folder)
                try:
                    idle.serve(gw, settings, stop=stop, settle_seconds=0)
                finally:
                    gw.ledger.close()

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            time.sleep(1.0)
            mailbox = servers.dovecot.root / "home" / SALES / "Maildir"
            forms = [
                eml.with_form(SALES, FORMS, inquiry(n), f"询价-{n}.xlsx") for n in range(args.runs)
            ]
            latencies = []
            for n, raw in enumerate(forms):
                before = files_in(mailbox)
                servers.dovecot.deliver(FORMS, raw)
                delivered = time.perf_counter()
                while files_in(mailbox) == before:
                    if time.perf_counter() - delivered > 30:
                        raise SystemExit(f"no reply to form {n} within 30 s")
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - delivered)
                time.sleep(0.15)  # the gateway is back in IDLE, as between two real mails
            stop.set()
            thread.join(timeout=10)
    finally:
        servers.stop()
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    median = statistics.median(latencies)
    print(
        f"reply latency over {len(latencies)} forms (IDLE, Dovecot on loopback, {os.cpu_count()} CPUs)"
    )
    print(
        f"  median {median:.3f} s   p95 {p95:.3f} s   min {latencies[0]:.3f} s   max {latencies[-1]:.3f} s"
    )
    print(
        f"  targets: median <= 1.0 s {'OK' if median <= 1.0 else 'MISSED'}, p95 <= 1.2 s {'OK' if p95 <= 1.2 else 'MISSED'}"
    )
    emit(
        [
            Figure(
                f"reply latency, median of {len(latencies)}",
                seconds(median),
                "—",
                None,
                "<= 1.0 s",
                median <= 1.0,
            ),
            Figure(
                f"reply latency, p95 of {len(latencies)}",
                seconds(p95),
                "—",
                None,
                "<= 1.2 s",
                p95 <= 1.2,
            ),
        ]
    )


if __name__ == "__main__":
    main()
