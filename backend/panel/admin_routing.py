"""Administration of the routing rules in the panel: each department's phone, address, fallback and delay, its
weekly opening hours and on-duty rota; and each member's contact channels (email, Slack, Teams).

Times of day are the site's wall-clock times. A form that does not check out is shown again (422) with what was
typed and each problem beside its field; nothing is saved then.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from backend.core.errors import InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.panel.routes import admin_form, admin_staff, render, routes
from backend.routing import admin as routing
from backend.routing import views
from backend.web import database, now, path_id
from shared.enums import DeliveryChannel
from shared.i18n import N_

PAGE = "/panel/admin/routing"
CHANNELS_PAGE = PAGE + "/channels"
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))
CHANNEL_LABELS = {DeliveryChannel.EMAIL: N_("Email"), DeliveryChannel.SLACK: "Slack", DeliveryChannel.TEAMS: "Teams"}
EMPTY_ROTA_ROWS = 3
MAX_FORM_ROWS = 60  # rows read from a posted grid; the service refuses more than it allows anyway
SAVED = {"settings": N_("The routing settings were saved."),
         "hours": N_("The opening hours were saved."),
         "rota": N_("The on-duty rota was saved."),
         "channel-added": N_("The channel was added."),
         "channel-removed": N_("The channel was removed.")}
# What the service's problems say, in words the catalogs know: by (field, code), else by code.
FIELD_MESSAGES = {
    ("target", "email_invalid"): N_("Give an email address, like name@example.org."),
    ("target", "url_invalid"): N_("Give the https:// address of the chat tool’s incoming webhook."),
}
MESSAGES = {
    "phone_invalid": N_("Give a phone number, like 514 555-0123 or +1 514 555 0123, or leave it empty."),
    "email_invalid": N_("Give an email address, like billing@example.org, or leave it empty."),
    "fallback_self": N_("A department cannot take over from itself: choose another one, or none."),
    "fallback_unknown": N_("Choose a department from the list, or none."),
    "delay_invalid": N_("Give a number of seconds from 10 to 3600."),
    "weekday_invalid": N_("Choose a day from the list."),
    "time_required": N_("Give both times, or neither."),
    "time_invalid": N_("Give a time like 08:30."),
    "span_empty": N_("The end must differ from the start (an end before the start runs past midnight)."),
    "too_many": N_("Too many lines: at most 50."),
    "staff_not_member": N_("Choose an active member of this department."),
    "staff_unknown": N_("Choose an active staff member."),
    "rank_invalid": N_("Give an order from 1 to 99."),
    "channel_invalid": N_("Choose email, Slack or Teams."),
    "channel_duplicate": N_("This person is already told there."),
}


def _message(field: str, code: str, detail: str) -> str:
    last = field.rsplit(".", 1)[-1]
    return FIELD_MESSAGES.get((last, code)) or MESSAGES.get(code) or detail


def _form_values(form) -> dict[str, str]:
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def _site_zone(session) -> tuple[int, ZoneInfo]:
    site_id = await organisation.only_site_id(session)
    site = await organisation.site(session, site_id)
    return site_id, ZoneInfo(site.time_zone)


def _base_context(request: web.Request, who: StaffIdentity, zone: ZoneInfo) -> dict:
    at = now(request)
    local = at.astimezone(zone)
    return {"who": who, "weekdays": WEEKDAYS, "clock": routing.clock, "zone": str(zone),
            "local_now": local.strftime("%H:%M"), "local_weekday": local.weekday(),
            "saved": SAVED.get(request.query.get("saved", ""), ""), "channel_labels": CHANNEL_LABELS}


# The table of departments


@routes.get(PAGE)
async def routing_page(request: web.Request) -> web.Response:
    who = await admin_staff(request)
    async with database(request).read() as session:
        site_id, zone = await _site_zone(session)
        rows = await views.routing_summary(session, site_id, now(request))
    return render(request, "admin_routing.html", {**_base_context(request, who, zone), "rows": rows})


# People's channels (registered before the department page, whose address would match it too)


async def _channels_page(request: web.Request, who: StaffIdentity, *, failed: dict | None = None,
                         status: int = 200) -> web.Response:
    async with database(request).read() as session:
        _site_id, zone = await _site_zone(session)
        members = await views.member_channels(session)
    return render(request, "admin_routing_channels.html", {
        **_base_context(request, who, zone), "members": members, "failed": failed,
        "channels": list(CHANNEL_LABELS)}, status=status)


@routes.get(CHANNELS_PAGE)
async def channels_page(request: web.Request) -> web.Response:
    return await _channels_page(request, await admin_staff(request))


@routes.post(CHANNELS_PAGE)
async def add_channel(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    values = {"staff": str(form.get("staff", ""))[:20], "channel": str(form.get("channel", ""))[:20],
              "target": str(form.get("target", ""))[:2001]}
    try:
        async with database(request).write() as session:
            await routing.add_contact_channel(session, who, values["staff"], values["channel"], values["target"],
                                              now(request))
    except InvalidInput as error:
        errors = {p.field: _message(p.field, p.code, p.detail) for p in error.errors}
        return await _channels_page(request, who, failed={"values": values, "errors": errors}, status=422)
    raise web.HTTPSeeOther(CHANNELS_PAGE + "?saved=channel-added")


@routes.get(CHANNELS_PAGE + "/{id:[0-9]+}/remove")
async def back_to_the_channels(request: web.Request) -> web.Response:
    """An address that only takes a form: back to the list."""
    await admin_staff(request)
    raise web.HTTPSeeOther(CHANNELS_PAGE)


@routes.post(CHANNELS_PAGE + "/{id:[0-9]+}/remove")
async def remove_channel(request: web.Request) -> web.Response:
    who, _form = await admin_form(request)
    async with database(request).write() as session:
        await routing.remove_contact_channel(session, who, path_id(request), now(request))
    raise web.HTTPSeeOther(CHANNELS_PAGE + "?saved=channel-removed")


# One department: settings, opening hours, rota


def _hours_rows(hours) -> list[dict]:
    """The weekly grid: each day's spans, or one empty row for a closed day."""
    rows = []
    for day in range(7):
        spans = [h for h in hours if h.weekday == day] or [None]
        for position, span in enumerate(spans):
            rows.append({"day": day, "first": position == 0,
                         "opens": routing.clock(span.opens) if span else "",
                         "closes": routing.clock(span.closes) if span else ""})
    return rows


