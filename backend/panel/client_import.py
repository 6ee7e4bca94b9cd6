"""Importing a spreadsheet of clients from the panel, in the steps a clerk expects: upload the file, say which
field each column fills (guessed as the API and the CLI guess), read the preview (what would be created, what
skipped, every bad row and why), apply, and follow the import to its report.

One page per import (/panel/clients/import/{id}) shows where it stands: the mapping while it waits, the progress
bar while it runs, the report once it is finished. The file is kept under the data dir between the steps
(backend.clients.import_uploads); the import itself runs in the background (backend.clients.import_jobs).
"""
from __future__ import annotations

import asyncio
import json
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.numbers import format_decimal

from backend.appkeys import SETTINGS
from backend.clients import import_jobs, import_runner, importing
from backend.clients import service as clients
from backend.clients.import_job_model import ClientImport, ImportState
from backend.clients.import_outcome import outcome
from backend.clients.import_uploads import KeptUploads
from backend.clients.sheets import MAX_FILE_BYTES
from backend.core.errors import Conflict, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.panel.import_words import IMPORT_FIELDS, job_error, shown_rows
from backend.panel.routes import language_of, render, role_form, routes, staff_with_role
from backend.panel.uploads import upload_form
from backend.web import database, now, path_id
from shared.fields import shown_number
from shared.i18n import N_, translate

SAMPLE_ROWS = 5
PAGE_ROWS = 100  # bad rows per page of a preview or report
NO_FILE = N_("Choose a CSV or Excel (.xlsx) file.")
TOO_LARGE = N_("This file is too large: at most 20 MB.")
UNREADABLE = N_("This file cannot be read as a spreadsheet. Save it as CSV or Excel (.xlsx), then try again.")
EMPTY = N_("This file holds no client: it is empty or has only its header row.")
OLD_EXCEL = N_("This is an old Excel file (.xls): save it as .xlsx or CSV, then import it.")
FIELD_TWICE = N_("Several columns fill the same field: {fields}. Choose one column for each field.")
NAME_TWICE = N_("Choose either a whole name, or given and family names, not both.")
FIELD_UNKNOWN = N_("Choose a field from the list.")
ALREADY = N_("This import has already been applied or cancelled.")
FILE_GONE = N_("The file of this import is no longer on the server: upload it again.")


def _render(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    """A page of the import, with counts written as the clerk's language writes them (1 234 or 1,234)."""
    locale = "en_CA" if language_of(request) == "en" else "fr_CA"
    return render(request, template, {"count": lambda number: format_decimal(number, locale=locale), **context},
                  status=status)


async def _page(request: web.Request, who: StaffIdentity, *, error: str = "", status: int = 200,
                cancelled: bool = False) -> web.Response:
    async with database(request).read() as session:
        recent = await import_jobs.recent_jobs(session, who)
        zone = ZoneInfo((await organisation.site(session, await organisation.only_site_id(session))).time_zone)
    return _render(request, "import_upload.html", {
        "who": who, "error": error, "recent": recent, "cancelled": cancelled,
        "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")}, status=status)


@routes.get("/panel/clients/import")
async def upload_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    return await _page(request, who, cancelled=request.query.get("cancelled") == "1")


def _sheet_error(error: importing.SheetError) -> str:
    text = str(error)
    if ".xls)" in text:
        return OLD_EXCEL
    return TOO_LARGE if "too large" in text else UNREADABLE


@routes.post("/panel/clients/import")
async def upload(request: web.Request) -> web.Response:
    who, posted = await upload_form(request, clients.CLIENT_KEEPERS, MAX_FILE_BYTES, ())
    language = language_of(request)
    if posted.too_large:
        return await _page(request, who, error=translate(language, TOO_LARGE), status=413)
    if not posted.data:
        return await _page(request, who, error=translate(language, NO_FILE), status=422)
    try:
        sheet = await asyncio.to_thread(importing.read_sheet, posted.data)
    except importing.SheetError as error:
        return await _page(request, who, error=translate(language, _sheet_error(error)), status=422)
    if not sheet.rows:
        return await _page(request, who, error=translate(language, EMPTY), status=422)
    uploads = KeptUploads.of(request.config_dict[SETTINGS])
    token = await uploads.keep(posted.data)
    try:
        async with database(request).write() as session:
            site = await organisation.site(session, await organisation.only_site_id(session))
            job = await import_jobs.begin(session, who, site, posted.filename or "clients",
                                          token, importing.guess_mapping(sheet.columns), now(request))
    except BaseException:
        await uploads.remove(token)
        raise
    raise web.HTTPSeeOther(f"/panel/clients/import/{job.id}")


