"""Shared fixtures: a real firm folder on disk, a real SQLite ledger, real .xlsx forms.

``send(kind, header, lines, sender=...)`` fills a real form with openpyxl and runs it through
the same pipeline the CLI and the mail gateway use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from silu_sheets import firm as firm_folder
from silu_sheets.api import fill_form
from silu_sheets.pipeline import Gateway, Outcome, ingest

SALES = "li.na@firm.test"
SALES_EN = "tom.chen@firm.test"
MANAGER = "wang.qiang@firm.test"
WAREHOUSE_A = "zhao.lei@firm.test"
WAREHOUSE_B = "sun.li@firm.test"
FINANCE = "zhou.min@firm.test"
SERVICE = "wu.fang@firm.test"
ADMIN = "admin@firm.test"

CUSTOMERS = [
    {"code": "C001", "name": "华东机电有限公司", "phone": "021-5555 1234", "salesperson": SALES},
    {"code": "C002", "name": "Acme GmbH", "phone": "+49 30 1234567", "salesperson": SALES_EN},
]
PRODUCTS = [
    {
        "code": "P-M8",
        "name": "不锈钢螺栓 M8×40",
        "unit": "个",
        "list_price": "1.20",
        "lot_tracked": "是",
        "shelf_life_days": 720,
    },
    {
        "code": "P-W10",
        "name": "平垫圈 10",
        "unit": "个",
        "list_price": "0.15",
        "lot_tracked": "否",
        "fractional": "是",  # sold by weight-count too: quantities like 300.5 are allowed
    },
]
WAREHOUSES = [{"code": "WH-A", "name": "上海一号仓"}, {"code": "WH-B", "name": "苏州二号仓"}]
OPENING = [
    {
        "warehouse": "WH-A",
        "product_code": "P-M8",
        "lot": "L2026-007",
        "quantity": 120,
        "production_date": "2026-03-01",
        "expiry_date": "2027-03-01",
    },
    {
        "warehouse": "WH-A",
        "product_code": "P-M8",
        "lot": "L2026-019",
        "quantity": 35,
        "production_date": "2026-05-10",
        "expiry_date": "2027-05-10",
    },
    {
        "warehouse": "WH-B",
        "product_code": "P-M8",
        "lot": "L2026-031",
        "quantity": 200,
        "production_date": "2026-07-01",
        "expiry_date": "2028-07-01",
    },
    {"warehouse": "WH-A", "product_code": "P-W10", "quantity": 1000},
    {"warehouse": "WH-B", "product_code": "P-W10", "quantity": 500},
]

Send = Callable[..., Outcome]


@pytest.fixture
def firm(request: pytest.FixtureRequest, tmp_path: Path) -> firm_folder.FirmFolder:
    """An empty firm folder made by ``silu init``, with the example roster; in a test marked
    ``seeded``, a copy of the firm with the masters already recorded (``seeded_firm``)."""
    if request.node.get_closest_marker("seeded"):
        return request.getfixturevalue("seeded_firm")
    return firm_folder.init(tmp_path / "firm")


@pytest.fixture
def gw(firm: firm_folder.FirmFolder):
    gateway = Gateway.open(firm)
    yield gateway
    gateway.ledger.close()


@pytest.fixture
def send(gw: Gateway) -> Send:
    """Fill a real form and ingest it: ``send("quote", {...}, [{...}], sender=SALES)``."""

    def _send(
        kind: str,
        header: Mapping[str, Any] | None = None,
        lines: Sequence[Mapping[str, Any]] = (),
        sender: str = SALES,
        filename: str | None = None,
    ) -> Outcome:
        data = fill_form(kind, header, lines)
        return ingest(gw, data, filename or f"{kind}.xlsx", sender)

    return _send


def record_masters(gw: Gateway) -> None:
    """Customers, products, warehouses and opening stock recorded the way an admin would:
    their workbooks ingested through the real pipeline."""
    for kind, header, lines in (
        ("customers", {}, CUSTOMERS),
        ("products", {}, PRODUCTS),
        ("warehouses", {}, WAREHOUSES),
        ("opening_stock", {"as_of": "2026-11-01"}, OPENING),
    ):
        outcome = ingest(gw, fill_form(kind, header, lines), f"{kind}.xlsx", ADMIN)
        assert outcome.accepted, outcome.as_dict("en")


@pytest.fixture
def masters(request: pytest.FixtureRequest, gw: Gateway) -> None:
    """The masters (``record_masters``), already there in a test marked ``seeded``."""
    if not request.node.get_closest_marker("seeded"):
        record_masters(gw)


def codes(outcome: Outcome) -> list[tuple[str | None, str]]:
    """The compact form of a refusal: ``[(cell, code), …]``."""
    return [p.flat() for p in outcome.problems]


# --- appended (pre-sales/reply/CLI tests): the masters recorded once per session ----------------
@pytest.fixture(scope="session")
def seeded_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A firm folder holding what ``masters`` sends, recorded once per session through the real
    pipeline. Tests copy it (``seeded_firm``) instead of re-sending four workbooks each time."""
    root = tmp_path_factory.mktemp("seeded") / "firm"
    gateway = Gateway.open(firm_folder.init(root))
    record_masters(gateway)
    gateway.ledger.close()
    return root


@pytest.fixture
def seeded_firm(seeded_folder: Path, tmp_path: Path) -> firm_folder.FirmFolder:
    """A private copy of the seeded firm folder: masters in place, nothing else recorded."""
    import shutil

    shutil.copytree(seeded_folder, tmp_path / "firm")
    return firm_folder.open_firm(tmp_path / "firm")
