"""Every hostile or damaged attachment of ``tests/hostile.py`` through the real pipeline and a
real ledger: each refused (or recorded with a warning) with its own reason, never an internal
fault, nothing half-recorded, no live formula in any workbook sent back, and a valid form
recorded afterwards as if nothing had happened.
"""

from __future__ import annotations

import email
import io
import re
import tracemalloc
import zipfile

import pytest
from conftest import ADMIN, SALES, codes
from hostile import (
    SHEET,
    HostileCase,
    corpus,
    put_cell,
    spaces_bomb,
    valid_inquiry,
    with_number,
    with_text,
)
from openpyxl import load_workbook

from silu_sheets import problems as P
from silu_sheets.api import fill_form
from silu_sheets.pipeline import INTERNAL_FAULT, Gateway, ingest
from silu_sheets.workbook import cells, reader

#: a cell formula element (``<f>``, ``<x:f t="shared">``), not ``<formula1>`` of a validation
FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


@pytest.fixture(scope="module")
def cases() -> list[HostileCase]:
    return corpus()


def attachments(gw: Gateway, outbox_id: int) -> dict[str, bytes]:
    raw = gw.ledger.db.execute(
        "SELECT message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE id = ?",
        [outbox_id],
    ).fetchone()
    message = email.message_from_bytes(raw[0] if isinstance(raw[0], bytes) else raw[0].encode())
    return {
        part.get_filename(): part.get_payload(decode=True)
        for part in message.walk()
        if part.get_filename()
    }


def formulas_in(workbook: bytes) -> list[str]:
    archive = zipfile.ZipFile(io.BytesIO(workbook))
    return [
        name
        for name in archive.namelist()
        if name.startswith("xl/worksheets/") and FORMULA.search(archive.read(name))
    ]


def test_the_corpus_is_large_and_varied(cases):
    assert len(cases) >= 100
    assert len({c.name for c in cases}) == len(cases)
    assert {code for c in cases for code in c.expected} >= {
        P.FILE_NOT_XLSX,
        P.FILE_OLD_XLS,
        P.FILE_MACRO,
        P.FILE_ENCRYPTED,
        P.FILE_ZIP_BOMB,
        P.FILE_DAMAGED,
        P.FILE_UNSAFE_XML,
        P.FILE_TOO_MANY_CELLS,
        P.VALUES_OUTSIDE_FORM,
        P.MERGED_INPUT,
        P.FORMULA_IN_INPUT,
        P.VALUE_TOO_LARGE,
        P.TEXT_CONTROL_CHARACTERS,
        P.HIDDEN_ROWS_READ,
        P.LINES_BEYOND_TABLE,
    }


def test_every_hostile_case_is_answered_with_its_reason(gw, cases):
    wrong = []
    for case in cases:
        before = gw.ledger.db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
        outcome = ingest(gw, case.data, case.filename, SALES)
        found = codes(outcome)
        after = gw.ledger.db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
        problems = [
            outcome.accepted != case.accepted and f"accepted={outcome.accepted}",
            INTERNAL_FAULT in [c for _, c in found] and "internal fault",
            not set(case.expected) <= {c for _, c in found} and f"expected {case.expected}",
            case.cell and (case.cell, case.expected[0]) not in found and f"expected at {case.cell}",
            after - before != (1 if case.accepted else 0) and "recorded wrongly",
            len(outcome.outbox_ids) != 1 and "no reply queued",
        ]
        for outbox_id in outcome.outbox_ids:
            for name, workbook in attachments(gw, outbox_id).items():
                if name.endswith(".xlsx") and formulas_in(workbook):
                    problems.append(f"formula sent back in {name}")
        if any(problems):
            wrong.append((case.name, [p for p in problems if p], found))
    assert wrong == []
    after_all = ingest(gw, valid_inquiry("上海最后一家贸易"), "inquiry.xlsx", SALES)
    assert after_all.accepted, after_all.as_dict("en")


# --- 10.1: a stray value far away ------------------------------------------------------------
def test_a_stray_value_at_the_last_cell_is_a_warning_naming_it(send, gw):
    data = with_number(valid_inquiry("嘉兴远方纺织"), "XFD1048576", "7")
    outcome = ingest(gw, data, "inquiry.xlsx", SALES)
    assert outcome.accepted, outcome.as_dict("en")
    [warning] = outcome.problems
    assert warning.code == P.VALUES_OUTSIDE_FORM and warning.severity == "warning"
    assert "XFD1048576" in warning.message("zh") and "XFD1048576" in warning.message("en")


