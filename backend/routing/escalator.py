"""The escalator: every few seconds, takes the next step of each escalation nobody has acknowledged in time,
then tells the panels of the people it reached and wakes the delivery dispatcher for their other channels.

`run_escalations(app)` does one round and waits for it: tests call it after moving their clock.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from backend.appkeys import CLOCK, DATABASE, HUB, SETTINGS
from backend.calls import service as calls
from backend.calls.models import Call
from backend.calls.routes import announce
from backend.calls.schemas import CallOut
from backend.core.periodic import repeating
from backend.core.events import Audience
from backend.notifications.dispatcher import wake
from backend.routing import escalation
from backend.routing.service import LOBBY_WATCHERS
from backend.visits import service as visits
from shared.api import VisitEvent

log = logging.getLogger(__name__)

RUNNING = web.AppKey("escalator_running", asyncio.Lock)


async def run_escalations(app: web.Application) -> int:
    """Take every step that is due; returns how many were taken."""
    async with app[RUNNING]:  # one round at a time in a process; other processes are kept off by row locks
        database, at = app[DATABASE], app[CLOCK]()
        async with database.read() as session:
            if not await escalation.any_due(session, at):
                return 0
        visit_news: list[tuple[dict, Audience]] = []
        call_news: list[tuple[CallOut, Audience]] = []
        async with database.write() as session:
            for told in await escalation.advance_due(session, at):
                if told.visit_id is not None and (visit := await visits.visit_by_id(session, told.visit_id)):
                    event = VisitEvent(type="visit.escalated", visit=visits.visit_out(visit))
                    visit_news.append((event.model_dump(mode="json"),
                                       Audience(staff_ids=told.staff_ids, roles=LOBBY_WATCHERS)))
                elif told.call_id is not None and (call := await session.get(Call, told.call_id)):
                    call_news.append((await calls.call_out(session, call),
                                      Audience(staff_ids=told.staff_ids, roles=calls.CALL_TAKERS)))
    wake(app)  # the steps' emails and chat messages
    try:
        for event, audience in visit_news:
            await app[HUB].broadcast(event, audience)
        for out, audience in call_news:
            await announce(app, "call.escalated", out, audience)
    except Exception:  # the record is made; a panel that missed the news catches up when it reconnects
        log.exception("could not publish an escalation")
    steps = len(visit_news) + len(call_news)
    if steps:
        log.info("escalation: %d step(s) taken", steps)
    return steps


async def escalations_context(app: web.Application) -> AsyncIterator[None]:
    app[RUNNING] = asyncio.Lock()
    async with repeating("escalation round", app[SETTINGS].delivery_poll_seconds, lambda: run_escalations(app)):
        yield
