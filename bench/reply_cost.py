"""What one confirmation of a mailed 20-line quote weighs and costs beside the printed copy
(printed, not a timed test): the bytes of the reply and of each attachment in it (their size is
what the relay, the mailbox server and the kernel then carry), the CPU of the pre-filled order
(``fill.filled``) and of reading one incoming mail (``message.read``), each beside its plain
stdlib equivalent measured in the same run.

    .venv/bin/python bench/reply_cost.py [--reps 300]

CPU figures are ``time.process_time`` per call, the best of 5 rounds measured in turns.
"""

from __future__ import annotations

import argparse
import email
import io
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import record_masters  # noqa: E402
from bench.mail_backlog import PRODUCTS, quote  # noqa: E402
from silu_sheets import firm as firm_folder  # noqa: E402
from silu_sheets.kinds import KINDS  # noqa: E402
from silu_sheets.mail import message  # noqa: E402
from silu_sheets.pipeline import Gateway, attach_printouts, ingest  # noqa: E402
from silu_sheets.workbook import fill  # noqa: E402
from tests.conftest import SALES  # noqa: E402
from tests.mail import eml  # noqa: E402
from tests.mail.conftest import FORMS  # noqa: E402


def best(reps: int, *works: Callable[[], object]) -> list[float]:
    """ms per call of each work, best of 5 rounds taken in turns (a busy machine's noise)."""
    found = [float("inf")] * len(works)
    for work in works:
        work()
    for _ in range(5):
        for i, work in enumerate(works):
            started = time.process_time()
            for _ in range(reps):
                work()
            found[i] = min(found[i], (time.process_time() - started) / reps * 1000)
    return found


def the_reply() -> tuple[bytes, list[tuple[str, bytes]]]:
    """The queued confirmation of one 20-line quote, printed copy attached, and its attachments."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "firm"
        firm_folder.init(root)
        gw = Gateway.open(firm_folder.open_firm(root))
        record_masters(gw, PRODUCTS)
        outcome = ingest(gw, quote(1), "quote.xlsx", SALES)
        assert outcome.accepted and outcome.docno, outcome.as_dict("en")
        attach_printouts(gw)
        (mail,) = gw.ledger.db.execute(
            "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id"
            " WHERE docno = ? AND purpose = 'confirmation'",
            [outcome.docno],
        ).fetchone()
        gw.ledger.close()
    parts = email.message_from_bytes(mail).walk()
    return mail, [(p.get_filename(), p.get_payload(decode=True)) for p in parts if p.get_filename()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=300)
    reps = parser.parse_args().reps
    mail, attachments = the_reply()
    print("the confirmation of one mailed 20-line quote")
    print(f"  the reply mail:                               {len(mail):6d} bytes")
    for name, data in attachments:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
        xml = sum(p.file_size for p in parts)
        print(f"    {name:42} {len(data):6d} bytes ({xml} of XML in {len(parts)} parts)")

    kind = KINDS["order"]
    lines = [
        {"product_code": p["code"], "quantity": 11 + i, "unit_price": f"{1 + i / 100:.2f}"}
        for i, p in enumerate(PRODUCTS)
    ]
    header = {"customer_code": "C001", "quote_no": "QUO-2026-00001", "currency": "CNY"}
    order = fill.filled(kind, header, lines)
    sheet = zipfile.ZipFile(io.BytesIO(order)).read(fill.SHEET_PART)

    def deflated(level: int) -> bytes:
        squeeze = zlib.compressobj(level, zlib.DEFLATED, -15)
        return squeeze.compress(sheet) + squeeze.flush()

    ours, *levels = best(
        reps,
        lambda: fill.filled(kind, header, lines),
        *((lambda level=level: deflated(level)) for level in (1, 6, 9)),
    )
    print("\nthe pre-filled order (fill.filled), CPU per copy")
    print(f"  fill.filled:                                  {ours:6.3f} ms, {len(order)} bytes")
    print(f"  its sheet's XML alone ({len(sheet)} bytes), deflated whole in each copy:")
    for level, ms in zip((1, 6, 9), levels, strict=True):
        print(
            f"    at level {level}:                                {ms:6.3f} ms, {len(deflated(level))} bytes"
        )

    form = quote(1)
    mails = [eml.with_form(SALES, FORMS, form, f"报价-{n:04d}.xlsx") for n in range(reps * 6)]
    mails = [m.replace(b"\n", b"\r\n") for m in mails]  # as IMAP hands them over
    turn = iter(range(10**9))

    def next_mail() -> bytes:  # a new boundary each time, as in a backlog
        return mails[next(turn) % len(mails)]

    read, stdlib = best(
        reps, lambda: message.read(next_mail()), lambda: email.message_from_bytes(next_mail())
    )
    print(f"\nreading one incoming mail ({len(mails[0])} bytes, a new boundary each), CPU per mail")
    print(f"  message.read:                                 {read:6.3f} ms")
    print(f"  email.message_from_bytes (the stdlib's):      {stdlib:6.3f} ms")


if __name__ == "__main__":
    main()
