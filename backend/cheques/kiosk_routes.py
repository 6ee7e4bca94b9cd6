""""Collect my cheque" at the kiosk: identify with the employee number and PIN, then sign for the cheques."""
from __future__ import annotations


from aiohttp import web

from backend.appkeys import SETTINGS
from backend.cheques import kiosk as collection
from backend.cheques import news, signatures
from backend.core.api import Endpoints, json_response, read_body
from backend.core.identity import KioskIdentity
from backend.kiosks import idempotency
from backend.web import body, database, now
from shared.api_cheques import (
    SIGNATURE_MAX_BASE64, ChequeCollectOut, ChequeCollectRequest, EmployeeCheques, EmployeeIdentifyRequest,
)

routes = Endpoints()

COLLECT_BODY_BYTES = SIGNATURE_MAX_BASE64 + 16 * 1024


@routes.route("POST", "/api/kiosk/cheques/identify",
              summary="An employee identifies with their number and PIN; the cheques waiting for them, never amounts",
              auth="kiosk", body=EmployeeIdentifyRequest, response=EmployeeCheques, errors=(401, 423, 429))
async def identify(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    data = await body(request, EmployeeIdentifyRequest)
    # A failure is committed too: the audit trail is what the limit per kiosk counts.
    async with database(request).write() as session:
        outcome = await collection.identify(session, kiosk, data, now(request))
    if outcome.failure is not None:
        raise outcome.failure
    return json_response(outcome.cheques)


@routes.route("POST", "/api/kiosk/cheques/collect",
              summary="The employee signed on screen for these cheques: the desk is told to hand them over",
              auth="kiosk", body=ChequeCollectRequest, response=ChequeCollectOut, status=201, errors=(409, 423),
              headers=(idempotency.header("collection"),))
async def collect(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    key = idempotency.key_of(request, "collection")
    data = await read_body(request, ChequeCollectRequest, COLLECT_BODY_BYTES)
    store, at = signatures.store(request.config_dict[SETTINGS]), now(request)
    done = await idempotency.once(database(request), kiosk.kiosk_id, key, data, at,
                                  lambda session: collection.collect(session, kiosk, data, at, store))
    if isinstance(done, web.Response):
        return done
    out, tidings = done
    await news.publish(request.config_dict, tidings)
    return json_response(out, status=201)
