"""Kiosk endpoints for returning clients: identify (file number or phone, and birth date), and ask for contact
changes that wait for a clerk."""
from __future__ import annotations


from aiohttp import web

from backend.clients import contact_changes, identification
from backend.clients.change_schemas import ContactChangeNews
from backend.clients.service import CLIENT_KEEPERS
from backend.core.api import Endpoints, json_response
from backend.core.errors import PROBLEM_TYPE, NotFound
from backend.core.events import Audience
from backend.core.identity import KioskIdentity
from backend.kiosks import idempotency
from backend.web import body, database, hub, now
from shared.api import Problem
from shared.api_clients import ClientIdentified, ClientIdentifyRequest, ContactChangeOut, ContactUpdateRequest
from shared.fields import shown_number

routes = Endpoints()



def _too_many(retry_after: int) -> web.Response:
    """429 with the wait in the body as well as in Retry-After, so the kiosk can count it down."""
    problem = Problem(type="/problems/too-many-requests", title="Too many requests", status=429,
                      detail="Too many failed identifications at this kiosk; try again in a few minutes.")
    return web.json_response({**problem.model_dump(mode="json"), "retry_after": retry_after}, status=429,
                             content_type=PROBLEM_TYPE, headers={"Retry-After": str(retry_after)})


@routes.route("POST", "/api/kiosk/clients/identify", summary="A returning client identifies: file number or "
              "phone, and birth date", auth="kiosk", body=ClientIdentifyRequest, response=ClientIdentified,
              errors=(404, 429))
async def identify(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    data = await body(request, ClientIdentifyRequest)
    at = now(request)
    try:
        # A failure is committed too: it is what the limit per kiosk counts.
        async with database(request).write() as session:
            found = await identification.identify(session, kiosk, data, at)
            pending = found is not None and await contact_changes.pending_of(session, found.client.id) is not None
    except identification.TooManyFailures as refused:
        return _too_many(refused.retry_after)
    if found is None:
        raise NotFound(identification.NOT_FOUND)
    client = found.client
    return json_response(ClientIdentified(
        client_token=found.token, given_name=client.given_name, family_name=client.family_name, phone=client.phone,
        phone_shown=shown_number(client.phone, found.country) if client.phone else "", email=client.email,
        address=client.address, city=client.city, postal_code=client.postal_code, change_pending=pending))


@routes.route("POST", "/api/kiosk/clients/contact-changes", summary="A client asks to change their contact "
              "details; a clerk approves or rejects", auth="kiosk", body=ContactUpdateRequest,
              response=ContactChangeOut, status=201, errors=(409,), headers=(idempotency.header("change"),))
async def propose_change(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    key = idempotency.key_of(request, "change")
    data = await body(request, ContactUpdateRequest)
    at = now(request)

    async def work(session) -> tuple[ContactChangeOut, int]:
        change = await contact_changes.propose(session, kiosk, data, at)
        return ContactChangeOut(id=change.id, state=change.state, fields=list(change.fields)), change.client_id

    done = await idempotency.once(database(request), kiosk.kiosk_id, key, data, at, work)
    if isinstance(done, web.Response):
        return done
    out, client_id = done
    news = ContactChangeNews(type="client.contact_change_proposed", id=out.id, client_id=client_id,
                             state=out.state)
    await hub(request).broadcast(news.model_dump(mode="json"), Audience(roles=CLIENT_KEEPERS))
    return json_response(out, status=201)
