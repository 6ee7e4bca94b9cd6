"""Visit endpoints: kiosks check visitors in and out; staff follow and move visits."""
from __future__ import annotations

import datetime as dt

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.api import Endpoints, json_response
from backend.core.errors import InvalidInput
from backend.core.events import Audience
from backend.core.identity import KioskIdentity, StaffIdentity
from backend.kiosks import idempotency
from backend.routing import service as routing
from backend.visits import service as visits
from backend.visits.models import Visit
from backend.appkeys import SETTINGS
from backend.notifications.dispatcher import wake
from backend.web import body, database, hub, now, path_id
from shared.api import (
    CheckInRequest, CodeCheckOutRequest, FieldProblem, KioskVisitMatch, KioskVisitMatches, TransitionRequest,
    VisitEvent, VisitList, VisitOut,
)
from shared.enums import VisitState

routes = Endpoints()

MAX_LIST = 500


async def _publish(request: web.Request, event_type: str, out: VisitOut, audience: Audience) -> None:
    """Push a visit's news after its commit; delivery to panels is recorded where they are connected."""
    await hub(request).broadcast(VisitEvent(type=event_type, visit=out).model_dump(mode="json"), audience)


# --- kiosk ---------------------------------------------------------------------------------------

@routes.route("POST", "/api/kiosk/check-ins", summary="Check a visitor in", auth="kiosk", body=CheckInRequest,
              response=VisitOut, status=201, errors=(409,), headers=(idempotency.header("check-in"),))
