"""Where the committed templates and example roster are, in a checkout or an installed wheel.

The wheel carries them under ``silu_sheets/_data/`` (pyproject force-include); a checkout or
an editable install reads the top-level folders directly.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """``templates`` or ``inbox_rules``."""
    bundled = PACKAGE / "_data" / name
    if bundled.exists():
        return bundled
    return PACKAGE.parent / name
