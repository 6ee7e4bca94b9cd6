"""Staff endpoints: signing in for a token, and the staff live channel."""
from __future__ import annotations

import datetime as dt

from aiohttp import web

from backend.appkeys import SETTINGS
from backend.core.api import Endpoints, json_response
from backend.core.identity import StaffIdentity
from backend.staff import service as staff
from backend.web import body, check_sign_in, database, now, serve_live
from shared.api import TokenOut, TokenRequest, VisitEvent

routes = Endpoints()


@routes.route("POST", "/api/auth/token", summary="Sign in: exchange a login and password for a staff token",
              auth=None, body=TokenRequest, response=TokenOut, status=201, errors=(401, 423, 429))
async def sign_in(request: web.Request) -> web.Response:
    data = await body(request, TokenRequest)
    settings = request.config_dict[SETTINGS]
    at = now(request)
    expires_at = at + dt.timedelta(hours=settings.token_hours)
    async with database(request).write() as session:
        outcome = await check_sign_in(request, session, data.username, data.password)
        if outcome.failure is None:
            token = await staff.create_token(session, data.username, label="sign-in", at=at, expires_at=expires_at,
                                             actor=("staff", outcome.member.id))
    if outcome.failure is not None:
        raise outcome.failure
    return json_response(TokenOut(token=token, expires_at=expires_at, staff_id=outcome.member.id,
                                  roles=sorted(outcome.member.role_set)), status=201)


@routes.route("GET", "/api/ws", summary="The staff live channel: visits for me, my departments, or the lobby",
              auth="staff", response=VisitEvent, websocket=True)
async def staff_live(request: web.Request, who: StaffIdentity) -> web.WebSocketResponse:
    return await serve_live(request, staff_id=who.staff_id, roles=who.roles)
