"""Administration of what visitors pay: the site's sales taxes and the fees listed at the kiosk. Each change is
audited; a form with a mistake comes back with what was typed and a message beside the field.

Payment requests keep the tax rates they were made with, so changing or removing a tax changes only requests
made afterwards."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from backend.audit.service import record
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.panel.money_input import NotAnAmount, money_field, parse_money, parse_rate_ppm, rate_field
from backend.panel.payment_views import SiteFormats, site_formats
from backend.panel.routes import admin_form, admin_staff, render, routes
from backend.payments.models import Fee, SiteTax
from backend.web import database, now, path_id
from shared.i18n import N_

PAGE = "/panel/admin/payments"
MAX_UNIT = 100_000_000
DONE = {"tax-saved": N_("The tax is saved. It applies to payment requests made from now on."),
        "tax-removed": N_("The tax is removed. Requests made before keep it."),
        "fee-saved": N_("The fee is saved; the kiosks list it as soon as they refresh.")}
REQUIRED = N_("This field is required.")
TOO_LONG = N_("Use at most {count} characters.")
RATE_INVALID = N_("A rate above 0 and at most 100 %, like 9,975.")
NAME_TAKEN = N_("Another tax already has this name.")
POSITION_INVALID = N_("A whole number from 0 to 999.")
PRICE_INVALID = N_("Type a price greater than zero, like 15,00.")
MAX_QUANTITY_INVALID = N_("A whole number from 1 to 100.")
CONFIRM = N_("Tick the box to confirm.")


async def _page(request: web.Request, who: StaffIdentity, **extra: object) -> dict:
    async with database(request).read() as session:
        site = await site_formats(session, request)
        site_id = await organisation.only_site_id(session)
        taxes = list(await session.scalars(select(SiteTax).where(SiteTax.site_id == site_id)
                                           .order_by(SiteTax.position, SiteTax.id)))
        fees = list(await session.scalars(select(Fee).where(Fee.site_id == site_id)
                                          .order_by(Fee.active.desc(), Fee.position, Fee.id)))
    context = {"who": who, "site": site, "taxes": taxes, "fees": fees, "errors": {}, "typed": {},
               "done": DONE.get(request.query.get("done", "")),
               "rate_field": lambda ppm: rate_field(ppm, site.locale),
               "price_field": lambda amount: money_field(amount, site.currency, site.locale)}
    context.update(extra)
    return context


@routes.get(PAGE)
async def payments_admin(request: web.Request) -> web.Response:
    return render(request, "admin_payments.html", await _page(request, await admin_staff(request)))


def _text(form, name: str, limit: int, errors: dict[str, str], site: SiteFormats, required: bool = True) -> str:
    value = " ".join(str(form.get(name, "")).split())
    if required and not value:
        errors[name] = site.say(REQUIRED)
    elif len(value) > limit:
        errors[name] = site.say(TOO_LONG, count=limit)
    return value


def _whole(form, name: str, low: int, high: int, message: str, errors: dict[str, str], site: SiteFormats) -> int:
    raw = str(form.get(name, "")).strip() or str(low)
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        errors[name] = site.say(message)
        return low
    return int(raw)


def _tax(form, site: SiteFormats) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    values = {"name": _text(form, "name", 40, errors, site),
              "registration": _text(form, "registration", 60, errors, site, required=False),
              "position": _whole(form, "position", 0, 999, POSITION_INVALID, errors, site), "rate_ppm": 0}
    try:
        values["rate_ppm"] = parse_rate_ppm(str(form.get("rate", "")))
        if not 0 < values["rate_ppm"] <= 1_000_000:
            errors["rate"] = site.say(RATE_INVALID)
    except NotAnAmount:
        errors["rate"] = site.say(RATE_INVALID)
    return values, errors


def _fee(form, site: SiteFormats) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    values = {"name_fr": _text(form, "name_fr", 120, errors, site), "name_en": _text(form, "name_en", 120, errors, site),
              "max_quantity": _whole(form, "max_quantity", 1, 100, MAX_QUANTITY_INVALID, errors, site),
              "taxable": form.get("taxable") == "on", "unit_amount": 0}
    try:
        values["unit_amount"] = parse_money(str(form.get("unit_price", "")), site.currency)
        if not 0 < values["unit_amount"] <= MAX_UNIT:
            errors["unit_price"] = site.say(PRICE_INVALID)
    except NotAnAmount as problem:
        errors["unit_price"] = site.say(problem.message, **problem.values)
    return values, errors


async def _refused(request: web.Request, who: StaffIdentity, key: str, form, errors: dict[str, str]) -> web.Response:
    typed = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    return render(request, "admin_payments.html", await _page(request, who, errors={key: errors}, typed={key: typed}),
                  status=422)


async def _save_tax(request: web.Request, tax_id: int | None) -> web.Response:
    who, form = await admin_form(request)
    key = f"tax-{tax_id}" if tax_id else "tax-new"
    at = now(request)
    async with database(request).write() as session:
        site = await site_formats(session, request)
        values, errors = _tax(form, site)
        site_id = await organisation.only_site_id(session)
        tax = await session.get(SiteTax, tax_id) if tax_id else SiteTax(site_id=site_id)
        if tax is None or tax.site_id != site_id:
            raise web.HTTPSeeOther(PAGE)  # removed meanwhile: the page shows how things stand
        same_name = await session.scalar(select(SiteTax.id).where(SiteTax.site_id == site_id,
                                                                  SiteTax.name == values["name"]))
        if same_name is not None and same_name != tax_id:
            errors["name"] = site.say(NAME_TAKEN)
        if not errors:
            for name, value in values.items():
                setattr(tax, name, value)
            session.add(tax)
            await session.flush()
            record(session, who.audit_actor, "site_tax.updated" if tax_id else "site_tax.created", "site_tax", tax.id,
                   at, **values)
    if errors:
        return await _refused(request, who, key, form, errors)
    raise web.HTTPSeeOther(PAGE + "?done=tax-saved")


@routes.post(PAGE + "/taxes")
async def add_tax(request: web.Request) -> web.Response:
    return await _save_tax(request, None)


@routes.post(PAGE + "/taxes/{id}")
async def edit_tax(request: web.Request) -> web.Response:
    return await _save_tax(request, path_id(request))


@routes.post(PAGE + "/taxes/{id}/remove")
async def remove_tax(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    tax_id = path_id(request)
    if form.get("confirm") != "yes":
        async with database(request).read() as session:
            site = await site_formats(session, request)
        return await _refused(request, who, f"tax-{tax_id}", {}, {"confirm": site.say(CONFIRM)})
    async with database(request).write() as session:
        tax = await session.get(SiteTax, tax_id)
        if tax is not None:
            record(session, who.audit_actor, "site_tax.removed", "site_tax", tax.id, now(request), name=tax.name,
                   rate_ppm=tax.rate_ppm)
            await session.delete(tax)
    raise web.HTTPSeeOther(PAGE + "?done=tax-removed")


async def _save_fee(request: web.Request, fee_id: int | None) -> web.Response:
    who, form = await admin_form(request)
    key = f"fee-{fee_id}" if fee_id else "fee-new"
    at = now(request)
    async with database(request).write() as session:
        site = await site_formats(session, request)
        values, errors = _fee(form, site)
        # A new fee is offered at once; an existing one is offered while its box stays ticked.
        values["active"] = form.get("active") == "on" if fee_id else True
        site_id = await organisation.only_site_id(session)
        fee = await session.get(Fee, fee_id) if fee_id else Fee(site_id=site_id)
        if fee is None or fee.site_id != site_id:
            raise web.HTTPSeeOther(PAGE)
        if not errors:
            action = ("fee.created" if not fee_id else "fee.deactivated" if fee.active and not values["active"]
                      else "fee.reactivated" if values["active"] and not fee.active else "fee.updated")
            for name, value in values.items():
                setattr(fee, name, value)
            session.add(fee)
            await session.flush()
            record(session, who.audit_actor, action, "fee", fee.id, at, **values)
    if errors:
        return await _refused(request, who, key, form, errors)
    raise web.HTTPSeeOther(PAGE + "?done=fee-saved")


@routes.post(PAGE + "/fees")
async def add_fee(request: web.Request) -> web.Response:
    return await _save_fee(request, None)


@routes.post(PAGE + "/fees/{id}")
async def edit_fee(request: web.Request) -> web.Response:
    return await _save_fee(request, path_id(request))