async def check_in(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    key = idempotency.key_of(request, "check-in")
    data = await body(request, CheckInRequest)
    at = now(request)

    async def work(session: AsyncSession) -> tuple[VisitOut, Audience]:
        visit = await visits.check_in(session, kiosk, data, at)
        await routing.route_check_in(session, visit, at, request.config_dict[SETTINGS].base_url)
        return visits.visit_out(visit), await routing.visit_audience(session, visit)

    done = await idempotency.once(database(request), kiosk.kiosk_id, key, data, at, work)
    if isinstance(done, web.Response):
        return done
    out, audience = done
    wake(request.config_dict)  # the check-in's emails and chat messages
    await _publish(request, "visit.checked_in", out, Audience(staff_ids=audience.staff_ids, roles=audience.roles))
    return json_response(out, status=201)


@routes.route("GET", "/api/kiosk/visits/{id}", summary="A visit this kiosk made", auth="kiosk",
              response=VisitOut, errors=(404,))
async def kiosk_visit(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    async with database(request).read() as session:
        visit = await visits.visit_for_kiosk(session, kiosk, path_id(request), own=True)
    return json_response(visits.visit_out(visit))


@routes.route("POST", "/api/kiosk/visits/{id}/check-out", summary="Check a visitor out at the kiosk",
              auth="kiosk", response=VisitOut, errors=(404, 409))
async def kiosk_check_out(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    async with database(request).write() as session:
        visit = await visits.visit_for_kiosk(session, kiosk, path_id(request), own=False)
        out, audience = await _check_out(request, session, visit, kiosk)
    return await _moved(request, out, audience)


@routes.route("POST", "/api/kiosk/check-outs", summary="Check a visitor out by the code on their pass",
              auth="kiosk", body=CodeCheckOutRequest, response=VisitOut, errors=(404, 409))
async def kiosk_check_out_by_code(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    data = await body(request, CodeCheckOutRequest)
    async with database(request).write() as session:
        visit = await visits.visit_by_code(session, kiosk, data.code)
        out, audience = await _check_out(request, session, visit, kiosk)
    return await _moved(request, out, audience)


async def _check_out(request: web.Request, session: AsyncSession, visit: Visit,
                     kiosk: KioskIdentity) -> tuple[VisitOut, Audience | None]:
    if visit.state == VisitState.CHECKED_OUT:
        # Checking out twice (a retried request, a second tap) is not an error, and not news.
        return visits.visit_out(visit), None
    return await _move(request, session, visit, VisitState.CHECKED_OUT, kiosk)


@routes.route("GET", "/api/kiosk/visits", summary="Today's open visits found by the visitor's name", auth="kiosk",
              response=KioskVisitMatches, errors=(422,), query=(("name", "string", "At least 2 letters."),))
async def kiosk_find_visits(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    name = request.query.get("name", "").strip()
    if len(name) < 2 or len(name) > 100 or set(request.query) - {"name"}:
        raise InvalidInput("Search with 2 to 100 letters of the name.",
                           [FieldProblem(field="name", code="name_invalid", detail="Give 2 to 100 letters.")])
    async with database(request).read() as session:
        found = await visits.open_visits_by_name(session, kiosk, name, now(request))
    return json_response(KioskVisitMatches(items=[
        KioskVisitMatch(id=v.id, display_name=visits.public_name(v.visitor_name), department_id=v.department_id,
                        checked_in_at=v.checked_in_at) for v in found]))


# --- staff ---------------------------------------------------------------------------------------

@routes.route("GET", "/api/visits", summary="Visits I may see, newest first", auth="staff", response=VisitList,
              errors=(422,), query=(("state", "string", "Repeat for several states."),
                                    ("department_id", "integer", "Only this department."),
                                    ("day", "string", "YYYY-MM-DD, in the site's time zone."),
                                    ("limit", "integer", f"At most {MAX_LIST}; default 100.")))
async def list_visits(request: web.Request, who: StaffIdentity) -> web.Response:
    query = request.query
    problems: list[FieldProblem] = []
    unknown = set(query) - {"state", "department_id", "day", "limit"}
    problems += [FieldProblem(field=name, code="field_unknown", detail="No such filter.") for name in sorted(unknown)]
    states = []
    for raw in query.getall("state", []):
        try:
            states.append(VisitState(raw))
        except ValueError:
            problems.append(FieldProblem(field="state", code="state_unknown",
                                         detail=f"Use one of: {', '.join(VisitState)}."))
    department_id = _int_param(query.get("department_id"), "department_id", problems)
    limit = _int_param(query.get("limit"), "limit", problems)
    if limit is None:
        limit = 100
    elif not 1 <= limit <= MAX_LIST:
        problems.append(FieldProblem(field="limit", code="out_of_range", detail=f"Between 1 and {MAX_LIST}."))
    day = None
    if "day" in query:
        try:
            day = dt.date.fromisoformat(query["day"])
        except ValueError:
            problems.append(FieldProblem(field="day", code="date_invalid", detail="Expected YYYY-MM-DD."))
    if problems:
        raise InvalidInput("Some filters are not valid.", problems)
    async with database(request).read() as session:
        found = await visits.list_visits(session, who, states=states, department_id=department_id, day=day,
                                         limit=limit)
    return json_response(VisitList(items=[visits.visit_out(v) for v in found]))


def _int_param(raw: str | None, name: str, problems: list[FieldProblem]) -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        problems.append(FieldProblem(field=name, code="int_parsing", detail="Expected a whole number."))
        return None
    return int(raw)


@routes.route("GET", "/api/visits/{id}", summary="One visit", auth="staff", response=VisitOut, errors=(404,))
async def get_visit(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        visit = await visits.visit_for_staff(session, who, path_id(request))
    return json_response(visits.visit_out(visit))


@routes.route("POST", "/api/visits/{id}/acknowledge", summary="Say someone is coming for the visitor",
              auth="staff", response=VisitOut, errors=(404, 409))
async def acknowledge(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).write() as session:
        visit = await visits.visit_for_staff(session, who, path_id(request))
        out, audience = await _move(request, session, visit, VisitState.ACKNOWLEDGED, who)
    return await _moved(request, out, audience)


@routes.route("POST", "/api/visits/{id}/transitions", summary="Move a visit to another state", auth="staff",
              body=TransitionRequest, response=VisitOut, errors=(404, 409))
async def transition(request: web.Request, who: StaffIdentity) -> web.Response:
    data = await body(request, TransitionRequest)
    async with database(request).write() as session:
        visit = await visits.visit_for_staff(session, who, path_id(request))
        out, audience = await _move(request, session, visit, data.to, who)
    return await _moved(request, out, audience)


async def _move(request: web.Request, session: AsyncSession, visit: Visit, to: VisitState,
                actor: StaffIdentity | KioskIdentity) -> tuple[VisitOut, Audience]:
    return await visits.transition(session, visit, to, actor, now(request))


async def _moved(request: web.Request, out: VisitOut, audience: Audience | None) -> web.Response:
    if audience is not None:
        await _publish(request, "visit.updated", out, audience)
    return json_response(out)
