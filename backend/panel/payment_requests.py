"""Asking a visitor to pay, from the panel: lines typed as money, for a named payer or one of today's visits; the
code to give them at the end. The form works without a script: "Add a line" posts it back with one more row."""
from __future__ import annotations

import re

from aiohttp import web
from sqlalchemy import select

from backend.core.errors import ApiError, InvalidInput
from backend.core.identity import StaffIdentity
from backend.panel.money_input import NotAnAmount, parse_money
from backend.panel.payment_views import SiteFormats, labels, site_formats
from backend.panel.routes import render, role_form, routes, staff_with_role
from backend.payments import requests
from backend.payments.models import Payment, PaymentRequest
from backend.payments.routes import CASHIER_ROLES
from backend.visits import service as visits
from backend.web import database, now, path_id
from shared.enums import OPEN_VISIT_STATES, Language, PaymentRequestState
from shared.i18n import N_

FIRST_ROWS = 3
MAX_LINES = 50
MAX_UNIT = 100_000_000  # minor units, as the API allows
LINE_KEY = re.compile(r"^lines-(\d{1,2})-(description|quantity|unit_price|taxable)$")
DESCRIPTION_REQUIRED = N_("Say what this line is for.")
TOO_LONG = N_("Use at most {count} characters.")
QUANTITY_INVALID = N_("A whole number from 1 to 1000.")
PRICE_REQUIRED = N_("Type the unit price.")
PRICE_ZERO = N_("Type an amount greater than zero.")
PRICE_TOO_BIG = N_("That is more than a kiosk may take at once.")
NO_LINE = N_("Add at least one line.")
TOO_MANY_LINES = N_("At most 50 lines.")
PAYER_REQUIRED = N_("Give the payer’s name, or choose one of today’s visits.")
VISIT_UNKNOWN = N_("Choose a visit from the list.")
CLIENT_UNKNOWN = N_("No client has this file number. Check it in the client records.")
CONFIRM = N_("Tick the box to confirm.")
CANCELLED = N_("The request is cancelled: its code no longer works at the kiosk.")


def _blank_row() -> dict:
    return {"description": "", "quantity": "1", "unit_price": "", "taxable": True}


def _rows(form) -> list[dict]:
    """The form's line rows, in order, as typed (a posted row is taxable only if its box was ticked)."""
    rows: dict[int, dict] = {}
    for key in form:
        if (match := LINE_KEY.match(key)) is not None:
            row = rows.setdefault(int(match[1]), {**_blank_row(), "taxable": False})
            row[match[2]] = True if match[2] == "taxable" else str(form[key])[:300]
    return [rows[i] for i in sorted(rows)][:MAX_LINES]


async def _page(request: web.Request, who: StaffIdentity, **extra: object) -> dict:
    async with database(request).read() as session:
        site = await site_formats(session, request)
        today = await visits.list_visits(session, who, states=list(OPEN_VISIT_STATES), department_id=None,
                                         day=site.today(now(request)), limit=200)
    context = {"who": who, "site": site, "visits": today, "rows": [_blank_row() for _ in range(FIRST_ROWS)],
               "form": {}, "errors": {}}
    context.update(extra)
    return context


@routes.get("/panel/payment-requests/new")
async def new_request_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, CASHIER_ROLES)
    # From a client's record: the form comes with their file number.
    form = {"client_number": request.query.get("client_number", "")[:50]}
    return render(request, "payment_request_new.html", await _page(request, who, form=form))


def _lines(rows: list[dict], site: SiteFormats, errors: dict[str, str]) -> list[tuple[str, int, int, bool]]:
    """The filled rows as (description, quantity, unit amount, taxable); what is wrong goes into `errors`."""
    lines = []
    for i, row in enumerate(rows):
        description = " ".join(row["description"].split())
        if not description and not row["unit_price"].strip():
            continue  # an empty row is not a line
        prefix = f"lines-{i}-"
        if not description:
            errors[prefix + "description"] = site.say(DESCRIPTION_REQUIRED)
        elif len(description) > 200:
            errors[prefix + "description"] = site.say(TOO_LONG, count=200)
        quantity = int(row["quantity"]) if row["quantity"].strip().isdigit() else 0
        if not 1 <= quantity <= 1000:
            errors[prefix + "quantity"] = site.say(QUANTITY_INVALID)
        unit = 0
        try:
            unit = parse_money(row["unit_price"], site.currency) if row["unit_price"].strip() else 0
            if not row["unit_price"].strip():
                errors[prefix + "unit_price"] = site.say(PRICE_REQUIRED)
            elif unit <= 0:
                errors[prefix + "unit_price"] = site.say(PRICE_ZERO)
            elif unit > MAX_UNIT:
                errors[prefix + "unit_price"] = site.say(PRICE_TOO_BIG)
        except NotAnAmount as problem:
            errors[prefix + "unit_price"] = site.say(problem.message, **problem.values)
        lines.append((description, quantity, unit, bool(row["taxable"])))
    return lines


