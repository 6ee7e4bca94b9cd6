"""The baseline for bench/checkin.py: aiohttp and one SQLAlchemy INSERT into `visit` per request.

No validation, no authentication, no idempotency, no routing, no audit, no events: what is left is the
floor a check-in cannot go below on this machine. Run by bench/checkin.py; by hand:

    .venv/bin/python bench/bare_server.py --database var/copy.db --port 8081 --site-id 1
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import MetaData, Table, event, insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ENGINE = web.AppKey("engine", AsyncEngine)
VISIT = web.AppKey("visit", Table)


def _engine(database: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{database.resolve()}")

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The backend's pragmas (backend/core/db.py), so both servers write to SQLite the same way.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine


def create_app(database: Path, site_id: int) -> web.Application:
    app = web.Application()
    # Unique and within the column's 8 characters; the backend's codes have 6, so the two never collide.
    codes = (f"B{n:07d}" for n in itertools.count(1))
    # SQLite has one writer at a time. The backend queues its writers on an asyncio.Lock rather than let
    # connections of its pool fight over the file lock (and sleep in SQLite's busy handler); so does the baseline.
    write_lock = asyncio.Lock()

    async def open_database(app: web.Application) -> AsyncIterator[None]:
        engine = _engine(database)
        metadata = MetaData()
        async with engine.connect() as connection:
            await connection.run_sync(lambda sync: metadata.reflect(sync, only=["visit"]))
        app[ENGINE], app[VISIT] = engine, metadata.tables["visit"]
        yield
        await engine.dispose()

    async def ready(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def check_in(request: web.Request) -> web.Response:
        data = await request.json()
        async with write_lock, request.app[ENGINE].begin() as connection:
            result = await connection.execute(insert(request.app[VISIT]).values(
                code=next(codes), site_id=site_id, state="checked_in", visitor_name=data["visitor_name"],
                visitor_type_id=data["visitor_type_id"], department_id=data["department_id"],
                custom_fields=data["custom_fields"], language=data["language"],
                checked_in_at=dt.datetime.now(dt.UTC),
            ))
        return web.json_response({"id": result.inserted_primary_key[0]}, status=201)

    app.cleanup_ctx.append(open_database)
    app.router.add_get("/readyz", ready)
    app.router.add_post("/check-ins", check_in)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="SQLite file holding the backend's schema")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--site-id", type=int, required=True, help="the site every visit belongs to")
    args = parser.parse_args()
    web.run_app(create_app(args.database, args.site_id), host="127.0.0.1", port=args.port, print=None,
                access_log=None)


if __name__ == "__main__":
    main()
