"""What the cheques feature runs for the life of the app: the reminders' loop."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from backend.cheques import reminders
from backend.core.periodic import repeating

# Reminders are daily: a round every ten minutes sends them in the morning's first minutes.
ROUND_SECONDS = 600


async def cheques_context(app: web.Application) -> AsyncIterator[None]:
    app[reminders.RUNNING] = asyncio.Lock()
    async with repeating("cheque reminders", ROUND_SECONDS, lambda: reminders.run_cheque_reminders(app),
                         first_after=30):
        yield
