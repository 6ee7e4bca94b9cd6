"""Calls: logging one at the desk, recording what the telephone system tells, routing each to whoever answers
for its department, and the message slip's life (open → acknowledged → done).

Every function takes the caller's session; none commits.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.calls.models import Call, CallEvent
from backend.calls.schemas import CallEventOut, CallIn, CallOut
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.events import Audience
from backend.core.identity import StaffIdentity
from backend.organisation.models import Department, Site
from backend.routing import escalation
from backend.routing import service as routing
from backend.routing.escalation import Alert, Told
from backend.routing.models import Escalation, Notification
from backend.staff import service as staff
from shared.api import FieldProblem
from shared.enums import MESSAGE_OUTCOMES, CallOutcome, CallSource, MessageState, Role
from shared.fields import FieldError, normalise_phone
from shared.i18n import N_, translate

# Who takes calls at the desk, and who follows every call and message.
CALL_TAKERS = frozenset({Role.ADMIN, Role.RECEPTIONIST})
LIST_LIMIT = 200
NUMBER_MAX = 40

SUBJECTS = {
    CallOutcome.TRANSFERRED: N_("Call transferred to {department}: {caller}"),
    CallOutcome.ANSWERED: N_("Call for {department}: {caller}"),
    CallOutcome.RINGING: N_("Call for {department}: {caller}"),
    CallOutcome.MESSAGE_TAKEN: N_("Message for {department}: {caller}"),
    CallOutcome.CALLBACK_REQUESTED: N_("Please call back, for {department}: {caller}"),
    CallOutcome.VOICEMAIL: N_("Voicemail for {department}: {caller}"),
    CallOutcome.MISSED: N_("Missed call for {department}: {caller}"),
}


def require_call_taker(who: StaffIdentity) -> None:
    if not who.roles & CALL_TAKERS:
        raise Forbidden("Only the front desk logs calls.")


def may_see(who: StaffIdentity, call: Call, notified: bool = False) -> bool:
    return who.sees_every_department or notified or call.staff_member_id == who.staff_id or (
        call.department_id is not None and call.department_id in who.department_ids)


def caller_number(raw: str, country: str) -> str:
    """A number as E.164 when it reads as one; what a telephone system sends otherwise ("anonymous")."""
    raw = " ".join(raw.split())[:NUMBER_MAX]
    try:
        return normalise_phone(raw, country) if raw else ""
    except FieldError:
        return raw


def note(session: AsyncSession, call: Call, event: str, detail: str, at: dt.datetime) -> None:
    session.add(CallEvent(call_id=call.id, at=at, event=event, detail=detail[:500]))


async def log_call(session: AsyncSession, who: StaffIdentity, data: CallIn, at: dt.datetime,
                   base_url: str) -> tuple[Call, Told | None]:
    """A call the front desk took: recorded, routed, and with a message slip when it left one. 422 naming every
    bad field, with nothing recorded."""
    require_call_taker(who)
    country = await session.scalar(select(Site.country).limit(1)) or "CA"
    problems: list[FieldProblem] = []
    number = data.caller_number.strip()
    if number:
        try:
            number = normalise_phone(number, country)
        except FieldError as error:
            problems.append(FieldProblem(field="caller_number", code=error.code, detail=error.message))
    if not data.caller_name.strip() and not number:
        problems.append(FieldProblem(field="caller_name", code="required",
                                     detail="Give the caller's name or number."))
    department_id = data.department_id
    if data.staff_id is not None:
        member = await staff.active_member(session, data.staff_id)
        if member is None:
            problems.append(FieldProblem(field="staff_id", code="staff_unknown", detail="No such active staff member."))
        elif department_id is None and member.department_ids:
            department_id = min(member.department_ids)
        elif department_id is not None and department_id not in member.department_ids:
            problems.append(FieldProblem(field="staff_id", code="not_in_department",
                                         detail="This person is not a member of the department chosen."))
    if data.department_id is not None:
        department = await session.get(Department, data.department_id)
        if department is None or not department.active:
            problems.append(FieldProblem(field="department_id", code="department_unknown",
                                         detail="No such active department."))
    if data.department_id is None and data.staff_id is None:
        problems.append(FieldProblem(field="department_id", code="required",
                                     detail="Say which department or person the caller asked for."))
    if problems:
        raise InvalidInput("The call could not be logged.", problems)
    call = Call(source=CallSource.DESK, external_id=None, caller_name=" ".join(data.caller_name.split()),
                caller_number=number, client_name=" ".join(data.client_name.split()), department_id=department_id,
                staff_member_id=data.staff_id, reason=data.reason.strip(), outcome=data.outcome, recording_url="",
                received_at=at, ended_at=at, logged_by_id=who.staff_id,
                message_state=MessageState.OPEN if data.outcome in MESSAGE_OUTCOMES else MessageState.NONE)
    session.add(call)
    await session.flush()
    note(session, call, "logged", str(data.outcome), at)
    record(session, who.audit_actor, "call.logged", "call", call.id, at, outcome=str(data.outcome))
    return call, await route(session, call, at, base_url)


async def phone_call(session: AsyncSession, source: CallSource, external_id: str, number: str,
                     at: dt.datetime, *, caller_name: str = "") -> tuple[Call, bool]:
    """The call a telephone system tells of, found by its id or recorded now (ringing); and whether it is new."""
    call = await session.scalar(select(Call).where(Call.source == source, Call.external_id == external_id)
                                .with_for_update())
    if call is not None:
        return call, False
    country = await session.scalar(select(Site.country).limit(1)) or "CA"
    call = Call(source=source, external_id=external_id, caller_name=" ".join(caller_name.split())[:200],
                caller_number=caller_number(number, country), client_name="", department_id=None,
                staff_member_id=None, reason="", outcome=CallOutcome.RINGING, recording_url="", received_at=at,
                ended_at=None, logged_by_id=None, message_state=MessageState.NONE)
    session.add(call)
    await session.flush()
    note(session, call, "ringing", number, at)
    return call, True


async def conclude(session: AsyncSession, call: Call, outcome: CallOutcome, at: dt.datetime, base_url: str, *,
                   recording_url: str = "") -> Told | None:
    """A telephone call ended (or was put through): its outcome recorded and routed; a missed call or a
    voicemail opens a message slip that escalates until somebody acknowledges it."""
    call.outcome = outcome
    if outcome not in (CallOutcome.RINGING, CallOutcome.TRANSFERRED):
        call.ended_at = call.ended_at or at
    if recording_url:
        call.recording_url = recording_url[:2000]
    opened = outcome in MESSAGE_OUTCOMES and call.message_state == MessageState.NONE
    if opened:
        call.message_state = MessageState.OPEN
    note(session, call, str(outcome), recording_url and "recording", at)
    await session.flush()
    # A call put through and then answered was already told of: only a new message slip is news.
    routed = await session.scalar(select(Escalation.id).where(Escalation.about == f"call:{call.id}"))
    return await route(session, call, at, base_url) if opened or routed is None else None


async def route(session: AsyncSession, call: Call, at: dt.datetime, base_url: str) -> Told | None:
    """Tell whoever answers for the call's department (or the person asked for); a message slip escalates."""
    language = await routing.site_language(session)
    department = await session.get(Department, call.department_id) if call.department_id is not None else None
    department_name = (department.name_en if language == "en" else department.name_fr) if department else \
        translate(language, N_("the front desk"))
    caller = routing.first_name_and_initial(call.caller_name) or call.caller_number or \
        translate(language, N_("unknown caller"))
    fields = [{"title": translate(language, N_("Number")), "value": call.caller_number}] if call.caller_number \
        else []
    alert = Alert(
        kind="call.message" if call.message_state == MessageState.OPEN else "call.routed", about=f"call:{call.id}",
        call_id=call.id, subject=translate(language, SUBJECTS[call.outcome]).format(
            department=department_name, caller=caller),
        body=translate(language, N_("The details are on the calls page of Accueil.")),
        payload={"fields": fields,
                 "link": {"url": f"{base_url}/panel/calls#call-{call.id}", "label": translate(language, N_(
                     "Open the calls page"))}})
    return await escalation.start(session, alert, call.department_id, call.staff_member_id, at,
                                  escalate=call.message_state == MessageState.OPEN)