def _rota_rows(slots) -> list[dict]:
    rows = [{"staff": str(s.staff_member_id), "day": str(s.weekday), "starts": routing.clock(s.starts),
             "ends": routing.clock(s.ends), "rank": str(s.rank), "existing": True} for s in slots]
    return rows + [{"staff": "", "day": "0", "starts": "", "ends": "", "rank": "", "existing": False}
                   for _ in range(EMPTY_ROTA_ROWS)]


async def _department_page(request: web.Request, who: StaffIdentity, *, settings: dict | None = None,
                           hours_rows: list[dict] | None = None, rota_rows: list[dict] | None = None,
                           errors: dict[str, str] | None = None, form_name: str = "",
                           status: int = 200) -> web.Response:
    department_id = path_id(request)
    async with database(request).read() as session:
        _site_id, zone = await _site_zone(session)
        try:
            detail = await views.department_detail(session, department_id, now(request))
        except NotFound:
            raise web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text,
                                   content_type="text/html") from None
    department = detail.routing.department
    if settings is None:
        settings = {"phone": department.phone, "email": department.email,
                    "fallback_department_id": str(department.fallback_department_id or ""),
                    "escalate_after_seconds": str(department.escalate_after_seconds)}
    return render(request, "admin_routing_department.html", {
        **_base_context(request, who, zone), "detail": detail, "department": department,
        "settings": settings, "hours_rows": hours_rows if hours_rows is not None else _hours_rows(
            detail.routing.hours),
        "rota_rows": rota_rows if rota_rows is not None else _rota_rows(detail.slots),
        "errors": errors or {}, "form_name": form_name,
    }, status=status)


@routes.get(PAGE + "/{id:[0-9]+}")
async def department_page(request: web.Request) -> web.Response:
    return await _department_page(request, await admin_staff(request))


@routes.get(PAGE + "/{id:[0-9]+}/{form:settings|hours|rota}")
async def back_to_the_department(request: web.Request) -> web.Response:
    """The addresses that only take forms (e.g. after switching language on a page with errors): back to the page."""
    await admin_staff(request)
    raise web.HTTPSeeOther(f"{PAGE}/{path_id(request)}")