def test_the_declared_dimension_is_never_trusted():
    data = valid_inquiry()
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET).decode()
    # the form and its on-screen notes column (E) beside it
    assert '<dimension ref="A1:E220"' in xml
    from hostile import edit_sheet

    lying = edit_sheet(data, lambda x: x.replace('ref="A1:E220"', 'ref="A1:XFD1048576"'))
    sheet = cells.Workbook(lying).sheet("客户咨询单", reader.bounds(reader.KINDS["inquiry"]))
    assert sheet.outside == [] and len(sheet.values) < 100


# --- 10.8: damaged files are the sender's problem, said in their language -----------------------
def test_a_merged_input_is_marked_on_the_senders_copy(gw):
    from hostile import edit_sheet

    data = edit_sheet(
        valid_inquiry(),
        lambda x: x.replace(
            "</sheetData>",
            '</sheetData><mergeCells count="1"><mergeCell ref="A9:B9"/></mergeCells>',
        ),
    )
    outcome = ingest(gw, data, "inquiry.xlsx", SALES)
    assert (("B9", P.MERGED_INPUT)) in codes(outcome)
    [marked] = [w for n, w in attachments(gw, outcome.outbox_ids[0]).items() if "待修改" in n]
    ws = load_workbook(io.BytesIO(marked))["客户咨询单"]
    assert "A9:B9" in ws["B9"].comment.text
    assert ws["B9"].fill.fgColor.rgb.endswith("FFC7CE")


@pytest.mark.parametrize("part", [SHEET, "[Content_Types].xml", "xl/workbook.xml"])
def test_a_corrupt_deflate_stream_is_a_damaged_file_in_plain_words(gw, part, caplog):
    from hostile import corrupt_deflate

    outcome = ingest(gw, corrupt_deflate(valid_inquiry(), part), "inquiry.xlsx", SALES)
    assert codes(outcome) == [(None, P.FILE_DAMAGED)]
    zh = outcome.problems[0].message("zh")
    assert "压缩数据已损坏" in zh and not any(ch.isascii() and ch.isalpha() for ch in zh)
    assert "internal fault" not in caplog.text


def test_no_english_inside_a_chinese_damage_message(gw):
    outcome = ingest(gw, b"PK\x03\x04" + b"\0" * 26, "inquiry.xlsx", SALES)
    zh = outcome.problems[0].message("zh")
    assert "zip" not in zh.lower() and "File" not in zh


# --- 10.9: bounds, exact totals --------------------------------------------------------------
@pytest.mark.parametrize("literal", ["12345678901234567", "1E308", "1000000000.001"])
def test_a_quantity_beyond_its_bound_is_refused_naming_the_cell(gw, literal):
    data = with_number(valid_inquiry(), "C21", literal)
    outcome = ingest(gw, data, "inquiry.xlsx", SALES)
    assert ("C21", P.VALUE_TOO_LARGE) in codes(outcome)
    assert "1000000000" in outcome.problems[-1].message("en")


def test_a_price_beyond_its_bound_is_refused_naming_the_cell(gw):
    line = {"product_code": "P-M8", "quantity": 1, "unit_price": "10000000000.01"}
    outcome = ingest(gw, fill_form("quote", {}, [line]), "quote.xlsx", SALES)
    layout = reader.KINDS["quote"].layout
    cell = layout.line_cell("unit_price", layout.first_line_row)
    assert (cell, P.VALUE_TOO_LARGE) in codes(outcome)


def test_stock_totals_at_the_bound_stay_exact(send, gw):
    lots = [
        {"warehouse": "WH-A", "product_code": "P-M8", "lot": f"L{n}", "quantity": "999999999.999"}
        for n in range(3)
    ]
    for kind, lines in (
        ("products", [{"code": "P-M8", "name": "螺栓", "unit": "kg", "lot_tracked": "是"}]),
        ("warehouses", [{"code": "WH-A", "name": "一号仓"}]),
    ):
        assert send(kind, {}, lines, sender=ADMIN).accepted
    outcome = send("opening_stock", {"as_of": "2026-11-01"}, lots, sender=ADMIN)
    assert outcome.accepted, outcome.as_dict("en")
    total = gw.ledger.db.execute(
        "SELECT SUM(on_hand_milli), typeof(SUM(on_hand_milli)) FROM stock_on_hand"
    ).fetchone()
    assert total == (2999999999997, "integer")


