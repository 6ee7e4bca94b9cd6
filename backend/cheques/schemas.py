"""The staff API's bodies for payroll cheques (the kiosk's are in shared/api_cheques.py).

Amounts appear only in the `…WithAmount` variants, which are given to admins; everyone else gets JSON without the
field at all, so a receptionist's browser never holds a colleague's pay.
"""
from __future__ import annotations

import datetime as dt

from pydantic import Field, SerializeAsAny

from backend.cheques.states import ChequeStatus, ProofKind, RunState
from shared.api import Request, Response
from shared.api_cheques import PIN_PATTERN, SIGNATURE_MAX_BASE64

NOTE_MAX = 1000
# A scanned authorisation letter (PDF, PNG or JPEG), base64.
AUTHORISATION_MAX_BYTES = 2 * 1024 * 1024
AUTHORISATION_MAX_BASE64 = (AUTHORISATION_MAX_BYTES + 2) // 3 * 4


# --- employees -----------------------------------------------------------------------------------

class EmployeeIn(Request):
    number: str = Field(min_length=1, max_length=40)
    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254, description="Where “your cheque is ready” goes; may be empty.")
    staff_member_id: int | None = Field(default=None, description="The staff member who is this employee, if any: "
                                                                  "they then see their own cheques in the panel.")


class EmployeePinIn(Request):
    pin: str = Field(pattern=PIN_PATTERN, description="4 to 8 digits, typed at the kiosk to collect a cheque.")


class EmployeeOut(Response):
    id: int
    number: str
    given_name: str
    family_name: str
    display_name: str
    email: str
    staff_member_id: int | None
    has_pin: bool
    pin_failures: int
    kiosk_locked: bool = Field(description="Too many wrong PINs: kiosk collection refused until unlocked.")
    kiosk_locked_at: dt.datetime | None


class EmployeeList(Response):
    items: list[EmployeeOut]


# --- runs and cheques ----------------------------------------------------------------------------

class RunIn(Request):
    pay_date: dt.date
    payroll_company: str = Field(min_length=1, max_length=200)


class ChequeIn(Request):
    """A cheque entered by hand, for an employee already on file."""

    employee_id: int
    number: str = Field(min_length=1, max_length=40)
    amount: int = Field(ge=1, le=100_000_000, description="Minor units of the site's currency.")


class PickupAssignIn(Request):
    staff_member_id: int = Field(description="The front-office member who fetches the cheques.")
    due_on: dt.date = Field(description="The day to fetch them; the assignee is reminded that morning.")


class PickupCollectedIn(Request):
    count: int = Field(ge=0, le=100_000, description="Cheques actually in the envelope.")
    missing_cheque_numbers: list[str] = Field(default=[], max_length=1000)
    note: str = Field(default="", max_length=NOTE_MAX)


class HandOverIn(Request):
    """The employee takes their cheque at the desk: they sign in the panel, or type their PIN."""

    signature_png: str | None = Field(default=None, max_length=SIGNATURE_MAX_BASE64,
                                      description="Base64 of the PNG drawn in the panel.")
    pin: str | None = Field(default=None, pattern=PIN_PATTERN)


class DelegateIn(Request):
    """Somebody else takes the cheque, with the employee's authorisation; they sign for it."""

    delegate_name: str = Field(min_length=1, max_length=200)
    authorisation_note: str = Field(min_length=1, max_length=NOTE_MAX,
                                    description="How the employee authorised it (letter, email of …).")
    authorisation_document: str | None = Field(default=None, max_length=AUTHORISATION_MAX_BASE64,
                                               description="Base64 of the signed authorisation: PDF, PNG or JPEG.")
    signature_png: str = Field(min_length=1, max_length=SIGNATURE_MAX_BASE64)


class HoldIn(Request):
    follow_up_on: dt.date
    note: str = Field(default="", max_length=NOTE_MAX)


class VoidIn(Request):
    """A lost or damaged cheque: cancelled, and the replacement the payroll company issued recorded in its place."""

    reason: str = Field(min_length=1, max_length=NOTE_MAX)
    new_cheque_number: str = Field(min_length=1, max_length=40)
    new_amount: int | None = Field(default=None, ge=1, le=100_000_000, description="Default: the same amount.")


class ReturnIn(Request):
    note: str = Field(min_length=1, max_length=NOTE_MAX)


class NoteIn(Request):
    note: str = Field(default="", max_length=NOTE_MAX)


class ChequeEventOut(Response):
    at: dt.datetime
    event: str
    by: str = Field(description="The staff member's name, the kiosk's, or \"\" for the system.")
    kiosk: str = Field(description="The kiosk where the employee asked for the cheque, if they did.")
    note: str = Field(description="The staff's own words (a reason, a note).")
    other_cheque: str = Field(description="A voided cheque's replacement, or the cheque a reissued one replaces.")


class HandoverOut(Response):
    at: dt.datetime
    given_by: str
    received_by: str = Field(description="The employee, or the delegate.")
    delegate_name: str
    authorisation_note: str
    has_authorisation_document: bool
    proof: ProofKind
    has_signature: bool


class EmployeeRef(Response):
    id: int
    number: str
    display_name: str


class ChequeOut(Response):
    id: int
    run_id: int
    pay_date: dt.date
    payroll_company: str
    employee: EmployeeRef
    number: str
    status: ChequeStatus
    follow_up_on: dt.date | None
    replaced_by_id: int | None
    replaces_id: int | None
    requested_at: dt.datetime | None
    handover: HandoverOut | None
    events: list[ChequeEventOut] = []


class ChequeWithAmountOut(ChequeOut):
    amount: int
    currency: str


class ChequeList(Response):
    items: list[SerializeAsAny[ChequeOut]]


class RunOut(Response):
    id: int
    pay_date: dt.date
    payroll_company: str
    state: RunState
    pickup_assignee_id: int | None
    pickup_assignee: str
    pickup_due_on: dt.date | None
    collected_by: str
    collected_at: dt.datetime | None
    collected_count: int | None
    missing_note: str
    counts: dict[str, int] = Field(description="Cheques by status.")
    created_at: dt.datetime


class RunDetail(RunOut):
    cheques: list[SerializeAsAny[ChequeOut]]


class RunList(Response):
    items: list[RunOut]


class DashboardRun(Response):
    id: int
    pay_date: dt.date
    payroll_company: str
    state: RunState
    collected: int
    pending: int
    exceptions: int


class Dashboard(Response):
    collected: int = Field(description="Cheques in somebody's hands (employee or delegate).")
    pending: int = Field(description="Cheques still to hand out: expected, at the desk, requested.")
    exceptions: int = Field(description="Missing, held, voided or returned.")
    by_status: dict[str, int]
    runs: list[DashboardRun]


# --- import --------------------------------------------------------------------------------------

class ChequeImportProblem(Response):
    row: int = Field(description="As the spreadsheet numbers it: the header is row 1 (0: the file as a whole).")
    column: str
    code: str
    detail: str


class ChequeImportRow(Response):
    row: int
    employee_number: str
    employee_name: str
    new_employee: bool
    cheque_number: str


class ChequeImportRowWithAmount(ChequeImportRow):
    amount: int


class ChequeImportReport(Response):
    applied: bool
    encoding: str
    separator: str
    total_rows: int
    new_employees: int
    problems: list[ChequeImportProblem]
    rows: list[SerializeAsAny[ChequeImportRow]] = Field(
        description="The first rows as they will be stored; amounts for admins only.")
