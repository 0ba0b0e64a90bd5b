"""Money as people read it: in its currency's decimals, and in Chinese capitals (大写金额).

The ledger keeps exact decimals ("0.3", "970.5"); a person expects "0.30" and "970.50", and a
Chinese document states its total in capitals as well, the way the People's Bank's rules for
bills write it (人民币壹仟元零伍分), so that a figure cannot be altered unnoticed.
"""

# no `from __future__ import annotations`: typing would compile each NamedTuple field's
# annotation from its text on every silu call (README, Start-up)
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

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


def number_format(currency: str | None) -> str:
    """The spreadsheet format of an amount in ``currency``: "#,##0.00" (CNY), "#,##0" (JPY)."""
    decimals = places(currency)
    return "#,##0" + ("." + "0" * decimals if decimals else "")


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


class Money(NamedTuple):
    """An amount with its currency, as a problem or a reply carries it: a person reads it in
    the currency's decimals (``str``: "970.50"), JSON and the tests get the exact figure."""

    amount: Decimal
    currency: str | None = None

    def __str__(self) -> str:
        return money_text(self.amount, self.currency)

    @property
    def exact(self) -> str:
        """The figure as the ledger keeps it, for JSON: 970.5 → "970.5"."""
        return format(as_decimal(self.amount).normalize(), "f")


def rounded(value: Any, currency: str | None = None) -> Decimal:
    """An amount at its currency's decimals, half up (as an invoice total is written)."""
    return as_decimal(value).quantize(Decimal(1).scaleb(-places(currency)), ROUND_HALF_UP)


DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def capitals(value: Any) -> str:
    """The amount in Chinese capitals (大写金额), rounded to the fen: 0.30 → 叁角整, 1000.05 →
    壹仟元零伍分, 10010 → 壹万零壹拾元整, 3003000 → 叁佰万叁仟元整.

    The People's Bank's rules: a gap of zeros inside the figure is one 零; zeros that end a
    万 or 亿 group need none before the next group's 仟 (optional in the rules, left out as
    most firms do), but a whole empty group keeps its 零 (伍亿零叁仟…, never read as 伍亿叁仟万);
    整 after 元 or 角 when there are no fen, so that nothing can be appended to the figure.
    Checked against cn2an's RMB mode on 200,000 amounts: the same words but for that 零."""
    amount = rounded(value, "CNY")
    fen_total = int(abs(amount) * 100)
    whole, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    words, gap, group_has = "", False, False
    digits = str(whole)
    for i, ch in enumerate(digits):
        position = len(digits) - 1 - i
        if ch != "0":
            words += ("零" if gap else "") + DIGITS[int(ch)] + PLACES[position % 4]
            gap, group_has = False, True
        else:
            gap = True
        if position and position % 4 == 0 and group_has:
            words += GROUPS[position // 4]
            gap, group_has = False, False
    if whole:
        words += "元"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif fen and whole:
        words += "零"
    words += DIGITS[fen] + "分" if fen else ("整" if words else "零元整")
    return ("负" if amount < 0 else "") + words
