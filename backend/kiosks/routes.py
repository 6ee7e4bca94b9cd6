"""Kiosk endpoints: its configuration and its live channel."""
from __future__ import annotations

from aiohttp import web

from backend.core.api import Endpoints, json_response
from backend.core.identity import KioskIdentity
from backend.kiosks import service as kiosks
from backend.web import database, serve_live
from shared.api import KioskConfig, VisitEvent

routes = Endpoints()


@routes.route("GET", "/api/kiosk/config", summary="What the kiosk shows: site, departments, people, visitor types",
              auth="kiosk", response=KioskConfig)
async def kiosk_config(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    async with database(request).read() as session:
        config = await kiosks.config(session, kiosk)
    return json_response(config)


@routes.route("GET", "/api/kiosk/ws", summary="The kiosk's live channel: news of the visits it made",
              auth="kiosk", response=VisitEvent, websocket=True)
async def kiosk_live(request: web.Request, kiosk: KioskIdentity) -> web.WebSocketResponse:
    return await serve_live(request, kiosk_id=kiosk.kiosk_id)
