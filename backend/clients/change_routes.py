"""The staff API of contact changes asked for at the kiosk: the queue, and approving or rejecting one."""
from __future__ import annotations

from aiohttp import web

from backend.clients import contact_changes
from backend.clients import service as clients
from backend.clients.change_schemas import ContactChangeList, ContactChangeNews, ContactChangeView, RejectIn
from backend.clients.kiosk_models import ContactChangeState
from backend.clients.service import CLIENT_KEEPERS
from backend.core.api import Endpoints, json_response
from backend.core.errors import InvalidInput
from backend.core.events import Audience
from backend.core.identity import StaffIdentity
from backend.web import body, database, hub, now, path_id
from shared.api import FieldProblem

routes = Endpoints()


async def announce(request: web.Request, out: ContactChangeView) -> None:
    """After the commit: other clerks' queues show the change gone."""
    news = ContactChangeNews(type="client.contact_change_reviewed", id=out.id, client_id=out.client_id,
                             state=out.state)
    await hub(request).broadcast(news.model_dump(mode="json"), Audience(roles=CLIENT_KEEPERS))


@routes.route("GET", "/api/clients/contact-changes", summary="Contact changes asked for at the kiosk",
              auth="staff", response=ContactChangeList, errors=(422,),
              query=(("state", "string", "pending (oldest first), approved or rejected (newest first); all when "
                                         "absent."),))
async def list_changes(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, CLIENT_KEEPERS)
    raw = request.query.get("state", "")
    if raw and raw not in ContactChangeState.__members__.values():
        raise InvalidInput("Unknown state.", [FieldProblem(field="state", code="state_unknown",
                                                           detail="Use one of: pending, approved, rejected.")])
    async with database(request).read() as session:
        items = await contact_changes.list_changes(session, who, ContactChangeState(raw) if raw else None)
    return json_response(ContactChangeList(items=items))


@routes.route("POST", "/api/clients/contact-changes/{id}/approve", summary="Apply a contact change to the record "
              "(its history says kiosk, and who approved)", auth="staff", response=ContactChangeView,
              errors=(404, 409))
async def approve(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, CLIENT_KEEPERS)
    async with database(request).write() as session:
        await contact_changes.approve(session, who, path_id(request), now(request))
        out = await contact_changes.view(session, path_id(request))
    await announce(request, out)
    return json_response(out)


@routes.route("POST", "/api/clients/contact-changes/{id}/reject", summary="Reject a contact change; the record "
              "stays as it is", auth="staff", body=RejectIn, response=ContactChangeView, errors=(404, 409))
async def reject(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, CLIENT_KEEPERS)
    data = await body(request, RejectIn)
    async with database(request).write() as session:
        await contact_changes.reject(session, who, path_id(request), data.reason, now(request))
        out = await contact_changes.view(session, path_id(request))
    await announce(request, out)
    return json_response(out)
