"""Documentation drawn from the declarations stays true (the sqlite-utils test_docs idea)."""

from pathlib import Path

from silu_sheets.describe import markdown
from silu_sheets.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent


def test_forms_doc_matches_declarations():
    committed = (ROOT / "docs" / "FORMS.md").read_text(encoding="utf-8")
    assert committed.strip() == markdown(list(KINDS.values())).strip(), (
        "docs/FORMS.md drifted: run `silu describe --markdown > docs/FORMS.md`"
    )


def test_every_kind_documented_in_forms_doc():
    committed = (ROOT / "docs" / "FORMS.md").read_text(encoding="utf-8")
    for key, kind in KINDS.items():
        assert f"`{key}`" in committed and kind.zh in committed
