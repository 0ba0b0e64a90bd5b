"""Replies: the wording (golden files), the marked workbook, the pre-filled next form, the
sender's language, and the .eml files in the firm folder's outbox.

Golden files live in tests/golden/; after a deliberate wording change, regenerate them with
``SILU_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_replies.py`` and review the diff.
"""

from __future__ import annotations

import email
import email.header
import io
import os
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import ADMIN, SALES, SALES_EN
from openpyxl import load_workbook

from silu_sheets.api import fill_form, ingest_files
from silu_sheets.kinds import KINDS
from silu_sheets.workbook import reader
from silu_sheets.workbook.marking import BAD_COLOUR, WARN_COLOUR

pytestmark = pytest.mark.seeded  # the masters of conftest, recorded once per session

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SILU_UPDATE_GOLDEN") == "1"

BAD_QUOTE = (
    {"quote_date": "2026-11-25", "valid_until": "2026-11-20", "customer_code": "C404"},
    [
        {"product_code": "P-X", "quantity": "-1", "unit_price": "一块二"},
        {},
        {"product_code": "P-M8", "quantity": 5, "unit_price": "1.15"},
    ],
)
NEW_CUSTOMER_INQUIRY = {
    "inquiry_date": "2026-11-20",
    "customer_name": "华东机电上海分公司",
    "phone": "021 5555 1234",
    "channel": "电话",
}


def message(gw, outbox_id: int) -> EmailMessage:
    data = gw.ledger.db.execute(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE id = ?",
        [outbox_id],
    ).fetchone()[0]
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {a.get_filename(): a.get_content() for a in msg.iter_attachments()}


def stable(text: str, year: int) -> str:
    """Volatile parts out: the year in document numbers (the firm's current year)."""
    return re.sub(rf"\b([A-Z]{{2,4}})-{year}-(\d{{5}})\b", r"\1-YYYY-\2", text)


def golden(name: str, msg: EmailMessage, year: int) -> None:
    actual = stable(f"Subject: {msg['Subject']}\n\n{msg.get_body(('plain',)).get_content()}", year)
    path = GOLDEN / f"{name}.txt"
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not UPDATE:
            pytest.fail(
                f"golden file {path.name} was missing and has been written; review and commit it"
            )
    assert actual == path.read_text(encoding="utf-8"), f"reply wording changed; see {path}"


# --- wording ---------------------------------------------------------------------------------
def test_confirmation_zh_golden(send, gw, firm):
    outcome = send(
        "inquiry",
        NEW_CUSTOMER_INQUIRY,
        [{"product_code": "P-M8", "quantity": 12}],
        sender=SALES,
        filename="咨询-华东上海.xlsx",
    )
    assert outcome.accepted
    golden("confirmation.zh", message(gw, outcome.outbox_ids[0]), firm.today().year)


def test_confirmation_en_golden(send, gw, firm):
    inquiry = send(
        "inquiry",
        {"inquiry_date": "2026-11-21", "customer_code": "C002", "channel": "email"},
        sender=SALES_EN,
    )
    quote = send(
        "quote",
        {
            "quote_date": "2026-11-25",
            "valid_until": "2026-12-25",
            "customer_code": "C002",
            "inquiry_no": inquiry.docno,
        },
        [{"product_code": "P-W10", "quantity": 20000, "unit_price": "0.12"}],
        sender=SALES_EN,
        filename="quote-acme.xlsx",
    )
    assert quote.accepted
    golden("confirmation.en", message(gw, quote.outbox_ids[0]), firm.today().year)


@pytest.mark.parametrize(("sender", "language"), [(SALES, "zh"), (SALES_EN, "en")])
def test_rejection_golden(send, gw, firm, sender, language):
    outcome = send("quote", *BAD_QUOTE, sender=sender, filename="报价.xlsx")
    assert not outcome.accepted
    golden(f"rejection.{language}", message(gw, outcome.outbox_ids[0]), firm.today().year)


