"""Fixtures that build the real backend on a real database: SQLite in a temporary folder, and PostgreSQL.

Every backend test that takes `settings` runs twice, once per database. PostgreSQL is the server at
ACCUEIL_TEST_DATABASE_URL (default: the local one); when it does not answer, those tests fail — never skip.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend.core.db import Database
from backend.core.migrate import upgrade
from backend.models import Base
from backend.settings import Settings

PG_URL = os.environ.get("ACCUEIL_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()


async def _admin(url: str, statement: str) -> None:
    # CREATE/DROP DATABASE cannot run in a transaction.
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each test (migrating every time would be slow)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{folder / 'accueil.db'}"))
    return folder / "accueil.db"


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A new PostgreSQL database for this test run, migrated from empty, dropped at the end."""
    name = f"accueil_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(PG_URL, f'CREATE DATABASE "{name}"'))
    except OSError as error:
        pytest.fail(f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} does not answer "
                    f"({error}); `make test` needs it (set ACCUEIL_TEST_DATABASE_URL).", pytrace=False)
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_postgres(url: str) -> None:
    database = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for a backend on an empty, migrated database of the test's kind."""
    if db_kind == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "accueil.db")
        return Settings(data_dir=tmp_path, database_url=None)
    url = request.getfixturevalue("pg_url")
    asyncio.run(_empty_postgres(url))
    return Settings(data_dir=tmp_path, database_url=url)
