"""A receipt from a Québec site, and the receipt messages' French until the catalogs carry them."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po, write_po

import shared.i18n as i18n
from shared.receipt import Receipt, tax_amounts

URL = "https://accueil.example.ca/r/R-2026-000123?sig=Q2hlY2sgdGhlIHNpZ25hdHVyZQ"

# The French the receipt messages should have (Québec usage). The real catalog wins as soon as it has a message:
# this only stands in for the messages it does not have yet, and tests/kiosk/test_translations.py still fails
# until they are all in assets/locale.
PENDING_FRENCH = {
    "Receipt": "Reçu",
    "Receipt {number}": "Reçu {number}",
    "No. {number}": "N° {number}",
    "Customer: {name}": "Client : {name}",
    "Description": "Description",
    "Qty": "Qté",
    "Unit price": "Prix unitaire",
    "Amount": "Montant",
    "Subtotal": "Sous-total",
    "Total": "Total",
    "Reg. no. {number}": "N° d’inscription {number}",
    "Paid by {method}": "Payé par {method}",
    "Paid by card": "Payé par carte",
    "Paid online": "Payé en ligne",
    "Refunded": "Remboursé",
    "Scan for your digital copy": "Balayez pour obtenir votre copie numérique",
}


@pytest.fixture(autouse=True)
def receipt_catalogs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    locale_dir = tmp_path_factory.mktemp("locale")
    for language in ("fr", "en"):
        with i18n.catalog_path(language).open("rb") as po:
            catalog = read_po(po, locale=language)
        for message, french in PENDING_FRENCH.items():
            known = catalog.get(message)
            if known is None or not known.string:
                catalog.add(message, french if language == "fr" else message)
        target = locale_dir / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
        target.parent.mkdir(parents=True)
        with target.open("wb") as po:
            write_po(po, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", Path(locale_dir))
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


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
