"""The JSON bodies of a returning client's identification at the kiosk, shared by the backend and the kiosk."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.api import Request, Response


class ClientIdentifyRequest(Request):
    """A returning client says who they are: their file number or their phone, and always their birth date
    (a phone number alone would let anyone read someone's address at a lobby kiosk)."""

    number: str | None = Field(default=None, max_length=50, description="The client's file number; case and "
                                                                        "spaces do not matter.")
    phone: str | None = Field(default=None, max_length=40, description="As the client types it; read in the "
                                                                       "site's country.")
    birth_date: dt.date = Field(description="YYYY-MM-DD.")


class ClientIdentified(Response):
    client_token: str = Field(description="Proves the identification for 15 minutes to this kiosk (contact "
                                          "changes) and for 24 hours to check in (CheckInRequest.client_token).")
    given_name: str
    family_name: str
    phone: str = Field(description="E.164, or empty.")
    phone_shown: str = Field(description="National format for display, e.g. '514 555-0123', or empty.")
    email: str
    address: str
    city: str
    postal_code: str
    change_pending: bool = Field(description="A contact change from the kiosk already waits for a clerk.")


class ContactUpdateRequest(Request):
    """Contact details the client wants changed: null leaves a field as it is, "" clears it."""

    client_token: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)


class ContactChangeOut(Response):
    """A proposed change waiting for a clerk; nothing is applied until one approves it."""

    id: int
    state: Literal["pending", "approved", "rejected"]
    fields: list[str] = Field(description="Names of the fields that change, e.g. ['phone', 'city'].")
