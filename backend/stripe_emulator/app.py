"""The emulator's aiohttp application: Stripe's authentication, errors and idempotency around every /v1 call.

Also on every request (and every second in the background) sessions past their `expires_at` expire, so that
a test advancing the clock sees what Stripe would show at that moment.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from backend.stripe_emulator import checkout_page, forms
from backend.stripe_emulator.errors import StripeError
from backend.stripe_emulator.forms import Params
from backend.stripe_emulator.idempotency import Saved
from backend.stripe_emulator.routes import EMULATOR, ROUTES, Call, Endpoint, emulator_of
from backend.stripe_emulator.state import API_VERSION, Origin, new_id, render

if TYPE_CHECKING:
    from backend.stripe_emulator.emulator import StripeEmulator

logger = logging.getLogger(__name__)

PARAMS = web.RequestKey("stripe_params", Params)
ORIGIN = web.RequestKey("stripe_origin", Origin)
EXPIRY_INTERVAL = 1.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_NO_KEY = ("You did not provide an API key. You need to provide your API key in the Authorization header, using "
           "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#"
           "authentication for details, or we can help at https://support.stripe.com/.")


def build_app(emulator: StripeEmulator) -> web.Application:
    app = web.Application(middlewares=[_middleware])
    app[EMULATOR] = emulator
    for method, path, endpoint in ROUTES:
        app.router.add_route(method, path, _handler(endpoint))
    checkout_page.add_routes(app)
    app.cleanup_ctx.append(_background)
    return app


def _json(status: int, body: Any) -> web.Response:
    # Stripe answers pretty-printed JSON.
    return web.Response(status=status, text=json.dumps(body, indent=2, ensure_ascii=False),
                        content_type="application/json")


def _handler(endpoint: Endpoint) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        emulator = emulator_of(request)
        params = request[PARAMS]
        expand = params.expand()  # checked before anything changes
        result = endpoint(Call(emulator, params, request[ORIGIN], request.match_info, request))
        return _json(200, emulator.state.expand(render(result), expand))
    return handle


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    emulator = emulator_of(request)
    emulator.expire_due_sessions()
    if not request.path.startswith("/v1/"):
        return await handler(request)
    request_id = new_id("req_", 14)
    key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    try:
        response = await _answer(request, handler, emulator, request_id, key)
    except StripeError as error:
        response = _json(error.status, error.body())
    response.headers["Request-Id"] = request_id
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version", API_VERSION)
    if key is not None:
        response.headers["Idempotency-Key"] = key
    logger.debug("%s %s → %s", request.method, request.path, response.status)
    return response


async def _answer(request: web.Request, handler: Handler, emulator: StripeEmulator, request_id: str,
                  key: str | None) -> web.Response:
    _authenticate(request, emulator.secret_key)
    tree = forms.parse(await request.text() if request.method == "POST" else request.query_string)
    request[PARAMS] = Params(tree)
    request[ORIGIN] = Origin(request_id, key)
    if key is None:
        return await _guarded(request, handler)
    saved = emulator.idempotency.check(key, request.path, tree)
    if saved is not None:
        return _replay(saved)
    emulator.idempotency.begin(key)
    try:
        response = await _guarded(request, handler)
    except BaseException:
        emulator.idempotency.abandon(key)
        raise
    emulator.idempotency.end(key, request.path, tree, response.status, response.body, request_id)
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.Response:
    try:
        return await handler(request)  # type: ignore[return-value]
    except StripeError as error:
        return _json(error.status, error.body())
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        return _json(404, StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}). Please "
                                      "see https://stripe.com/docs or we can help at https://support.stripe.com/.")
                     .body())
    except Exception:
        logger.exception("%s %s failed", request.method, request.path)
        return _json(500, StripeError(500, "An unknown error occurred", type="api_error").body())


def _replay(saved: Saved) -> web.Response:
    response = web.Response(status=saved.status, body=saved.body, content_type="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Original-Request"] = saved.request_id
    return response


def _authenticate(request: web.Request, secret_key: str) -> None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":  # `curl -u sk_test_…:` as in Stripe's docs
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            key = base64.b64decode(credentials.strip()).decode().partition(":")[0]
    if not key:
        raise StripeError(401, _NO_KEY)
    if key.startswith(("sk_live_", "rk_live_")):
        raise StripeError(401, "Live keys are not accepted by the emulator: it only stands in for Stripe's test "
                          "mode. Use a test key (sk_test_…).")
    if not hmac.compare_digest(key.encode(), secret_key.encode()):
        masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key[:3] + "***"
        raise StripeError(401, f"Invalid API Key provided: {masked}")


async def _background(app: web.Application) -> AsyncIterator[None]:
    emulator: StripeEmulator = app[EMULATOR]  # type: ignore[assignment]
    expiry = asyncio.get_running_loop().create_task(_expire_periodically(emulator), name="stripe emulator expiry")
    yield
    expiry.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await expiry
    await emulator.state.cancel_tasks()
    await emulator.deliverer.close()


async def _expire_periodically(emulator: StripeEmulator) -> None:
    while True:
        await asyncio.sleep(EXPIRY_INTERVAL)
        try:
            emulator.expire_due_sessions()
        except Exception:
            logger.exception("expiring Checkout Sessions failed")
