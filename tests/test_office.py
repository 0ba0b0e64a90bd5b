"""A filled form re-saved by LibreOffice reads the same as the original.

People open our forms in Excel, WPS or LibreOffice and save them again; LibreOffice rewrites
every part of the file (its own styles, shared strings, number formats, no openpyxl traces).
The kind, the template version and every value must survive that, and the re-saved file must
go through the pipeline and be recorded. All files are converted in ONE soffice run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ADMIN, SALES
from openpyxl import load_workbook

from silu_sheets.api import fill_form
from silu_sheets.kinds import KINDS
from silu_sheets.pipeline import Gateway, ingest
from silu_sheets.workbook import fill, reader
from silu_sheets.workbook.template import ID_NAME, ID_SHEET, MARK

pytestmark = pytest.mark.office

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
if SOFFICE is None:
    if os.environ.get("SILU_CI") == "1":
        raise RuntimeError(
            "LibreOffice (soffice) is required in CI: `apt-get install -y libreoffice-calc-nogui`"
        )
    pytest.skip("LibreOffice (soffice) is not installed", allow_module_level=True)

FORMS: dict[str, tuple[str, dict, list[dict]]] = {
    "inquiry": (
        "inquiry",
        {
            "inquiry_date": "2026-11-20",
            "customer_name": "宁波海通贸易",
            "contact_person": "刘总",
            "phone": "0574-8888 6666",
            "channel": "展会 fair",
            "questions": "M8 螺栓的交期，５０００个的价格？",
            "likelihood": "高 high",
            "next_follow_up": dt.date(2026, 11, 25),
        },
        [
            {"product_code": "P-M8", "quantity": "５０００"},
            {},
            {"product_name": "新型垫片（Ｗ１０）", "quantity": Decimal("12.5"), "note": "样品先行"},
        ],
    ),
    "quote": (
        "quote",
        {
            "quote_date": dt.date(2026, 11, 25),
            "valid_until": "2026/12/25",
            "customer_code": "C001",
            "currency": "CNY",
            "payment_terms": "月结30天",
        },
        [
            {"product_code": "P-M8", "quantity": 5000, "unit_price": Decimal("1.15")},
            {
                "product_code": "P-W10",
                "quantity": Decimal("20000.5"),
                "unit_price": Decimal("0.1234"),
            },
            {},
            {},
            {"product_code": "P-M8", "quantity": "1,200", "unit_price": "5750.5", "note": "加急"},
        ],
    ),
    # the pre-filled next form a confirmation carries (written by fill.filled, not openpyxl)
    "prefilled_order": (
        "order",
        {"customer_code": "C001", "quote_no": "QUO-2026-00001", "currency": "CNY"},
        [
            {"product_code": "P-M8", "quantity": 5000, "unit_price": Decimal("1.15")},
            {"product_code": "P-W10", "quantity": Decimal("20000.5"), "note": "加急 <急>"},
        ],
    ),
    "opening_stock": (
        "opening_stock",
        {"as_of": "2026年11月2日"},
        [
            {
                "warehouse": "WH-A",
                "product_code": "P-M8",
                "lot": "L2026-007",
                "quantity": Decimal("0.001"),
                "production_date": "2026-03-01",
                "expiry_date": dt.date(2027, 3, 1),
            },
            {"warehouse": "WH-B", "product_code": "P-W10", "quantity": 450},
        ],
    ),
    "products": (
        "products",
        {},
        [
            {
                "code": "P-N1",
                "name": "尼龙螺母 M6",
                "unit": "个",
                "list_price": Decimal("0.08"),
                "lot_tracked": "是 yes",
                "shelf_life_days": 365,
            },
            {"code": "00123", "name": "Washer 12", "unit": "pcs", "lot_tracked": "否 no"},
        ],
    ),
}


def convert(to: str, files: list[Path], out: Path) -> subprocess.CompletedProcess[str]:
    """One soffice run for all ``files``, with a private profile so parallel runs never share one."""
    profile = Path(tempfile.mkdtemp(prefix="silu-lo-"))
    try:
        return subprocess.run(
            [
                SOFFICE,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                to,
                "--outdir",
                str(out),
                *map(str, files),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def resaved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes]]:
    """(original, re-saved by LibreOffice) for each form, all converted in one soffice run
    with a private profile so parallel runs never share one."""
    base = tmp_path_factory.mktemp("office")
    originals, out = base / "in", base / "out"
    originals.mkdir()
    for name, (kind, header, lines) in FORMS.items():
        if name.startswith("prefilled"):
            data = fill.filled(KINDS[kind], header, lines)
        else:
            data = fill_form(kind, header, lines)
        (originals / f"{name}.xlsx").write_bytes(data)
    done = convert("xlsx", sorted(originals.iterdir()), out)
    pairs = {}
    for name in FORMS:
        converted = out / f"{name}.xlsx"
        assert converted.exists(), (
            f"LibreOffice did not convert {name}: {done.stdout}\n{done.stderr}"
        )
        pairs[name] = ((originals / f"{name}.xlsx").read_bytes(), converted.read_bytes())
    return pairs


def test_libreoffice_really_rewrote_the_files(resaved):
    import io
    import zipfile

    for original, again in resaved.values():
        assert original != again
        assert b"LibreOffice" in zipfile.ZipFile(io.BytesIO(again)).read("docProps/app.xml")
        assert b"LibreOffice" not in zipfile.ZipFile(io.BytesIO(original)).read("docProps/app.xml")


@pytest.mark.parametrize("name", list(FORMS))
def test_resaved_form_reads_the_same(resaved, name):
    original, again = (reader.read(data) for data in resaved[name])
    kind = KINDS[FORMS[name][0]]
    assert (again.kind, again.version) == (original.kind, original.version) == (kind, kind.version)
    assert again.document.header == original.document.header
    assert [(line.number, line.values) for line in again.document.lines] == [
        (line.number, line.values) for line in original.document.lines
    ]
    assert [(p.cell, p.code) for p in again.problems] == [
        (p.cell, p.code) for p in original.problems
    ]


def test_values_are_the_exact_ones_written(resaved):
    quote = reader.read(resaved["quote"][1]).document
    assert quote["valid_until"] == dt.date(2026, 12, 25)
    assert [(line.number, line["quantity"], line["unit_price"]) for line in quote.lines] == [
        (1, Decimal(5000), Decimal("1.15")),
        (2, Decimal("20000.5"), Decimal("0.1234")),
        (5, Decimal(1200), Decimal("5750.5")),
    ]
    inquiry = reader.read(resaved["inquiry"][1]).document
    assert inquiry["questions"] == "M8 螺栓的交期，５０００个的价格？"
    assert (inquiry["channel"], inquiry["likelihood"]) == ("fair", "high")
    assert [line["quantity"] for line in inquiry.lines] == [Decimal(5000), Decimal("12.5")]
    products = reader.read(resaved["products"][1]).document
    assert [(line["code"], line["lot_tracked"]) for line in products.lines] == [
        ("P-N1", True),
        ("00123", False),
    ]
    order = reader.read(resaved["prefilled_order"][1]).document
    assert (order["customer_code"], order["quote_no"]) == ("C001", "QUO-2026-00001")
    assert [(line["quantity"], line["unit_price"], line["note"]) for line in order.lines] == [
        (Decimal(5000), Decimal("1.15"), None),
        (Decimal("20000.5"), None, "加急 <急>"),
    ]
    stock = reader.read(resaved["opening_stock"][1]).document
    assert stock["as_of"] == dt.date(2026, 11, 2)
    assert stock.lines[0]["quantity"] == Decimal("0.001")


@pytest.mark.parametrize("name", list(FORMS))
def test_hidden_identification_survives(resaved, name):
    import io

    wb = load_workbook(io.BytesIO(resaved[name][1]))
    ident = wb[ID_SHEET]
    assert ident.sheet_state == "hidden"
    assert (ident["A1"].value, ident["B2"].value, int(ident["B3"].value)) == (
        MARK,
        FORMS[name][0],
        1,
    )
    assert ID_NAME in wb.defined_names


def test_resaved_forms_are_recorded(resaved, seeded_firm):
    gateway = Gateway.open(seeded_firm)
    try:
        for name, sender in (("products", ADMIN), ("inquiry", SALES), ("quote", SALES)):
            outcome = ingest(gateway, resaved[name][1], f"{name}-libreoffice.xlsx", sender)
            assert outcome.accepted, outcome.as_dict("en")
        view = gateway.ledger.view
        assert view.product("P-N1")["lot_tracked"] == 1
        inquiry = view.document(f"INQ-{seeded_firm.today().year}-00001")
        assert inquiry["customer_code"] == "C00001"
        assert view.customer("C00001")["name"] == "宁波海通贸易"
        quote = gateway.ledger.view.rows(
            "SELECT line_no, quantity, unit_price FROM quote_lines ORDER BY line_no"
        )
        assert [tuple(r.values()) for r in quote] == [
            (1, "5000", "1.15"),
            (2, "20000.5", "0.1234"),
            (5, "1200", "5750.5"),
        ]
    finally:
        gateway.ledger.close()


def test_a_real_old_xls_is_refused_as_such(tmp_path, seeded_firm):
    """Excel 97-2003 (.xls) written by LibreOffice itself, not a hand-made header."""
    form = tmp_path / "报价.xlsx"
    form.write_bytes(fill_form("quote", *FORMS["quote"][1:]))
    done = convert("xls", [form], tmp_path / "xls")
    old = tmp_path / "xls" / "报价.xls"
    assert old.exists(), done.stdout + done.stderr
    gateway = Gateway.open(seeded_firm)
    try:
        for name in ("报价.xls", "报价.xlsx"):  # renamed, it is still an old workbook
            outcome = ingest(gateway, old.read_bytes(), name, SALES)
            assert [(p.cell, p.code) for p in outcome.problems] == [(None, "file-old-xls")]
    finally:
        gateway.ledger.close()
