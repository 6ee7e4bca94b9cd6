"""The JSON bodies of the HTTP API and its live channels; the OpenAPI document is generated from them."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import FieldKind, Language, Role, VisitState


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


class KioskConfig(Response):
    kiosk: KioskOut
    site: SiteOut
    departments: list[DepartmentOut]
    staff: list[StaffDirectoryEntry]
    visitor_types: list[VisitorTypeOut]


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

    type: Literal["visit.checked_in", "visit.updated"]
    visit: VisitOut


class Health(Response):
    status: Literal["ok"]
