"""Duplicate records in the panel: the likely pairs found over the whole file, and the screen that puts two
records side by side (what differs marked, and what the kept record will hold) to merge them."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from backend.clients import service as clients
from backend.clients.duplicates import duplicate_pairs
from backend.clients.merge import LINKED, merge_clients, merged_values
from backend.clients.models import Client, ClientChange
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.panel.clients import FIELD_LABELS, REASONS
from backend.panel.routes import language_of, render, role_form, routes, staff_with_role
from backend.web import database, now
from shared.enums import ClientKind, ClientStatus
from shared.fields import shown_number
from shared.i18n import N_, translate

PAIRS = 200
# The record's fields, in the order the screen compares them.
COMPARED = ("kind", "given_name", "family_name", "organisation_name", "number", "date_of_birth", "phone",
            "phone_alt", "email", "address", "city", "region", "postal_code", "country", "notes", "tags", "status",
            "retain_until")
# What points at a record and moves with it, counted for each side.
LINKED_LABELS = {"visit": N_("Visits"), "payment_request": N_("Payment requests"), "call": N_("Calls"),
                 "client_document": N_("Documents")}
KINDS = {ClientKind.PERSON: N_("Person"), ClientKind.ORGANISATION: N_("Organisation")}
STATUSES = {ClientStatus.ACTIVE: N_("Active"), ClientStatus.INACTIVE: N_("Inactive"),
            ClientStatus.MERGED: N_("Merged"), ClientStatus.ERASED: N_("Erased")}
REFUSALS = {
    "same_client": N_("A record cannot be merged into itself: choose two different records."),
    "client_unknown": N_("One of these records does not exist any more."),
    "stopped": N_("One of these records was already merged or erased: it can no longer be merged."),
    "sites": N_("These records belong to different sites: they cannot be merged."),
}
HISTORY = N_("History lines")


def _reasons(reasons: list[str], language: str) -> str:
    return ", ".join(translate(language, REASONS.get(reason, reason)) for reason in reasons)


@routes.get("/panel/clients/duplicates")
async def duplicates_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    language = language_of(request)
    async with database(request).read() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        pairs = await duplicate_pairs(session, site.id, limit=PAIRS)
    rows = [(first, clients.display_name(first), second, clients.display_name(second), score,
             _reasons(reasons, language)) for first, second, score, reasons in pairs]
    return render(request, "client_duplicates.html", {"who": who, "pairs": rows, "limit": PAIRS})


def _ids(values) -> tuple[int, int] | None:
    raw = [str(values.get(name, "")).strip() for name in ("keep", "other")]
    if not all(part.isascii() and part.isdigit() and len(part) < 18 for part in raw):
        return None
    return int(raw[0]), int(raw[1])


def _shown(name: str, value, country: str, language: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    if name == "tags":
        return ", ".join(value)
    if name == "kind":
        return translate(language, KINDS.get(value, str(value)))
    if name == "status":
        return translate(language, STATUSES.get(value, str(value)))
    if name in ("phone", "phone_alt"):
        return shown_number(value, country)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


async def _linked(session, client_id: int) -> dict[str, int]:
    counts = {HISTORY: await session.scalar(select(func.count()).where(ClientChange.client_id == client_id))}
    for model, column in LINKED:
        # What a clerk knows by name; other links (kiosk passes, pending changes) move too, unshown.
        if model.__tablename__ in LINKED_LABELS:
            counts[LINKED_LABELS[model.__tablename__]] = await session.scalar(
                select(func.count()).select_from(model).where(column == client_id))
    return counts


async def _merge_page(request: web.Request, who: StaffIdentity, ids: tuple[int, int] | None, *, error: str = "",
                      status: int = 200) -> web.Response:
    language = language_of(request)
    if ids is None or ids[0] == ids[1]:
        return render(request, "client_merge.html", {"who": who, "pair": None, "error": error or translate(
            language, REFUSALS["same_client"] if ids else REFUSALS["client_unknown"])}, status=422)
    try:
        async with database(request).write() as session:  # both records are shown whole: two audited views
            keep = await clients.client_for_staff(session, who, ids[0], now(request))
            other = await clients.client_for_staff(session, who, ids[1], now(request))
            site = await organisation.site(session, keep.site_id)
            keep_tags, other_tags = await clients.tags_of(session, keep.id), await clients.tags_of(session, other.id)
            after = merged_values(keep, other, keep_tags, other_tags)
            counts = (await _linked(session, keep.id), await _linked(session, other.id))
    except NotFound:
        raise web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text,
                               content_type="text/html") from None
    values = ({**values_of(keep), "tags": keep_tags}, {**values_of(other), "tags": other_tags},
              {**values_of(keep), **after})
    rows = []
    for name in COMPARED:
        shown = [_shown(name, side[name], site.country, language) for side in values]
        if any(shown):  # a field neither record fills says nothing
            rows.append((FIELD_LABELS[name], *shown, shown[0] != shown[1]))
    stopped = any(c.status in (ClientStatus.MERGED, ClientStatus.ERASED) for c in (keep, other))
    if stopped and not error:
        error, status = translate(language, REFUSALS["stopped"]), 409
    return render(request, "client_merge.html", {
        "who": who, "pair": (keep, other), "names": (clients.display_name(keep), clients.display_name(other)),
        "rows": rows, "counts": counts, "error": error, "stopped": stopped}, status=status)


def values_of(client: Client) -> dict:
    return {name: getattr(client, name) for name in COMPARED if name != "tags"}


@routes.get("/panel/clients/merge")
async def merge_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    return await _merge_page(request, who, _ids(request.query))


@routes.post("/panel/clients/merge")
async def merge(request: web.Request) -> web.Response:
    who, form = await role_form(request, clients.CLIENT_KEEPERS)
    ids = _ids(form)
    language = language_of(request)
    if ids is None or ids[0] == ids[1]:
        return await _merge_page(request, who, ids)
    try:
        async with database(request).write() as session:
            await merge_clients(session, who, ids[0], ids[1], now(request))
    except (NotFound, InvalidInput) as refused:
        code = refused.errors[0].code if isinstance(refused, InvalidInput) and refused.errors else "client_unknown"
        return await _merge_page(request, who, ids, error=translate(language, REFUSALS.get(
            code, REFUSALS["client_unknown"])), status=422)
    except Conflict as refused:
        reason = "sites" if "sites" in (refused.detail or "") else "stopped"
        return await _merge_page(request, who, ids, error=translate(language, REFUSALS[reason]), status=409)
    raise web.HTTPSeeOther(f"/panel/clients/{ids[0]}?merged={ids[1]}")
