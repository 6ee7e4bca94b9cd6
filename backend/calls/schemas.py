"""The calls API's bodies: a call logged at the desk, a call as staff see it, and its live event."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.api import Request, Response
from shared.enums import CallOutcome, CallSource, MessageState

# What a receptionist can say of a call they took; the others come from the telephone system.
DeskOutcome = Literal[CallOutcome.TRANSFERRED, CallOutcome.MESSAGE_TAKEN, CallOutcome.CALLBACK_REQUESTED]


class CallIn(Request):
    caller_name: str = Field(default="", max_length=200)
    caller_number: str = Field(default="", max_length=40, description="Read in the site's country without a +.")
    client_name: str = Field(default="", max_length=200, description="The client the call is about, if known.")
    department_id: int | None = Field(default=None, description="The department asked for (or the person's).")
    staff_id: int | None = Field(default=None, description="The person asked for, if any.")
    reason: str = Field(default="", max_length=2000)
    outcome: DeskOutcome


class CallEventOut(Response):
    at: dt.datetime
    event: str
    detail: str


class CallOut(Response):
    id: int
    source: CallSource
    caller_name: str
    caller_number: str
    client_name: str
    department_id: int | None
    staff_member_id: int | None
    reason: str
    outcome: CallOutcome
    has_recording: bool
    recording_url: str = Field(description="A voicemail's recording, at the telephone system.")
    received_at: dt.datetime
    ended_at: dt.datetime | None
    logged_by_id: int | None
    message_state: MessageState
    acknowledged_at: dt.datetime | None
    acknowledged_by_id: int | None
    done_at: dt.datetime | None
    done_by_id: int | None
    events: list[CallEventOut] = []


class CallList(Response):
    items: list[CallOut]


class CallNews(Response):
    """Pushed on /api/ws to those told of the call, receptionists and admins."""

    type: Literal["call.logged", "call.updated", "call.escalated"]
    call: CallOut
