"""Imports started from the panel: the import's row (who, which file, where it stands, what it did), the steps
that move it (waiting for its mapping and preview, running, finished), and the sweep that tidies after them.
Running one is backend.clients.import_runner's business.

A task dies with its process. A process starting marks as failed the imports left running (on SQLite, all of
them: one process serves it; on PostgreSQL, those silent for longer than a running import ever is, since another
instance may be running one); a regular sweep does the same later, abandons uploads nobody went on with, and
removes kept files no import wants.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.appkeys import CLOCK, DATABASE, SETTINGS
from backend.clients import service as clients
from backend.clients.import_job_model import FINISHED_IMPORT_STATES, ClientImport, ImportState
from backend.clients.import_outcome import ImportOutcome
from backend.clients.import_uploads import KeptUploads
from backend.core.errors import Conflict, NotFound
from backend.core.identity import StaffIdentity
from backend.core.periodic import repeating
from backend.organisation import service as organisation
from backend.organisation.models import Site
from shared.api import Response
from shared.enums import Role

log = logging.getLogger(__name__)

IMPORT_TASKS = web.AppKey("client_import_tasks", dict)  # import id -> its task, in this process
# Told of every step of an import's progress (phase, rows done, rows in all), from the thread that checks the file.
# Nobody listens in production; a test listens to hold an import mid-way and watch its progress bar stand still.
IMPORT_STEPS = web.AppKey("client_import_steps", list)
STALE_RUNNING = dt.timedelta(minutes=2)
ABANDONED_AFTER = dt.timedelta(hours=6)  # an upload nobody went on with
ORPHAN_SECONDS = 600  # a kept file no import wants, left by a crash
SWEEP_SECONDS = 60
CHECK_SHARE = 0.6  # of the time an import takes, about this much is the check (measured on 5,000 rows)
# Why an import failed, for people (the panel shows them translated).
GONE = "The file of this import is no longer on the server: upload it again."
UNREADABLE = "The file could not be read any more: upload it again."
CHANGED = "A client was added meanwhile with one of these numbers; nothing was imported. Start again."
STOPPED = "The server stopped during the import: nothing was imported. Start it again."
BROKEN = "An unexpected error stopped the import: nothing was imported. Try again, or ask for help."


class ImportJobOut(Response):
    id: int
    filename: str
    state: ImportState
    phase: str  # checking or storing, while running
    rows_done: int
    rows_total: int
    percent: int
    created: int | None  # once done
    skipped_rows: int | None
    problem_rows: int | None
    error: str
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    page_url: str  # the panel's page of this import: its progress, then its report


def percent(job: ClientImport) -> int:
    if job.state == ImportState.DONE:
        return 100
    if job.state != ImportState.RUNNING or not job.rows_total:
        return 0
    share = min(job.rows_done, job.rows_total) / job.rows_total
    done = CHECK_SHARE * share if job.phase == "checking" else CHECK_SHARE + (1 - CHECK_SHARE) * share
    return min(99, int(done * 100))


def outcome_of(job: ClientImport) -> ImportOutcome | None:
    return ImportOutcome.model_validate_json(job.report) if job.report else None


def job_out(job: ClientImport) -> ImportJobOut:
    finished = outcome_of(job) if job.state in FINISHED_IMPORT_STATES else None
    return ImportJobOut(
        id=job.id, filename=job.filename, state=job.state, phase=job.phase, rows_done=job.rows_done,
        rows_total=job.rows_total, percent=percent(job), created=finished.created if finished else None,
        skipped_rows=finished.skipped_rows if finished else None,
        problem_rows=finished.problem_rows if finished else None, error=job.error, created_at=job.created_at,
        updated_at=job.updated_at, finished_at=job.finished_at, page_url=f"/panel/clients/import/{job.id}")


async def job_for_staff(session: AsyncSession, who: StaffIdentity, job_id: int) -> ClientImport:
    """An import of this installation's site that this person started (an administrator sees everyone's)."""
    clients.require(who, clients.CLIENT_KEEPERS)
    job = await session.get(ClientImport, job_id)
    if job is None or (job.started_by_id != who.staff_id and Role.ADMIN not in who.roles):
        raise NotFound("There is no such import.")
    if job.site_id != await organisation.only_site_id(session):
        raise NotFound("There is no such import.")
    return job


async def recent_jobs(session: AsyncSession, who: StaffIdentity, limit: int = 10) -> list[ClientImport]:
    query = select(ClientImport).order_by(ClientImport.created_at.desc(), ClientImport.id.desc()).limit(limit)
    if Role.ADMIN not in who.roles:
        query = query.where(ClientImport.started_by_id == who.staff_id)
    return list(await session.scalars(query))


async def begin(session: AsyncSession, who: StaffIdentity, site: Site, filename: str, token: str,
                mapping: dict[str, str | None], at: dt.datetime) -> ClientImport:
    """An import of a kept file, waiting for its mapping and preview."""
    clients.require(who, clients.CLIENT_KEEPERS)
    job = ClientImport(site_id=site.id, started_by_id=who.staff_id, filename=filename[:255], upload=token,
                       state=ImportState.WAITING, mapping=json.dumps(mapping), skip_duplicates=True, phase="",
                       rows_done=0, rows_total=0, report="", error="", created_at=at, updated_at=at,
                       finished_at=None)
    session.add(job)
    await session.flush()
    return job


def still_waiting(job: ClientImport) -> None:
    if job.state != ImportState.WAITING:
        raise Conflict("This import has already been applied or cancelled.")


def remember_preview(job: ClientImport, mapping: dict[str, str | None], skip_duplicates: bool,
                     preview: ImportOutcome, at: dt.datetime) -> None:
    still_waiting(job)
    job.mapping, job.skip_duplicates = json.dumps(mapping), skip_duplicates
    job.report, job.rows_total, job.updated_at = preview.model_dump_json(), preview.total_rows, at


def claim(job: ClientImport, at: dt.datetime) -> None:
    """Waiting → running; Conflict when it was applied or cancelled already (a second click, another tab)."""
    still_waiting(job)
    job.state, job.phase, job.rows_done, job.updated_at = ImportState.RUNNING, "checking", 0, at


def abandon(job: ClientImport, at: dt.datetime) -> str:
    """The import dropped; its kept file's token, to remove once this has committed."""
    still_waiting(job)
    token = job.upload
    job.state, job.upload, job.report, job.updated_at, job.finished_at = ImportState.ABANDONED, "", "", at, at
    return token


