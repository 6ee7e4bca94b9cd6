"""Client records in the panel: search as you type, a record with its history and the trail of who viewed it,
and the forms to create (warned of likely duplicates) and change one."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.clients import service as clients
from backend.clients.duplicates import likely_duplicates
from backend.clients.schemas import ClientIn
from backend.clients.search import search_clients
from backend.core.api import field_problems
from backend.core.errors import InvalidInput
from backend.documents.service import document_out, documents_of
from backend.organisation import service as organisation
from backend.panel.client_activity import activity
from backend.panel.client_changes import pending_count
from backend.panel.routes import language_of, render, role_form, routes, staff_with_role
from backend.staff.models import StaffMember
from backend.web import database, now, path_id
from shared.enums import ClientKind, ClientStatus, DocumentCategory
from shared.fields import shown_number
from shared.i18n import N_, translate

RESULTS = 30
TEXT_FIELDS = ("given_name", "family_name", "organisation_name", "number", "date_of_birth", "phone", "phone_alt",
               "email", "address", "city", "region", "postal_code", "country", "notes")
FIELD_LABELS = {
    "kind": N_("Kind"), "given_name": N_("Given name"), "family_name": N_("Family name"),
    "organisation_name": N_("Organisation"), "number": N_("File number"), "date_of_birth": N_("Date of birth"),
    "phone": N_("Phone"), "phone_alt": N_("Other phone"), "email": N_("Email"), "address": N_("Address"),
    "city": N_("City"), "region": N_("Province or state"), "postal_code": N_("Postal code"),
    "country": N_("Country"), "notes": N_("Notes"), "tags": N_("Tags"), "status": N_("Status"),
    "retain_until": N_("Keep until"), "merged_from": N_("Merged from"),
}
# The service's problems by code, in words the catalogs carry.
PROBLEMS = {
    "required": N_("Give a name."), "phone_invalid": N_("This is not a valid phone number."),
    "email_invalid": N_("This is not a valid email address."),
    "date_invalid": N_("Give a date like 1961-04-12 or 12/04/1961."),
    "date_out_of_range": N_("Give a date of birth between 1880 and today."),
    "country_invalid": N_("Give a two-letter country code, like CA."),
    "number_taken": N_("Another client already has this number."),
    "tag_too_long": N_("A tag has at most 60 characters."),
    "string_too_long": N_("This is too long."), "too_long": N_("Too many tags: at most 20."),
}
# Why two records look alike (backend.clients.duplicates), in words the catalogs carry.
REASONS = {"same number": N_("same file number"), "same phone": N_("same phone"), "same email": N_("same email"),
           "same date of birth": N_("same date of birth"), "similar name": N_("similar name")}
SOURCES = {"panel": N_("panel"), "api": N_("API"), "import": N_("import"), "kiosk": N_("kiosk"),
           "merge": N_("merge"), "erasure": N_("erasure")}
ACTIONS = {"client.viewed": N_("Viewed"), "document.downloaded": N_("Opened a document"),
           "document.uploaded": N_("Filed a document"), "document.deleted": N_("Removed a document"), "client.exported_whole": N_("Exported everything held"),
           "client.identified_at_kiosk": N_("Identified at the kiosk"),
           "client.contact_change_proposed": N_("Asked for a contact change at the kiosk"),
           "client.contact_change_approved": N_("Approved a contact change from the kiosk"),
           "client.contact_change_rejected": N_("Rejected a contact change from the kiosk"),
           "client.merged": N_("Merged another record into this one")}
CATEGORIES = {DocumentCategory.IDENTITY: N_("Identity"), DocumentCategory.INSURANCE: N_("Insurance"),
              DocumentCategory.CONTRACT: N_("Contract"), DocumentCategory.REPORT: N_("Report"),
              DocumentCategory.CORRESPONDENCE: N_("Correspondence"), DocumentCategory.OTHER: N_("Other")}


async def _site(session):
    return await organisation.site(session, await organisation.only_site_id(session))


@routes.get("/panel/clients")
async def clients_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_READERS)
    may_keep = bool(who.roles & clients.CLIENT_KEEPERS)
    async with database(request).read() as session:
        waiting = await pending_count(session) if may_keep else 0
    return render(request, "clients.html", {"who": who, **await _results(request), "may_keep": may_keep,
                                            "changes_waiting": waiting})


@routes.get("/panel/clients/results")
async def results(request: web.Request) -> web.Response:
    """The results alone, fetched by the page's script as the clerk types."""
    who = await staff_with_role(request, clients.CLIENT_READERS)
    return render(request, "_client_results.html", {"who": who, **await _results(request)})


async def _results(request: web.Request) -> dict:
    query = request.query.get("q", "")[:200]
    async with database(request).read() as session:
        site = await _site(session)
        found = await search_clients(session, site.id, query, limit=RESULTS)
        rows = [await clients.client_out(session, client) for client, _score in found]
    return {"query": query, "results": rows, "limit": RESULTS,
            "number": lambda number: shown_number(number, site.country)}


