"""Reading amounts and rates as staff type them ("12,50", "12.50", "1 234,50 $", "9,975 %") into exact integers.

Decimal all the way: a float would turn 0,10 $ + 0,20 $ into 0,30000000000000004 $ somewhere.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from babel.numbers import get_decimal_symbol

from shared.i18n import N_
from shared.money import minor_units, to_decimal

NOT_A_NUMBER = N_("Type an amount like 12,50 or 12.50.")
TOO_MANY_DECIMALS = N_("Use at most {decimals} decimals.")


class NotAnAmount(ValueError):
    """What was typed is not an amount; `message` is a catalog msgid, `values` fill its placeholders."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message, self.values = message, values


def _number(text: str) -> Decimal:
    """The number in `text`: spaces and currency or percent signs ignored, "," or "." as the decimal mark; when
    both appear, the last one is the decimal mark and the other groups thousands."""
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("Z") and c not in "$€£%")
    if kept.startswith("+"):
        kept = kept[1:]
    marks = [c for c in kept if c in ",."]
    if len(set(marks)) == 2:
        decimal_mark = kept[max(kept.rfind(","), kept.rfind("."))]
        whole, _, fraction = kept.rpartition(decimal_mark)
        group_mark = "," if decimal_mark == "." else "."
        groups = whole.split(group_mark)
        grouped = groups[0].isdigit() and len(groups[0]) <= 3 and all(g.isdigit() and len(g) == 3 for g in groups[1:])
        whole = "".join(groups) if grouped else "x"
        kept = f"{whole}.{fraction}"
    elif len(marks) > 1:  # "1.234.567": the mark groups thousands
        parts = kept.split(marks[0])
        kept = "".join(parts) if all(p.isdigit() and len(p) == 3 for p in parts[1:]) and parts[0].isdigit() else "x"
    else:
        kept = kept.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", kept):
        raise NotAnAmount(NOT_A_NUMBER)
    try:
        return Decimal(kept)
    except InvalidOperation:
        raise NotAnAmount(NOT_A_NUMBER) from None


def parse_money(text: str, currency: str) -> int:
    """Minor units of `currency` from what was typed: "12,50" CAD is 1250. Never negative."""
    value = _number(text)
    decimals = minor_units(currency)
    if -value.as_tuple().exponent > decimals and value != value.quantize(Decimal(1).scaleb(-decimals)):
        raise NotAnAmount(TOO_MANY_DECIMALS, decimals=decimals)
    return int(value.scaleb(decimals))


def parse_rate_ppm(text: str) -> int:
    """A percentage as typed ("9,975", "9.975 %", "5") in parts per million: 99750, 50000."""
    value = _number(text)
    ppm = value.scaleb(4)  # 1 % is 10 000 ppm
    if ppm != ppm.to_integral_value():
        raise NotAnAmount(TOO_MANY_DECIMALS, decimals=4)
    return int(ppm)


def money_field(amount: int, currency: str, locale: str) -> str:
    """An amount as it is typed back into a field: "57,49" in fr_CA, "57.49" in en_CA (no symbol, no grouping)."""
    return str(to_decimal(amount, currency)).replace(".", get_decimal_symbol(locale))


def rate_field(rate_ppm: int, locale: str) -> str:
    """A rate in ppm as typed into a field: "9,975" in fr_CA."""
    return format(Decimal(rate_ppm).scaleb(-4).normalize(), "f").replace(".", get_decimal_symbol(locale))