# --- 10.10: control characters ----------------------------------------------------------------
@pytest.mark.parametrize("text", ["宁波_x0001_海通", "宁波\u202e通海", "宁波\x7f海通"])
def test_control_characters_are_refused_naming_the_cell(gw, text):
    outcome = ingest(gw, with_text(valid_inquiry(), "B9", text), "inquiry.xlsx", SALES)
    assert ("B9", P.TEXT_CONTROL_CHARACTERS) in codes(outcome)
    [marked] = [w for n, w in attachments(gw, outcome.outbox_ids[0]).items() if "待修改" in n]
    assert load_workbook(io.BytesIO(marked))["客户咨询单"]["B9"].comment is not None


# --- 10.11: formulas ---------------------------------------------------------------------------
def test_a_formula_in_an_input_is_a_problem_there_and_never_sent_back(gw):
    data = put_cell(
        valid_inquiry(), "B9", '<f>HYPERLINK("http://evil.test","宁波海通")</f>', ' t="str"'
    )
    outcome = ingest(gw, data, "inquiry.xlsx", SALES)
    assert ("B9", P.FORMULA_IN_INPUT) in codes(outcome)
    [marked] = [w for n, w in attachments(gw, outcome.outbox_ids[0]).items() if "待修改" in n]
    assert formulas_in(marked) == []
    ws = load_workbook(io.BytesIO(marked))["客户咨询单"]
    assert ws["B9"].value == '=HYPERLINK("http://evil.test","宁波海通")'
    assert ws["B9"].data_type == "s"


# --- 10.12 and 11.20 ---------------------------------------------------------------------------
def test_a_hidden_line_is_read_and_said(gw):
    data = with_text(valid_inquiry("衢州隐藏五金"), "B22", "不锈钢螺栓 M8")
    data = with_number(data, "C22", "100")
    from hostile import edit_sheet

    data = edit_sheet(data, lambda x: x.replace('<row r="22"', '<row r="22" hidden="1"', 1))
    outcome = ingest(gw, data, "inquiry.xlsx", SALES)
    assert outcome.accepted
    assert codes(outcome) == [("A22", P.HIDDEN_ROWS_READ)]
    assert "22" in outcome.problems[0].message("zh")


def test_not_our_template_comes_with_the_blanks_it_promises(gw):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "报价"
    out = io.BytesIO()
    wb.save(out)
    outcome = ingest(gw, out.getvalue(), "报价.xlsx", SALES)
    assert codes(outcome) == [(None, P.NOT_OUR_TEMPLATE)]
    names = attachments(gw, outcome.outbox_ids[0])
    assert any("inquiry" in n or "客户咨询单" in n for n in names), names
    assert all(reader.read(data).kind is not None for data in names.values())


def test_a_form_without_its_identification_is_known_by_its_title(gw):
    wb = load_workbook(io.BytesIO(fill_form("customers", {}, [{"code": "C7", "name": "衢州"}])))
    del wb["_silu"]
    del wb.defined_names["SILU_FORM"]
    out = io.BytesIO()
    wb.save(out)
    outcome = ingest(gw, out.getvalue(), "customers.xlsx", ADMIN)
    assert outcome.accepted, outcome.as_dict("en")
    wb.active.title = "Sheet1"  # renamed too, and the title cut to its Chinese half
    wb.active["A1"] = "客户资料"
    wb.active["A6"], wb.active["B6"] = "C8", "丽水"
    out = io.BytesIO()
    wb.save(out)
    outcome = ingest(gw, out.getvalue(), "customers.xlsx", ADMIN)
    assert outcome.accepted, outcome.as_dict("en")


