"""The JSON of deliveries: the list staff read, and the live event of a change.

(Kept here rather than in shared/api.py because only the backend speaks them; the OpenAPI document takes them
from the endpoints all the same.)"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import DeliveryChannel, DeliveryStatus


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: DeliveryChannel
    target: str = Field(description="The email address; for a webhook only its scheme and host (the URL is a "
                                    "secret).")
    subject: str
    about: str = Field(description='What it is about, e.g. "visit:12" or "call:3".')
    recipient_staff_id: int | None
    status: DeliveryStatus
    attempts: int = Field(description="Tries so far, the one under way included.")
    next_attempt_at: dt.datetime | None = Field(description="When it is tried next, while pending or retrying.")
    last_error: str = Field(description="Why the last try failed, in a few words; empty once delivered.")
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


class DeliveryEvent(BaseModel):
    """Pushed on /api/ws to admins and receptionists when a delivery's status changes."""

    type: Literal["delivery.updated"]
    delivery: DeliveryOut
