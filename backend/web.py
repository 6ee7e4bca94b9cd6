"""What handlers use from the running application: its database, hub, clock, and authenticated caller."""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel

from backend.appkeys import CLOCK, DATABASE, HUB, SETTINGS, SIGN_IN_LIMITER
from backend.core.api import Endpoint, read_body
from backend.core.db import Database
from backend.core.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from backend.core.events import EventHub, LiveClient
from backend.core.identity import KIOSK_TOKEN_PREFIX, STAFF_TOKEN_PREFIX, KioskIdentity, StaffIdentity, bearer_token
from backend.kiosks import service as kiosks
from backend.staff import service as staff
from backend.staff import sessions

M = TypeVar("M", bound=BaseModel)


def database(request: web.Request) -> Database:
    return request.config_dict[DATABASE]


def hub(request: web.Request) -> EventHub:
    return request.config_dict[HUB]


def now(request: web.Request) -> dt.datetime:
    return request.config_dict[CLOCK]()


async def body(request: web.Request, model: type[M]) -> M:
    return await read_body(request, model, request.config_dict[SETTINGS].max_body_bytes)


SESSION_COOKIE = "accueil_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_TOKEN = web.RequestKey("csrf_token", str)


async def check_sign_in(request: web.Request, session, login: str, password: str) -> staff.SignIn:
    """The password check, slowed down per address as well as per account."""
    limiter = request.config_dict[SIGN_IN_LIMITER]
    address = request.remote or "unknown"
    at = now(request)
    if limiter.blocked(address, at):
        return staff.SignIn(failure=TooManyRequests("Too many failed sign-ins from this address; wait a few minutes."))
    settings = request.config_dict[SETTINGS]
    outcome = await staff.check_password(session, login, password, now=at, max_failures=settings.login_max_failures,
                                         lock_minutes=settings.login_lock_minutes)
    if outcome.failure is not None:
        limiter.fail(address, at)
    return outcome


async def session_staff(request: web.Request) -> StaffIdentity | None:
    """The staff member signed in with this browser's session cookie, if any (the CSRF token is kept aside)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    idle = dt.timedelta(minutes=request.config_dict[SETTINGS].session_idle_minutes)
    async with database(request).write() as session:
        found = await sessions.resume(session, token, now(request), idle)
    if found is None:
        return None
    who, csrf = found
    request[CSRF_TOKEN] = csrf
    return who


def check_csrf(request: web.Request, sent: str | None) -> None:
    expected = request.get(CSRF_TOKEN)
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("This form has expired or did not come from Accueil. Reload the page and try again.")


def same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and origin.split("://", 1)[-1] == request.host


async def authenticate_staff(request: web.Request) -> StaffIdentity:
    if "Authorization" not in request.headers:
        # The panel's own scripts: the session cookie, with the defences a cookie needs.
        who = await session_staff(request)
        if who is None:
            raise Unauthorized("Sign in, or send a token as 'Authorization: Bearer <token>'.")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            if not same_origin(request):
                raise Forbidden("Live updates are only for pages of this site.")
        elif request.method not in SAFE_METHODS:
            check_csrf(request, request.headers.get(CSRF_HEADER))
        return who
    token = bearer_token(request)
    async with database(request).read() as session:
        who = await staff.identify(session, token, now(request))
        if who is not None:
            if who.read_only and request.method not in SAFE_METHODS:
                raise Forbidden("This token may only read; ask an administrator for one that may act.")
            return who
        if token.startswith(KIOSK_TOKEN_PREFIX) and await kiosks.identify(session, token) is not None:
            raise Forbidden("This endpoint is for staff; a kiosk token cannot be used here.")
    raise Unauthorized("The token is unknown, expired or revoked.")


async def authenticate_kiosk(request: web.Request) -> KioskIdentity:
    token = bearer_token(request)
    db = database(request)
    async with db.read() as session:
        found = await kiosks.identify(session, token)
        if found is None and token.startswith(STAFF_TOKEN_PREFIX) and await staff.identify(
                session, token, now(request)) is not None:
            raise Forbidden("This endpoint is for kiosks; a staff token cannot act as a kiosk.")
    if found is None:
        raise Unauthorized("The kiosk token is unknown or revoked.")
    kiosk, last_seen = found
    at = now(request)
    if kiosks.needs_seen_update(last_seen, at):
        async with db.write() as session:
            await kiosks.mark_seen(session, kiosk.kiosk_id, at)
    return kiosk


def with_auth(endpoint: Endpoint) -> web.Handler:
    """The aiohttp handler for an endpoint: authenticates the caller first, as the endpoint declares."""
    if endpoint.auth is None:
        return endpoint.handler
    authenticate = authenticate_kiosk if endpoint.auth == "kiosk" else authenticate_staff

    @functools.wraps(endpoint.handler)
    async def handler(request: web.Request) -> web.StreamResponse:
        return await endpoint.handler(request, await authenticate(request))

    return handler


def path_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise NotFound(f"There is nothing at this address ({name} must be a number).")
    return int(raw)


async def serve_live(request: web.Request, **who: object) -> web.WebSocketResponse:
    """Open a live channel for a staff member or a kiosk and keep it until it closes."""
    settings = request.config_dict[SETTINGS]
    ws = web.WebSocketResponse(heartbeat=settings.ws_heartbeat_seconds)
    await ws.prepare(request)
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=settings.ws_queue_size)
    # The first message tells the client it is registered and will miss nothing from now on.
    queue.put_nowait('{"type":"ready"}')
    await hub(request).serve(LiveClient(ws=ws, queue=queue, **who))
    return ws