# --- 10.10: every writer copes with what is already stored --------------------------------------
def test_a_statement_for_a_name_stored_with_a_control_character(masters, gw, tmp_path):
    from click.testing import CliRunner

    from silu_sheets import cli

    gw.ledger.db.execute("UPDATE customers SET name = ? WHERE code = 'C001'", ["华东\x01机电"])
    gw.ledger.db.commit()
    out = tmp_path / "statement.xlsx"
    done = CliRunner().invoke(
        cli.main, ["--firm", str(gw.firm.root), "statement", "C001", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    texts = [c.value for row in load_workbook(out).active.iter_rows() for c in row]
    assert any("华东机电" in str(t) for t in texts)
    assert not any("\x01" in str(t) for t in texts)


@pytest.mark.parametrize("stored", ["华东\x01机电", '=HYPERLINK("http://evil.test")', "\u202e电机"])
def test_pre_filled_forms_hold_stored_text_as_plain_text(stored):
    from silu_sheets.kinds import KINDS
    from silu_sheets.workbook import fill

    for data in (
        fill.filled(KINDS["follow_up"], {"note": stored}),
        fill_form("follow_up", {"note": stored}),
    ):
        assert formulas_in(data) == []
        value = load_workbook(io.BytesIO(data))["咨询跟进单"][
            KINDS["follow_up"].layout.header_cells["note"]
        ].value
        assert value == stored.replace("\x01", "").replace("\u202e", "")


# --- 10.12: names and sizes -----------------------------------------------------------------------
def test_a_direction_override_in_the_attachment_name_is_not_echoed(gw):
    outcome = ingest(gw, b"%PDF-1.4", "invoice\u202efdp.xlsx", SALES)
    row = gw.ledger.db.execute(
        "SELECT subject, message FROM outbox JOIN outbox_messages ON outbox_id = id WHERE id = ?",
        [outcome.outbox_ids[0]],
    ).fetchone()
    message = email.message_from_bytes(row[1] if isinstance(row[1], bytes) else row[1].encode())
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert "\u202e" not in row[0] and "\u202e" not in subject
    assert "invoicefdp" in subject


def test_ingest_refuses_a_huge_file_from_its_size(firm, tmp_path):
    from silu_sheets.api import ingest_files
    from silu_sheets.workbook import safety

    huge = tmp_path / "huge.xlsx"
    with huge.open("wb") as f:  # sparse: 400 MB on paper, nothing on disk
        f.truncate(400 * 1024 * 1024)
    tracemalloc.start()
    try:
        [outcome] = ingest_files(firm, [huge], SALES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024  # the file was never read
    assert codes(outcome) == [(None, P.FILE_TOO_LARGE)]
    assert outcome.problems[0].values == {"size": "400.0 MB", "limit": "5.0 MB"}
    assert safety.Caps().file_bytes < 400 * 1024 * 1024


# --- 10.7: the ledger's write lock --------------------------------------------------------------
def test_a_refusal_is_built_without_holding_the_write_lock(gw, monkeypatch):
    """Marking a refused workbook (openpyxl, the slow part) happens before the refusal's short
    transaction: another process could write meanwhile."""
    from silu_sheets.workbook import marking

    seen = []
    real = marking.mark_problems

    def watching(*args, **kwargs):
        seen.append(gw.ledger.db.in_transaction)
        return real(*args, **kwargs)

    monkeypatch.setattr(marking, "mark_problems", watching)
    outcome = ingest(gw, with_number(valid_inquiry(), "C21", "-5"), "inquiry.xlsx", SALES)
    assert ("C21", P.BELOW_MINIMUM) in codes(outcome)
    assert seen == [False]


def test_an_oversized_line_table_is_refused_before_the_ledger_is_locked(gw, monkeypatch):
    from hostile import many_rows

    from silu_sheets.ledger.store import Ledger

    transactions = []
    real = Ledger.transaction

    def counting(self):
        transactions.append(self.db.in_transaction)
        return real(self)

    monkeypatch.setattr(Ledger, "transaction", counting)
    outcome = ingest(gw, many_rows(100_000), "inquiry.xlsx", SALES)
    assert ("A222", P.LINES_BEYOND_TABLE) in codes(outcome)
    assert "200" in outcome.problems[-1].message("zh")
    assert transactions == [False]  # only the refusal's own transaction
    names = attachments(gw, outcome.outbox_ids[0])
    assert not any("待修改" in n for n in names)  # too big to mark: the blank instead


def test_a_busy_ledger_is_waited_on(gw):
    """Another process holds the write lock for a moment: the form waits and is recorded."""
    import sqlite3
    import threading

    other = sqlite3.connect(gw.ledger.path, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.5, other.commit)
    release.start()
    try:
        outcome = ingest(gw, valid_inquiry("丽水慢慢贸易"), "inquiry.xlsx", SALES)
    finally:
        release.join()
        other.close()
    assert outcome.accepted, outcome.as_dict("en")


# --- a zip directory that lies about a bomb -------------------------------------------------------
@pytest.mark.parametrize(
    ("part", "before"),
    [(SHEET, b"</sheetData>"), ("[Content_Types].xml", b"</Types>")],
    ids=["sheet", "content-types"],
)
def test_a_bomb_the_zip_directory_hides_is_never_unpacked(gw, part: str, before: bytes):
    """256 MiB of spaces in a part whose directory entry declares only its real XML: the safety
    check sees nothing wrong, and reading unpacks no more than declared (zipfile's own read()
    would inflate it all in one step before finding it damaged)."""
    bomb = spaces_bomb(valid_inquiry(), 0.25, lie=True, name=part, before=before)
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        outcome = ingest(gw, bomb, "inquiry.xlsx", SALES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert codes(outcome) == [(None, P.FILE_DAMAGED)]
    assert peak < 50 * 1024 * 1024


def test_the_memo_survives_a_stray_far_cell(gw):
    """The office's own memo.xlsx is read the bounded way too."""
    from openpyxl import load_workbook as load

    from silu_sheets import memo

    path = memo.write_example(memo.memo_path(gw.firm.root))
    wb = load(path)
    wb.active["XFD1048576"] = "x"
    wb.save(path)
    found = memo.memo(gw.firm.root, "size")
    assert found and found[0].answer("en")


def reading_of(data: bytes) -> tuple:
    """What a reading tells the pipeline, comparable."""
    r = reader.read(data)
    doc = r.document
    return (
        r.kind.key if r.kind else None,
        r.version,
        (doc.header, [(line.number, line.row, line.values) for line in doc.lines]) if doc else None,
        [p.flat() for p in r.problems],
        [p.values for p in r.problems],
        r.markable,
    )


def test_blank_rows_left_unparsed_change_no_reading(cases, monkeypatch):
    """The blank rows of a form's table are dropped before parsing (cells.EMPTY_ROW): every
    file of the corpus, a hidden blank row, and a row without a number after blank rows (it
    takes its number from the row before it) read exactly as when every row is parsed."""
    base = valid_inquiry("丽水空行五金")
    from hostile import edit_sheet

    unnumbered = edit_sheet(
        base,
        lambda x: x.replace(
            "</sheetData>",
            '<row><c t="inlineStr"><is><t>多余</t></is></c></row></sheetData>',
        ),
    )
    hidden = with_number(
        with_text(
            edit_sheet(base, lambda x: x.replace('<row r="23"', '<row r="23" hidden="1"', 1)),
            "B24",
            "不锈钢螺栓 M8",
        ),
        "C24",
        "5",
    )
    files = [c.data for c in cases] + [base, unnumbered, hidden]
    skipped = [reading_of(data) for data in files]
    monkeypatch.setattr(cells, "EMPTY_ROW", re.compile(rb"(?!)"))  # every row parsed
    assert [reading_of(data) for data in files] == skipped
    # the unnumbered row is the one after the sheet's last numbered row: below the table
    assert P.LINES_BEYOND_TABLE in [code for _, code in reading_of(unnumbered)[3]]


def test_the_blank_rows_after_the_last_filled_one_change_no_reading(cases, monkeypatch):
    """The rows after the last one holding a value or formula are cut before parsing
    (cells.without_empty_tail): every file of the corpus and the cases that put something far
    down the table (a value in its last row, a formula alone, a shared formula's self-closing
    reference, an inline string below it, a hidden blank row) read exactly as when every row
    is parsed."""
    base = valid_inquiry("丽水尾行五金")
    from hostile import edit_sheet, part

    hidden_blank = edit_sheet(
        base, lambda x: x.replace('<row r="200"', '<row r="200" hidden="1"', 1)
    )
    files = [c.data for c in cases] + [
        base,
        hidden_blank,
        with_number(with_text(base, "B220", "不锈钢螺栓 M8"), "C220", "7"),
        put_cell(base, "C150", "<f>1+1</f>"),
        put_cell(put_cell(base, "C149", "<f>1+1</f><v>2</v>"), "C150", '<f t="shared" si="0"/>'),
        with_text(base, "B260", "表外"),
        with_number(hidden_blank, "C199", "3"),
    ]
    tail = cells.without_empty_tail
    assert len(tail(part(base, SHEET).encode(), 20_000)) < len(part(base, SHEET)) // 2  # it cuts
    cut = [reading_of(data) for data in files]
    monkeypatch.setattr(cells, "without_empty_tail", lambda chunk, room: chunk)  # all parsed
    assert [reading_of(data) for data in files] == cut