async def _job(request: web.Request, who: StaffIdentity) -> ClientImport:
    try:
        async with database(request).read() as session:
            return await import_jobs.job_for_staff(session, who, path_id(request))
    except NotFound:
        raise web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text,
                               content_type="text/html") from None


async def _kept_sheet(request: web.Request, job: ClientImport) -> importing.Sheet | None:
    raw = await KeptUploads.of(request.config_dict[SETTINGS]).read(job.upload)
    if raw is None:
        return None
    try:
        return await asyncio.to_thread(importing.read_sheet, raw)
    except importing.SheetError:
        return None


async def _mapping_page(request: web.Request, who: StaffIdentity, job: ClientImport, *, error: str = "",
                        mapping: dict | None = None, skip: bool | None = None, status: int = 200) -> web.Response:
    sheet = await _kept_sheet(request, job)
    if sheet is None:
        return await _finished_page(request, who, job, error=translate(language_of(request), FILE_GONE), status=410)
    chosen = mapping if mapping is not None else json.loads(job.mapping)
    samples = [[cells[index] if index < len(cells) else "" for _row, cells in sheet.rows[:SAMPLE_ROWS]]
               for index in range(len(sheet.columns))]
    return _render(request, "import_mapping.html", {
        "who": who, "job": job, "columns": list(enumerate(sheet.columns)), "samples": samples,
        "chosen": chosen, "fields": IMPORT_FIELDS, "rows": len(sheet.rows), "error": error,
        "skip": job.skip_duplicates if skip is None else skip, "blank_rows": sheet.blank_rows}, status=status)


