"""A receipt from a Québec site."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.receipt import Receipt, tax_amounts

URL = "https://accueil.example.ca/r/R-2026-000123?sig=Q2hlY2sgdGhlIHNpZ25hdHVyZQ"


def make_receipt(**changes: Any) -> Receipt:
    """Two lines, TPS and TVQ on a 50,00 $ subtotal: 57,49 $ paid by Visa, issued 15 January 2026, 12:30 in Toronto."""
    subtotal = changes.pop("subtotal", 5000)
    taxes = tax_amounts(subtotal, [("TPS", 50_000, "123456789 RT0001"), ("TVQ", 99_750, "1234567890 TQ0001")])
    fields: dict[str, Any] = dict(
        number="R-2026-000123",
        language="fr",
        site_name="Centre de services Côte-des-Neiges",
        site_address="5700, chemin de la Côte-des-Neiges\nMontréal (Québec) H3T 2A8",
        site_phone="514 555-0199",
        locale="fr_CA",
        time_zone="America/Toronto",
        currency="CAD",
        issued_at=datetime(2026, 1, 15, 17, 30, tzinfo=UTC),
        payer_name="Hélène Côté",
        lines=[
            {"description": "Commissaire à l’assermentation", "quantity": 1, "unit_amount": 3500, "amount": 3500},
            {"description": "Photocopies", "quantity": 30, "unit_amount": 50, "amount": 1500},
        ],
        subtotal=subtotal,
        taxes=taxes,
        total=subtotal + sum(tax.amount for tax in taxes),
        payment={"method": "card_present", "brand": "visa", "last4": "4242", "amount": 5749},
        url=URL,
    )
    fields.update(changes)
    return Receipt.model_validate(fields)


@pytest.fixture
def receipt() -> Receipt:
    return make_receipt()
