"""Administration of kiosks (register, pairing codes, revoke, online status) and of staff API tokens.

A pairing code or a token value exists in clear only in the answer to the POST that made it: that page is
rendered directly (no redirect, never cached), and nothing can show it again.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.kiosks import admin as kiosks
from backend.organisation import service as organisation
from backend.panel.routes import admin_form, admin_staff, render, routes
from backend.staff import tokens
from backend.web import database, now, path_id
from shared.enums import TokenScope
from shared.i18n import N_

PAGE = "/panel/admin/kiosks"
CONFIRM_REVOKE = N_("Tick the box to confirm.")
DONE = {"kiosk-revoked": N_("The kiosk is revoked: its token no longer works."),
        "reader-saved": N_("The card reader is saved: the kiosk takes cards on it from its next payment."),
        "token-revoked": N_("The token is revoked: it no longer works.")}
# What the services' field problems say, in words the catalogs know (by field and code).
FIELD_MESSAGES = {
    ("name", "required"): N_("Give the kiosk a name."),
    ("name", "too_long"): N_("Use at most 100 characters."),
    ("label", "required"): N_("Give the token a label, to recognise it later."),
    ("scope", "scope_invalid"): N_("Choose what the token may do from the list."),
    ("label", "too_long"): N_("Use at most 100 characters."),
    ("expires_in_days", "expiry_invalid"): N_("Give a number of days from 1 to 3650, or leave it empty for no expiry."),
    ("owner", "owner_unknown"): N_("Choose an active staff member."),
    ("stripe_reader_id", "reader_invalid"): N_("A Stripe reader id looks like tmr_FDOt2wlRZEdpd7; leave it empty for "
                                               "no reader."),
}


async def _page(request: web.Request, who: StaffIdentity, **extra: object) -> dict:
    at = now(request)
    async with database(request).read() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        kiosk_rows = await kiosks.list_kiosks(session, at)
        token_rows = await tokens.list_tokens(session)
        owners = await tokens.owners(session)
    zone = ZoneInfo(site.time_zone)
    context = {
        "who": who, "kiosks": kiosk_rows, "tokens": token_rows, "owners": owners, "now": at,
        "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "",
        "done": DONE.get(request.query.get("done", "")), "pairing": None, "new_token": None,
        "kiosk_errors": {}, "token_errors": {}, "revoke_error": None, "form": {}, "reader_error": None,
    }
    context.update(extra)
    return context


def _field_errors(error: InvalidInput) -> dict[str, str]:
    return {problem.field: FIELD_MESSAGES.get((problem.field, problem.code), problem.detail)
            for problem in error.errors}


async def _admin_form(request: web.Request) -> tuple[StaffIdentity, dict[str, str]]:
    """The administrator and the form they posted, once its CSRF token checks out."""
    who, form = await admin_form(request)
    return who, {key: str(value) for key, value in form.items() if isinstance(value, str)}


def _one_time(response: web.Response) -> web.Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@routes.get(PAGE)
async def kiosks_page(request: web.Request) -> web.Response:
    return render(request, "admin_kiosks.html", await _page(request, await admin_staff(request)))


@routes.get(PAGE + "/{rest:.+}")
async def back_to_the_page(request: web.Request) -> web.Response:
    """The addresses that only take forms (e.g. after switching language on a result page): back to the list."""
    await admin_staff(request)
    raise web.HTTPSeeOther(PAGE)


@routes.post(PAGE)
async def register_kiosk(request: web.Request) -> web.Response:
    who, form = await _admin_form(request)
    at = now(request)
    try:
        async with database(request).write() as session:
            kiosk, code = await kiosks.register_kiosk(session, form.get("name", ""), actor=who.audit_actor, at=at)
    except InvalidInput as error:
        return render(request, "admin_kiosks.html", await _page(
            request, who, kiosk_errors=_field_errors(error), form=form), status=422)
    return await _show_pairing_code(request, who, kiosk.name, code, kiosk.pairing_expires_at)


@routes.post(PAGE + "/{id}/pairing-code")
async def new_pairing_code(request: web.Request) -> web.Response:
    who, _form = await _admin_form(request)
    async with database(request).write() as session:
        kiosk, code = await kiosks.new_pairing_code(session, path_id(request), actor=who.audit_actor,
                                                    at=now(request))
    return await _show_pairing_code(request, who, kiosk.name, code, kiosk.pairing_expires_at)


async def _show_pairing_code(request, who, name, code, expires_at) -> web.Response:
    pairing = {"name": name, "code": kiosks.group_pairing_code(code), "expires_at": expires_at}
    return _one_time(render(request, "admin_kiosks.html", await _page(request, who, pairing=pairing)))


@routes.post(PAGE + "/{id}/revoke")
async def revoke_kiosk(request: web.Request) -> web.Response:
    who, form = await _admin_form(request)
    kiosk_id = path_id(request)
    if form.get("confirm") != "yes":
        return render(request, "admin_kiosks.html", await _page(
            request, who, revoke_error={"kiosk": kiosk_id, "message": CONFIRM_REVOKE}), status=422)
    async with database(request).write() as session:
        await kiosks.revoke_kiosk(session, kiosk_id, actor=who.audit_actor, at=now(request))
    raise web.HTTPSeeOther(PAGE + "?done=kiosk-revoked")


@routes.post(PAGE + "/{id}/card-reader")
async def set_card_reader(request: web.Request) -> web.Response:
    who, form = await _admin_form(request)
    kiosk_id = path_id(request)
    try:
        async with database(request).write() as session:
            await kiosks.set_card_reader(session, kiosk_id, form.get("stripe_reader_id", "")[:100],
                                         actor=who.audit_actor, at=now(request))
    except InvalidInput as error:
        return render(request, "admin_kiosks.html", await _page(request, who, reader_error={
            "kiosk": kiosk_id, "value": form.get("stripe_reader_id", "")[:100],
            "message": _field_errors(error)["stripe_reader_id"]}), status=422)
    raise web.HTTPSeeOther(PAGE + "?done=reader-saved")


@routes.post(PAGE + "/tokens")
async def create_token(request: web.Request) -> web.Response:
    who, form = await _admin_form(request)
    at = now(request)
    owner = form.get("owner", "")
    owner_id = int(owner) if owner.isascii() and owner.isdigit() and len(owner) < 18 else 0
    try:
        async with database(request).write() as session:
            _token_id, value = await tokens.create_token(
                session, owner_id=owner_id, label=form.get("label", ""),
                expires_in_days=form.get("expires_in_days", ""), actor=who.audit_actor, at=at,
                scope=form.get("scope", TokenScope.WRITE))
    except InvalidInput as error:
        return render(request, "admin_kiosks.html", await _page(
            request, who, token_errors=_field_errors(error), form=form), status=422)
    new_token = {"label": " ".join(form.get("label", "").split()), "value": value}
    return _one_time(render(request, "admin_kiosks.html", await _page(request, who, new_token=new_token)))


@routes.post(PAGE + "/tokens/{id}/revoke")
async def revoke_token(request: web.Request) -> web.Response:
    who, form = await _admin_form(request)
    token_id = path_id(request)
    if form.get("confirm") != "yes":
        return render(request, "admin_kiosks.html", await _page(
            request, who, revoke_error={"token": token_id, "message": CONFIRM_REVOKE}), status=422)
    async with database(request).write() as session:
        await tokens.revoke_token(session, token_id, actor=who.audit_actor, at=now(request))
    raise web.HTTPSeeOther(PAGE + "?done=token-revoked")
