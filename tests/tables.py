"""Reading the tables of an answer (``silu_sheets/answers.py``) as a test asserts them."""

from __future__ import annotations


def table_rows(blocks: list, caption: str) -> list[dict[str, str]]:
    """The rows of the table captioned ``caption``, each as {heading: cell}; fails if none."""
    found = [b for b in blocks if isinstance(b, dict) and b.get("caption") == caption]
    assert found, (
        f"no table {caption!r} in {[b.get('caption') for b in blocks if isinstance(b, dict)]}"
    )
    [table] = found
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
