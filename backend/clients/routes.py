"""The client records API: create, read (audited), change (with history), and the history itself."""
from __future__ import annotations

import datetime as dt

from aiohttp import web
from pydantic import Field
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.clients import service as clients
from backend.clients.models import Client
from backend.clients.schemas import ClientChangeOut, ClientIn, ClientOut
from backend.core.api import Endpoints, json_response
from backend.core.errors import Conflict
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.staff.models import StaffMember
from backend.web import body, database, now, path_id
from shared.api import Response
from shared.enums import ClientStatus

routes = Endpoints()
ACCESS_LIMIT = 500


class ClientHistory(Response):
    items: list[ClientChangeOut]


class ClientView(Response):
    at: dt.datetime
    staff_id: int | None
    staff_name: str
    action: str = Field(description="client.viewed, or what else was done to the record (exported, merged…).")


class ClientViews(Response):
    items: list[ClientView]


@routes.route("POST", "/api/clients", summary="Create a client record", auth="staff", body=ClientIn,
              response=ClientOut, status=201, errors=(403, 422))
async def create_client(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)
    data = await body(request, ClientIn)
    at = now(request)
    async with database(request).write() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        values = await clients.checked_values(session, site, data, at.date())
        client = await clients.create_client(session, site, values, who.staff_id, "api", at)
        out = await clients.client_out(session, client)
    return json_response(out, status=201)


@routes.route("GET", "/api/clients/{id}", summary="One client record (the view is audited)", auth="staff",
              response=ClientOut, errors=(403, 404))
async def get_client(request: web.Request, who: StaffIdentity) -> web.Response:
    # A write: the view is recorded in the audit log in the same transaction.
    async with database(request).write() as session:
        client = await clients.client_for_staff(session, who, path_id(request), now(request))
        out = await clients.client_out(session, client)
    return json_response(out)


@routes.route("PATCH", "/api/clients/{id}", summary="Change a client record's fields (each change is kept)",
              auth="staff", body=ClientIn, response=ClientOut, errors=(403, 404, 409, 422))
async def change_client(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)
    data = await body(request, ClientIn)
    at = now(request)
    async with database(request).write() as session:
        client = await clients.client_for_staff(session, who, path_id(request), at, viewed=False)
        _still_held(client)
        site = await organisation.site(session, client.site_id)
        values = await clients.checked_values(session, site, data, at.date(), client=client)
        await clients.apply(session, client, values, who.staff_id, "api", at)
        out = await clients.client_out(session, client)
    return json_response(out)


@routes.route("GET", "/api/clients/{id}/history", summary="Every change of a client record, newest first",
              auth="staff", response=ClientHistory, errors=(403, 404))
async def client_history(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).write() as session:
        client = await clients.client_for_staff(session, who, path_id(request), now(request))
        items = await clients.history(session, client.id)
    return json_response(ClientHistory(items=items))


@routes.route("GET", "/api/clients/{id}/access", summary="Who looked at or handled a client record, newest first",
              auth="staff", response=ClientViews, errors=(403, 404))
async def client_access(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)  # the trail is for those who keep the records
    async with database(request).read() as session:
        # Reading the trail shows no personal data: it is not itself a view of the record.
        client = await clients.client_for_staff(session, who, path_id(request), now(request), viewed=False)
        rows = (await session.execute(
            select(AuditEvent, StaffMember.display_name)
            .outerjoin(StaffMember, (AuditEvent.actor_type == "staff") & (AuditEvent.actor_id == StaffMember.id))
            .where(AuditEvent.object_type == "client", AuditEvent.object_id == str(client.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(ACCESS_LIMIT))).all()
    return json_response(ClientViews(items=[
        ClientView(at=event.at, staff_id=event.actor_id if event.actor_type == "staff" else None,
                   staff_name=name or "", action=event.action) for event, name in rows]))


def _still_held(client: Client) -> None:
    if client.status in (ClientStatus.MERGED, ClientStatus.ERASED):
        raise Conflict(f"This record was {client.status}: it can no longer be changed.")
