"""The queue of contact changes clients asked for at the kiosk: each field on file and proposed, a warning when
the record changed since the client looked, and Approve / Reject. The page works by reloading; panel.js makes
the queue live (client.contact_change_* events fetch /panel/clients/changes/list again)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select

from backend.clients import contact_changes
from backend.clients import service as clients
from backend.clients.change_routes import announce
from backend.clients.kiosk_models import ContactChangeRequest, ContactChangeState
from backend.clients.models import Client
from backend.core.errors import ApiError
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.panel.routes import render, role_form, routes, staff_with_role
from backend.web import database, now, path_id
from shared.fields import shown_number
from shared.i18n import N_

FIELD_LABELS = {"phone": N_("Phone"), "email": N_("Email"), "address": N_("Address"), "city": N_("City"),
                "postal_code": N_("Postal code")}
APPROVED = N_("Approved: {name}’s record is up to date.")
REJECTED = N_("Rejected: {name}’s record stays as it was.")
REASON_REQUIRED = N_("Say why you reject this change.")
REASON_TOO_LONG = N_("Use at most {count} characters.")
ALREADY_REVIEWED = N_("Someone already reviewed this change: the list below is up to date.")
NO_SUCH_CHANGE = N_("This change no longer exists: the list below is up to date.")
RECORD_GONE = N_("This record was merged or erased: the change can no longer be applied.")
REASON_MAX = 500


async def pending_count(session) -> int:
    """How many changes wait, for the link on the clients page."""
    return await session.scalar(select(func.count()).select_from(ContactChangeRequest).join(
        Client, Client.id == ContactChangeRequest.client_id).where(
        ContactChangeRequest.state == ContactChangeState.PENDING)) or 0


async def _queue(request: web.Request, who: StaffIdentity) -> dict:
    async with database(request).read() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        items = await contact_changes.list_changes(session, who, ContactChangeState.PENDING)
    zone = ZoneInfo(site.time_zone)
    return {"who": who, "changes": items, "labels": FIELD_LABELS,
            "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "shown": lambda field, value: shown_number(value, site.country) if field == "phone" and value else value}


@routes.get("/panel/clients/changes")
async def changes_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    return await _page(request, who)


async def _page(request: web.Request, who: StaffIdentity, *, done: str = "", error: str = "",
                failed_id: int | None = None, reason: str = "", status: int = 200) -> web.Response:
    done_kind, raw_client = request.query.get("done", ""), request.query.get("client", "")
    done_client = None
    if not done and done_kind in ("approved", "rejected") and raw_client.isdigit() and len(raw_client) < 18:
        async with database(request).read() as session:
            done_client = await session.get(Client, int(raw_client))
        if done_client is not None:
            done = APPROVED if done_kind == "approved" else REJECTED
    return render(request, "client_changes.html", {
        **await _queue(request, who), "done": done,
        "done_client": done_client and (done_client.id, clients.display_name(done_client)),
        "error": error, "failed_id": failed_id, "reason": reason, "reason_max": REASON_MAX}, status=status)


@routes.get("/panel/clients/changes/list")
async def changes_list(request: web.Request) -> web.Response:
    """The queue alone, fetched by the page's script when the live channel says a change arrived or went."""
    who = await staff_with_role(request, clients.CLIENT_KEEPERS)
    return render(request, "_client_changes_list.html", await _queue(request, who))


def _problem(error: ApiError) -> str:
    if error.status == 404:
        return NO_SUCH_CHANGE
    return ALREADY_REVIEWED if isinstance(error, contact_changes.AlreadyReviewed) else RECORD_GONE


async def _reviewed(request: web.Request, change_id: int, verdict: str):
    async with database(request).read() as session:
        out = await contact_changes.view(session, change_id)
    await announce(request, out)
    raise web.HTTPSeeOther(f"/panel/clients/changes?done={verdict}&client={out.client_id}")


@routes.post("/panel/clients/changes/{id}/approve")
async def approve(request: web.Request) -> web.Response:
    who, _form = await role_form(request, clients.CLIENT_KEEPERS)
    change_id = path_id(request)
    try:
        async with database(request).write() as session:
            await contact_changes.approve(session, who, change_id, now(request))
    except ApiError as error:  # reviewed meanwhile, or the record merged or erased: the page says so
        return await _page(request, who, error=_problem(error), status=error.status)
    await _reviewed(request, change_id, "approved")


@routes.post("/panel/clients/changes/{id}/reject")
async def reject(request: web.Request) -> web.Response:
    who, form = await role_form(request, clients.CLIENT_KEEPERS)
    change_id = path_id(request)
    reason = " ".join(str(form.get("reason", "")).split())
    if not reason or len(reason) > REASON_MAX:
        return await _page(request, who, failed_id=change_id, reason=reason[:REASON_MAX * 2],
                           error=REASON_REQUIRED if not reason else REASON_TOO_LONG, status=422)
    try:
        async with database(request).write() as session:
            await contact_changes.reject(session, who, change_id, reason, now(request))
    except ApiError as error:
        return await _page(request, who, error=_problem(error), status=error.status)
    await _reviewed(request, change_id, "rejected")
