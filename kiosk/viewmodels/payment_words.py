"""What the payment screens say: messages kept as data (translated where shown), amounts in the visitor's language."""
from __future__ import annotations

from babel import Locale, UnknownLocaleError

from shared.api import PaymentRequestOut, Problem
from shared.enums import PaymentProblem
from shared.i18n import N_, translate
from shared.money import format_money
from shared.receipt import SUBTOTAL, TOTAL, rate_text

OFFLINE = N_("Paying needs the connection to the front office system, which cannot be reached right now. "
             "Please see the front desk.")
PAYMENTS_DOWN = N_("Payments are unavailable right now. Please try again in a moment or pay at the front desk.")
NOT_FOUND = N_("Nothing to pay was found with this code. Check the code, or see the front desk.")
ALREADY_PAID = N_("This has already been paid. Thank you!")
REFUSED = N_("This cannot be paid at the kiosk. Please see the front desk.")
# The backend's own words for what a visitor can meet; marked here so the catalogs translate them.
BACKEND_MESSAGES = frozenset({
    NOT_FOUND, ALREADY_PAID,
    N_("This payment request was cancelled. Please see the front desk."),
    N_("No card reader is set up for this kiosk; pay by phone or at the front desk."),
    N_("This payment request was cancelled."),
})

FAILURES: dict[str, str] = {
    PaymentProblem.DECLINED: N_("Your card was declined. Try another card or pay by phone."),
    PaymentProblem.INSUFFICIENT_FUNDS: N_("Your card was declined: insufficient funds. Try another card or pay by "
                                          "phone."),
    PaymentProblem.EXPIRED_CARD: N_("Your card has expired. Try another card or pay by phone."),
    PaymentProblem.LOST_OR_STOLEN: N_("Your card was declined. Please see the front desk."),
    PaymentProblem.INCORRECT_CODE: N_("The PIN or security code was incorrect. Try again."),
    PaymentProblem.PROCESSING_ERROR: N_("The card could not be processed. Try again in a moment."),
    PaymentProblem.READER_UNAVAILABLE: N_("The card reader is not available. Pay by phone or at the front desk."),
    PaymentProblem.TIMED_OUT: N_("No card was presented in time. Nothing was charged."),
    PaymentProblem.CANCELLED: N_("The payment was cancelled. Nothing was charged."),
    PaymentProblem.EXPIRED: N_("The QR code has expired. Nothing was charged."),
}
FAILED = N_("The payment did not go through. Nothing was charged.")

RECEIPT_NOTES: dict[str, str] = {
    "printing": N_("Your receipt is printing…"),
    "printed": N_("Please take your receipt from the printer."),
    "none": "",  # no printer: the receipt and its QR code beside say it all
    "offline": N_("The receipt printer is not answering, so your receipt could not be printed. Scan the code for "
                  "your digital copy. The front desk has been told."),
    "paper_out": N_("The receipt printer is out of paper, so your receipt could not be printed. Scan the code for "
                    "your digital copy. The front desk has been told."),
    "error": N_("Your receipt could not be printed. Scan the code for your digital copy. The front desk has been "
                "told."),
}


def refusal_message(problem: Problem) -> str:
    """The backend's words if the catalogs know them; otherwise a message of ours chosen by the status."""
    if problem.detail in BACKEND_MESSAGES:
        return problem.detail
    return {404: NOT_FOUND}.get(problem.status, ALREADY_PAID if "paid" in (problem.detail or "").lower()
                                else REFUSED)


def failure_message(problem: str | None) -> str:
    return FAILURES.get(problem or "", FAILED)


def display_locale(site_locale: str, language: str) -> str:
    """The visitor's language in the site's country: fr_CA or en_CA for a Québec site."""
    try:
        territory = Locale.parse(site_locale).territory
    except (ValueError, UnknownLocaleError):
        territory = None
    candidate = f"{language}_{territory}" if territory else language
    try:
        Locale.parse(candidate)
    except (ValueError, UnknownLocaleError):
        return language
    return candidate


def summary_rows(request: PaymentRequestOut, language: str, locale: str) -> list[tuple[str, str, str]]:
    """(label, amount, kind) for what is owed, in the visitor's language; kind is line, detail, subtotal, tax or
    total."""

    def money(amount: int) -> str:
        return format_money(amount, request.currency, locale)

    rows = []
    for line in request.lines:
        rows.append((line.description, money(line.amount), "line"))
        if line.quantity != 1:
            rows.append((f"{line.quantity} × {money(line.unit_amount)}", "", "detail"))
    if request.taxes:
        rows.append((translate(language, SUBTOTAL), money(request.subtotal), "subtotal"))
        rows += [(f"{tax.name} ({rate_text(tax.rate_ppm, locale)})", money(tax.amount), "tax")
                 for tax in request.taxes]
    rows.append((translate(language, TOTAL), money(request.total), "total"))
    return rows
