"""POST /hooks/call-events: what another telephone system (an IP PBX, a hosted switchboard) tells of its calls,
so they are logged and routed like the auto-attendant's.

Each request is a JSON body, signed with the secret shared with the phone system (ACCUEIL_CALL_EVENTS_SECRET):

    X-Accueil-Timestamp: <unix seconds when it was sent>
    X-Accueil-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

the same scheme as the chat webhooks Accueil sends (backend/notifications/channels.py). A request whose signature
does not match, or whose timestamp is more than 5 minutes from the server's clock (a replay), is refused (401).
For example, in Python:

    body = json.dumps({"call_id": "a1b2", "event": "missed", "from": "+15145550123", "to": "+15145550100"})
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Accueil-Timestamp": str(timestamp), "X-Accueil-Signature": f"v1={mac}"}

The body (unknown fields are refused):
    call_id        the phone system's id of the call, the same for each of its events (1-100 characters)
    event          ringing | answered | missed | voicemail
    from           the caller's number ("" or "anonymous" when withheld)
    caller_name    optional, the caller id's name
    department_id  optional, the department asked for (an active one) ...
    to             ... or optional, the number dialled: the department with that phone number; none matching,
                   the front desk
    recording_url  optional, a voicemail's recording (http or https)

A missed call or a voicemail opens a message slip that escalates until somebody acknowledges it. An event told
again for the same call (a retry) is answered 200 and changes nothing. The answer is the call, as GET
/api/calls/{id} gives it without its events.
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.appkeys import SETTINGS
from backend.calls import service as calls
from backend.calls.models import Call, CallEvent
from backend.calls.routes import announce
from backend.calls.schemas import CallOut
from backend.core.api import Endpoints, field_problems, json_response, read_limited
from backend.core.errors import ApiError, BadRequest, InvalidInput, Unauthorized
from backend.notifications.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from backend.organisation.models import Department, Site
from backend.web import database, now
from shared.api import FieldProblem, Request
from shared.enums import CallOutcome, CallSource
from shared.fields import FieldError, normalise_phone

log = logging.getLogger(__name__)

routes = Endpoints()

MAX_SKEW_SECONDS = 300  # a signed request older (or newer) than this is a replay, or a clock to set right
OUTCOMES = {"answered": CallOutcome.ANSWERED, "missed": CallOutcome.MISSED, "voicemail": CallOutcome.VOICEMAIL}
ATTEMPTS = 2  # a call's first events arriving together: the second finds the call the first recorded


class CallEventsNotSetUp(ApiError):
    status, title = 503, "Call events not set up"


class PhoneEventIn(Request):
    """One event of one call, as the phone system tells it."""

    call_id: str = Field(min_length=1, max_length=100, description="The phone system's id of the call.")
    event: Literal["ringing", "answered", "missed", "voicemail"]
    caller_number: str = Field(alias="from", max_length=40,
                               description="The caller's number; empty or 'anonymous' when withheld.")
    caller_name: str = Field(default="", max_length=200)
    department_id: int | None = Field(default=None, description="The department asked for.")
    to: str | None = Field(default=None, max_length=40,
                           description="The number dialled, when no department_id: the department with it.")
    recording_url: str | None = Field(default=None, max_length=2000, description="A voicemail's recording.")

    @field_validator("call_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("required", "The call's id may not be blank.")
        return value

    @field_validator("recording_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise PydanticCustomError("url_invalid", "An http or https address.")
        return value


def check_signature(request: web.Request, secret: str, raw: bytes) -> None:
    """401 unless the body is signed with the shared secret, lately."""
    sent_timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    sent = request.headers.get(SIGNATURE_HEADER, "")
    if not sent or not (sent_timestamp.isascii() and sent_timestamp.isdigit()) or len(sent_timestamp) > 12:
        raise Unauthorized(f"Sign the request: {TIMESTAMP_HEADER} (unix seconds) and {SIGNATURE_HEADER}.")
    timestamp = int(sent_timestamp)
    expected = signature(secret, timestamp, raw)
    if not hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace")):
        log.warning("a call event with a wrong signature was refused")
        raise Unauthorized(f"The {SIGNATURE_HEADER} header does not match this body.")
    if abs(now(request).timestamp() - timestamp) > MAX_SKEW_SECONDS:
        log.warning("a call event signed %d s away from this server's clock was refused",
                    int(now(request).timestamp()) - timestamp)
        raise Unauthorized(f"{TIMESTAMP_HEADER} is more than {MAX_SKEW_SECONDS} seconds from this server's "
                           "clock: a replay, or a clock to set right.")


def parse(raw: bytes) -> PhoneEventIn:
    try:
        return PhoneEventIn.model_validate_json(raw)
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            raise BadRequest("The body is not well-formed JSON.") from None
        raise InvalidInput("The call event is not valid.", field_problems(error)) from None


async def department_for(session: AsyncSession, data: PhoneEventIn) -> int | None:
    """The department asked for: named (422 unless active), or the one whose number was dialled."""
    if data.department_id is not None:
        department = await session.get(Department, data.department_id)
        if department is None or not department.active:
            raise InvalidInput("The call event is not valid.", [FieldProblem(
                field="department_id", code="department_unknown", detail="No such active department.")])
        return department.id
    if not data.to or not data.to.strip():
        return None
    country = await session.scalar(select(Site.country).order_by(Site.id).limit(1)) or "CA"
    dialled = _number(data.to, country)
    if dialled is None:
        return None  # an extension, or the main line written oddly: the front desk answers
    departments = await session.scalars(select(Department).where(Department.active.is_(True),
                                                                Department.phone != "").order_by(Department.id))
    return next((d.id for d in departments if _number(d.phone, country) == dialled), None)


def _number(raw: str, country: str) -> str | None:
    try:
        return normalise_phone(raw, country)
    except FieldError:
        return None


async def told_before(session: AsyncSession, call: Call, event: str) -> bool:
    return await session.scalar(select(CallEvent.id).where(
        CallEvent.call_id == call.id, CallEvent.event == event).limit(1)) is not None


async def apply(session: AsyncSession, data: PhoneEventIn, at: dt.datetime, base_url: str) -> tuple[Call, str | None]:
    """The event applied; and the news to publish, None for an event told before."""
    department_id = await department_for(session, data)
    call, new = await calls.phone_call(session, CallSource.PHONE_SYSTEM, data.call_id, data.caller_number, at,
                                       caller_name=data.caller_name)
    # A new call has its "ringing" noted already, so a late "ringing" is a repeat too.
    if not new and await told_before(session, call, data.event):
        return call, None
    if department_id is not None:
        call.department_id = department_id
    if data.event in OUTCOMES:
        await calls.conclude(session, call, OUTCOMES[data.event], at, base_url,
                             recording_url=data.recording_url or "")
    return call, "call.logged" if new else "call.updated"


@routes.route("POST", "/hooks/call-events", summary="Another phone system's call event, signed (see the module)",
              auth=None, body=PhoneEventIn, response=CallOut, errors=(401, 503), headers=(
                  (TIMESTAMP_HEADER, True, "Unix seconds when the event was sent."),
                  (SIGNATURE_HEADER, True, 'v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>')))
async def call_event(request: web.Request) -> web.Response:
    settings = request.config_dict[SETTINGS]
    secret = settings.call_events_secret.get_secret_value() if settings.call_events_secret is not None else ""
    if not secret:
        raise CallEventsNotSetUp("Call events from a phone system are not set up on this server "
                                 "(ACCUEIL_CALL_EVENTS_SECRET).")
    raw = await read_limited(request, settings.max_body_bytes)
    check_signature(request, secret, raw)
    data = parse(raw)
    at = now(request)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with database(request).write() as session:
                call, news = await apply(session, data, at, settings.base_url)
                out = await calls.call_out(session, call)
                audience = await calls.call_audience(session, call) if news else None
            break
        except IntegrityError:
            # Two events of a new call at once (PostgreSQL): the other recorded it; this one now finds it.
            if attempt == ATTEMPTS:
                raise
    if news is not None:
        await announce(request.config_dict, news, out, audience)
    return json_response(out)
