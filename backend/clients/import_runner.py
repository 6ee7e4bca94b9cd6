"""Running an import started in the panel: a background task that outlives the request, checks the file apart
from the server's event loop, writes its progress to the import's row as it goes, then stores every row in one
transaction together with the row's final state — all of it or nothing, and the row never says otherwise.

The check runs in a reading session, so the rest of the panel keeps working (on SQLite a writing session holds
the only write lock) and the progress can be written. Should client records have changed between the check and
the storing transaction, the file is checked again inside it, where nothing else can change them.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.appkeys import CLOCK, DATABASE, SETTINGS
from backend.clients import importing
from backend.clients.import_job_model import ClientImport, ImportState
from backend.clients.import_jobs import (
    BROKEN, CHANGED, GONE, IMPORT_STEPS, IMPORT_TASKS, STOPPED, UNREADABLE, finish,
)
from backend.clients.import_outcome import check_skipping, outcome
from backend.clients.import_uploads import KeptUploads
from backend.clients.models import Client, ClientChange
from backend.core.db import Database
from backend.core.errors import Conflict
from backend.organisation import service as organisation

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.1  # progress written at most this often
HEARTBEAT_SECONDS = 20  # and at least this often, so other instances know the task lives


def start(app: web.Application, job_id: int) -> None:
    """Run the import in the background, apart from the request that asked for it."""
    tasks = app[IMPORT_TASKS]
    task = asyncio.create_task(_run(app, job_id), name=f"client import {job_id}")
    tasks[job_id] = task
    task.add_done_callback(lambda _: tasks.pop(job_id, None))


@dataclass
class _Progress:
    listeners: list
    phase: str = "checking"
    done: int = 0
    total: int = 0
    version: int = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        # A second pass of the check (copies left out, or records changed meanwhile) starts again from 0: the
        # bar waits for it to catch up rather than going back.
        if phase == self.phase and total and self.total and done / total < self.done / self.total:
            return
        self.phase, self.done, self.total, self.version = phase, done, total, self.version + 1
        for listener in self.listeners:
            listener(phase, done, total)


async def _write_progress(database: Database, job_id: int, progress: _Progress, clock) -> None:
    written, last = -1, time.monotonic()
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        if progress.version == written and time.monotonic() - last < HEARTBEAT_SECONDS:
            continue
        written, last = progress.version, time.monotonic()
        async with database.write() as session:
            # Only while it runs: a late write never undoes the final state.
            await session.execute(update(ClientImport).where(
                ClientImport.id == job_id, ClientImport.state == ImportState.RUNNING).values(
                phase=progress.phase, rows_done=progress.done, rows_total=progress.total, updated_at=clock()))


async def _fingerprint(session: AsyncSession, site_id: int) -> tuple:
    """Changes when any client record does: every change writes a history line, every new record an id."""
    records = (await session.execute(select(func.count(), func.max(Client.id)).where(Client.site_id == site_id))).one()
    lines = (await session.execute(select(func.count(), func.max(ClientChange.id)))).one()
    return (*records, *lines)


def check_apart(url: str, site_id: int, sheet: importing.Sheet, mapping: dict[str, str | None], today: dt.date,
                skip: bool, progress: importing.Progress | None = None) -> tuple[tuple, importing.Checked, list]:
    """The check, on a thread and a connection of its own: it is pure Python for seconds on a large file, and on
    the server's event loop it would keep every other request (the progress bar's too) waiting. Run it with
    asyncio.to_thread; it returns the records' fingerprint before the check, the check, and the copies skipped."""
    async def run() -> tuple[tuple, importing.Checked, list]:
        database = Database(url)
        try:
            async with database.read() as session:
                site = await organisation.site(session, site_id)
                before = await _fingerprint(session, site_id)
                checked, skipped = await check_skipping(session, site, sheet, mapping, today,
                                                        skip_duplicates=skip, progress=progress)
                return before, checked, skipped
        finally:
            await database.dispose()

    return asyncio.run(run())


class _Failed(Exception):
    def __init__(self, reason: str):
        self.reason = reason


async def _run(app: web.Application, job_id: int) -> None:
    database, clock = app[DATABASE], app[CLOCK]
    uploads = KeptUploads.of(app[SETTINGS])
    async with database.read() as session:
        job = await session.get(ClientImport, job_id)
        if job is None or job.state != ImportState.RUNNING:
            return
        site = await organisation.site(session, job.site_id)
    token, given, skip = job.upload, json.loads(job.mapping), job.skip_duplicates
    actor = ("staff", job.started_by_id) if job.started_by_id is not None else ("system", None)
    progress = _Progress(app[IMPORT_STEPS])
    writer = asyncio.create_task(_write_progress(database, job_id, progress, clock))
    try:
        raw = await uploads.read(token)
        if raw is None:
            raise _Failed(GONE)
        try:
            sheet = await asyncio.to_thread(importing.read_sheet, raw)
            mapping, _ = importing.resolve_mapping(sheet.columns, given)
        except importing.SheetError:
            raise _Failed(UNREADABLE) from None
        at = clock()
        before, checked, skipped = await asyncio.to_thread(check_apart, app[SETTINGS].sqlalchemy_url, site.id, sheet,
                                                           mapping, at.date(), skip, progress)
        async with database.write() as session:
            if not checked.problems and await _fingerprint(session, site.id) != before:
                checked, skipped = await check_skipping(session, site, sheet, mapping, at.date(),
                                                        skip_duplicates=skip, progress=progress)
            created = 0
            if not checked.problems:
                created = await importing.store(session, site, checked, actor, at, progress=progress)
            job = await session.get(ClientImport, job_id)
            done = outcome(checked, sheet, skipped, skip_duplicates=skip, created=created,
                           applied=not checked.problems)
            finish(job, ImportState.DONE if not checked.problems else ImportState.REFUSED, clock(),
                    report=done.model_dump_json())
    except _Failed as failed:
        await _fail(database, job_id, failed.reason, clock())
    except Conflict:
        await _fail(database, job_id, CHANGED, clock())
    except asyncio.CancelledError:
        await _fail(database, job_id, STOPPED, clock())  # its transaction was rolled back whole
        raise
    except Exception:
        log.exception("client import %d failed", job_id)
        await _fail(database, job_id, BROKEN, clock())
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        await uploads.remove(token)  # whatever happened, the file is of no more use


async def _fail(database: Database, job_id: int, reason: str, at: dt.datetime) -> None:
    async with database.write() as session:
        job = await session.get(ClientImport, job_id)
        if job is not None and job.state == ImportState.RUNNING:
            finish(job, ImportState.FAILED, at, error=reason)


