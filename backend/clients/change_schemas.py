"""The bodies of the staff API for contact changes asked for at the kiosk, and of their live news."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.api import Request, Response


class ContactFieldChange(Response):
    field: str = Field(description="phone, email, address, city or postal_code.")
    seen: str = Field(description="The value on file when the client looked at the kiosk.")
    on_file: str = Field(description="The value on file now.")
    proposed: str = Field(description="What the client asked for; empty clears the field.")
    changed_since: bool = Field(description="The record changed since the client looked: check before approving.")


class ContactChangeView(Response):
    id: int
    client_id: int
    client_name: str
    client_number: str | None
    kiosk_id: int | None
    kiosk_name: str
    state: Literal["pending", "approved", "rejected"]
    proposed_at: dt.datetime
    reviewed_at: dt.datetime | None
    reviewed_by_id: int | None
    reject_reason: str
    fields: list[ContactFieldChange]


class ContactChangeList(Response):
    items: list[ContactChangeView]


class RejectIn(Request):
    reason: str = Field(min_length=1, max_length=500, description="Why, for the record (e.g. 'could not confirm "
                                                                  "by phone').")


class ContactChangeNews(Response):
    """On the staff live channel, for the roles that keep client records: a change arrived or was reviewed."""

    type: Literal["client.contact_change_proposed", "client.contact_change_reviewed"]
    id: int
    client_id: int
    state: Literal["pending", "approved", "rejected"]
