"""The event hub: fans domain events out to live WebSocket clients, after the database commit.

Each client has a bounded queue and its own writer task. `publish` never awaits: a client whose queue
is full is too slow and is dropped, so one stuck browser or kiosk never delays anybody else.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

from shared.enums import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Audience:
    """Who may receive an event: named staff, staff holding one of the roles, and named kiosks."""

    staff_ids: frozenset[int] = frozenset()
    roles: frozenset[Role] = frozenset()
    kiosk_ids: frozenset[int] = frozenset()


@dataclass(eq=False)
class LiveClient:
    """One open live channel: a staff member's browser or tool, or a kiosk."""

    ws: web.WebSocketResponse
    queue: asyncio.Queue[str]
    staff_id: int | None = None
    roles: frozenset[Role] = frozenset()
    kiosk_id: int | None = None
    dropped: bool = field(default=False)

    def in_audience(self, audience: Audience) -> bool:
        if self.kiosk_id is not None:
            return self.kiosk_id in audience.kiosk_ids
        return self.staff_id in audience.staff_ids or bool(self.roles & audience.roles)


class EventHub:
    def __init__(self, queue_size: int):
        self.queue_size = queue_size
        self._clients: set[LiveClient] = set()
        # Across instances (PostgreSQL): events go out through the relay, which hands them back to `publish`.
        self.relay: Any = None
        # Called with (staff_ids reached, event) after each publish; the routing service records delivery.
        self.on_delivered: list[Callable[[frozenset[int], dict], None]] = []

    @property
    def client_count(self) -> int:
        return len(self._clients)

    async def broadcast(self, event: dict, audience: Audience) -> None:
        """Send an event to its audience on every backend instance (after the commit of what it reports)."""
        if self.relay is None:
            self.publish(event, audience)
        else:
            await self.relay.send(event, audience)

    def publish(self, event: dict, audience: Audience) -> frozenset[int]:
        """Queue the event for every client of this instance in the audience; returns the staff ids reached."""
        message = json.dumps(event, default=str, separators=(",", ":"))
        reached: set[int] = set()
        for client in list(self._clients):
            if client.dropped or not client.in_audience(audience):
                continue
            try:
                client.queue.put_nowait(message)
            except asyncio.QueueFull:
                self._drop(client)
            else:
                if client.staff_id is not None:
                    reached.add(client.staff_id)
        delivered = frozenset(reached)
        for callback in self.on_delivered:
            callback(delivered, event)
        return delivered

    def _drop(self, client: LiveClient) -> None:
        log.warning("dropping a live client that fell %d events behind", self.queue_size)
        client.dropped = True
        self._clients.discard(client)
        # Closing wakes the reader loop in `serve`, which then ends the writer task.
        asyncio.ensure_future(client.ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow"))

    async def serve(self, client: LiveClient) -> None:
        """Run one client's channel until it closes: a writer task drains its queue, this reads."""
        self._clients.add(client)
        writer = asyncio.create_task(self._write(client))
        try:
            async for _message in client.ws:
                pass  # Clients only listen; pings are answered by aiohttp itself.
        finally:
            self._clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _write(self, client: LiveClient) -> None:
        try:
            while True:
                message = await client.queue.get()
                await client.ws.send_str(message)
        except (ConnectionError, RuntimeError) as error:
            log.info("live client went away: %s", type(error).__name__)
            await client.ws.close()

    async def close_all(self) -> None:
        """On shutdown: tell every client we are going away."""
        for client in list(self._clients):
            await client.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
