"""Files refused before any parsing work, each with its own code.

A stranger's file may be anything: a PDF, an old .xls, a workbook with macros, a password, a
zip bomb. Each is refused from its first bytes or its zip directory with a reason the sender
can act on, nothing is recorded, and the next file is read as if nothing had happened.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from conftest import ADMIN, SALES, codes
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook, load_workbook

from silu_sheets import problems as P
from silu_sheets.api import fill_form, ingest_files
from silu_sheets.workbook import safety
from silu_sheets.workbook.template import ID_SHEET

OLE_HEADER = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    + b"\x00" * 16
    + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    + b"\x00" * 480
)


@pytest.fixture(scope="module")
def good() -> bytes:
    """A correctly filled customers workbook (a master: it needs nothing else in the ledger)."""
    return fill_form("customers", {}, [{"code": "C100", "name": "宁波海通贸易"}])


def rezip(
    data: bytes,
    extra: dict[str, bytes] | None = None,
    replace: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """The same workbook with parts added or replaced, the way a tool would repack it."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, (replace or {}).get(item.filename, src.read(item.filename)))
        for name, content in (extra or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def only(outcome) -> str:
    """The single code of a whole-file refusal (no cell: the file was not opened)."""
    assert not outcome.accepted
    assert [cell for cell, _ in codes(outcome)] == [None]
    return codes(outcome)[0][1]


def recorded_documents(gw) -> int:
    return gw.ledger.db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]


def ingest_as(gw, data: bytes, filename: str):
    from silu_sheets.pipeline import ingest

    return ingest(gw, data, filename, ADMIN)


# --- not a workbook at all -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "报价.pdf"),
        ("产品编号,数量\nP-M8,12\n".encode(), "quote.csv"),
        (b"please see attached", "notes.txt"),
        ("产品编号,数量\nP-M8,12\n".encode("gb18030"), "quote.xlsx"),  # renamed, still a CSV
        (b"", "empty.xlsx"),
    ],
)
def test_not_xlsx(gw, data, filename):
    outcome = ingest_as(gw, data, filename)
    assert only(outcome) == P.FILE_NOT_XLSX
    assert recorded_documents(gw) == 0


def test_a_zip_that_is_not_a_workbook(gw):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    assert only(ingest_as(gw, out.getvalue(), "forms.zip")) == P.FILE_NOT_XLSX


def test_old_xls_by_its_ole_header(gw):
    assert only(ingest_as(gw, OLE_HEADER, "客户资料.xls")) == P.FILE_OLD_XLS
    assert only(ingest_as(gw, OLE_HEADER, "renamed.xlsx")) == P.FILE_OLD_XLS


def test_xls_named_file_of_unknown_content(gw):
    assert (
        only(ingest_as(gw, b"\x09\x08\x10\x00\x00\x06\x05\x00" * 8, "biff5.xls")) == P.FILE_OLD_XLS
    )


# --- macros, passwords -----------------------------------------------------------------------
def test_macro_enabled_by_file_name(gw, good):
    assert only(ingest_as(gw, good, "customers.xlsm")) == P.FILE_MACRO
    assert recorded_documents(gw) == 0


def test_macro_enabled_by_vba_project_part(gw, good):
    data = rezip(good, extra={"xl/vbaProject.bin": OLE_HEADER})
    assert only(ingest_as(gw, data, "customers.xlsx")) == P.FILE_MACRO


def test_macro_enabled_by_content_type(gw, good):
    types = zipfile.ZipFile(io.BytesIO(good)).read("[Content_Types].xml")
    macro = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    assert macro != types
    data = rezip(good, replace={"[Content_Types].xml": macro})
    assert only(ingest_as(gw, data, "customers.xlsx")) == P.FILE_MACRO


def test_password_protected(gw, good):
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(good)).encrypt("secret", out)
    encrypted = out.getvalue()
    assert encrypted.startswith(safety.OLE_SIGNATURE)
    outcome = ingest_as(gw, encrypted, "customers.xlsx")
    assert only(outcome) == P.FILE_ENCRYPTED
    assert "密码" in outcome.problems[0].message("zh")


# --- size caps -------------------------------------------------------------------------------
def test_over_the_file_size_cap(gw, good):
    big = rezip(
        good,
        extra={"xl/media/photo.png": os.urandom(safety.Caps().file_bytes)},
        compression=zipfile.ZIP_STORED,
    )
    outcome = ingest_as(gw, big, "customers.xlsx")
    assert only(outcome) == P.FILE_TOO_LARGE
    assert outcome.problems[0].values["limit"] == "5.0 MB"


