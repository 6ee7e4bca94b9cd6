"""Money: an integer of minor units plus an ISO 4217 currency, formatted with Babel in a locale."""
from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def minor_units(currency: str) -> int:
    """How many decimals the currency has (CAD 2, JPY 0, BHD 3), from Babel's CLDR data."""
    return get_currency_precision(currency.upper())


def to_decimal(amount: int, currency: str) -> Decimal:
    """The exact major-unit value of `amount` minor units (5749 CAD -> Decimal('57.49'))."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        # A float here would already have lost cents somewhere upstream: refuse rather than round.
        raise TypeError(f"money amounts are integers of minor units, not {type(amount).__name__}")
    return Decimal(amount).scaleb(-minor_units(currency))


def format_money(amount: int, currency: str, locale: str) -> str:
    """`amount` minor units of `currency` as the locale writes it: 5749 CAD -> '57,49 $' (fr_CA), '$57.49' (en_CA)."""
    # Babel pads or rounds to the currency's own precision, which is exactly the scale of to_decimal's value.
    return format_currency(to_decimal(amount, currency), currency.upper(), locale=locale)
