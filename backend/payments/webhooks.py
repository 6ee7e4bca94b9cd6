"""POST /hooks/stripe: Stripe's webhooks, verified by their signature, applied once whatever their order."""
from __future__ import annotations

import json
import logging

import stripe
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from backend.core.api import Endpoints, read_limited
from backend.core.errors import BadRequest
from backend.payments.models import StripeEvent
from backend.payments.runtime import cashier
from backend.web import database, now

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 512 * 1024
INTENT_EVENTS = {"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"}
READER_EVENTS = {"terminal.reader.action_succeeded", "terminal.reader.action_failed"}
CHECKOUT_EVENTS = {"checkout.session.completed", "checkout.session.expired"}

routes = Endpoints()


@routes.route("POST", "/hooks/stripe", summary="Stripe's webhook events, signed (Stripe-Signature)", auth=None,
              errors=(400, 409), headers=(("Stripe-Signature", True, "Stripe's signature of the raw body."),))
async def stripe_webhook(request: web.Request) -> web.Response:
    desk = cashier(request)
    raw = await read_limited(request, MAX_EVENT_BYTES)
    try:
        stripe.Webhook.construct_event(raw.decode("utf-8"), request.headers.get("Stripe-Signature", ""),
                                       desk.webhook_secret)
    except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError):
        log.warning("a webhook with a bad signature was refused")
        raise BadRequest("The Stripe-Signature header does not match this body.") from None
    event = json.loads(raw)
    async with database(request).read() as session:
        if await session.get(StripeEvent, event["id"]) is not None:
            return web.json_response({"received": True, "duplicate": True})
    # Each event is only a cue: the payment is settled from what Stripe says now, so a late or repeated
    # event changes nothing, and one that fails here (500) is simply sent again by Stripe.
    obj = event["data"]["object"]
    kind = event["type"]
    if kind in INTENT_EVENTS:
        await desk.sync_intent(obj["id"])
    elif kind in READER_EVENTS:
        action = obj.get("action") or {}
        intent_id = (action.get("process_payment_intent") or {}).get("payment_intent")
        if intent_id:
            await desk.sync_intent(intent_id, action_failure=action if action.get("status") == "failed" else None)
    elif kind in CHECKOUT_EVENTS:
        await desk.sync_session(obj["id"])
    try:
        async with database(request).write() as session:
            session.add(StripeEvent(id=event["id"], type=kind[:100], received_at=now(request)))
    except IntegrityError:
        pass  # the same event, delivered twice at once: both applied the same outcome
    return web.json_response({"received": True})