def _page_of(request: web.Request, rows: list, size: int = PAGE_ROWS) -> dict:
    raw = request.query.get("page", "1")
    pages = max(1, -(-len(rows) // size))
    number = min(max(int(raw), 1), pages) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1
    return {"shown": rows[(number - 1) * size:number * size], "page": number, "pages": pages}


async def _finished_page(request: web.Request, who: StaffIdentity, job: ClientImport, *, error: str = "",
                         status: int = 200) -> web.Response:
    language = language_of(request)
    done = import_jobs.outcome_of(job) if job.state != ImportState.WAITING else None
    problems = shown_rows(done.problems, language) if done else []
    return _render(request, "import_report.html", {
        "who": who, "job": job, "outcome": done, "error": error or job_error(job.error, language),
        "skipped": shown_rows(done.skipped, language) if done else [], **_page_of(request, problems)},
        status=status)


async def _already(request: web.Request, who: StaffIdentity) -> web.Response:
    """The import as it now stands, saying it was applied or cancelled already (a second click, another tab)."""
    job = await _job(request, who)
    return await _finished_page(request, who, job, error=translate(language_of(request), ALREADY), status=409)


@routes.get("/panel/clients/import/{id}")
async def import_page(request: web.Request) -> web.Response:
    """Where the import stands: its mapping, its progress, or its report."""
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    job = await _job(request, who)
    if job.state == ImportState.WAITING:
        return await _mapping_page(request, who, job)
    if job.state == ImportState.RUNNING:
        return _render(request, "import_progress.html", {"who": who, "job": job,
                                                        "percent": import_jobs.percent(job)})
    return await _finished_page(request, who, job)


def _chosen(form, columns: list[str]) -> tuple[dict[str, str | None], str | None, list[str]]:
    """The mapping the form gives; what is wrong with it (a msgid), if anything, and the fields it names."""
    mapping: dict[str, str | None] = {}
    for index, column in enumerate(columns):
        target = str(form.get(f"column-{index}", "")) or None
        if target is not None and target not in IMPORT_FIELDS:
            return {**mapping, column: None}, FIELD_UNKNOWN, []
        mapping[column] = target
    chosen = [target for target in mapping.values() if target]
    if twice := sorted({target for target in chosen if chosen.count(target) > 1}):
        return mapping, FIELD_TWICE, twice
    if "full_name" in chosen and {"given_name", "family_name"} & set(chosen):
        return mapping, NAME_TWICE, []
    return mapping, None, []


@routes.post("/panel/clients/import/{id}/mapping")
async def choose_mapping(request: web.Request) -> web.Response:
    who, form = await role_form(request, clients.CLIENT_KEEPERS)
    language = language_of(request)
    job = await _job(request, who)
    if job.state != ImportState.WAITING:
        return await _already(request, who)
    sheet = await _kept_sheet(request, job)
    if sheet is None:
        return await _finished_page(request, who, job, error=translate(language, FILE_GONE), status=410)
    mapping, problem, twice = _chosen(form, sheet.columns)
    skip = form.get("skip_duplicates") == "1"
    if problem is not None:
        names = ", ".join(translate(language, IMPORT_FIELDS[name]) for name in twice)
        text = translate(language, problem).replace("{fields}", names)
        return await _mapping_page(request, who, job, error=text, mapping=mapping, skip=skip, status=422)
    at = now(request)
    async with database(request).read() as session:
        site = await organisation.site(session, job.site_id)
    _, checked, skipped = await asyncio.to_thread(import_runner.check_apart,
                                                  request.config_dict[SETTINGS].sqlalchemy_url, site.id, sheet,
                                                  mapping, at.date(), skip)
    preview = outcome(checked, sheet, skipped, skip_duplicates=skip, created=0, applied=False, site=site)
    try:
        async with database(request).write() as session:
            job = await import_jobs.job_for_staff(session, who, job.id)
            import_jobs.remember_preview(job, mapping, skip, preview, at)
    except Conflict:
        return await _already(request, who)
    raise web.HTTPSeeOther(f"/panel/clients/import/{job.id}/preview")


@routes.get("/panel/clients/import/{id}/preview")
async def preview_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    job = await _job(request, who)
    if job.state != ImportState.WAITING or not job.report:
        raise web.HTTPSeeOther(f"/panel/clients/import/{job.id}")
    language = language_of(request)
    preview = import_jobs.outcome_of(job)
    async with database(request).read() as session:
        country = (await organisation.site(session, job.site_id)).country
    # The sample shows the fields the file fills, in the record's order.
    shown_fields = [name for name in IMPORT_FIELDS if name not in ("full_name", "kind", "status", "country")
                    and any(row.values.get(name) for row in preview.sample)]
    return _render(request, "import_preview.html", {
        "who": who, "job": job, "outcome": preview, "fields": IMPORT_FIELDS, "sample_fields": shown_fields,
        "number": lambda number: shown_number(number, country) if number else "",
        "skipped": shown_rows(preview.skipped, language),
        **_page_of(request, shown_rows(preview.problems, language))})


@routes.post("/panel/clients/import/{id}/apply")
async def apply(request: web.Request) -> web.Response:
    who, _form = await role_form(request, clients.CLIENT_KEEPERS)
    job = await _job(request, who)
    try:
        async with database(request).write() as session:
            job = await import_jobs.job_for_staff(session, who, job.id)
            import_jobs.claim(job, now(request))
    except Conflict:
        return await _already(request, who)
    import_runner.start(request.app, job.id)
    raise web.HTTPSeeOther(f"/panel/clients/import/{job.id}")


@routes.post("/panel/clients/import/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    who, _form = await role_form(request, clients.CLIENT_KEEPERS)
    job = await _job(request, who)
    try:
        async with database(request).write() as session:
            job = await import_jobs.job_for_staff(session, who, job.id)
            token = import_jobs.abandon(job, now(request))
    except Conflict:
        return await _already(request, who)
    await KeptUploads.of(request.config_dict[SETTINGS]).remove(token)
    raise web.HTTPSeeOther("/panel/clients/import?cancelled=1")
