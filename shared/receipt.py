"""The receipt: one model for the backend and the kiosk, and one presentation that every renderer shares.

Renderers (the thermal printer, the PDF) only lay out a ReceiptView: what a receipt says, in which words and
formats, is decided here once, so a printed copy and its digital copy cannot disagree.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal, format_percent
from pydantic import AwareDatetime, BaseModel, Field, field_validator

from shared.enums import Language
from shared.i18n import N_, translate
from shared.money import format_money

PPM = 1_000_000  # tax rates are integers of parts per million: 9.975 % is 99750


class ReceiptLine(BaseModel):
    description: str
    quantity: int
    unit_amount: int
    amount: int


class ReceiptTax(BaseModel):
    name: str
    rate_ppm: int  # parts per million: 5 % = 50000, 9.975 % = 99750
    registration: str = ""  # the site's tax number for it, printed on the receipt
    amount: int


class ReceiptPayment(BaseModel):
    method: Literal["card_present", "checkout"]
    brand: str = ""
    last4: str = ""
    amount: int


class Receipt(BaseModel):
    number: str
    language: Language
    site_name: str
    site_address: str
    site_phone: str
    locale: str  # e.g. fr_CA, en_CA
    time_zone: str  # e.g. America/Toronto
    currency: str = Field(pattern=r"^[A-Z]{3}$")  # ISO 4217, e.g. CAD
    issued_at: AwareDatetime  # stored in UTC
    payer_name: str = ""
    lines: list[ReceiptLine]
    subtotal: int
    taxes: list[ReceiptTax]
    total: int
    payment: ReceiptPayment
    refunded: int = 0
    url: str  # the signed digital copy, what the QR code encodes

    @field_validator("issued_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # here rather than when the receipt is printed
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            Locale.parse(value)
        except (ValueError, UnknownLocaleError) as error:
            raise ValueError(f"unknown locale {value!r}") from error
        return value


def tax_amounts(taxable_subtotal: int, taxes: Sequence[tuple[str, int, str]]) -> list[ReceiptTax]:
    """Each (name, rate_ppm, registration) tax on the subtotal, rounded half-up to the minor unit.

    Every tax is computed on the subtotal, not on the subtotal plus the taxes before it: that is how Québec has
    charged the TVQ beside the TPS since 2013. A negative subtotal (a credit) rounds half away from zero.
    """
    result = []
    for name, rate_ppm, registration in taxes:
        quotient, remainder = divmod(abs(taxable_subtotal) * rate_ppm, PPM)
        amount = quotient + (1 if 2 * remainder >= PPM else 0)
        result.append(ReceiptTax(name=name, rate_ppm=rate_ppm, registration=registration,
                                 amount=-amount if taxable_subtotal < 0 else amount))
    return result


# --- presentation -------------------------------------------------------------------------------------------

RECEIPT = N_("Receipt")
DOCUMENT_TITLE = N_("Receipt {number}")
NUMBER = N_("No. {number}")
CUSTOMER = N_("Customer: {name}")
DESCRIPTION = N_("Description")
QUANTITY = N_("Qty")
UNIT_PRICE = N_("Unit price")
AMOUNT = N_("Amount")
SUBTOTAL = N_("Subtotal")
TOTAL = N_("Total")
REGISTRATION = N_("Reg. no. {number}")
PAID_BY = N_("Paid by {method}")
PAID_BY_CARD = N_("Paid by card")
PAID_ONLINE = N_("Paid online")
REFUNDED = N_("Refunded")
SCAN_HINT = N_("Scan for your digital copy")

# Stripe's card brand codes, as people know them.
CARD_BRANDS = {
    "amex": "American Express", "american_express": "American Express", "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club", "discover": "Discover", "eftpos_au": "eftpos", "interac": "Interac", "jcb": "JCB",
    "mastercard": "Mastercard", "unionpay": "UnionPay", "visa": "Visa",
}


@dataclass(frozen=True)
class Row:
    """A label with its amount; `note` is a smaller line under it (a tax registration number)."""

    label: str
    amount: str
    note: str = ""


@dataclass(frozen=True)
class LineView:
    description: str
    quantity: str
    unit_amount: str
    amount: str
    detail: str  # "30 × 0,50 $" when more than one was bought, else ""


@dataclass(frozen=True)
class ReceiptView:
    """Everything a receipt says, translated and formatted, ready to be laid out."""

    language: str
    document_title: str
    title: str
    number: str
    issued: str
    site_name: str
    site_address_lines: tuple[str, ...]
    site_phone: str
    payer: str
    columns: tuple[str, str, str, str]  # table headings: description, quantity, unit price, amount
    lines: tuple[LineView, ...]
    subtotal: Row
    taxes: tuple[Row, ...]
    total: Row
    payment: Row
    refunded: Row | None
    scan_hint: str
    url: str


def display_locale(receipt: Receipt) -> str:
    """The locale for dates and numbers: the receipt's language, in the site's country.

    An English receipt from a fr_CA site gets en_CA dates, not French ones.
    """
    site = Locale.parse(receipt.locale)
    if site.language == receipt.language:
        return receipt.locale
    candidate = f"{receipt.language}_{site.territory}" if site.territory else str(receipt.language)
    try:
        Locale.parse(candidate)
    except (ValueError, UnknownLocaleError):
        return str(receipt.language)
    return candidate


def issued_text(issued_at: datetime, time_zone: str, locale: str) -> str:
    """The date and time in the site's zone, as the locale writes them: '15 janvier 2026, 12 h 30'."""
    local = issued_at.astimezone(ZoneInfo(time_zone))
    # CLDR's glue pattern, "{1}, {0}" in French and English; its quotes mark literal text.
    glue = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    return glue.format(format_time(local, "short", locale=locale), format_date(local, "long", locale=locale))