async def call_for_staff(session: AsyncSession, who: StaffIdentity, call_id: int) -> Call:
    """The call, if this person may see it; 404 otherwise (whether it exists is not told)."""
    call = await session.get(Call, call_id)
    if call is None or not (may_see(who, call) or await session.scalar(
            _stood_in_for(who).where(Escalation.call_id == call.id)) is not None):
        raise NotFound("No such call.")
    return call


def _stood_in_for(who: StaffIdentity):
    """Other departments' calls that one of this person's departments answers for (their fallback)."""
    return select(Escalation.call_id).where(Escalation.department_id.in_(who.department_ids or {-1}),
                                            Escalation.call_id.is_not(None))


async def acknowledge_message(session: AsyncSession, who: StaffIdentity, call: Call, at: dt.datetime) -> bool:
    """Somebody has the message; said twice, the second changes nothing. Returns whether it changed."""
    if call.message_state == MessageState.NONE:
        raise Conflict("This call left no message.")
    if call.message_state != MessageState.OPEN:
        return False
    call.message_state, call.acknowledged_at, call.acknowledged_by_id = MessageState.ACKNOWLEDGED, at, who.staff_id
    await routing.acknowledge(session, by_staff_id=who.staff_id, at=at, call_id=call.id)
    note(session, call, "acknowledged", who.display_name, at)
    record(session, who.audit_actor, "call.message_acknowledged", "call", call.id, at)
    return True