def _errors(error: InvalidInput, names: dict[str, str] | None = None) -> dict[str, str]:
    """Each problem's message by the form field it is about (`names` maps the service's field to the form's)."""
    found: dict[str, str] = {}
    for problem in error.errors:
        field = (names or {}).get(problem.field, problem.field)
        found.setdefault(field, _message(problem.field, problem.code, problem.detail))
    return found


@routes.post(PAGE + "/{id:[0-9]+}/settings")
async def save_settings(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    department_id = path_id(request)
    values = {"phone": str(form.get("phone", ""))[:100], "email": str(form.get("email", ""))[:300],
              "fallback_department_id": str(form.get("fallback_department_id", ""))[:20],
              "escalate_after_seconds": str(form.get("escalate_after_seconds", ""))[:20]}
    try:
        async with database(request).write() as session:
            await routing.set_department_routing(
                session, who, department_id, phone=values["phone"], email=values["email"],
                fallback_department_id=values["fallback_department_id"],
                escalate_after_seconds=values["escalate_after_seconds"], at=now(request))
    except InvalidInput as error:
        return await _department_page(request, who, settings=values, errors=_errors(error), form_name="settings",
                                      status=422)
    raise web.HTTPSeeOther(f"{PAGE}/{department_id}?saved=settings")


def _posted_rows(form, prefix: str, names: tuple[str, ...]) -> list[dict]:
    rows = []
    for index in range(MAX_FORM_ROWS):
        if f"{prefix}-{index}-{names[0]}" not in form:
            break
        rows.append({name: str(form.get(f"{prefix}-{index}-{name}", ""))[:20].strip() for name in names})
    return rows


@routes.post(PAGE + "/{id:[0-9]+}/hours")
async def save_hours(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    department_id = path_id(request)
    rows = _posted_rows(form, "hours", ("day", "opens", "closes"))
    spans, names = [], {}
    for index, row in enumerate(rows):
        if not row["opens"] and not row["closes"]:
            continue  # a day left blank is closed
        for part in ("weekday", "opens", "closes"):
            names[f"hours.{len(spans)}.{part}"] = f"hours-{index}-{'day' if part == 'weekday' else part}"
        spans.append((row["day"], row["opens"], row["closes"]))
    try:
        async with database(request).write() as session:
            await routing.set_opening_hours(session, who, department_id, spans, now(request))
    except InvalidInput as error:
        shown = [{**row, "day": int(row["day"]) if row["day"].isdigit() and int(row["day"]) < 7 else 0,
                  "first": index == 0 or rows[index - 1]["day"] != row["day"]} for index, row in enumerate(rows)]
        return await _department_page(request, who, hours_rows=shown, errors=_errors(error, names),
                                      form_name="hours", status=422)
    raise web.HTTPSeeOther(f"{PAGE}/{department_id}?saved=hours")


@routes.post(PAGE + "/{id:[0-9]+}/rota")
async def save_rota(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    department_id = path_id(request)
    rows = _posted_rows(form, "rota", ("staff", "day", "starts", "ends", "rank"))
    slots, names = [], {}
    for index, row in enumerate(rows):
        row["existing"] = form.get(f"rota-{index}-existing") == "1"
        row["remove"] = row["existing"] and form.get(f"rota-{index}-remove") == "1"
        if row["remove"] or not (row["staff"] or row["starts"] or row["ends"]):
            continue  # removed, or left blank
        for part, name in (("staff", "staff"), ("weekday", "day"), ("starts", "starts"), ("ends", "ends"),
                           ("rank", "rank")):
            names[f"rota.{len(slots)}.{part}"] = f"rota-{index}-{name}"
        slots.append((row["staff"], row["day"], row["starts"], row["ends"], row["rank"] or "1"))
    try:
        async with database(request).write() as session:
            await routing.set_rota(session, who, department_id, slots, now(request))
    except InvalidInput as error:
        blank = sum(1 for row in rows if not (row["staff"] or row["starts"] or row["ends"]))
        rows += _rota_rows([])[:max(0, EMPTY_ROTA_ROWS - blank)]  # still room to add a line
        return await _department_page(request, who, rota_rows=rows, errors=_errors(error, names),
                                      form_name="rota", status=422)
    raise web.HTTPSeeOther(f"{PAGE}/{department_id}?saved=rota")
