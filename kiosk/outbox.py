"""The kiosk's outbox: check-ins the backend has not accepted yet, kept in a SQLite file so that none is lost
when the backend is unreachable or the kiosk restarts, and each is sent again with its own Idempotency-Key."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from kiosk.local_file import LocalFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    -- An explicit INTEGER PRIMARY KEY keeps insertion order stable (VACUUM may renumber a plain rowid).
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    rejected_at TEXT
)
"""
_COLUMNS = "key, body, created_at, attempts, last_error"


@dataclass(frozen=True)
class OutboxItem:
    key: str
    body: dict[str, Any]
    created_at: dt.datetime
    attempts: int
    last_error: str | None


class Outbox(LocalFile):
    """Pending check-ins, oldest first; those the backend refused for good stay, marked rejected, for staff."""

    SCHEMA = _SCHEMA
    WHAT = "outbox"
    # A visitor told "you are checked in" must survive a power cut right after: sync every commit.
    PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")

    async def _write(self, sql: str, *params: Any) -> None:
        await self._conn.execute(sql, params)
        await self._conn.commit()

    async def _items(self, where: str) -> list[OutboxItem]:
        async with self._conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY id") as cursor:
            rows = await cursor.fetchall()
        return [OutboxItem(key=key, body=json.loads(body), created_at=dt.datetime.fromisoformat(created_at),
                           attempts=attempts, last_error=last_error)
                for key, body, created_at, attempts, last_error in rows]

    async def add(self, key: str, body: dict[str, Any]) -> None:
        await self._write("INSERT INTO outbox (key, body, created_at) VALUES (?, ?, ?)",
                          key, json.dumps(body), _now())

    async def pending(self) -> list[OutboxItem]:
        return await self._items("rejected_at IS NULL")

    async def rejected(self) -> list[OutboxItem]:
        return await self._items("rejected_at IS NOT NULL")

    async def count(self) -> int:
        """How many check-ins are still to send."""
        async with self._conn.execute("SELECT count(*) FROM outbox WHERE rejected_at IS NULL") as cursor:
            row = await cursor.fetchone()
        return row[0] if row else 0

    async def remove(self, key: str) -> None:
        await self._write("DELETE FROM outbox WHERE key = ?", key)

    async def record_attempt(self, key: str, error: str) -> None:
        await self._write("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?", error, key)

    async def reject(self, key: str, error: str) -> None:
        """The backend refused it for good: keep it out of pending, for staff to see."""
        await self._write("UPDATE outbox SET attempts = attempts + 1, last_error = ?, rejected_at = ? WHERE key = ?",
                          error, _now(), key)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