async def finish_message(session: AsyncSession, who: StaffIdentity, call: Call, at: dt.datetime) -> bool:
    """The message is dealt with (acknowledging it too); said twice, the second changes nothing."""
    if call.message_state == MessageState.NONE:
        raise Conflict("This call left no message.")
    if call.message_state == MessageState.DONE:
        return False
    if call.message_state == MessageState.OPEN:
        await acknowledge_message(session, who, call, at)
    call.message_state, call.done_at, call.done_by_id = MessageState.DONE, at, who.staff_id
    note(session, call, "done", who.display_name, at)
    record(session, who.audit_actor, "call.message_done", "call", call.id, at)
    return True


async def list_calls(session: AsyncSession, who: StaffIdentity, *, open_only: bool = False,
                     since: dt.datetime | None = None, limit: int = LIST_LIMIT) -> list[Call]:
    """Newest first: those this person may see; `open_only`, the message slips not done yet (any age)."""
    query = select(Call).order_by(Call.received_at.desc(), Call.id.desc()).limit(limit)
    if open_only:
        query = query.where(Call.message_state.in_([MessageState.OPEN, MessageState.ACKNOWLEDGED]))
    if since is not None:
        query = query.where(Call.received_at >= since)
    if not who.sees_every_department:
        query = query.where(or_(Call.department_id.in_(who.department_ids or {-1}),
                                Call.staff_member_id == who.staff_id,
                                Call.id.in_(_stood_in_for(who))))
    return list((await session.scalars(query)).all())


async def call_out(session: AsyncSession, call: Call, *, with_events: bool = False) -> CallOut:
    events = []
    if with_events:
        rows = await session.scalars(select(CallEvent).where(CallEvent.call_id == call.id)
                                     .order_by(CallEvent.at, CallEvent.id))
        events = [CallEventOut(at=row.at, event=row.event, detail=row.detail) for row in rows]
    return CallOut(
        id=call.id, source=call.source, caller_name=call.caller_name, caller_number=call.caller_number,
        client_name=call.client_name, department_id=call.department_id, staff_member_id=call.staff_member_id,
        reason=call.reason, outcome=call.outcome, has_recording=bool(call.recording_url),
        recording_url=call.recording_url,
        received_at=call.received_at, ended_at=call.ended_at, logged_by_id=call.logged_by_id,
        message_state=call.message_state, acknowledged_at=call.acknowledged_at,
        acknowledged_by_id=call.acknowledged_by_id, done_at=call.done_at, done_by_id=call.done_by_id, events=events)


async def call_audience(session: AsyncSession, call: Call) -> Audience:
    """Who hears of a call's news: those told of it, the department's members, the front desk and admins."""
    told = set(await session.scalars(select(Notification.recipient_id).where(Notification.call_id == call.id)))
    if call.department_id is not None:
        told |= set(await staff.department_member_ids(session, call.department_id))
    if call.staff_member_id is not None:
        told.add(call.staff_member_id)
    return Audience(staff_ids=frozenset(told), roles=CALL_TAKERS)