@routes.post("/panel/payment-requests")
async def create_request(request: web.Request) -> web.Response:
    who, posted = await role_form(request, CASHIER_ROLES)
    form = {key: str(posted.get(key, ""))[:300] for key in ("payer_name", "visit", "language", "client_number")}
    rows = _rows(posted) or [_blank_row()]
    if "add_line" in posted:  # the no-script way to get one more row: the same form, one row longer
        rows = rows + [_blank_row()] if len(rows) < MAX_LINES else rows
        return render(request, "payment_request_new.html", await _page(request, who, rows=rows, form=form))
    context = await _page(request, who, rows=rows, form=form)
    site: SiteFormats = context["site"]
    errors: dict[str, str] = {}
    lines = _lines(rows, site, errors)
    if not lines:
        errors["lines"] = site.say(NO_LINE)
    visit = next((v for v in context["visits"] if str(v.id) == form["visit"]), None)
    if form["visit"] and visit is None:
        errors["visit"] = site.say(VISIT_UNKNOWN)
    payer = " ".join(form["payer_name"].split())
    if len(payer) > 200:
        errors["payer_name"] = site.say(TOO_LONG, count=200)
    elif not payer and visit is None and not form["client_number"].strip():
        errors["payer_name"] = site.say(PAYER_REQUIRED)
    if len(form["client_number"].strip()) > 50:
        errors["client_number"] = site.say(CLIENT_UNKNOWN)
    language = Language(form["language"]) if form["language"] in ("fr", "en") else \
        (visit.language if visit is not None else Language.FR)
    if errors:
        return render(request, "payment_request_new.html", {**context, "errors": errors}, status=422)
    try:
        async with database(request).write() as session:
            made = await requests.create_for_staff(session, who, lines=lines, visit_id=visit.id if visit else None,
                                                   payer_name=payer, language=language, at=now(request),
                                                   client_number=form["client_number"])
    except InvalidInput as problem:
        said = {"payer_name": PAYER_REQUIRED, "client_number": CLIENT_UNKNOWN}
        errors = {e.field: site.say(said.get(e.field, VISIT_UNKNOWN)) for e in problem.errors}
        return render(request, "payment_request_new.html", {**context, "errors": errors}, status=422)
    raise web.HTTPSeeOther(f"/panel/payment-requests/{made.id}")


async def _request_page(request: web.Request, who: StaffIdentity, request_id: int, *, done: str = "",
                        error: str = "", status: int = 200) -> web.Response:
    async with database(request).read() as session:
        site = await site_formats(session, request)
        made = await session.get(PaymentRequest, request_id)
        if made is None:
            raise web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text, content_type="text/html")
        attempts = list(await session.scalars(select(Payment).where(Payment.request_id == made.id)
                                              .order_by(Payment.created_at.desc(), Payment.id.desc())))
    return render(request, "payment_request.html", {
        "who": who, "site": site, "made": made, "attempts": attempts, "open": made.state == PaymentRequestState.OPEN,
        "done": site.say(done) if done else "", "error": site.say(error) if error == CONFIRM else site.detail(error) if error else "", **labels()},
        status=status)


@routes.get("/panel/payment-requests/{id}")
async def request_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, CASHIER_ROLES)
    return await _request_page(request, who, path_id(request),
                               done=CANCELLED if request.query.get("done") == "cancelled" else "")


@routes.post("/panel/payment-requests/{id}/cancel")
async def cancel_request(request: web.Request) -> web.Response:
    who, form = await role_form(request, CASHIER_ROLES)
    if form.get("confirm") != "yes":
        return await _request_page(request, who, path_id(request), error=CONFIRM, status=422)
    try:
        async with database(request).write() as session:
            made = await requests.cancel(session, who, path_id(request), now(request))
    except ApiError as problem:  # paid meanwhile, or cancelled already: the page says how it stands
        return await _request_page(request, who, path_id(request), error=problem.detail, status=problem.status)
    raise web.HTTPSeeOther(f"/panel/payment-requests/{made.id}?done=cancelled")
