"""The event hub: audiences, and a slow client dropped without holding anybody else up."""
from __future__ import annotations

import asyncio
import json

from backend.core.events import Audience, EventHub, LiveClient
from shared.enums import Role


class StalledSocket:
    """Stands in for a WebSocket whose peer stopped reading: every send waits forever."""

    def __init__(self) -> None:
        self.closed_with: int | None = None
        self._closed = asyncio.Event()
        self.sent: list[str] = []

    async def send_str(self, message: str) -> None:
        await asyncio.Event().wait()

    async def close(self, *, code: int = 1000, message: bytes = b"") -> None:
        self.closed_with = code
        self._closed.set()

    def __aiter__(self):
        return self

    async def __anext__(self):
        await self._closed.wait()
        raise StopAsyncIteration


class ListeningSocket(StalledSocket):
    async def send_str(self, message: str) -> None:
        self.sent.append(message)


async def test_slow_client_is_dropped_and_others_keep_receiving():
    hub = EventHub(queue_size=3)
    slow = LiveClient(ws=StalledSocket(), queue=asyncio.Queue(3), staff_id=1)
    fast = LiveClient(ws=ListeningSocket(), queue=asyncio.Queue(3), staff_id=2)
    serving = [asyncio.create_task(hub.serve(c)) for c in (slow, fast)]
    await asyncio.sleep(0)
    everyone = Audience(staff_ids=frozenset({1, 2}))
    for n in range(50):
        hub.publish({"type": "tick", "n": n}, everyone)  # never awaits, whoever is slow
        await asyncio.sleep(0)
    assert slow.dropped and slow.ws.closed_with == 1013
    assert [json.loads(m)["n"] for m in fast.ws.sent] == list(range(50))
    assert hub.client_count == 1
    await hub.close_all()
    await asyncio.gather(*serving)
    assert hub.client_count == 0


async def test_audience_by_staff_role_and_kiosk():
    hub = EventHub(queue_size=10)
    clients = {
        "named": LiveClient(ws=ListeningSocket(), queue=asyncio.Queue(10), staff_id=1),
        "receptionist": LiveClient(ws=ListeningSocket(), queue=asyncio.Queue(10), staff_id=2,
                                   roles=frozenset({Role.RECEPTIONIST})),
        "other": LiveClient(ws=ListeningSocket(), queue=asyncio.Queue(10), staff_id=3,
                            roles=frozenset({Role.DEPARTMENT_STAFF})),
        "kiosk": LiveClient(ws=ListeningSocket(), queue=asyncio.Queue(10), kiosk_id=1),
        "other kiosk": LiveClient(ws=ListeningSocket(), queue=asyncio.Queue(10), kiosk_id=2),
    }
    serving = [asyncio.create_task(hub.serve(c)) for c in clients.values()]
    await asyncio.sleep(0)
    reached = hub.publish({"type": "x"}, Audience(staff_ids=frozenset({1}), roles=frozenset({Role.RECEPTIONIST}),
                                                  kiosk_ids=frozenset({1})))
    await asyncio.sleep(0.01)
    assert reached == {1, 2}
    got = {name for name, c in clients.items() if c.ws.sent}
    assert got == {"named", "receptionist", "kiosk"}
    await hub.close_all()
    await asyncio.gather(*serving)