def test_rejection_of_a_file_that_is_no_form_golden(gw, firm):
    from silu_sheets.pipeline import ingest

    outcome = ingest(gw, b"%PDF-1.4", "scan.pdf", SALES_EN)
    golden("rejection-not-xlsx.en", message(gw, outcome.outbox_ids[0]), firm.today().year)


def test_golden_comparison_can_fail(send, gw, firm, tmp_path, monkeypatch):
    """A changed word is caught: the golden file for a different reply does not match."""
    outcome = send("quote", *BAD_QUOTE, sender=SALES_EN, filename="报价.xlsx")
    changed = (GOLDEN / "rejection.en.txt").read_text(encoding="utf-8").replace("fix", "mend")
    (tmp_path / "rejection.en.txt").write_text(changed, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.GOLDEN", tmp_path)
    monkeypatch.setattr(f"{__name__}.UPDATE", False)
    with pytest.raises(AssertionError):
        golden("rejection.en", message(gw, outcome.outbox_ids[0]), firm.today().year)


# --- what is attached ------------------------------------------------------------------------
@pytest.mark.parametrize(("sender", "language"), [(SALES, "zh"), (SALES_EN, "en")])
def test_rejection_attaches_the_senders_workbook_marked(send, gw, sender, language):
    outcome = send("quote", *BAD_QUOTE, sender=sender, filename="报价.xlsx")
    msg = message(gw, outcome.outbox_ids[0])
    files = attachments(msg)
    name = "报价-待修改.xlsx" if language == "zh" else "报价-to-fix.xlsx"
    assert list(files) == [name]
    wb = load_workbook(io.BytesIO(files[name]))
    ws = wb[KINDS["quote"].sheet]
    by_cell = {p.cell: p for p in outcome.problems}
    assert sorted(by_cell) == ["A18", "B18", "B8", "B9", "C18"]
    for cell, problem in by_cell.items():
        assert ws[cell].fill.fgColor.rgb.endswith(BAD_COLOUR), cell
        assert ws[cell].comment.text == problem.message(language), cell
    # the person's own values are still there, and good cells stay unmarked
    assert ws["A20"].value == "P-M8" and ws["C20"].value == "1.15"
    for clean in ("A20", "B7", "B10"):
        assert ws[clean].comment is None and not ws[clean].fill.fgColor.rgb.endswith("FFC7CE"), (
            clean
        )
    # the marked file is still our form and reads the same
    again = reader.read(files[name])
    assert again.kind is KINDS["quote"] and again.document.lines[1]["product_code"] == "P-M8"


def test_warning_cells_are_marked_yellow_on_a_marked_workbook(gw):
    """A warning alone never refuses a form; when it comes with an error, its cell is yellow."""
    from silu_sheets.pipeline import ingest

    data = fill_form("inquiry", {**NEW_CUSTOMER_INQUIRY, "next_follow_up": "2026-11-01"})
    outcome = ingest(gw, data, "咨询.xlsx", SALES)
    assert [(p.cell, p.code, p.severity) for p in outcome.problems] == [
        ("B11", "customer-likely-duplicate-phone", "warning"),
        ("B17", "date-before", "error"),
    ]
    ws = load_workbook(
        io.BytesIO(next(iter(attachments(message(gw, outcome.outbox_ids[0])).values())))
    )["客户咨询单"]
    assert ws["B11"].fill.fgColor.rgb.endswith(WARN_COLOUR)
    assert ws["B17"].fill.fgColor.rgb.endswith(BAD_COLOUR)


def test_confirmation_names_the_number_the_links_and_attaches_the_next_form(send, gw, firm):
    inquiry = send(
        "inquiry", {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"}
    )
    msg = message(gw, inquiry.outbox_ids[0])
    text = msg.get_body(("plain",)).get_content()
    assert inquiry.docno in msg["Subject"] and inquiry.docno in text
    files = attachments(msg)
    follow_name = f"follow_up-咨询跟进单-{inquiry.docno}.xlsx"
    quote_name = f"quote-销售报价单-{inquiry.docno}.xlsx"
    sample_name = f"sample-样品寄送单-{inquiry.docno}.xlsx"
    assert sorted(files) == sorted([follow_name, quote_name, sample_name])
    follow_up = reader.read(files[follow_name])
    assert follow_up.kind is KINDS["follow_up"]
    assert follow_up.document["inquiry_no"] == inquiry.docno
    quote = reader.read(files[quote_name]).document
    assert (quote["inquiry_no"], quote["customer_code"]) == (inquiry.docno, "C001")

    # the pre-filled follow-up, once filled, is accepted as it is
    wb = load_workbook(io.BytesIO(files[follow_name]))
    ws = wb["咨询跟进单"]
    ws["B8"], ws["B10"], ws["B11"] = "2026-11-22", "电话沟通", "继续跟进 keep following up"
    out = io.BytesIO()
    wb.save(out)
    from silu_sheets.pipeline import ingest

    follow = ingest(gw, out.getvalue(), follow_name, SALES)
    assert follow.accepted, follow.as_dict("en")
    body = message(gw, follow.outbox_ids[0]).get_body(("plain",)).get_content()
    assert f"- 咨询单号：{inquiry.docno}" in body
    assert "客户：C001 华东机电有限公司" in body


def test_next_forms_only_of_kinds_the_sender_may_send(send, gw):
    """The manager's confirmation carries the pre-filled forms too; a master workbook's none."""
    admin = send("customers", {}, [{"code": "C777", "name": "新客户"}], sender=ADMIN)
    assert attachments(message(gw, admin.outbox_ids[0])) == {}


def test_reply_is_in_the_senders_language(send, gw):
    zh = send(
        "inquiry",
        {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"},
        sender=SALES,
    )
    en = send(
        "inquiry",
        {"inquiry_date": "2026-11-20", "customer_code": "C002", "channel": "电话"},
        sender=SALES_EN,
    )
    zh_msg, en_msg = message(gw, zh.outbox_ids[0]), message(gw, en.outbox_ids[0])
    assert zh_msg["Subject"].startswith("已登记 客户咨询单")
    assert en_msg["Subject"].startswith("Recorded: Customer inquiry")
    assert "您好" in zh_msg.get_body(("plain",)).get_content()
    assert "Hello Tom Chen" in en_msg.get_body(("plain",)).get_content()
    assert 'lang="en"' in en_msg.get_body(("html",)).get_content()
    assert (zh_msg["To"], en_msg["To"]) == (SALES, SALES_EN)
    assert zh_msg["Auto-Submitted"] == "auto-replied"


def test_replies_land_as_eml_files_in_the_firm_outbox(firm, tmp_path):
    good = tmp_path / "咨询.xlsx"
    good.write_bytes(
        fill_form(
            "inquiry", {"inquiry_date": "2026-11-20", "customer_code": "C001", "channel": "电话"}
        )
    )
    bad = tmp_path / "quote.xlsx"
    bad.write_bytes(fill_form("quote", *BAD_QUOTE))
    outcomes = ingest_files(firm, [good, bad], SALES_EN)
    assert [o.accepted for o in outcomes] == [True, False]
    files = sorted(firm.outbox_dir.glob("*tom.chen*.eml"))
    assert [f.name.split("-", 1)[1] for f in files] == [
        "confirmation-tom.chen@firm.test.eml",
        "rejection-tom.chen@firm.test.eml",
    ]
    parsed = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert parsed[0]["Subject"].startswith(f"Recorded: Customer inquiry {outcomes[0].docno}")
    assert parsed[1]["Subject"] == "Not recorded: Sales quote (quote.xlsx) — 5 things to fix"
    # delivered once: a second run writes nothing again
    everything = sorted(firm.outbox_dir.glob("*.eml"))
    ingest_files(firm, [], SALES_EN)
    assert sorted(firm.outbox_dir.glob("*.eml")) == everything


def test_a_file_name_with_markup_is_shown_not_interpreted_in_the_html_reply(gw):
    """A file named like HTML reaches the HTML part escaped: the reader sees the name, not markup."""
    from silu_sheets.pipeline import ingest

    outcome = ingest(gw, b"%PDF-1.4", "<b>x</b>&.pdf", SALES_EN)
    msg = message(gw, outcome.outbox_ids[0])
    html = msg.get_body(("html",)).get_content()
    assert "&lt;b&gt;x&lt;/b&gt;&amp;.pdf" in html
    assert "<b>x</b>" not in html
    assert "<b>x</b>&.pdf" in msg.get_body(("plain",)).get_content()


def test_replies_from_the_compiled_template_cache_escape_as_when_compiled(firm, tmp_path):
    """Templates compiled once are kept in jinja2's cache folder, each compiled once for its
    three blocks (only the html block escapes), so a reply rendered from the cache (second
    process) must still escape the HTML part only."""
    import subprocess
    import sys

    pdf = tmp_path / "<b>x&.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    env = os.environ | {"TMPDIR": str(tmp_path / "tmp")}  # jinja2's cache folder goes under it
    (tmp_path / "tmp").mkdir()
    parts = []
    for _ in range(2):
        done = subprocess.run(
            [str(Path(sys.executable).with_name("silu")), "--firm", str(firm.root), "ingest"]
            + [str(pdf), "--from", SALES_EN],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1, done.stderr  # refused: not a workbook
        newest = max(firm.outbox_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        msg = email.message_from_bytes(newest.read_bytes(), policy=policy.default)
        parts.append(
            (msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content())
        )
        newest.unlink()
    assert list((tmp_path / "tmp").glob("_jinja2-cache-*/silu-*.cache"))  # the second from it
    for text, html in parts:
        assert "<b>x&.pdf" in text
        assert "&lt;b&gt;x&amp;.pdf" in html and "<b>x" not in html


def test_a_reply_reads_the_same_in_both_python_mail_apis_and_cannot_gain_headers():
    """The mail is written directly (one fixed shape); it must parse cleanly, carry the
    attachment byte for byte under its Chinese name (RFC 2231 and, for Outlook/Foxmail, an RFC
    2047 ``name``), and a line break in a subject or message id never starts a new header."""
    from silu_sheets.replies import Attachment, Reply, as_mail

    data = fill_form("order", {"customer_code": "C001"})
    raw = as_mail(
        Reply(
            SALES,
            "已登记：销售报价单\nBcc: outsider@example.com",
            "正文\n第二行",
            "<p>正文</p>",
            "confirmation",
            attachments=[Attachment("order-销售订单.xlsx", data)],
        ),
        "forms@firm.test",
        "示例贸易有限公司",
        in_reply_to="<a@b>\r\nX-Injected: 1",
    )
    assert raw.isascii()
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert not msg.defects and msg["Bcc"] is None and msg["X-Injected"] is None
    assert msg["Subject"] == "已登记：销售报价单 Bcc: outsider@example.com"
    assert msg["From"].addresses[0].display_name == "示例贸易有限公司"
    assert msg.get_body(("plain",)).get_content() == "正文\n第二行"
    assert msg.get_body(("html",)).get_content() == "<p>正文</p>"
    [part] = msg.iter_attachments()
    assert (part.get_filename(), part.get_content()) == ("order-销售订单.xlsx", data)
    assert (
        email.header.make_header(email.header.decode_header(part.get_param("name"))).__str__()
        == "order-销售订单.xlsx"
    )
    legacy = email.message_from_bytes(raw)  # the compat32 parser many tools still use
    assert [p.get_filename() for p in legacy.walk() if p.get_filename()] == ["order-销售订单.xlsx"]


def test_every_reply_template_escapes_its_html_block():
    """One environment renders every block of a reply's template; only the html block escapes
    its values, and only because it says so: a template that forgot would put a file named
    ``<b>x.xlsx`` into the HTML part as markup."""
    from silu_sheets import resources

    folder = resources.path("templates") / "email"
    templates = sorted(folder.glob("*.j2"))
    assert len(templates) >= 18
    for path in templates:
        html = path.read_text(encoding="utf-8").split("{%- block html -%}", 1)[1]
        assert html.startswith("{% autoescape true %}"), path.name
        assert html.rstrip().endswith("{%- endautoescape %}{%- endblock -%}"), path.name
