"""Events across backend instances: with PostgreSQL, every instance LISTENs on one channel and each event
is NOTIFYed there, so a check-in taken by one instance reaches staff connected to another.

The payload limit of NOTIFY is 8000 bytes: a larger event is stored in `live_event` and only its id is sent.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy import JSON, delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, Database
from backend.core.events import Audience

log = logging.getLogger(__name__)

CHANNEL = "accueil_events"
MAX_PAYLOAD = 7800
KEEP_EVENTS = dt.timedelta(hours=1)


class LiveEvent(Base):
    """An event too large for a NOTIFY payload, kept briefly for the instances to read."""

    __tablename__ = "live_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


def encode(event: dict, audience: Audience) -> dict:
    return {"event": event, "audience": {"staff_ids": sorted(audience.staff_ids), "roles": sorted(audience.roles),
                                         "kiosk_ids": sorted(audience.kiosk_ids)}}


def decode(message: dict) -> tuple[dict, Audience]:
    audience = message["audience"]
    return message["event"], Audience(frozenset(audience["staff_ids"]), frozenset(audience["roles"]),
                                      frozenset(audience["kiosk_ids"]))


class PostgresRelay:
    """Sends events through NOTIFY and hands what it hears (its own included) to `deliver`."""

    def __init__(self, database: Database, deliver: Callable[[dict, Audience], None],
                 clock: Callable[[], dt.datetime]):
        self.database = database
        self.deliver = deliver
        self.clock = clock
        self._connection: asyncpg.Connection | None = None
        self._pending: set[asyncio.Task] = set()

    async def start(self) -> None:
        url = make_url(self.database.engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
        self._connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        await self._connection.add_listener(CHANNEL, self._heard)

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None

    async def send(self, event: dict, audience: Audience) -> None:
        payload = json.dumps(encode(event, audience), default=str, separators=(",", ":"))
        async with self.database.engine.begin() as connection:
            if len(payload.encode()) > MAX_PAYLOAD:
                stored = await connection.execute(
                    insert(LiveEvent).values(payload=json.loads(payload), created_at=self.clock())
                    .returning(LiveEvent.id))
                payload = json.dumps({"ref": stored.scalar_one()})
            await connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                                     {"channel": CHANNEL, "payload": payload})

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        message = json.loads(payload)
        if "ref" in message:
            task = asyncio.ensure_future(self._fetch_and_deliver(message["ref"]))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        else:
            self.deliver(*decode(message))

    async def _fetch_and_deliver(self, event_id: int) -> None:
        async with self.database.read() as session:
            payload = await session.scalar(select(LiveEvent.payload).where(LiveEvent.id == event_id))
        if payload is not None:
            self.deliver(*decode(payload))

    async def forget_old(self) -> None:
        async with self.database.write() as session:
            await session.execute(delete(LiveEvent).where(LiveEvent.created_at < self.clock() - KEEP_EVENTS))
