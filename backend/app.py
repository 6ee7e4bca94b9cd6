"""create_app(settings): the only place that assembles the backend."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from backend.appkeys import CLOCK, DATABASE, HUB, PAIRING_LIMITER, SETTINGS, SIGN_IN_LIMITER, Clock, utc_now
from backend.core.api import Endpoints, json_response, openapi_document
from backend.core.db import Database
from backend.core.errors import problem_middleware
from backend.core.events import EventHub
from backend.core.periodic import repeating
from backend.core.ratelimit import FailureLimiter
from backend.core.relay import PostgresRelay
from backend.core.security import security_headers
from backend.panel import routes as panel
from backend.routing import service as routing
from backend.routing.escalator import escalations_context
from backend.calls.phone_events import routes as phone_event_routes
from backend.calls.routes import routes as call_routes
from backend.calls.voice import routes as voice_routes
from backend.cheques.employee_routes import routes as cheque_employee_routes
from backend.cheques.kiosk_routes import routes as cheque_kiosk_routes
from backend.cheques.routes import routes as cheque_routes
from backend.cheques.runtime import cheques_context
from backend.clients.change_routes import routes as contact_change_routes
from backend.clients.document_routes import routes as document_routes
from backend.clients.identification import passes_context
from backend.clients.kiosk_routes import routes as kiosk_client_routes
from backend.clients.duplicate_routes import routes as duplicate_routes
from backend.clients.import_job_routes import routes as import_job_routes
from backend.clients.import_jobs import imports_context
from backend.clients.privacy import retention_context
from backend.clients.privacy_routes import routes as privacy_routes
from backend.clients.routes import routes as client_routes
from backend.clients.search_routes import routes as search_routes
from backend.clients.transfer_routes import routes as transfer_routes
from backend.kiosks import idempotency
from backend.kiosks.routes import routes as kiosk_routes
from backend.notifications.dispatcher import deliveries_context
from backend.notifications.routes import routes as delivery_routes
from backend.payments.routes import routes as payment_routes
from backend.payments.runtime import payments_context
from backend.payments.webhooks import routes as webhook_routes
from backend.receipts import routes as receipt_pages
from backend.receipts.routes import routes as receipt_routes
from backend.settings import Settings
from backend.staff.routes import routes as staff_routes
from backend.visits.routes import routes as visit_routes
from backend.web import database, with_auth
from shared.api import Health

log = logging.getLogger(__name__)

VERSION = "0.1.0"
HOUSEKEEPING_SECONDS = 3600

routes = Endpoints()


@routes.route("GET", "/healthz", summary="The process answers", auth=None, response=Health)
async def healthz(request: web.Request) -> web.Response:
    return json_response(Health(status="ok"))


@routes.route("GET", "/readyz", summary="The database answers", auth=None, response=Health, errors=(503,))
async def readyz(request: web.Request) -> web.Response:
    try:
        await asyncio.wait_for(database(request).ping(), timeout=5)
    except Exception as error:  # any failure to reach the database means "not ready"
        log.warning("readiness check failed: %s", type(error).__name__)
        raise web.HTTPServiceUnavailable(text="The database does not answer.") from None
    return json_response(Health(status="ok"))


@routes.route("GET", "/api/openapi.json", summary="This document", auth=None)
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(ENDPOINTS, title="Accueil API", version=VERSION))


ENDPOINTS = [*routes.items, *kiosk_routes.items, *visit_routes.items, *staff_routes.items, *payment_routes.items,
             *receipt_routes.items, *webhook_routes.items, *delivery_routes.items, *call_routes.items,
             *voice_routes.items, *phone_event_routes.items, *kiosk_client_routes.items,
             *contact_change_routes.items, *client_routes.items,
             *search_routes.items, *duplicate_routes.items, *transfer_routes.items,
             *document_routes.items, *privacy_routes.items, *import_job_routes.items,
             # Employees' fixed paths before /api/cheques/{id}, which would take them for an id.
             *cheque_employee_routes.items, *cheque_routes.items, *cheque_kiosk_routes.items]


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.is_sqlite and settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.sqlalchemy_url)
    hub = EventHub(settings.ws_queue_size)
    app[DATABASE] = database
    app[HUB] = hub
    log.info("database: %s", settings.database_label)
    deliveries: set[asyncio.Task] = set()
    hub.on_delivered.append(lambda reached, event: _record_delivery(app, reached, event, deliveries))
    if not database.is_sqlite:
        hub.relay = PostgresRelay(database, hub.publish, app[CLOCK])
        await hub.relay.start()
    try:
        async with repeating("housekeeping", HOUSEKEEPING_SECONDS, lambda: _housekeeping(app), first_after=0):
            yield
    finally:
        if hub.relay is not None:
            await hub.relay.close()
        await hub.close_all()
        await asyncio.gather(*deliveries, return_exceptions=True)
        await database.dispose()


def _record_delivery(app: web.Application, reached: frozenset[int], event: dict, tasks: set[asyncio.Task]) -> None:
    """A visit's or a call's news reached these staff members' panels on this instance: note it on their
    notifications."""
    about = {name: event[name]["id"] for name in ("visit", "call") if isinstance(event.get(name), dict)}
    if not reached or not about:
        return

    async def record() -> None:
        async with app[DATABASE].write() as session:
            await routing.mark_delivered(session, reached, app[CLOCK](), visit_id=about.get("visit"),
                                         call_id=about.get("call"))

    task = asyncio.ensure_future(record())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _housekeeping(app: web.Application) -> None:
    """Hourly: forget idempotent replies old enough that no kiosk will retry them, and relayed events."""
    async with app[DATABASE].write() as session:
        await idempotency.forget_old(session, app[CLOCK]())
    if app[HUB].relay is not None:
        await app[HUB].relay.forget_old()


def create_app(settings: Settings, *, clock: Clock = utc_now) -> web.Application:
    # Bodies are limited per endpoint in read_body; this is the hard cap for anything else.
    app = web.Application(middlewares=[security_headers, problem_middleware], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[PAIRING_LIMITER] = FailureLimiter(limit=10, window=dt.timedelta(minutes=10))
    # Per address, on top of the per-account lock: one address trying many accounts is slowed down too.
    app[SIGN_IN_LIMITER] = FailureLimiter(limit=20, window=dt.timedelta(minutes=10))
    for endpoint in ENDPOINTS:
        app.router.add_route(endpoint.method, endpoint.path, with_auth(endpoint))
    receipt_pages.setup(app)
    panel.setup(app)
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(payments_context)
    app.cleanup_ctx.append(deliveries_context)
    app.cleanup_ctx.append(escalations_context)
    app.cleanup_ctx.append(retention_context)
    app.cleanup_ctx.append(cheques_context)
    app.cleanup_ctx.append(imports_context)
    app.cleanup_ctx.append(passes_context)
    app.on_shutdown.append(_close_live_channels)
    return app


async def _close_live_channels(app: web.Application) -> None:
    # Before aiohttp waits for open connections to end: a live channel never ends by itself.
    await app[HUB].close_all()
