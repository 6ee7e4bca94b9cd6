"""The dispatcher: every few seconds, claims the deliveries that are due and sends them, one task per target, so
a slow or failing webhook never delays email or another webhook; records each outcome as soon as it is known.

`run_due(app)` does one round and waits for it: tests call it after moving their clock.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import aiohttp
from aiohttp import web

from backend.appkeys import CLOCK, DATABASE, HUB, SETTINGS
from backend.core.db import Database
from backend.core.events import Audience, EventHub
from backend.notifications import service
from backend.notifications.channels import WEBHOOK_TIMEOUT, Channels, Job, Outcome
from backend.notifications.schemas import DeliveryEvent
from shared.enums import Role

log = logging.getLogger(__name__)

# Those who follow deliveries in the panel.
DELIVERY_WATCHERS = Audience(roles=frozenset({Role.ADMIN, Role.RECEPTIONIST}))
UNEXPECTED = "Unexpected error; see the server's log."
SHUTDOWN_GRACE = 5.0  # seconds sends under way may finish in when the backend stops


class Dispatcher:
    def __init__(self, database: Database, channels: Channels, clock: Callable[[], dt.datetime],
                 delays: Sequence[float], *, hub: EventHub | None = None, poll_seconds: float = 1.0):
        self.database = database
        self.channels = channels
        self.clock = clock
        self.delays = tuple(delays)
        self.hub = hub
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._sending: set[asyncio.Task] = set()
        self._claiming = asyncio.Lock()

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll (call after committing an enqueue)."""
        self._wake.set()

    async def run_due(self) -> int:
        """Claim what is due, send it, and wait until every outcome is recorded (also of sends the loop had
        started); returns how many this round tried."""
        tried, tasks = await self._claim_and_start()
        await asyncio.gather(*tasks, *self._sending)
        return tried

    async def _claim_and_start(self) -> tuple[int, list[asyncio.Task]]:
        # One claim at a time in this process: a round waits for the loop's claim to have started its sends,
        # so it can wait for them too.
        async with self._claiming:
            return await self._claim_and_start_now()

    async def _claim_and_start_now(self) -> tuple[int, list[asyncio.Task]]:
        async with self.database.read() as session:
            if not await service.any_due(session, self.clock()):
                return 0, []
        async with self.database.write() as session:
            jobs = await service.claim_due(session, self.clock())
        by_target: dict[tuple[str, str], list[Job]] = defaultdict(list)
        for job in jobs:
            by_target[(job.channel, job.target)].append(job)
        tasks = []
        for group in by_target.values():
            task = asyncio.create_task(self._send_in_turn(group))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
            tasks.append(task)
        return len(jobs), tasks

    async def _send_in_turn(self, jobs: list[Job]) -> None:
        """One target's deliveries, in order, one at a time: a chat keeps the order of its messages, and a
        rate-limited webhook is not hit by a burst."""
        for job in jobs:
            try:
                outcome = await self.channels.send(job)
            except Exception:
                log.exception("delivery %d: sending failed unexpectedly", job.id)
                outcome = Outcome(delivered=False, retry=True, error=UNEXPECTED)
            await self._record(job, outcome)

    async def _record(self, job: Job, outcome: Outcome) -> None:
        try:
            async with self.database.write() as session:
                row = await service.record_outcome(session, job, outcome, self.clock(), self.delays)
                out = service.delivery_out(row) if row is not None else None
        except Exception:
            # Left in flight: its lease runs out and it is tried again (sent twice if this send had worked).
            log.exception("delivery %d: could not record attempt %d", job.id, job.attempt)
            return
        if out is None:
            return
        log.info("delivery %d (%s, %s): %s after %d attempt(s)%s", out.id, out.channel, out.about, out.status,
                 out.attempts, f": {out.last_error}" if out.last_error else "")
        if self.hub is not None:
            try:
                await self.hub.broadcast(DeliveryEvent(type="delivery.updated", delivery=out).model_dump(mode="json"),
                                         DELIVERY_WATCHERS)
            except Exception:  # the panel's live view is a nicety; the record is what counts
                log.exception("delivery %d: could not publish its update", out.id)

    async def run_forever(self) -> None:
        """Poll; a round's sends run on while the next rounds claim, so a hanging target holds up nothing."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                await self._claim_and_start()
            except Exception:
                log.exception("claiming due deliveries failed; will try again")

    async def close(self) -> None:
        """Let sends under way finish for a moment; those cut short are tried again once their lease runs out."""
        if self._sending:
            _done, pending = await asyncio.wait(set(self._sending), timeout=SHUTDOWN_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


DISPATCHER = web.AppKey("delivery_dispatcher", Dispatcher)


async def run_due(app_or_dispatcher: web.Application | Dispatcher) -> int:
    """One round of the app's dispatcher (or of this dispatcher), awaited; returns how many deliveries were tried."""
    dispatcher = app_or_dispatcher[DISPATCHER] if isinstance(app_or_dispatcher, web.Application) \
        else app_or_dispatcher
    return await dispatcher.run_due()


def wake(app: Mapping) -> None:
    """After committing enqueued deliveries: send them now rather than at the next poll (`app` may be a
    request's config_dict)."""
    found = app.get(DISPATCHER)
    if found is not None:
        found.wake()


async def deliveries_context(app: web.Application) -> AsyncIterator[None]:
    """The HTTP client and the dispatcher's loop, for the life of the app."""
    settings = app[SETTINGS]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)) as http:
        channels = Channels(settings, http, app[CLOCK])
        if not channels.signing:
            log.info("deliveries: chat webhooks go unsigned (ACCUEIL_WEBHOOK_SIGNING_SECRET is not set)")
        dispatcher = Dispatcher(app[DATABASE], channels, app[CLOCK], settings.delivery_retry_seconds, hub=app[HUB],
                                poll_seconds=settings.delivery_poll_seconds)
        app[DISPATCHER] = dispatcher
        loop = asyncio.create_task(dispatcher.run_forever())
        try:
            yield
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
            await dispatcher.close()
