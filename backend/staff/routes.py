"""Staff endpoints: signing in for a token, and the staff live channel."""
from __future__ import annotations

from aiohttp import web

from backend.appkeys import SETTINGS
from backend.core.api import Endpoints, json_response
from backend.core.identity import StaffIdentity
from backend.staff import service as staff
from backend.web import body, database, now, serve_live
from shared.api import TokenOut, TokenRequest, VisitEvent

routes = Endpoints()


@routes.route("POST", "/api/auth/token", summary="Sign in: exchange a login and password for a staff token",
              auth=None, body=TokenRequest, response=TokenOut, status=201, errors=(401, 423))
async def sign_in(request: web.Request) -> web.Response:
    data = await body(request, TokenRequest)
    settings = request.config_dict[SETTINGS]
    at = now(request)
    async with database(request).write() as session:
        outcome = await staff.sign_in(
            session, data.username, data.password, now=at, token_hours=settings.token_hours,
            max_failures=settings.login_max_failures, lock_minutes=settings.login_lock_minutes)
    if outcome.failure is not None:
        raise outcome.failure
    member = outcome.member
    return json_response(TokenOut(token=outcome.token, expires_at=outcome.expires_at, staff_id=member.id,
                                  roles=sorted(member.role_set)), status=201)


@routes.route("GET", "/api/ws", summary="The staff live channel: visits for me, my departments, or the lobby",
              auth="staff", response=VisitEvent, websocket=True)
async def staff_live(request: web.Request, who: StaffIdentity) -> web.WebSocketResponse:
    return await serve_live(request, staff_id=who.staff_id, roles=who.roles)
