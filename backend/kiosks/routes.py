"""Kiosk endpoints: its configuration and its live channel."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from backend.core.api import Endpoints, json_response
from backend.core.identity import KioskIdentity
from backend.kiosks import service as kiosks
from backend.kiosks.models import KioskDevice
from backend.payments import requests
from backend.payments.runtime import CASHIER
from backend.appkeys import PAIRING_LIMITER
from backend.core.errors import TooManyRequests, Unauthorized
from backend.web import body, database, now, serve_live
from shared.api import KioskConfig, KioskPayments, KioskOut, PairOut, PairRequest, VisitEvent

routes = Endpoints()


@routes.route("GET", "/api/kiosk/config", summary="What the kiosk shows: site, departments, people, visitor types",
              auth="kiosk", response=KioskConfig)
async def kiosk_config(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    async with database(request).read() as session:
        config = await kiosks.config(session, kiosk)
        desk = request.config_dict.get(CASHIER)
        if desk is not None:
            reader = await session.scalar(select(KioskDevice.stripe_reader_id).where(KioskDevice.id == kiosk.kiosk_id))
            config.payments = KioskPayments(card=bool(reader), phone=True, test_mode=desk.gateway.test_mode,
                                            fees=await requests.kiosk_fees(session, kiosk.site_id))
    return json_response(config)


@routes.route("GET", "/api/kiosk/ws", summary="The kiosk's live channel: news of the visits it made",
              auth="kiosk", response=VisitEvent, websocket=True)
async def kiosk_live(request: web.Request, kiosk: KioskIdentity) -> web.WebSocketResponse:
    return await serve_live(request, kiosk_id=kiosk.kiosk_id)


@routes.route("POST", "/api/kiosk/pair", summary="Exchange a pairing code typed on the kiosk for its token",
              auth=None, body=PairRequest, response=PairOut, errors=(401, 429))
async def pair(request: web.Request) -> web.Response:
    data = await body(request, PairRequest)
    at = now(request)
    limiter = request.config_dict[PAIRING_LIMITER]
    address = request.remote or "unknown"
    if limiter.blocked(address, at):
        raise TooManyRequests("Too many wrong pairing codes from this address; wait a few minutes.")
    async with database(request).write() as session:
        paired = await kiosks.pair(session, data.code, at=at)
    if paired is None:
        limiter.fail(address, at)
        raise Unauthorized("This pairing code is unknown, used or expired. Ask for a new one.")
    kiosk, token = paired
    return json_response(PairOut(token=token, kiosk=KioskOut(id=kiosk.id, name=kiosk.name)))