def finish(job: ClientImport, state: ImportState, at: dt.datetime, *, report: str = "", error: str = "") -> None:
    job.state, job.upload, job.report, job.error = state, "", report, error
    job.updated_at = job.finished_at = at
    if state == ImportState.DONE:
        job.rows_done = job.rows_total


async def sweep(app: web.Application) -> None:
    """Imports nobody runs any more marked failed, uploads nobody went on with abandoned, and kept files no
    import wants removed."""
    database, at = app[DATABASE], app[CLOCK]()
    uploads = KeptUploads.of(app[SETTINGS])
    running_here = set(app[IMPORT_TASKS])
    dropped: list[str] = []
    async with database.write() as session:
        for job in await session.scalars(select(ClientImport).where(ClientImport.state.in_(
                (ImportState.RUNNING, ImportState.WAITING)))):
            if job.state == ImportState.RUNNING and job.id not in running_here and (
                    database.is_sqlite or job.updated_at < at - STALE_RUNNING):
                dropped.append(job.upload)
                finish(job, ImportState.FAILED, at, error=STOPPED)
                log.warning("client import %d was left running; marked failed (nothing was imported)", job.id)
            elif job.state == ImportState.WAITING and job.updated_at < at - ABANDONED_AFTER:
                dropped.append(abandon(job, at))
        wanted = set(await session.scalars(select(ClientImport.upload).where(ClientImport.upload != "")))
    for token in dropped:
        await uploads.remove(token)
    for token in await asyncio.to_thread(uploads.stale, ORPHAN_SECONDS):
        if token not in wanted:
            await uploads.remove(token)


async def imports_context(app: web.Application) -> AsyncIterator[None]:
    """Imports left running by a process that stopped are failed at start-up; a sweep runs every minute; at
    shutdown, imports under way are stopped (rolled back whole) and marked failed."""
    app[IMPORT_TASKS] = {}
    app[IMPORT_STEPS] = []
    await sweep(app)
    async with repeating("client imports sweep", SWEEP_SECONDS, lambda: sweep(app)):
        try:
            yield
        finally:
            tasks = list(app[IMPORT_TASKS].values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