def rate_text(rate_ppm: int, locale: str) -> str:
    """A tax rate as the locale writes a percentage, with all its decimals: '9,975 %' (fr_CA), '9.975%' (en_CA)."""
    return format_percent(Decimal(rate_ppm).scaleb(-6).normalize(), locale=locale, decimal_quantization=False)


def payment_text(payment: ReceiptPayment, language: str, mask: str = "•") -> str:
    """'Paid by Visa •••• 4242'; `mask` hides the digits, '*' for a printer without '•'."""
    brand = CARD_BRANDS.get(payment.brand.lower(), payment.brand.replace("_", " ").title()) if payment.brand else ""
    if brand:
        method = f"{brand} {mask * 4} {payment.last4}" if payment.last4 else brand
        return translate(language, PAID_BY).format(method=method)
    return translate(language, PAID_BY_CARD if payment.method == "card_present" else PAID_ONLINE)


def present(receipt: Receipt, *, mask: str = "•") -> ReceiptView:
    """The receipt in its language, amounts in its locale, time in its site's zone."""
    language = str(receipt.language)
    locale = display_locale(receipt)

    def t(message: str, **values: str) -> str:
        return translate(language, message).format(**values)

    def money(amount: int) -> str:
        return format_money(amount, receipt.currency, receipt.locale)

    lines = tuple(
        LineView(
            description=line.description,
            quantity=format_decimal(line.quantity, locale=locale),
            unit_amount=money(line.unit_amount),
            amount=money(line.amount),
            detail=(f"{format_decimal(line.quantity, locale=locale)} × {money(line.unit_amount)}"
                    if line.quantity != 1 else ""),
        )
        for line in receipt.lines
    )
    taxes = tuple(
        Row(label=f"{tax.name} {rate_text(tax.rate_ppm, locale)}", amount=money(tax.amount),
            note=t(REGISTRATION, number=tax.registration) if tax.registration else "")
        for tax in receipt.taxes
    )
    return ReceiptView(
        language=language,
        document_title=t(DOCUMENT_TITLE, number=receipt.number),
        title=t(RECEIPT),
        number=t(NUMBER, number=receipt.number),
        issued=issued_text(receipt.issued_at, receipt.time_zone, locale),
        site_name=receipt.site_name,
        site_address_lines=tuple(part.strip() for part in receipt.site_address.splitlines() if part.strip()),
        site_phone=receipt.site_phone,
        payer=t(CUSTOMER, name=receipt.payer_name) if receipt.payer_name else "",
        columns=(t(DESCRIPTION), t(QUANTITY), t(UNIT_PRICE), t(AMOUNT)),
        lines=lines,
        subtotal=Row(t(SUBTOTAL), money(receipt.subtotal)),
        taxes=taxes,
        total=Row(t(TOTAL), money(receipt.total)),
        payment=Row(payment_text(receipt.payment, language, mask), money(receipt.payment.amount)),
        refunded=Row(t(REFUNDED), money(receipt.refunded)) if receipt.refunded else None,
        scan_hint=t(SCAN_HINT),
        url=receipt.url,
    )
