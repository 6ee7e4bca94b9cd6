"""A small SQLite file of the kiosk's own (the outbox, the reprint queue): opened once, kept open, closed at exit."""
from __future__ import annotations

from pathlib import Path

import aiosqlite


class LocalFile:
    SCHEMA = ""
    PRAGMAS: tuple[str, ...] = ()
    WHAT = "local file"  # for the error when used before it is open

    def __init__(self, path: Path):
        self.path = path
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        for pragma in self.PRAGMAS:
            await self._db.execute(pragma)
        await self._db.execute(self.SCHEMA)
        await self._db.commit()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError(f"the {self.WHAT} is not open")
        return self._db
