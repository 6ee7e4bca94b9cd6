"""The calls page: the front desk logs a call in one step; whoever a message is for sees it, takes it and marks it
done; everyone follows today's calls. The page works by reloading; panel.js makes its lists live (call.* events
fetch /panel/calls/lists again)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from backend.appkeys import SETTINGS
from backend.calls import service as calls
from backend.calls.models import Call
from backend.calls.routes import announce
from backend.calls.schemas import CallIn
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.organisation.models import Department
from backend.panel.routes import language_of, render, role_form, routes, staff_with_role
from backend.staff import service as staff
from backend.staff.models import StaffMember
from backend.visits.service import LOBBY_ROLES
from backend.web import database, now, path_id
from shared.enums import CallOutcome, MessageState
from shared.fields import shown_number
from shared.i18n import N_, translate

# What a receptionist can say of a call they took (CallIn's DeskOutcome), in the form's order.
DESK_OUTCOMES = (CallOutcome.TRANSFERRED, CallOutcome.MESSAGE_TAKEN, CallOutcome.CALLBACK_REQUESTED)
OUTCOME_LABELS = {
    CallOutcome.RINGING: N_("Ringing"), CallOutcome.ANSWERED: N_("Answered"),
    CallOutcome.TRANSFERRED: N_("Transferred"), CallOutcome.MESSAGE_TAKEN: N_("Message taken"),
    CallOutcome.CALLBACK_REQUESTED: N_("Call back requested"), CallOutcome.VOICEMAIL: N_("Voicemail"),
    CallOutcome.MISSED: N_("Missed"),
}
# The badge colours the other pages use: green went through, amber somebody has something to do, red missed.
OUTCOME_BADGES = {
    CallOutcome.RINGING: "", CallOutcome.ANSWERED: "state-succeeded", CallOutcome.TRANSFERRED: "state-succeeded",
    CallOutcome.MESSAGE_TAKEN: "state-waiting", CallOutcome.CALLBACK_REQUESTED: "state-waiting",
    CallOutcome.VOICEMAIL: "state-waiting", CallOutcome.MISSED: "state-failed",
}
MESSAGE_LABELS = {MessageState.OPEN: N_("Open"), MessageState.ACKNOWLEDGED: N_("Acknowledged"),
                  MessageState.DONE: N_("Done")}
MESSAGE_BADGES = {MessageState.OPEN: "state-waiting", MessageState.ACKNOWLEDGED: "message-acknowledged",
                  MessageState.DONE: "state-succeeded"}
TEXT_LIMITS = {"caller_name": 200, "caller_number": 40, "client_name": 200, "reason": 2000}
FORM_FIELDS = ("caller_name", "caller_number", "client_name", "department_id", "staff_id", "reason", "outcome")
TOO_LONG = N_("Use at most {count} characters.")
NAME_OR_NUMBER = N_("Give the caller’s name or number.")
DEPARTMENT_UNKNOWN = N_("Choose a department from the list.")
DEPARTMENT_OR_PERSON = N_("Choose the department or the person the caller asked for.")
PERSON_UNKNOWN = N_("Choose a person from the list.")
PERSON_ELSEWHERE = N_("This person is not in the department chosen: choose one or the other.")
OUTCOME_REQUIRED = N_("Choose what happened to the call.")
NO_MESSAGE = N_("This call left no message.")
# log_call's field problems, by (field, code), in words the catalogs carry; a phone number's own message
# (shared/fields.py, already in the catalogs) is shown translated as it comes.
SERVICE_PROBLEMS = {
    ("caller_name", "required"): NAME_OR_NUMBER,
    ("department_id", "department_unknown"): DEPARTMENT_UNKNOWN,
    ("department_id", "required"): DEPARTMENT_OR_PERSON,
    ("staff_id", "staff_unknown"): PERSON_UNKNOWN,
    ("staff_id", "not_in_department"): PERSON_ELSEWHERE,
}


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def listen_url(call: Call) -> str:
    """The recording's address, when it is a web address (never a javascript: or data: link)."""
    url = call.recording_url.strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


