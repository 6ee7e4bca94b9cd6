"""Money formatting, tax rounding, and what a receipt says in each language and time zone."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from shared.money import format_money, minor_units
from shared.receipt import display_locale, present, tax_amounts
from tests.receipts.conftest import make_receipt

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("amount", "currency", "locale", "expected"), [
    (5749, "CAD", "fr_CA", f"57,49{NBSP}$"),
    (5749, "CAD", "en_CA", "$57.49"),
    (123456789, "CAD", "fr_CA", f"1{NBSP}234{NBSP}567,89{NBSP}$"),
    (123456789, "CAD", "en_CA", "$1,234,567.89"),
    (-1250, "CAD", "fr_CA", f"-12,50{NBSP}$"),
    (5, "CAD", "en_CA", "$0.05"),
    (5749, "JPY", "ja_JP", "￥5,749"),  # no minor unit: 5749 yen, not 57,49
    (5749, "JPY", "en_CA", "JP¥5,749"),
    (123456, "EUR", "fr_FR", f"1{NNBSP}234,56{NBSP}€"),
    (5749, "EUR", "en_CA", "€57.49"),
    (1234, "BHD", "en_CA", "BHD1.234"),  # three decimals
])
def test_format_money(amount: int, currency: str, locale: str, expected: str):
    assert format_money(amount, currency, locale) == expected


def test_minor_units_is_the_currency_precision():
    assert (minor_units("CAD"), minor_units("JPY"), minor_units("bhd"), minor_units("EUR")) == (2, 0, 3, 2)


@pytest.mark.parametrize("amount", [57.49, 57.0, "5749", True])
def test_money_is_never_a_float(amount):
    with pytest.raises(TypeError, match="integers of minor units"):
        format_money(amount, "CAD", "fr_CA")


def test_a_large_amount_stays_exact():
    # 2**60 minor units: a float would already be off by several cents.
    assert format_money(2**60, "CAD", "en_CA") == "$11,529,215,046,068,469.76"


@pytest.mark.parametrize(("subtotal", "rate_ppm", "expected"), [
    (1005, 99_750, 100),  # 100.248… -> 100
    (1005, 50_000, 50),  # 50.25 -> 50
    (10, 50_000, 1),  # exactly half a cent -> up
    (9, 50_000, 0),  # 0.45 -> 0
    (5000, 99_750, 499),  # 498.75 -> 499
    (2005, 99_750, 200),  # 199.99875 -> 200
    (-10, 50_000, -1),  # a credit rounds half away from zero, mirroring the sale
    (0, 99_750, 0),
])
def test_tax_rounds_half_up_to_the_minor_unit(subtotal: int, rate_ppm: int, expected: int):
    [tax] = tax_amounts(subtotal, [("TVQ", rate_ppm, "")])
    assert tax.amount == expected and isinstance(tax.amount, int)


def test_quebec_taxes_are_both_on_the_subtotal():
    gst, qst = tax_amounts(5000, [("TPS", 50_000, "123456789 RT0001"), ("TVQ", 99_750, "1234567890 TQ0001")])
    assert (gst.name, gst.rate_ppm, gst.registration, gst.amount) == ("TPS", 50_000, "123456789 RT0001", 250)
    assert (qst.name, qst.amount) == ("TVQ", 499)  # 9.975 % of 50,00 $, not of 52,50 $ (which would be 524)
    assert 5000 + gst.amount + qst.amount == 5749


@pytest.mark.parametrize(("issued_at", "shown"), [
    (datetime(2026, 1, 15, 17, 30, tzinfo=UTC), "15 janvier 2026, 12 h 30"),  # EST, UTC-5
    (datetime(2026, 7, 15, 17, 30, tzinfo=UTC), "15 juillet 2026, 13 h 30"),  # EDT, UTC-4
    (datetime(2026, 3, 8, 6, 59, tzinfo=UTC), "8 mars 2026, 01 h 59"),  # the minute before the clocks go forward
    (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "8 mars 2026, 03 h 00"),  # ... and the minute they have
    (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "1 novembre 2026, 01 h 30"),  # first 1:30 of the night (EDT)
    (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "1 novembre 2026, 01 h 30"),  # the second one (EST)
    (datetime(2026, 1, 16, 3, 30, tzinfo=UTC), "15 janvier 2026, 22 h 30"),  # still the 15th in Toronto
])
def test_the_time_is_shown_in_the_sites_zone(issued_at: datetime, shown: str):
    assert present(make_receipt(issued_at=issued_at)).issued == shown


def test_the_same_instant_in_another_site_zone():
    view = present(make_receipt(time_zone="America/Vancouver", issued_at=datetime(2026, 7, 15, 17, 30, tzinfo=UTC)))
    assert view.issued == "15 juillet 2026, 10 h 30"


def test_french_receipt_view():
    view = present(make_receipt(refunded=1500))
    assert (view.title, view.number, view.payer) == ("Reçu", "N° R-2026-000123", "Client : Hélène Côté")
    assert view.subtotal.label == "Sous-total" and view.subtotal.amount == f"50,00{NBSP}$"
    assert [(t.label, t.amount, t.note) for t in view.taxes] == [
        (f"TPS 5{NBSP}%", f"2,50{NBSP}$", "N° d’inscription 123456789 RT0001"),
        (f"TVQ 9,975{NBSP}%", f"4,99{NBSP}$", "N° d’inscription 1234567890 TQ0001"),
    ]
    assert (view.total.label, view.total.amount) == ("Total", f"57,49{NBSP}$")
    assert view.payment.label == "Payé par Visa •••• 4242"
    assert view.refunded is not None and (view.refunded.label, view.refunded.amount) == ("Remboursé", f"15,00{NBSP}$")
    assert view.lines[1].detail == f"30 × 0,50{NBSP}$" and view.lines[0].detail == ""
    assert view.columns == ("Description", "Qté", "Prix unitaire", "Montant")
    assert view.scan_hint == "Balayez pour obtenir votre copie numérique"
    assert view.site_address_lines == ("5700, chemin de la Côte-des-Neiges", "Montréal (Québec) H3T 2A8")


def test_english_receipt_view():
    view = present(make_receipt(language="en", locale="en_CA"))
    assert (view.title, view.number, view.payer) == ("Receipt", "No. R-2026-000123", "Customer: Hélène Côté")
    assert (view.subtotal.label, view.subtotal.amount) == ("Subtotal", "$50.00")
    assert [t.label for t in view.taxes] == ["TPS 5%", "TVQ 9.975%"]
    assert view.taxes[0].note == "Reg. no. 123456789 RT0001"
    assert (view.total.label, view.total.amount) == ("Total", "$57.49")
    assert view.payment.label == "Paid by Visa •••• 4242"
    assert view.refunded is None
    assert view.issued == f"January 15, 2026, 12:30{NNBSP}p.m."
    assert view.columns == ("Description", "Qty", "Unit price", "Amount")
    assert view.scan_hint == "Scan for your digital copy"
    assert view.document_title == "Receipt R-2026-000123"


@pytest.mark.parametrize(("payment", "french", "english"), [
    ({"method": "card_present", "brand": "mastercard", "last4": "5454"}, "Payé par Mastercard •••• 5454",
     "Paid by Mastercard •••• 5454"),
    ({"method": "card_present", "brand": "amex", "last4": "0005"}, "Payé par American Express •••• 0005",
     "Paid by American Express •••• 0005"),
    ({"method": "card_present", "brand": "interac", "last4": ""}, "Payé par Interac", "Paid by Interac"),
    ({"method": "card_present"}, "Payé par carte", "Paid by card"),
    ({"method": "checkout"}, "Payé en ligne", "Paid online"),
])
def test_how_it_was_paid(payment: dict, french: str, english: str):
    payment = {**payment, "amount": 5749}
    assert present(make_receipt(payment=payment)).payment.label == french
    assert present(make_receipt(payment=payment, language="en", locale="en_CA")).payment.label == english


def test_a_printer_without_bullets_gets_stars():
    assert present(make_receipt(), mask="*").payment.label == "Payé par Visa **** 4242"


def test_an_english_receipt_from_a_french_canadian_site_has_english_dates():
    receipt = make_receipt(language="en", locale="fr_CA")
    assert display_locale(receipt) == "en_CA"
    assert present(receipt).issued.startswith("January 15, 2026")
    assert display_locale(make_receipt(language="fr", locale="fr_CA")) == "fr_CA"


def test_issued_at_must_be_aware_and_is_kept_in_utc():
    with pytest.raises(ValidationError):
        make_receipt(issued_at=datetime(2026, 1, 15, 12, 30))
    montreal = timezone(timedelta(hours=-5))
    receipt = make_receipt(issued_at=datetime(2026, 1, 15, 12, 30, tzinfo=montreal))
    assert receipt.issued_at == datetime(2026, 1, 15, 17, 30, tzinfo=UTC) and receipt.issued_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("field", "value"), [("time_zone", "Mars/Olympus_Mons"), ("currency", "cad"),
                                              ("locale", "xx_YY"), ("language", "de")])
def test_a_receipt_with_an_impossible_setting_is_refused(field: str, value: str):
    with pytest.raises(ValidationError):
        make_receipt(**{field: value})


def test_a_receipt_survives_json():
    receipt = make_receipt(refunded=100)
    assert type(receipt).model_validate_json(receipt.model_dump_json()) == receipt
