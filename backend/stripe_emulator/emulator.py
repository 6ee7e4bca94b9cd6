"""`StripeEmulator`: the state, webhooks and aiohttp app together; `running_emulator` serves one on a port."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from backend.stripe_emulator import checkout
from backend.stripe_emulator.app import build_app
from backend.stripe_emulator.idempotency import IdempotencyStore
from backend.stripe_emulator.state import State, StripeObject
from backend.stripe_emulator.webhooks import Deliverer

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class StripeEmulator:
    """Stripe's test mode for the endpoints the product uses, reached with the official `stripe` library."""

    def __init__(self, webhook_url: str | None, webhook_secret: str, *, secret_key: str = "sk_test_emulator",
                 public_url: str | None = None, clock: Callable[[], datetime] = utc_now,
                 webhook_retry_delays: Sequence[float] = (0.5, 1, 2, 4, 8),
                 enabled_events: Collection[str] = ("*",), processing_delay: float = 0.0) -> None:
        """`enabled_events` filters what is delivered, as a Stripe webhook endpoint's setting does (`events`
        keeps every event); `processing_delay` is how long a tapped card takes to be authorized."""
        if secret_key.startswith(("sk_live_", "rk_live_")):
            raise ValueError("The Stripe emulator refuses live keys: configure a test key (sk_test_…).")
        if not secret_key.startswith("sk_test_"):
            raise ValueError("The Stripe emulator's secret key must be a test key (sk_test_…).")
        self.secret_key = secret_key
        self.processing_delay = processing_delay
        self.base_url: str | None = None
        self._public_url = public_url
        self.state = State(clock, self._on_event)
        self.deliverer = Deliverer(self.state, webhook_url, webhook_secret, webhook_retry_delays, enabled_events)
        self.idempotency = IdempotencyStore()
        self.app = build_app(self)

    def _on_event(self, event: StripeObject) -> None:
        self.deliverer.schedule(event)

    @property
    def public_url(self) -> str | None:
        """Where a phone reaches the pay pages (`session.url`); the address the emulator listens on by default."""
        return self._public_url or self.base_url

    @property
    def events(self) -> list[StripeObject]:
        return self.state.events

    @property
    def deliveries(self) -> list[tuple[str, int | None, int]]:
        """(event id, HTTP status or None when unreachable, attempt number), in the order they happened."""
        return self.deliverer.deliveries

    @property
    def webhook_url(self) -> str | None:
        return self.deliverer.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.deliverer.url = url

    def event(self, event_id: str) -> StripeObject:
        for event in self.state.events:
            if event["id"] == event_id:
                return event
        raise KeyError(event_id)

    async def resend(self, event_id: str) -> int | None:
        """Deliver an event again, once, signed afresh; the receiver's status (None if unreachable)."""
        return await self.deliverer.resend(self.event(event_id))

    async def settle(self) -> None:
        """Wait until every card outcome and webhook delivery under way (retries included) has finished."""
        await self.state.settle()

    def expire_due_sessions(self) -> list[str]:
        """Expire the open Checkout Sessions whose `expires_at` the clock has passed; their ids."""
        return checkout.expire_due(self.state)


@contextlib.asynccontextmanager
async def running_emulator(*, webhook_url: str | None, webhook_secret: str, host: str = "127.0.0.1", port: int = 0,
                           **kwargs: Any) -> AsyncIterator[StripeEmulator]:
    """An emulator listening on host:port (0: a free port) until the block ends."""
    emulator = StripeEmulator(webhook_url, webhook_secret, **kwargs)
    runner = web.AppRunner(emulator.app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        emulator.base_url = f"http://{f'[{host}]' if ':' in host else host}:{bound_port}"
        logger.info("Stripe emulator listening on %s", emulator.base_url)
        yield emulator
    finally:
        await runner.cleanup()
