"""What the panel's payment pages share: the site's formats (money in its locale, times in its zone), the words
for states and problems, and the backend's error details in words the catalogs know."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from backend.organisation import service as organisation
from backend.panel.routes import language_of
from shared.enums import PaymentMethod, PaymentProblem, PaymentRequestState, PaymentState
from shared.i18n import N_, translate
from shared.money import format_money
from shared.receipt import CARD_BRANDS, rate_text

STATE_LABELS = {
    PaymentState.CREATED: N_("Starting"), PaymentState.WAITING: N_("Waiting for the card or phone"),
    PaymentState.SUCCEEDED: N_("Paid"), PaymentState.FAILED: N_("Failed"), PaymentState.CANCELLED: N_("Cancelled"),
    PaymentState.TIMED_OUT: N_("Timed out"), PaymentState.EXPIRED: N_("Expired"),
}
METHOD_LABELS = {PaymentMethod.CARD_PRESENT: N_("Card at the kiosk"), PaymentMethod.CHECKOUT: N_("Phone (QR code)")}
PROBLEM_LABELS = {
    PaymentProblem.DECLINED: N_("Card declined"), PaymentProblem.INSUFFICIENT_FUNDS: N_("Insufficient funds"),
    PaymentProblem.EXPIRED_CARD: N_("Expired card"), PaymentProblem.LOST_OR_STOLEN: N_("Card reported lost or stolen"),
    PaymentProblem.INCORRECT_CODE: N_("Wrong PIN or security code"),
    PaymentProblem.PROCESSING_ERROR: N_("Processing error at the bank"),
    PaymentProblem.READER_UNAVAILABLE: N_("The card reader was not available"),
    PaymentProblem.TIMED_OUT: N_("No card was presented in time"), PaymentProblem.CANCELLED: N_("Cancelled"),
    PaymentProblem.EXPIRED: N_("The QR code expired"),
}
REQUEST_STATE_LABELS = {PaymentRequestState.OPEN: N_("Waiting for payment"), PaymentRequestState.PAID: N_("Paid"),
                        PaymentRequestState.CANCELLED: N_("Cancelled")}
REFUND_STATE_LABELS = {"pending": N_("Pending"), "succeeded": N_("Refunded"), "failed": N_("Refused")}
# The services' problem details (English) that a person may meet on these pages: marked here so the catalogs
# carry them, and shown translated when they come up.
KNOWN_DETAILS = (
    N_("Only a payment that went through can be refunded."),
    N_("This payment has no receipt: it did not go through."),
    N_("This payment was not taken at a kiosk; download the receipt instead."),
    N_("Email is not set up on this server (ACCUEIL_SMTP_HOST)."),
    N_("The mail server did not accept the message; try again later."),
    N_("No payment has this id."),
    N_("No payment request has this id."),
    N_("This site takes no payments: no Stripe key is configured (ACCUEIL_STRIPE_SECRET_KEY)."),
    N_("Set up the site before asking for payments."),
    N_("This request is paid; only an open one can be cancelled."),
    N_("This request is cancelled; only an open one can be cancelled."),
)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class SiteFormats:
    """Formats a page's amounts and times the way the site writes them."""

    name: str
    locale: str
    currency: str
    zone: ZoneInfo
    language: str

    def money(self, amount: int) -> str:
        return format_money(amount, self.currency, self.locale)

    def rate(self, rate_ppm: int) -> str:
        return rate_text(rate_ppm, self.locale)

    def local(self, moment: dt.datetime | None, seconds: bool = False) -> str:
        if moment is None:
            return ""
        return _aware(moment).astimezone(self.zone).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    def say(self, message: str, **values: object) -> str:
        """A catalog message in the page's language, its {placeholders} filled."""
        return translate(self.language, message).format(**values) if values else translate(self.language, message)

    def detail(self, text: str) -> str:
        """A service's problem detail, translated when the catalogs know it."""
        return translate(self.language, text) if text in KNOWN_DETAILS else text


async def site_formats(session: AsyncSession, request: web.Request) -> SiteFormats:
    site = await organisation.site(session, await organisation.only_site_id(session))
    return SiteFormats(name=site.name, locale=site.locale, currency=site.currency, zone=ZoneInfo(site.time_zone),
                       language=language_of(request))


def card_text(brand: str, last4: str) -> str:
    """"Visa •••• 4242", as the receipt writes it; "" when no card is known."""
    name = CARD_BRANDS.get(brand.lower(), brand) if brand else ""
    return f"{name} •••• {last4}".strip() if last4 else name


def labels() -> dict:
    """The words every payment page may need, for its template."""
    return {"state_labels": STATE_LABELS, "method_labels": METHOD_LABELS, "problem_labels": PROBLEM_LABELS,
            "request_state_labels": REQUEST_STATE_LABELS, "refund_state_labels": REFUND_STATE_LABELS,
            "card_text": card_text}
