"""Background work that repeats for the life of the app: one shape for every loop a cleanup context runs."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def repeating(what: str, every: float, work: Callable[[], Awaitable[object]], *,
                    first_after: float | None = None) -> AsyncIterator[None]:
    """Run `work()` every `every` seconds (the first time after `first_after`, by default `every`) until the
    block ends. A failing round is logged and the next one runs as usual: one bad round must not stop the loop."""

    async def loop() -> None:
        await asyncio.sleep(every if first_after is None else first_after)
        while True:
            try:
                await work()
            except Exception:
                log.exception("%s failed; will try again", what)
            await asyncio.sleep(every)

    task = asyncio.create_task(loop(), name=what)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