async def _lists(request: web.Request, who: StaffIdentity) -> dict:
    """The page's two lists: open messages (any age) and today's calls (in the site's zone), for this person."""
    at = now(request)
    language = language_of(request)
    async with database(request).read() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        zone = ZoneInfo(site.time_zone)
        midnight = dt.datetime.combine(at.astimezone(zone).date(), dt.time(), zone).astimezone(dt.UTC)
        open_calls = await calls.list_calls(session, who, open_only=True)
        today = await calls.list_calls(session, who, since=midnight)
        shown = {c.id: c for c in [*open_calls, *today]}.values()
        department_ids = {c.department_id for c in shown if c.department_id is not None}
        departments = {d.id: d for d in await session.scalars(
            select(Department).where(Department.id.in_(department_ids or {-1})))}
        people_ids = {i for c in shown for i in (c.staff_member_id, c.acknowledged_by_id) if i}
        people = dict((await session.execute(select(StaffMember.id, StaffMember.display_name)
                                             .where(StaffMember.id.in_(people_ids or {-1})))).tuples().all())
    today_date = at.astimezone(zone).date()

    def when(moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        local = _aware(moment).astimezone(zone)
        return local.strftime("%H:%M" if local.date() == today_date else "%Y-%m-%d %H:%M")

    def asked_for(call: Call) -> str:
        department = departments.get(call.department_id)
        name = (department.name_en if language == "en" else department.name_fr) if department else ""
        return " · ".join(part for part in (name, people.get(call.staff_member_id, "")) if part)

    return {
        "who": who, "open_calls": open_calls, "today_calls": today,
        "open_ids": {c.id for c in open_calls}, "when": when, "asked_for": asked_for, "people": people,
        "number": lambda number: shown_number(number, site.country), "listen_url": listen_url,
        "outcome_labels": OUTCOME_LABELS, "outcome_badges": OUTCOME_BADGES,
        "message_labels": MESSAGE_LABELS, "message_badges": MESSAGE_BADGES,
        "takes_calls": bool(who.roles & calls.CALL_TAKERS),
    }


async def _choices(request: web.Request) -> dict:
    """The form's lists: the active departments, and the active people who belong to one of them."""
    language = language_of(request)
    async with database(request).read() as session:
        departments = await organisation.departments_out(session, await organisation.only_site_id(session))
        members = (await session.execute(staff.load_staff().where(StaffMember.active.is_(True))
                                         .order_by(StaffMember.display_name))).scalars().all()
    names = {d.id: getattr(d.name, language) for d in departments}
    people = []
    for member in members:
        theirs = sorted(names[i] for i in member.department_ids if i in names)
        if theirs:
            people.append((member.id, f"{member.display_name} ({', '.join(theirs)})"))
    return {"departments": sorted(names.items(), key=lambda item: item[1].casefold()), "people": people,
            "desk_outcomes": DESK_OUTCOMES}


async def _page(request: web.Request, who: StaffIdentity, *, form: dict | None = None,
                errors: dict | None = None, error: str = "", status: int = 200) -> web.Response:
    context = await _lists(request, who)
    if context["takes_calls"]:
        context.update(await _choices(request))
    context.update(form=form or {}, errors=errors or {}, error=error)
    return render(request, "calls.html", context, status=status)


@routes.get("/panel/calls")
async def calls_page(request: web.Request) -> web.Response:
    return await _page(request, await staff_with_role(request, LOBBY_ROLES))


@routes.get("/panel/calls/lists")
async def calls_lists(request: web.Request) -> web.Response:
    """The two lists alone, fetched by the page's script when the live channel tells of a call."""
    return render(request, "_calls_lists.html", await _lists(request, await staff_with_role(request, LOBBY_ROLES)))


class _FormProblems(Exception):
    """The form's own problems stand, and the service found no other: nothing it did is kept."""


def _read_form(posted) -> tuple[dict, dict, CallIn]:
    """The form as typed, what is wrong with it by field (msgids), and the call it asks for. When the form has
    problems of its own the call is still made, with something in their place, so that the service can say what
    else is wrong: every problem is shown at once."""
    form = {key: str(posted.get(key, ""))[:TEXT_LIMITS.get(key, 100) + 100] for key in FORM_FIELDS}
    errors: dict[str, str] = {}
    for key, limit in TEXT_LIMITS.items():
        if len(form[key].strip()) > limit:
            errors[key] = TOO_LONG
    ids: dict[str, int | None] = {}
    for key, problem in (("department_id", DEPARTMENT_UNKNOWN), ("staff_id", PERSON_UNKNOWN)):
        raw = form[key].strip()
        ids[key] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
        if raw and ids[key] is None:
            errors[key] = problem
    if form["outcome"] not in DESK_OUTCOMES:
        errors["outcome"] = OUTCOME_REQUIRED
    text = {key: form[key].strip()[:limit] for key, limit in TEXT_LIMITS.items()}
    return form, errors, CallIn(**text, department_id=ids["department_id"], staff_id=ids["staff_id"],
                                outcome=CallOutcome(form["outcome"]) if "outcome" not in errors
                                else CallOutcome.TRANSFERRED)


@routes.post("/panel/calls")
async def log_call(request: web.Request) -> web.Response:
    who, posted = await role_form(request, calls.CALL_TAKERS)
    language = language_of(request)
    form, errors, data = _read_form(posted)
    try:
        async with database(request).write() as session:
            call, _told = await calls.log_call(session, who, data, now(request),
                                               request.config_dict[SETTINGS].base_url)
            if errors:
                raise _FormProblems
            out = await calls.call_out(session, call, with_events=True)
            audience = await calls.call_audience(session, call)
    except InvalidInput as problem:
        for found in problem.errors:
            errors.setdefault(found.field, SERVICE_PROBLEMS.get((found.field, found.code), found.detail))
    except _FormProblems:
        pass
    else:
        await announce(request.config_dict, "call.logged", out, audience)
        raise web.HTTPSeeOther("/panel/calls")
    shown = {field: translate(language, message).replace("{count}", str(TEXT_LIMITS.get(field, "")))
             for field, message in errors.items()}
    return await _page(request, who, form=form, errors=shown, status=422)


async def _message_step(request: web.Request, step) -> web.Response:
    who, _form = await role_form(request, LOBBY_ROLES)
    try:
        async with database(request).write() as session:
            call = await calls.call_for_staff(session, who, path_id(request))
            changed = await step(session, who, call, now(request))
            out = await calls.call_out(session, call, with_events=True)
            audience = await calls.call_audience(session, call)
    except NotFound:
        raise web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text,
                               content_type="text/html") from None
    except Conflict:  # a call that left no message: nothing to take or finish
        return await _page(request, who, error=translate(language_of(request), NO_MESSAGE), status=409)
    if changed:
        await announce(request.config_dict, "call.updated", out, audience)
    raise web.HTTPSeeOther("/panel/calls")


@routes.post("/panel/calls/{id}/acknowledge")
async def acknowledge(request: web.Request) -> web.Response:
    return await _message_step(request, calls.acknowledge_message)


@routes.post("/panel/calls/{id}/done")
async def done(request: web.Request) -> web.Response:
    return await _message_step(request, calls.finish_message)
