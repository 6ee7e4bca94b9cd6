"""The client records API's bodies."""
from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.api import Request, Response
from shared.enums import ClientKind, ClientStatus

TAG_MAX, TAGS_MAX = 60, 20


class ClientIn(Request):
    """A new client, or (every field optional) the fields of one to change. A person needs a given or family
    name; an organisation its name. Dates as YYYY-MM-DD (the API); phone numbers are read in the site's country."""

    kind: ClientKind | None = None
    given_name: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    organisation_name: str | None = Field(default=None, max_length=300)
    number: str | None = Field(default=None, max_length=50, description="Patient, matter, student or account number.")
    date_of_birth: str | None = Field(default=None, max_length=10)
    phone: str | None = Field(default=None, max_length=40)
    phone_alt: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)
    notes: str | None = Field(default=None, max_length=10000)
    tags: list[str] | None = Field(default=None, max_length=TAGS_MAX)
    status: ClientStatus | None = Field(default=None, description="active or inactive (merging and erasing have "
                                                                   "their own endpoints).")
    retain_until: str | None = Field(default=None, max_length=10)


class ClientOut(Response):
    id: int
    kind: ClientKind
    display_name: str
    given_name: str
    family_name: str
    organisation_name: str
    number: str | None
    date_of_birth: dt.date | None
    phone: str
    phone_alt: str
    email: str
    address: str
    city: str
    region: str
    postal_code: str
    country: str
    notes: str
    tags: list[str]
    status: ClientStatus
    merged_into_id: int | None
    retain_until: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientChangeOut(Response):
    at: dt.datetime
    by_staff_id: int | None
    source: str
    field: str
    old_value: str
    new_value: str


class ClientList(Response):
    items: list[ClientOut]
