"""Webhook signing and delivery as Stripe does them: signed JSON POSTs, in the background, retried on failure.

The signature is Stripe's v1 scheme (`t=<unix time>,v1=<HMAC-SHA256 of "t.payload">`), computed here rather
than with stripe-python's helper so that it does not depend on the library's version; the tests check it
with `stripe.Webhook.construct_event`. The timestamp is the real time of the attempt, not the emulator's
clock: receivers reject signatures older than five minutes, whatever clock a test injects.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Collection, Sequence
from typing import Any

import aiohttp

from backend.stripe_emulator.state import State

logger = logging.getLogger(__name__)

ATTEMPT_TIMEOUT = aiohttp.ClientTimeout(total=10)


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for `payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class Deliverer:
    def __init__(self, state: State, url: str | None, secret: str, retry_delays: Sequence[float],
                 enabled_events: Collection[str]) -> None:
        self.state = state
        self.url = url  # read at every attempt, so a test can point it elsewhere at run time
        self.secret = secret
        self.retry_delays = tuple(retry_delays)
        self.enabled_events = frozenset(enabled_events)
        self.deliveries: list[tuple[str, int | None, int]] = []
        self._session: aiohttp.ClientSession | None = None

    def wants(self, event: dict[str, Any]) -> bool:
        return self.url is not None and ("*" in self.enabled_events or event["type"] in self.enabled_events)

    def schedule(self, event: dict[str, Any]) -> None:
        if not self.wants(event):
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # e.g. expire_due_sessions() called from synchronous code
            logger.warning("webhook %s %s not delivered: no running event loop", event["id"], event["type"])
            return
        event["pending_webhooks"] = 1
        self.state.spawn(self._deliver(event), name=f"webhook {event['id']}")

    async def _deliver(self, event: dict[str, Any]) -> None:
        # One first attempt, then one more after each delay: Stripe's backoff, shortened to what the caller set.
        for attempt, delay in enumerate((*self.retry_delays, None), start=1):
            status = await self.attempt(event, attempt)
            if status is not None and 200 <= status < 300:
                event["pending_webhooks"] = 0
                return
            if delay is None or self.url is None:
                logger.warning("webhook %s %s: giving up after %d attempts", event["id"], event["type"], attempt)
                return
            await asyncio.sleep(delay)

    async def attempt(self, event: dict[str, Any], attempt: int) -> int | None:
        """POST the event once, signed now; the receiver's status, or None when it could not be reached."""
        url = self.url
        if url is None:
            return None
        payload = json.dumps(event, indent=2, ensure_ascii=False)  # Stripe sends pretty-printed UTF-8 JSON
        headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(payload, self.secret),
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=ATTEMPT_TIMEOUT)
        status: int | None
        try:
            async with self._session.post(url, data=payload.encode(), headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            logger.info("webhook %s attempt %d to %s failed: %r", event["id"], attempt, url, error)
            status = None
        else:
            logger.info("webhook %s %s attempt %d → %s", event["id"], event["type"], attempt, status)
        self.deliveries.append((event["id"], status, attempt))
        return status

    async def resend(self, event: dict[str, Any]) -> int | None:
        """Deliver an event once more, as Stripe's "resend" does; no retries."""
        attempt = 1 + sum(1 for event_id, _, _ in self.deliveries if event_id == event["id"])
        return await self.attempt(event, attempt)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
