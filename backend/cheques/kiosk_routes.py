""""Collect my cheque" at the kiosk: identify with the employee number and PIN, then sign for the cheques."""
from __future__ import annotations

import hashlib

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from backend.appkeys import SETTINGS
from backend.cheques import kiosk as collection
from backend.cheques import news, signatures
from backend.cheques.runtime import PIN_LIMITER
from backend.core.api import Endpoints, json_response, read_body
from backend.core.errors import BadRequest, TooManyRequests
from backend.core.identity import KioskIdentity
from backend.kiosks import idempotency
from backend.web import body, database, now
from shared.api import FieldProblem
from shared.api_cheques import (
    SIGNATURE_MAX_BASE64, ChequeCollectOut, ChequeCollectRequest, EmployeeCheques, EmployeeIdentifyRequest,
)

routes = Endpoints()

COLLECT_BODY_BYTES = SIGNATURE_MAX_BASE64 + 16 * 1024
IDEMPOTENCY_HEADER = ("Idempotency-Key", True, "Unique per collection (e.g. a UUID); a retry with the same key "
                      "returns the first answer and changes nothing.")


@routes.route("POST", "/api/kiosk/cheques/identify",
              summary="An employee identifies with their number and PIN; the cheques waiting for them, never amounts",
              auth="kiosk", body=EmployeeIdentifyRequest, response=EmployeeCheques, errors=(401, 423, 429))
async def identify(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    limiter, at = request.config_dict[PIN_LIMITER], now(request)
    key = f"kiosk:{kiosk.kiosk_id}"
    if limiter.blocked(key, at):
        raise TooManyRequests("Too many failed identifications at this kiosk; wait a few minutes.")
    data = await body(request, EmployeeIdentifyRequest)
    async with database(request).write() as session:
        outcome = await collection.identify(session, kiosk, data, at)
    if outcome.failure is not None:
        limiter.fail(key, at)
        raise outcome.failure
    return json_response(outcome.cheques)


@routes.route("POST", "/api/kiosk/cheques/collect",
              summary="The employee signed on screen for these cheques: the desk is told to hand them over",
              auth="kiosk", body=ChequeCollectRequest, response=ChequeCollectOut, status=201, errors=(409, 423),
              headers=(IDEMPOTENCY_HEADER,))
async def collect(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    key = request.headers.get("Idempotency-Key", "")
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        raise BadRequest("Send an Idempotency-Key header of 1 to 255 printable ASCII characters.",
                         [FieldProblem(field="Idempotency-Key", code="required",
                                       detail="A unique key per collection, such as a UUID.")])
    data = await read_body(request, ChequeCollectRequest, COLLECT_BODY_BYTES)
    fingerprint = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
    store, at = signatures.store(request.config_dict[SETTINGS]), now(request)
    for attempt in range(2):
        try:
            async with database(request).write() as session:
                replay = await idempotency.find(session, kiosk.kiosk_id, key, fingerprint)
                if replay is not None:
                    return web.json_response(replay.body, status=replay.status,
                                             headers={"Idempotent-Replayed": "true"})
                out, tidings = await collection.collect(session, kiosk, data, at, store)
                idempotency.remember(session, kiosk.kiosk_id, key, fingerprint, 201, out.model_dump(mode="json"), at)
            break
        except IntegrityError:
            # Two requests with one key raced (PostgreSQL): the loser replays the winner's answer.
            if attempt:
                raise
    await news.publish(request.config_dict, tidings)
    return json_response(out, status=201)
