"""Amounts in the smallest currency unit, as Stripe counts them, and how Stripe and the pay page write them."""
from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from backend.stripe_emulator.errors import invalid

# Stripe's zero-decimal currencies: `amount=500` in JPY is ¥500, not ¥5.00.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
# Stripe's minimum charge amounts for the currencies this product may meet, in minor units.
MINIMUM = {"usd": 50, "eur": 50, "cad": 50, "chf": 50, "aud": 50, "gbp": 30, "jpy": 50}
MAXIMUM = 99_999_999


def major(amount: int, currency: str) -> Decimal:
    return Decimal(amount) if currency in ZERO_DECIMAL else Decimal(amount) / 100


def format_amount(amount: int, currency: str, locale: str = "en_US") -> str:
    """`format_amount(1250, "eur")` → "€12.50"; with locale "fr_FR" → "12,50 €"."""
    return format_currency(major(amount, currency), currency.upper(), locale=locale)


def check_currency(currency: str, param: str = "currency") -> str:
    currency = currency.lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(f"Invalid currency: {currency}. Stripe currently supports these currencies: eur, usd, "
                      "cad, gbp, chf, … (see https://stripe.com/docs/currencies).", param=param)
    return currency


def check_amount(amount: int, currency: str, *, what: str = "Amount", param: str = "amount") -> None:
    """Stripe's limits on a charge: at least the currency's minimum, at most 99,999,999 minor units."""
    minimum = MINIMUM.get(currency, 1)
    if amount < minimum:
        raise invalid(f"{what} must be at least {format_amount(minimum, currency)} {currency}",
                      code="amount_too_small", param=param)
    if amount > MAXIMUM:
        raise invalid(f"{what} must be no more than {format_amount(MAXIMUM, currency)}",
                      code="amount_too_large", param=param)
