"""Payments in the panel: the list with totals per day, one payment's details, and what staff do about it
(refund, reprint the receipt at the kiosk, email it). Each form calls the same service as the JSON API."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from backend.appkeys import SETTINGS
from backend.core.errors import ApiError, InvalidInput
from backend.core.identity import StaffIdentity
from backend.kiosks.models import KioskDevice
from backend.panel.money_input import NotAnAmount, money_field, parse_money
from backend.panel.payment_views import labels, site_formats
from backend.panel.routes import render, role_form, routes, staff_with_role
from backend.payments import ledger
from backend.payments.models import Payment, PaymentRequest, Refund
from backend.payments.routes import CASHIER_ROLES, REFUND_ROLES, payment_filters
from backend.payments.runtime import CASHIER, cashier
from backend.receipts import sending
from backend.receipts import service as receipts
from backend.staff.models import StaffMember
from backend.visits.models import Visit
from backend.web import database, hub, now, path_id
from shared.enums import PaymentMethod, PaymentState
from shared.i18n import N_

DONE = {"refunded": N_("The refund is done."), "reprinted": N_("The kiosk is printing the receipt again."),
        "emailed": N_("The receipt was sent by email.")}
BAD_FILTERS = N_("Check the filters: dates are YYYY-MM-DD.")
AMOUNT_ZERO = N_("Type an amount greater than zero.")
TOO_MUCH = N_("At most {amount} remains to refund.")
REASON_SHORT = N_("Say why, in a few words.")
REASON_LONG = N_("Use at most 500 characters.")
EMAIL_INVALID = N_("This email address is not valid.")


def _off(request: web.Request, who: StaffIdentity) -> web.Response | None:
    """The page saying the site takes no payments, when it does not."""
    if request.config_dict.get(CASHIER) is None:
        return render(request, "payments_off.html", {"who": who}, status=409)
    return None


@routes.get("/panel/payments")
async def payments_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, CASHIER_ROLES)
    if (off := _off(request, who)) is not None:
        return off
    query = request.query
    error = ""
    async with database(request).read() as session:
        site = await site_formats(session, request)
        try:
            listing = await ledger.payments(session, cashier(request), **payment_filters(query))
        except InvalidInput:
            error, listing = site.say(BAD_FILTERS), None
    return render(request, "payments.html", {
        "who": who, "site": site, "listing": listing, "filters": dict(query), "error": error,
        "states": [s for s in PaymentState], "methods": [m for m in PaymentMethod], **labels(),
    }, status=422 if error else 200)


async def _detail(request: web.Request, who: StaffIdentity, payment_id: int, **extra: object) -> dict:
    """Everything the detail page shows about one payment."""
    async with database(request).read() as session:
        site = await site_formats(session, request)
        payment = await session.get(Payment, payment_id)
        if payment is None:
            raise web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text, content_type="text/html")
        pay_request = await session.get(PaymentRequest, payment.request_id)
        refunds = list(await session.scalars(select(Refund).where(Refund.payment_id == payment.id)
                                             .order_by(Refund.created_at, Refund.id)))
        names = dict((await session.execute(select(StaffMember.id, StaffMember.display_name).where(
            StaffMember.id.in_({r.by_staff_id for r in refunds if r.by_staff_id})))).all())
        pending = await session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id, Refund.state == "pending"))
        record = await receipts.for_payment(session, payment.id)
        kiosk = await session.get(KioskDevice, payment.kiosk_id) if payment.kiosk_id else None
        visit = await session.get(Visit, pay_request.visit_id) if pay_request.visit_id else None
    remaining = payment.amount - payment.refunded - pending if payment.state == PaymentState.SUCCEEDED else 0
    context = {
        "who": who, "site": site, "payment": payment, "request": pay_request, "refunds": refunds,
        "refund_by": names, "record": record, "receipt_path": receipts.url("", record) if record else "",
        "kiosk": kiosk, "remaining": remaining, "may_act": bool(who.roles & REFUND_ROLES),
        "done": DONE.get(request.query.get("done", "")), "error": "", "errors": {},
        "form": {"amount": money_field(remaining, payment.currency, site.locale) if remaining else "",
                 "email": (record.emailed_to if record and record.emailed_to else
                           visit.visitor_email if visit and visit.visitor_email else "")},
        **labels(),
    }
    context.update(extra)
    return context


@routes.get("/panel/payments/{id}")
async def payment_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, CASHIER_ROLES)
    if (off := _off(request, who)) is not None:
        return off
    return render(request, "payment.html", await _detail(request, who, path_id(request)))


async def _failed(request: web.Request, who: StaffIdentity, payment_id: int, status: int, form: dict,
                  error: str = "", errors: dict | None = None) -> web.Response:
    """The detail page again, saying what went wrong, with what was typed kept."""
    context = await _detail(request, who, payment_id, error=error, errors=errors or {})
    context["form"] = {**context["form"], **form}
    return render(request, "payment.html", context, status=status)


def _back(payment_id: int, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/panel/payments/{payment_id}?done={done}")


@routes.post("/panel/payments/{id}/refund")
async def refund(request: web.Request) -> web.Response:
    who, form = await role_form(request, REFUND_ROLES)
    payment_id = path_id(request)
    typed = {"amount": str(form.get("amount", ""))[:40], "reason": str(form.get("reason", ""))[:1000]}
    async with database(request).read() as session:
        site = await site_formats(session, request)
        payment = await session.get(Payment, payment_id)
    errors: dict[str, str] = {}
    amount = 0
    try:
        amount = parse_money(typed["amount"], payment.currency if payment else site.currency)
        if amount <= 0:
            errors["amount"] = site.say(AMOUNT_ZERO)
    except NotAnAmount as problem:
        errors["amount"] = site.say(problem.message, **problem.values)
    reason = " ".join(typed["reason"].split())
    if len(reason) < 3:
        errors["reason"] = site.say(REASON_SHORT)
    elif len(reason) > 500:
        errors["reason"] = site.say(REASON_LONG)
    if errors:
        return await _failed(request, who, payment_id, 422, typed, errors=errors)
    try:
        await cashier(request).refund(who, payment_id, amount, reason)
    except InvalidInput as problem:
        if any(e.code == "too_much" for e in problem.errors):
            context = await _detail(request, who, payment_id)
            errors["amount"] = site.say(TOO_MUCH, amount=site.money(context["remaining"]))
        return await _failed(request, who, payment_id, 422, typed, errors=errors or {"amount": problem.detail})
    except ApiError as problem:
        return await _failed(request, who, payment_id, problem.status, typed, error=site.detail(problem.detail))
    raise _back(payment_id, "refunded")


@routes.post("/panel/payments/{id}/reprint")
async def reprint(request: web.Request) -> web.Response:
    who, _form = await role_form(request, REFUND_ROLES)
    payment_id = path_id(request)
    try:
        await sending.reprint(database(request), hub(request), who, payment_id,
                              base_url=request.config_dict[SETTINGS].base_url, at=now(request))
    except ApiError as problem:
        async with database(request).read() as session:
            site = await site_formats(session, request)
        return await _failed(request, who, payment_id, problem.status, {}, error=site.detail(problem.detail))
    raise _back(payment_id, "reprinted")


@routes.post("/panel/payments/{id}/email")
async def email(request: web.Request) -> web.Response:
    who, form = await role_form(request, REFUND_ROLES)
    payment_id = path_id(request)
    typed = {"email": str(form.get("email", ""))[:254]}
    try:
        await sending.email(database(request), request.config_dict[SETTINGS], who, payment_id, typed["email"],
                            at=now(request))
    except ApiError as problem:
        async with database(request).read() as session:
            site = await site_formats(session, request)
        if isinstance(problem, InvalidInput):
            return await _failed(request, who, payment_id, 422, typed, errors={"email": site.say(EMAIL_INVALID)})
        return await _failed(request, who, payment_id, problem.status, typed, error=site.detail(problem.detail))
    raise _back(payment_id, "emailed")
