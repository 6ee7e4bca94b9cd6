"""The calls API: the front desk logs calls; whoever a message slip is for acknowledges it and marks it done."""
from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from backend.appkeys import HUB, SETTINGS
from backend.calls import service as calls
from backend.calls.schemas import CallIn, CallList, CallNews, CallOut
from backend.core.api import Endpoints, json_response, limit_param
from backend.core.errors import InvalidInput
from backend.core.events import Audience
from backend.core.identity import StaffIdentity
from backend.notifications.dispatcher import wake
from backend.web import body, database, now, path_id
from shared.api import FieldProblem

routes = Endpoints()
MAX_LIMIT = 500


async def announce(app: Mapping, news: str, out: CallOut, audience: Audience) -> None:
    """After the commit: the call's news to the panels, and the deliveries it made sent at once."""
    wake(app)
    await app[HUB].broadcast(CallNews(type=news, call=out).model_dump(mode="json"), audience)


@routes.route("POST", "/api/calls", summary="Log a call taken at the front desk", auth="staff", body=CallIn,
              response=CallOut, status=201, errors=(403, 422))
async def log_call(request: web.Request, who: StaffIdentity) -> web.Response:
    data = await body(request, CallIn)
    async with database(request).write() as session:
        call, _told = await calls.log_call(session, who, data, now(request), request.config_dict[SETTINGS].base_url)
        out = await calls.call_out(session, call, with_events=True)
        audience = await calls.call_audience(session, call)
    await announce(request.config_dict, "call.logged", out, audience)
    return json_response(out, status=201)


@routes.route("GET", "/api/calls", summary="Calls this person may see, newest first", auth="staff",
              response=CallList, errors=(422,),
              query=(("open", "boolean", "Only message slips not yet done (of any age)."),
                     ("limit", "integer", f"At most this many (default {calls.LIST_LIMIT}, up to {MAX_LIMIT}).")))
async def list_calls(request: web.Request, who: StaffIdentity) -> web.Response:
    problems = [FieldProblem(field=name, code="field_unknown", detail="No such filter.")
                for name in sorted(set(request.query) - {"open", "limit"})]
    open_raw = request.query.get("open", "false")
    if open_raw not in ("true", "false", "1", "0"):
        problems.append(FieldProblem(field="open", code="boolean_invalid", detail="true or false."))
    limit = limit_param(request.query, calls.LIST_LIMIT, MAX_LIMIT, problems)
    if problems:
        raise InvalidInput("Some filters are not valid.", problems)
    async with database(request).read() as session:
        rows = await calls.list_calls(session, who, open_only=open_raw in ("true", "1"), limit=limit)
        items = [await calls.call_out(session, row) for row in rows]
    return json_response(CallList(items=items))


@routes.route("GET", "/api/calls/{id}", summary="One call, with what happened to it", auth="staff",
              response=CallOut, errors=(404,))
async def get_call(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        call = await calls.call_for_staff(session, who, path_id(request))
        out = await calls.call_out(session, call, with_events=True)
    return json_response(out)


async def _message_step(request: web.Request, who: StaffIdentity, step) -> web.Response:
    async with database(request).write() as session:
        call = await calls.call_for_staff(session, who, path_id(request))
        changed = await step(session, who, call, now(request))
        out = await calls.call_out(session, call, with_events=True)
        audience = await calls.call_audience(session, call)
    if changed:
        await announce(request.config_dict, "call.updated", out, audience)
    return json_response(out)


@routes.route("POST", "/api/calls/{id}/acknowledge", summary="Take a call's message (stops its escalation)",
              auth="staff", response=CallOut, errors=(404, 409))
async def acknowledge(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _message_step(request, who, calls.acknowledge_message)


@routes.route("POST", "/api/calls/{id}/done", summary="Mark a call's message dealt with", auth="staff",
              response=CallOut, errors=(404, 409))
async def done(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _message_step(request, who, calls.finish_message)
