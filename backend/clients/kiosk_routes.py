"""Kiosk endpoints for returning clients: identify (file number or phone, and birth date), and ask for contact
changes that wait for a clerk."""
from __future__ import annotations

import hashlib

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from backend.clients import contact_changes, identification
from backend.clients.change_schemas import ContactChangeNews
from backend.clients.service import CLIENT_KEEPERS
from backend.core.api import Endpoints, json_response
from backend.core.errors import PROBLEM_TYPE, BadRequest, NotFound
from backend.core.events import Audience
from backend.core.identity import KioskIdentity
from backend.kiosks import idempotency
from backend.web import body, database, hub, now
from shared.api import (
    ClientIdentified, ClientIdentifyRequest, ContactChangeOut, ContactUpdateRequest, FieldProblem, Problem,
)
from shared.fields import shown_number

routes = Endpoints()

IDEMPOTENCY_HEADER = ("Idempotency-Key", False, "Unique per request (e.g. a UUID); a retry with the same key "
                      "returns the first answer and stores nothing new.")


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
              response=ContactChangeOut, status=201, errors=(409,), headers=(IDEMPOTENCY_HEADER,))
async def propose_change(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    key = request.headers.get("Idempotency-Key")
    if key is not None and (not key or len(key) > 255 or not key.isascii() or not key.isprintable()):
        raise BadRequest("An Idempotency-Key has 1 to 255 printable ASCII characters.",
                         [FieldProblem(field="Idempotency-Key", code="invalid", detail="Use a UUID, for instance.")])
    data = await body(request, ContactUpdateRequest)
    fingerprint = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
    at = now(request)
    for attempt in range(2):
        try:
            async with database(request).write() as session:
                if key:
                    replay = await idempotency.find(session, kiosk.kiosk_id, key, fingerprint)
                    if replay is not None:
                        return web.json_response(replay.body, status=replay.status,
                                                 headers={"Idempotent-Replayed": "true"})
                change = await contact_changes.propose(session, kiosk, data, at)
                out = ContactChangeOut(id=change.id, state=change.state, fields=list(change.fields))
                if key:
                    idempotency.remember(session, kiosk.kiosk_id, key, fingerprint, 201,
                                         out.model_dump(mode="json"), at)
            break
        except IntegrityError:
            # Two requests with one key raced (PostgreSQL): the loser replays the winner's answer.
            if attempt:
                raise
    news = ContactChangeNews(type="client.contact_change_proposed", id=change.id, client_id=change.client_id,
                             state=change.state)
    await hub(request).broadcast(news.model_dump(mode="json"), Audience(roles=CLIENT_KEEPERS))
    return json_response(out, status=201)
