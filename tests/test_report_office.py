"""The summary workbook opens in LibreOffice and survives its re-save: both versions converted in
ONE headless soffice run (a file LibreOffice would have to repair fails to convert), then read
back: the sheets, the figures, the native charts and the formula-looking text are all still there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_report import EVIL, ledger_firm, manager, table, warehouse  # noqa: F401 - fixtures

pytestmark = pytest.mark.office

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
if SOFFICE is None:
    if os.environ.get("SILU_CI") == "1":
        raise RuntimeError(
            "LibreOffice (soffice) is required in CI: `apt-get install -y libreoffice-calc-nogui`"
        )
    pytest.skip("LibreOffice (soffice) is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def resaved(manager: Path, warehouse: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: F811
    out = tmp_path_factory.mktemp("resaved")
    profile = Path(tempfile.mkdtemp(prefix="silu-lo-"))
    try:
        done = subprocess.run(
            [
                str(SOFFICE),
                "--headless",
                "--norestore",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(out),
                str(manager),
                str(warehouse),
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    return out / manager.name, out / warehouse.name


def charts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [n for n in z.namelist() if n.startswith("xl/charts/chart")]


def test_libreoffice_opens_and_resaves_with_charts(manager: Path, resaved):  # noqa: F811
    again, again_warehouse = resaved
    assert again.exists() and again_warehouse.exists()
    assert load_workbook(again).sheetnames == load_workbook(manager).sheetnames
    assert len(charts(again)) == len(charts(manager)) >= 8
    assert charts(again_warehouse)


def test_figures_and_text_survive_libreoffice(resaved):
    again, _ = resaved
    ws = load_workbook(again)["售后 Service"]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert EVIL in texts and "=SUM(1,2)" in texts
    assert not any(
        c.data_type == "f"
        for w in load_workbook(again).worksheets
        for row in w.iter_rows()
        for c in row
    )
    people = {r["邮箱 Address"]: r for r in table(again, "Salespeople")}  # the tables survive too
    assert people["li.na@firm.test"]["合同金额 Contract value CNY"] == pytest.approx(265)
