"""The JSON bodies of the HTTP API and its live channels; the OpenAPI document is generated from them."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import (
    FieldKind, Language, PaymentMethod, PaymentProblem, PaymentRequestState, PaymentState, PrintProblem, Role,
    VisitState,
)


class Request(BaseModel):
    """Incoming bodies: strict types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- errors (RFC 9457) -------------------------------------------------------------------------

class FieldProblem(Response):
    field: str = Field(description="Dotted path of the offending field, e.g. custom_fields.email.")
    code: str = Field(description="Stable machine code, e.g. required, email_invalid.")
    detail: str


class Problem(Response):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] = []


# --- kiosk configuration -----------------------------------------------------------------------

class LocalizedText(Response):
    fr: str
    en: str


class SiteOut(Response):
    id: int
    name: str
    address: str
    phone: str
    time_zone: str
    locale: str
    country: str
    currency: str


class DepartmentOut(Response):
    id: int
    name: LocalizedText


class StaffDirectoryEntry(Response):
    """A person visitors may ask for by name."""

    id: int
    display_name: str
    department_ids: list[int]


class ChoiceOut(Response):
    value: str
    label: LocalizedText


class VisitorFieldOut(Response):
    key: str
    kind: FieldKind
    required: bool
    label: LocalizedText
    choices: list[ChoiceOut] = []


class VisitorTypeOut(Response):
    id: int
    key: str
    name: LocalizedText
    fields: list[VisitorFieldOut]


class KioskOut(Response):
    id: int
    name: str


class FeeOut(Response):
    """A fee a visitor may pay at the kiosk without a request from staff (a copy of a record, parking)."""

    id: int
    name: LocalizedText
    unit_amount: int = Field(description="Minor units of the site's currency, before tax.")
    taxable: bool
    max_quantity: int


class KioskPayments(Response):
    """What the kiosk may offer for paying; absent when the site takes no payments."""

    card: bool = Field(description="A card reader is registered to this kiosk.")
    phone: bool = Field(description="Paying on one's phone by QR code.")
    test_mode: bool = Field(description="Stripe test mode: the kiosk may simulate a card on its reader.")
    fees: list[FeeOut] = []


class KioskConfig(Response):
    kiosk: KioskOut
    site: SiteOut
    departments: list[DepartmentOut]
    staff: list[StaffDirectoryEntry]
    visitor_types: list[VisitorTypeOut]
    payments: KioskPayments | None = None


class PairRequest(Request):
    code: str = Field(min_length=1, max_length=20, description="The pairing code, spaces allowed.")


class PairOut(Response):
    token: str
    kiosk: KioskOut


# --- visits ------------------------------------------------------------------------------------

class CheckInRequest(Request):
    visitor_name: str = Field(min_length=1, max_length=200)
    visitor_phone: str | None = Field(default=None, max_length=40)
    visitor_email: str | None = Field(default=None, max_length=254)
    visitor_type_id: int
    department_id: int
    host_id: int | None = None
    # Checked per field kind by shared.fields, which gives each field a message of its own.
    custom_fields: dict[str, Any] = Field(
        default_factory=dict, max_length=50,
        description="Values by field key: true/false for yes_no, text for the other kinds (dates as YYYY-MM-DD).")
    language: Language = Language.FR
    client_token: str | None = Field(
        default=None, max_length=200,
        description="From POST /api/kiosk/clients/identify: links the visit to that client record. A token this "
                    "kiosk got within the last 24 hours links; an older genuine one links nothing (the check-in "
                    "still succeeds); an unknown or forged one is refused on this field.")


class TransitionOut(Response):
    from_state: VisitState | None
    to_state: VisitState
    at: dt.datetime
    by_staff_id: int | None
    by_kiosk_id: int | None


class VisitOut(Response):
    id: int
    code: str = Field(description="Short code printed on the visitor's pass, used to check out.")
    state: VisitState
    visitor_name: str
    visitor_phone: str | None
    visitor_email: str | None
    visitor_type_id: int
    department_id: int
    host_id: int | None
    custom_fields: dict[str, str | bool]
    language: Language
    kiosk_id: int | None
    checked_in_at: dt.datetime
    transitions: list[TransitionOut]


class VisitList(Response):
    items: list[VisitOut]


class TransitionRequest(Request):
    to: VisitState


class CodeCheckOutRequest(Request):
    code: str = Field(min_length=1, max_length=12, description="The code on the visitor's pass or receipt.")


class KioskVisitMatch(Response):
    """An open visit found by name at the kiosk; only enough to recognise oneself."""

    id: int
    display_name: str = Field(description="First name and initial, e.g. 'Hélène C.'.")
    department_id: int
    checked_in_at: dt.datetime


