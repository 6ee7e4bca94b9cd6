"""The JSON bodies of the kiosk's "Collect my cheque" flow, shared by the backend and the kiosk.

The kiosk never sees an amount: only which cheques wait at the desk for the employee who identified.
"""
from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.api import Request, Response

PIN_PATTERN = r"^[0-9]{4,8}$"
# A signature drawn on a touchscreen is a few kilobytes of PNG; the ceiling keeps a whole photo out.
SIGNATURE_MAX_BYTES = 300 * 1024
# base64 turns 3 bytes into 4 characters.
SIGNATURE_MAX_BASE64 = (SIGNATURE_MAX_BYTES + 2) // 3 * 4


class EmployeeIdentifyRequest(Request):
    """An employee identifies at the kiosk with the number on their pay stub and their PIN."""

    employee_number: str = Field(min_length=1, max_length=40, description="The employee number, as the payroll "
                                                                           "company prints it.")
    pin: str = Field(pattern=PIN_PATTERN, description="4 to 8 digits.")


class ChequeToCollect(Response):
    id: int
    pay_date: dt.date
    payroll_company: str
    cheque_number: str


class EmployeeCheques(Response):
    collection_token: str = Field(description="Valid 10 minutes, for this kiosk and this employee only.")
    given_name: str
    cheques: list[ChequeToCollect] = Field(description="The employee's cheques at the desk, ready to hand out; "
                                                       "may be empty.")


class ChequeCollectRequest(Request):
    collection_token: str = Field(min_length=1, max_length=200)
    cheque_ids: list[int] = Field(min_length=1, max_length=50)
    signature_png: str = Field(min_length=1, max_length=SIGNATURE_MAX_BASE64,
                               description="Base64 of a PNG image of the signature drawn on screen (≤ 300 KB).")


class ChequeCollectOut(Response):
    cheque_ids: list[int]
    desk_notified: bool = Field(description="The desk was told to hand the cheques over.")
