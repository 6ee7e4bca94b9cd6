"""A running emulator reached through the real stripe library, and a real webhook receiver that checks every
signature with `stripe.Webhook.construct_event`, as the product's endpoint does."""
from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import stripe
from aiohttp import web

from backend.stripe_emulator import StripeEmulator, running_emulator

SECRET = "whsec_test_emulator"
KEY = "sk_test_emulator"
RETRY_DELAYS = (0.01, 0.02, 0.04)


class Clock:
    """The emulator's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Receiver:
    """The webhook endpoint: keeps the events whose signature verifies, refuses others with 400."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.rejected: list[Exception] = []
        self.fail_next = 0  # answer 500 to that many deliveries before accepting
        self.refused: list[str] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            event = stripe.Webhook.construct_event(raw, request.headers.get("Stripe-Signature"), SECRET)
        except (stripe.SignatureVerificationError, ValueError) as error:
            self.rejected.append(error)
            return web.Response(status=400)
        if self.fail_next > 0:
            self.fail_next -= 1
            self.refused.append(event.id)
            return web.Response(status=500)
        assert event.object == "event"
        self.events.append(json.loads(raw))
        return web.Response(text="ok")

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == event_type]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]


@pytest.fixture
async def receiver(aiohttp_server) -> AsyncIterator[Receiver]:  # noqa: ANN001 - pytest-aiohttp's factory
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/webhooks/stripe", receiver.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    receiver.url = str(server.make_url("/webhooks/stripe"))
    yield receiver
    assert receiver.rejected == [], "every webhook must carry a valid Stripe signature"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def emulator(receiver: Receiver, clock: Clock) -> AsyncIterator[StripeEmulator]:
    async with running_emulator(webhook_url=receiver.url, webhook_secret=SECRET, clock=clock,
                                webhook_retry_delays=RETRY_DELAYS) as emulator:
        yield emulator


@contextlib.asynccontextmanager
async def stripe_client(emulator: StripeEmulator, key: str = KEY) -> AsyncIterator[stripe.StripeClient]:
    """The client as the product builds it; only the API base differs from real Stripe."""
    http_client = stripe.AIOHTTPClient()
    try:
        yield stripe.StripeClient(key, base_addresses={"api": emulator.base_url}, http_client=http_client)
    finally:
        await http_client.close_async()


@pytest.fixture
async def client(emulator: StripeEmulator) -> AsyncIterator[stripe.StripeClient]:
    async with stripe_client(emulator) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
