"""Filing a document in a client's file from the record's page, and removing one: the same checks and the same
audit as the API (backend.documents.service), its problems said on the page, nothing kept when refused."""
from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from aiohttp import web

from backend.appkeys import SETTINGS
from backend.audit.service import record
from backend.clients import service as clients
from backend.core.errors import InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.documents import service as documents
from backend.documents.storage import DocumentStore
from backend.organisation import service as organisation
from backend.panel.clients import _form_of, _record
from backend.panel.routes import language_of, render, role_form, routes
from backend.panel.uploads import upload_form
from backend.web import database, now, path_id
from shared.enums import ClientStatus
from shared.i18n import N_, translate

FIELDS = ("category", "title", "document_date", "retain_for")
# How long a document is kept, counted from the day it is filed; "" keeps it as long as the record.
RETENTION_YEARS = ("1", "2", "3", "5", "7", "10")
PROBLEMS = {
    ("file", "required"): N_("Choose the file to file."),
    ("file", "file_empty"): N_("This file is empty."),
    ("file", "file_type_refused"): N_("This kind of file is not accepted (its content was checked, whatever its "
                                      "name): send a PDF, an image, an office document or plain text."),
    ("file", "file_has_macros"): N_("This office document contains macros (programs): save it without them, "
                                    "then file it."),
    ("file", "file_damaged"): N_("This file is damaged: it cannot be read."),
    ("file", "file_name_mismatch"): N_("This file’s content does not match the end of its name: check that it "
                                       "is the right file."),
    ("category", "required"): N_("Choose a category."),
    ("category", "category_unknown"): N_("Choose a category from the list."),
    ("title", "too_long"): N_("The title has at most 200 characters."),
    ("document_date", "date_invalid"): N_("Give a date like 2026-03-15 or 15/03/2026."),
}
TOO_LARGE = N_("This file is too large: at most {size}.")
RETENTION_UNKNOWN = N_("Choose how long to keep it from the list.")
NOT_HELD = N_("This record was merged or erased: nothing more can be filed in it.")


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28)


async def _client_page(request: web.Request, who: StaffIdentity, client_id: int, at: dt.datetime, *,
                       doc_form: dict, doc_errors: dict, status: int) -> web.Response:
    async with database(request).read() as session:
        client = await clients.client_for_staff(session, who, client_id, at, viewed=False)
        context = await _record(session, client, who)
    return render(request, "client.html", {"who": who, **context, "form": _form_of(context["client"]),
                                           "errors": {}, "saved": False, "doc_form": doc_form,
                                           "doc_errors": doc_errors}, status=status)


def _missing(request: web.Request, who: StaffIdentity) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text, content_type="text/html")


@routes.post("/panel/clients/{id}/documents")
async def file_document(request: web.Request) -> web.Response:
    settings = request.config_dict[SETTINGS]
    who, posted = await upload_form(request, clients.CLIENT_KEEPERS, settings.document_max_bytes, FIELDS)
    client_id, at, language = path_id(request), now(request), language_of(request)
    form = {name: posted.fields.get(name, "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    async with database(request).read() as session:
        try:
            client = await clients.client_for_staff(session, who, client_id, at, viewed=False)
        except NotFound:
            raise _missing(request, who) from None
        zone = ZoneInfo((await organisation.site(session, client.site_id)).time_zone)
    if client.status in (ClientStatus.MERGED, ClientStatus.ERASED):
        errors["file"] = translate(language, NOT_HELD)
    if form["retain_for"] and form["retain_for"] not in RETENTION_YEARS:
        errors["retain_for"] = translate(language, RETENTION_UNKNOWN)
    retain_until = _years_later(at.astimezone(zone).date(), int(form["retain_for"])) \
        if form["retain_for"] in RETENTION_YEARS else None
    fields = {"category": form["category"], "title": form["title"], "document_date": form["document_date"],
              "retain_until": retain_until.isoformat() if retain_until else ""}
    upload = None
    if posted.too_large:
        limit = settings.document_max_bytes
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{-(-limit // 1024)} KB"
        errors["file"] = translate(language, TOO_LARGE).replace("{size}", size)
    try:
        # Reading the type and hashing megabytes: off the event loop.
        upload = await asyncio.to_thread(documents.checked_upload, None if posted.too_large else posted.data,
                                         posted.filename, fields)
    except InvalidInput as error:
        for problem in error.errors:
            if posted.too_large and problem.field == "file":
                continue
            errors.setdefault(problem.field, translate(language, PROBLEMS.get(
                (problem.field, problem.code), N_("Check this field."))))
    if errors or upload is None:
        return await _client_page(request, who, client_id, at, doc_form=form, doc_errors=errors,
                                  status=413 if posted.too_large else 422)
    store = DocumentStore.of(settings)
    async with database(request).write() as session:
        client = await clients.client_for_staff(session, who, client_id, at, viewed=False)
        await documents.file_document(session, store, who, client, upload, at)
    raise web.HTTPSeeOther(f"/panel/clients/{client_id}?filed=1#documents")


@routes.post("/panel/clients/documents/{id}/delete")
async def remove_document(request: web.Request) -> web.Response:
    who, _form = await role_form(request, clients.CLIENT_KEEPERS)
    at = now(request)
    try:
        async with database(request).write() as session:
            document = await documents.document_for_staff(session, who, path_id(request), clients.CLIENT_KEEPERS)
            shas = await documents.remove_rows(session, [document])
            record(session, who.audit_actor, "document.deleted", "client", document.client_id, at,
                   document_id=document.id, category=str(document.category))
    except NotFound:
        raise _missing(request, who) from None
    await documents.release(database(request), DocumentStore.of(request.config_dict[SETTINGS]), shas)
    raise web.HTTPSeeOther(f"/panel/clients/{document.client_id}?removed=1#documents")
