"""Money as people read it: in its currency's decimals, and in Chinese capitals (大写金额).

The ledger keeps exact decimals ("0.3", "970.5"); a person expects "0.30" and "970.50", and a
Chinese document states its total in capitals as well, the way the People's Bank's rules for
bills write it (人民币壹仟元零伍分), so that a figure cannot be altered unnoticed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: ISO 4217 minor units of the currencies that do not use two; every other has two.
MINOR_UNITS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "PYG": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "IQD": 3,
    "LYD": 3,
    "TND": 3,
}


def places(currency: str | None) -> int:
    """How many decimals ``currency`` is written with (CNY 2, JPY 0, KWD 3)."""
    return MINOR_UNITS.get((currency or "CNY").upper(), 2)


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def money_text(value: Any, currency: str | None = None, grouped: bool = True) -> str:
    """``value`` with at least its currency's decimals and never fewer digits than it has:
    0.3 → "0.30", 2 → "2.00", 1234.5 → "1,234.50", a unit price 1.2345 stays "1.2345"."""
    if value is None or value == "":
        return ""
    amount = as_decimal(value)
    shown = amount.normalize()
    exponent = shown.as_tuple().exponent
    decimals = max(places(currency), -exponent if isinstance(exponent, int) else 0)
    text = format(amount, f"{',' if grouped else ''}.{decimals}f")
    return "0" + text[2:] if text.startswith("-0") and not amount else text


def rounded(value: Any, currency: str | None = None) -> Decimal:
    """An amount at its currency's decimals, half up (as an invoice total is written)."""
    return as_decimal(value).quantize(Decimal(1).scaleb(-places(currency)), ROUND_HALF_UP)


def capitals(value: Any) -> str:
    """The amount in Chinese capitals (大写金额), rounded to the fen: 0.30 → 叁角整, 1000.05 →
    壹仟元零伍分, 10010 → 壹万零壹拾元整. Written by cn2an's RMB mode; the rules allow leaving out
    整 after 角, and we keep it there too, so that nothing can be appended to the figure."""
    import cn2an  # ~0.1 s to import: only documents that print an amount need it

    amount = rounded(value, "CNY")
    words = str(cn2an.an2cn(format(amount, "f"), "rmb"))
    return words + "整" if words.endswith("角") else words