def test_zip_bomb_refused_from_the_directory(gw, good):
    """A few kilobytes of zeros that unpack to 70 MB: refused without unpacking them."""
    bomb = rezip(good, extra={"xl/media/zeros.bin": b"\0" * (70 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    outcome = ingest_as(gw, bomb, "customers.xlsx")
    assert only(outcome) == P.FILE_ZIP_BOMB
    assert outcome.problems[0].values["limit"] == "60.0 MB"


def test_highly_compressed_part_is_a_bomb_even_under_the_total_cap(good):
    bomb = rezip(good, extra={"xl/media/zeros.bin": b"\0" * (2 * 1024 * 1024)})
    assert [p.code for p in safety.refuse(bomb, "customers.xlsx")] == [P.FILE_ZIP_BOMB]


def test_total_unpacked_size_cap(good):
    data = rezip(good, extra={"xl/media/noise.bin": os.urandom(300 * 1024)})
    assert safety.refuse(data, "x.xlsx") == []
    refused = safety.refuse(data, "x.xlsx", safety.Caps(unpacked_bytes=256 * 1024))
    assert [p.code for p in refused] == [P.FILE_ZIP_BOMB]


def test_too_many_parts(gw, good):
    parts = {f"xl/custom/part{i}.xml": b"<x/>" for i in range(safety.Caps().parts)}
    outcome = ingest_as(gw, rezip(good, extra=parts), "customers.xlsx")
    assert only(outcome) == P.FILE_TOO_MANY_PARTS
    assert outcome.problems[0].values["limit"] == 400


def test_a_normal_form_is_far_below_every_cap(good):
    archive = zipfile.ZipFile(io.BytesIO(good))
    assert len(archive.infolist()) < 40
    assert sum(i.file_size for i in archive.infolist()) < 2 * 1024 * 1024
    assert safety.refuse(good, "customers.xlsx") == []


# --- damaged ---------------------------------------------------------------------------------
def test_truncated_zip_is_damaged(gw, good):
    outcome = ingest_as(gw, good[: len(good) // 2], "customers.xlsx")
    assert only(outcome) == P.FILE_DAMAGED


def test_garbled_part_is_damaged(gw, good):
    data = rezip(good, replace={"xl/workbook.xml": b"<workbook><sheets><sheet name="})
    outcome = ingest_as(gw, data, "customers.xlsx")
    assert only(outcome) == P.FILE_DAMAGED
    assert recorded_documents(gw) == 0


# --- not ours, or not this version -----------------------------------------------------------
def test_plain_workbook_is_not_our_template(gw):
    wb = Workbook()
    wb.active["A1"] = "客户编号"
    wb.active["A2"] = "C100"
    out = io.BytesIO()
    wb.save(out)
    outcome = ingest_as(gw, out.getvalue(), "customers.xlsx")
    assert only(outcome) == P.NOT_OUR_TEMPLATE
    assert recorded_documents(gw) == 0


def with_version(data: bytes, version: object) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[ID_SHEET]["B3"] = version
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_template_version_we_no_longer_read(gw, good):
    outcome = ingest_as(gw, with_version(good, 0), "customers.xlsx")
    assert only(outcome) == P.TEMPLATE_TOO_OLD
    assert outcome.problems[0].values["version"] == 0
    assert outcome.problems[0].values["oldest"] == 1


def test_template_version_newer_than_we_read(gw, good):
    outcome = ingest_as(gw, with_version(good, 2), "customers.xlsx")
    assert only(outcome) == P.TEMPLATE_TOO_NEW
    assert outcome.problems[0].values["version"] == 2


def test_current_template_version_is_read(gw, good):
    outcome = ingest_as(gw, with_version(good, 1), "customers.xlsx")
    assert outcome.accepted, outcome.as_dict("en")


def test_refused_file_gets_a_reply_and_no_record(gw):
    outcome = ingest_as(gw, b"%PDF-1.4", "a.pdf")
    assert only(outcome) == P.FILE_NOT_XLSX
    assert recorded_documents(gw) == 0
    rejection = gw.ledger.db.execute("SELECT problems FROM rejections").fetchall()
    assert len(rejection) == 1 and P.FILE_NOT_XLSX in rejection[0][0]
    assert gw.ledger.db.execute("SELECT recipient, purpose FROM outbox").fetchall() == [
        (ADMIN, "rejection")
    ]


# --- one bad file never stops the next ---------------------------------------------------------
def test_a_malformed_file_never_stops_the_next(firm, good, tmp_path: Path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(good[:300])
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    ok = tmp_path / "customers.xlsx"
    ok.write_bytes(good)
    outcomes = ingest_files(firm, [bad, pdf, ok], ADMIN)
    assert [(o.filename, o.accepted) for o in outcomes] == [
        ("坏文件.xlsx", False),
        ("scan.pdf", False),
        ("customers.xlsx", True),
    ]
    assert [codes(o) for o in outcomes[:2]] == [[(None, P.FILE_DAMAGED)], [(None, P.FILE_NOT_XLSX)]]
    from silu_sheets.ledger.store import Ledger

    ledger = Ledger(firm.ledger_path)
    assert ledger.view.customer("C100")["name"] == "宁波海通贸易"
    ledger.close()
    assert len(list(firm.outbox_dir.glob("*.eml"))) == 3


def test_refusals_speak_the_senders_language(gw):
    from silu_sheets.pipeline import ingest

    outcome = ingest(gw, b"%PDF-1.4", "a.pdf", "tom.chen@firm.test")
    assert outcome.as_dict("en")["problems"][0]["message"].startswith(
        "The file is not an Excel workbook"
    )
    zh = ingest(gw, b"%PDF-1.4", "a.pdf", SALES)
    assert zh.as_dict("zh")["problems"][0]["message"].startswith("文件不是 Excel 工作簿")


def test_identified_by_the_defined_name_when_the_hidden_sheet_is_gone(gw, good):
    """Some suites drop hidden sheets; the defined name SILU_FORM still says kind and version."""
    wb = load_workbook(io.BytesIO(good))
    del wb[ID_SHEET]
    out = io.BytesIO()
    wb.save(out)
    outcome = ingest_as(gw, out.getvalue(), "customers.xlsx")
    assert outcome.accepted, outcome.as_dict("en")
    del wb.defined_names["SILU_FORM"]
    out = io.BytesIO()
    wb.save(out)
    # both gone: the title "客户资料 Customers" on sheet 客户资料 still says which form it is
    outcome = ingest_as(gw, out.getvalue(), "customers.xlsx")
    assert outcome.accepted, outcome.as_dict("en")
    wb.active["A1"] = "客户名单"
    out = io.BytesIO()
    wb.save(out)
    assert only(ingest_as(gw, out.getvalue(), "customers.xlsx")) == P.NOT_OUR_TEMPLATE
