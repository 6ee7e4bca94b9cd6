"""Stripe's documented test card numbers, and what a payment with each one does.

Other numbers behave as in Stripe's test mode: a number failing the Luhn check is `incorrect_number`, a valid
real-looking one is declined with `test_mode_live_card`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

DEFAULT_NUMBER = "4242424242424242"


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str | None
    message: str
    param: str | None = None


@dataclass(frozen=True)
class Card:
    number: str
    brand: str
    country: str = "US"
    funding: str = "credit"
    decline: Decline | None = None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]


_DECLINED = "Your card was declined."


def _declined(decline_code: str, message: str = _DECLINED) -> Decline:
    return Decline("card_declined", decline_code, message)


TEST_CARDS: dict[str, Card] = {card.number: card for card in (
    Card("4242424242424242", "visa"),
    Card("5555555555554444", "mastercard"),
    Card("378282246310005", "amex"),
    Card("4000001240000000", "visa", country="CA"),
    Card("4000000000000002", "visa", decline=_declined("generic_decline")),
    Card("4000000000009995", "visa", decline=_declined("insufficient_funds", "Your card has insufficient funds.")),
    Card("4000000000009987", "visa", decline=_declined("lost_card")),
    Card("4000000000009979", "visa", decline=_declined("stolen_card")),
    Card("4000000000000069", "visa",
             decline=Decline("expired_card", "expired_card", "Your card has expired.", "exp_month")),
    Card("4000000000000127", "visa",
             decline=Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc")),
    Card("4000000000000119", "visa",
             decline=Decline("processing_error", "processing_error",
                             "An error occurred while processing your card. Try again in a little bit.")),
)}

_INCORRECT_NUMBER = Decline("incorrect_number", None, "Your card number is incorrect.", "number")
_LIVE_CARD = Decline("card_declined", "test_mode_live_card",
                     "Your card was declined. Your request was in test mode, but used a non test card. "
                     "For a list of valid test cards, visit: https://stripe.com/docs/testing.")


def _luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(number)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    return "unknown"


def lookup(raw_number: str | None) -> Card:
    """The card for a number as typed (spaces and dashes allowed); None means Stripe's default test card."""
    number = "".join(char for char in (raw_number or DEFAULT_NUMBER) if char not in " -")
    if number in TEST_CARDS:
        return TEST_CARDS[number]
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_valid(number):
        return Card(number if number.isdigit() else "0000", "unknown", decline=_INCORRECT_NUMBER)
    return Card(number, _brand(number), decline=_LIVE_CARD)


def card_present_details(card: Card, exp_year: int, amount: int) -> dict[str, Any]:
    """`payment_method_details.card_present` of a charge made by tapping `card` on a simulated reader."""
    return {
        "amount_authorized": amount, "brand": card.brand, "brand_product": None, "cardholder_name": None,
        "country": card.country, "emv_auth_data": "8A023030", "exp_month": 12, "exp_year": exp_year,
        "fingerprint": card.fingerprint, "funding": card.funding, "generated_card": None,
        "incremental_authorization_supported": False, "last4": card.last4, "network": card.brand,
        "network_transaction_id": None, "offline": None, "overcapture_supported": False,
        "preferred_locales": ["fr", "en"], "read_method": "contactless_emv",
        "receipt": {"account_type": card.funding, "application_cryptogram": "EFC5F4F4D1C4BA9B",
                    "application_preferred_name": card.brand.capitalize(), "authorization_code": "123456",
                    "authorization_response_code": "3030", "cardholder_verification_method": "none",
                    "dedicated_file_name": "A0000000031010", "terminal_verification_results": "0000008000",
                    "transaction_status_information": "0000"},
        "wallet": {"type": None},
    }


def card_details(card: Card, exp_year: int) -> dict[str, Any]:
    """`payment_method_details.card` of a charge made by typing `card` on a (Checkout) payment page."""
    return {
        "brand": card.brand, "checks": {"address_line1_check": None, "address_postal_code_check": None,
                                        "cvc_check": "pass"},
        "country": card.country, "exp_month": 12, "exp_year": exp_year, "fingerprint": card.fingerprint,
        "funding": card.funding, "installments": None, "last4": card.last4, "mandate": None,
        "network": card.brand, "three_d_secure": None, "wallet": None,
    }