@routes.get("/panel/clients/new")
async def new_client(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    async with database(request).read() as session:
        country = (await _site(session)).country
    return render(request, "client_form.html", {"who": who, "form": {"kind": "person", "country": country},
                                                "errors": {},
                                                "labels": FIELD_LABELS, "client": None, "duplicates": []})


def _client_in(form) -> ClientIn:
    """The form as the API's body; what is too long is named like the service's problems."""
    values = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    tags = [tag for tag in str(form.get("tags", "")).split(",") if tag.strip()]
    kind = ClientKind.ORGANISATION if form.get("kind") == "organisation" else ClientKind.PERSON
    try:
        return ClientIn(kind=kind, tags=tags, **values)
    except ValidationError as error:
        raise InvalidInput("Some fields of the client are not valid.", field_problems(error)) from None


def _errors(error: InvalidInput, language: str) -> dict[str, str]:
    return {problem.field: translate(language, PROBLEMS.get(problem.code, N_("Check this field.")))
            for problem in error.errors}


@routes.post("/panel/clients")
async def create(request: web.Request) -> web.Response:
    who, form = await role_form(request, clients.CLIENT_KEEPERS)
    at = now(request)
    language = language_of(request)
    context = {"who": who, "form": dict(form), "labels": FIELD_LABELS, "client": None, "duplicates": []}
    try:
        async with database(request).write() as session:
            site = await _site(session)
            values = await clients.checked_values(session, site, _client_in(form), at.date())
            if form.get("different") != "1":
                found = await likely_duplicates(session, site.id, values)
                if found:
                    # Nothing stored: the clerk opens the existing record or says it is somebody else.
                    context["duplicates"] = [(await clients.client_out(session, c), reasons)
                                             for c, _score, reasons in found]
                    return render(request, "client_form.html", {**context, "errors": {}}, status=409)
            client = await clients.create_client(session, site, values, who.staff_id, "panel", at)
    except InvalidInput as error:
        return render(request, "client_form.html", {**context, "errors": _errors(error, language)}, status=422)
    raise web.HTTPSeeOther(f"/panel/clients/{client.id}?saved=1")


@routes.get("/panel/clients/{id}")
async def client_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_READERS)
    async with database(request).write() as session:  # the view is audited
        client = await clients.client_for_staff(session, who, path_id(request), now(request))
        context = await _record(session, client, who)
        twins = await _twins(session, client) if context["may_change"] else []
    merged = request.query.get("merged", "")
    return render(request, "client.html", {"who": who, **context, "form": _form_of(context["client"]),
                                           "errors": {}, "saved": request.query.get("saved") == "1",
                                           "filed": request.query.get("filed") == "1",
                                           "removed": request.query.get("removed") == "1", "twins": twins,
                                           "merged": merged if merged.isascii() and merged.isdigit() else ""})


async def _twins(session, client) -> list:
    """Records the entry check finds this one looks like, and why: the record links to comparing and merging."""
    if client.status not in (ClientStatus.ACTIVE, ClientStatus.INACTIVE):
        return []
    values = {name: getattr(client, name) for name in ("kind", "given_name", "family_name", "organisation_name",
                                                       "phone", "phone_alt", "email", "date_of_birth", "number")}
    found = await likely_duplicates(session, client.site_id, values, exclude_id=client.id, limit=3)
    return [(twin, clients.display_name(twin), reasons) for twin, _score, reasons in found]


@routes.post("/panel/clients/{id}")
async def change(request: web.Request) -> web.Response:
    who, form = await role_form(request, clients.CLIENT_KEEPERS)
    at = now(request)
    try:
        async with database(request).write() as session:
            client = await clients.client_for_staff(session, who, path_id(request), at, viewed=False)
            site = await organisation.site(session, client.site_id)
            values = await clients.checked_values(session, site, _client_in(form), at.date(), client=client)
            await clients.apply(session, client, values, who.staff_id, "panel", at)
    except InvalidInput as error:
        async with database(request).read() as session:
            client = await clients.client_for_staff(session, who, path_id(request), at, viewed=False)
            context = await _record(session, client, who)
        return render(request, "client.html", {"who": who, **context, "form": dict(form), "saved": False,
                                               "errors": _errors(error, language_of(request))}, status=422)
    raise web.HTTPSeeOther(f"/panel/clients/{client.id}?saved=1")


def _form_of(out) -> dict:
    form = {name: getattr(out, name) or "" for name in TEXT_FIELDS}
    form["date_of_birth"] = out.date_of_birth.isoformat() if out.date_of_birth else ""
    return {**form, "kind": out.kind, "tags": ", ".join(out.tags)}


async def _record(session, client, who) -> dict:
    site = await _site(session)
    zone = ZoneInfo(site.time_zone)
    names = dict((await session.execute(select(StaffMember.id, StaffMember.display_name))).tuples().all())
    trail = []
    if who.roles & clients.CLIENT_KEEPERS:
        trail = (await session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "client", AuditEvent.object_id == str(client.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(200))).all()
    documents = [document_out(d) for d in await documents_of(session, client.id)]
    return {"client": await clients.client_out(session, client), "history": await clients.history(session, client.id),
            "documents": documents, "categories": CATEGORIES,
            "trail": trail, "names": names, "sources": SOURCES, "actions": ACTIONS, "labels": FIELD_LABELS,
            "reasons": REASONS,
            "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "may_change": bool(who.roles & clients.CLIENT_KEEPERS),
            "number": lambda number: shown_number(number, site.country),
            **await activity(session, who, client.id, site.locale)}