class KioskVisitMatches(Response):
    items: list[KioskVisitMatch]


# --- payments ----------------------------------------------------------------------------------

class PaymentLineIn(Request):
    description: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=1000)
    unit_amount: int = Field(ge=1, le=100_000_000, description="Minor units of the site's currency, before tax.")
    taxable: bool = True


class PaymentRequestIn(Request):
    """Staff ask a visitor to pay: for a visit, or for a named person."""

    visit_id: int | None = None
    payer_name: str = Field(default="", max_length=200)
    language: Language = Language.FR
    lines: list[PaymentLineIn] = Field(min_length=1, max_length=50)


class FeeRequestIn(Request):
    """A visitor picks a listed fee at the kiosk."""

    fee_id: int
    quantity: int = Field(default=1, ge=1, le=100)
    visit_id: int | None = None
    language: Language = Language.FR


class PaymentLookupIn(Request):
    code: str = Field(min_length=1, max_length=20, description="The payment code staff gave, or the visit's pass "
                                                                "code.")


class PaymentLineOut(Response):
    description: str
    quantity: int
    unit_amount: int
    taxable: bool
    amount: int


class PaymentTaxOut(Response):
    name: str
    rate_ppm: int = Field(description="Parts per million: 5 % is 50000, 9.975 % is 99750.")
    registration: str
    amount: int


class PaymentRequestOut(Response):
    id: int
    code: str = Field(description="What the visitor types at the kiosk's Pay screen.")
    state: PaymentRequestState
    visit_id: int | None
    payer_name: str
    language: Language
    currency: str
    lines: list[PaymentLineOut]
    subtotal: int
    taxes: list[PaymentTaxOut]
    total: int
    created_at: dt.datetime


class PaymentRequestList(Response):
    items: list[PaymentRequestOut]


class PaymentOut(Response):
    """One attempt to pay a request; SUCCEEDED means the money was taken."""

    id: int
    request_id: int
    method: PaymentMethod
    state: PaymentState
    amount: int
    currency: str
    problem: PaymentProblem | None = Field(description="Why it did not go through, when it did not.")
    problem_detail: str = Field(description="Stripe's own words, for staff.")
    checkout_url: str | None = Field(description="For a QR code: the page where the phone pays.")
    expires_at: dt.datetime | None = Field(description="When the reader or the QR code stops waiting.")
    card_brand: str
    card_last4: str
    refunded: int
    receipt_number: str | None
    receipt_url: str | None
    created_at: dt.datetime
    settled_at: dt.datetime | None


class PaymentRow(PaymentOut):
    request_code: str
    payer_name: str


class DayTotal(Response):
    day: dt.date = Field(description="In the site's time zone.")
    count: int
    amount: int = Field(description="Taken that day, minor units.")
    refunded: int = Field(description="Refunded on those payments so far, minor units.")


class PaymentList(Response):
    items: list[PaymentRow]
    days: list[DayTotal]
    currency: str


class PaymentEvent(Response):
    """Pushed on /api/kiosk/ws to the kiosk taking the payment, and on /api/ws to staff."""

    type: Literal["payment.updated"]
    payment: PaymentOut


class TestCardIn(Request):
    """Test mode only: tap a test card on the kiosk's simulated reader."""

    outcome: Literal["approved", "declined", "insufficient_funds", "expired_card"] = "approved"


class PrintOutcomeIn(Request):
    printed: bool
    problem: PrintProblem | None = None


class RefundIn(Request):
    amount: int = Field(ge=1, le=100_000_000, description="Minor units; at most what remains unrefunded.")
    reason: str = Field(min_length=3, max_length=500)


class RefundOut(Response):
    id: int
    payment_id: int
    amount: int
    reason: str
    state: Literal["pending", "succeeded", "failed"]
    by_staff_id: int | None
    created_at: dt.datetime


class ReceiptEmailIn(Request):
    email: str = Field(min_length=3, max_length=254)


# --- staff sign-in -----------------------------------------------------------------------------

class TokenRequest(Request):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class TokenOut(Response):
    token: str
    expires_at: dt.datetime | None
    staff_id: int
    roles: list[Role]


# --- live channels -----------------------------------------------------------------------------

class VisitEvent(Response):
    """Pushed on /api/ws (staff) and /api/kiosk/ws (the kiosk that made the visit)."""

    type: Literal["visit.checked_in", "visit.updated", "visit.escalated"]
    visit: VisitOut


class Health(Response):
    status: Literal["ok"]
