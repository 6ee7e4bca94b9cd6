"""What the cheques feature keeps for the life of the app: the kiosk's limiter of failed identifications, and the
reminders' loop."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

from aiohttp import web

from backend.cheques import reminders
from backend.core.periodic import repeating
from backend.core.ratelimit import FailureLimiter

# Reminders are daily: a round every ten minutes sends them in the morning's first minutes.
ROUND_SECONDS = 600
# Per kiosk, on top of each employee's lock: one kiosk trying many employee numbers is stopped too.
PIN_LIMITER = web.AppKey("cheque_pin_limiter", FailureLimiter)


async def cheques_context(app: web.Application) -> AsyncIterator[None]:
    app[PIN_LIMITER] = FailureLimiter(limit=10, window=dt.timedelta(minutes=10))
    app[reminders.RUNNING] = asyncio.Lock()
    async with repeating("cheque reminders", ROUND_SECONDS, lambda: reminders.run_cheque_reminders(app),
                         first_after=30):
        yield
