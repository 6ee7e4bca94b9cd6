"""Visit history (search, filters, CSV export) and the audit log, for the panel."""
from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from aiohttp import web

from backend.audit import service as audit
from backend.audit.service import record
from backend.core.identity import StaffIdentity
from backend.core.spreadsheets import neutralised
from backend.organisation import service as organisation
from backend.panel.routes import STATE_LABELS, admin_staff, language_of, lobby_staff, render, routes
from backend.visits import service as visits
from backend.web import database, now
from shared.enums import VisitState
from shared.i18n import N_, translate

HISTORY_LIMIT = 500
CSV_COLUMNS = (N_("Arrived at"), N_("Visitor"), N_("Phone"), N_("Email"), N_("Department"), N_("State"),
               N_("Left at"))
ALL_STATE_LABELS = {**STATE_LABELS, VisitState.CHECKED_OUT: N_("Left"), VisitState.CANCELLED: N_("Cancelled"),
                    VisitState.NO_SHOW: N_("No-show")}


async def _history(request: web.Request, who: StaffIdentity) -> dict:
    query = request.query
    try:
        day = dt.date.fromisoformat(query["day"]) if query.get("day") else None
        state = [VisitState(query["state"])] if query.get("state") else []
        department_id = int(query["department"]) if query.get("department", "").isdigit() else None
    except ValueError:
        raise web.HTTPBadRequest(text="Check the filters: a date is YYYY-MM-DD.") from None
    async with database(request).read() as session:
        found = await visits.list_visits(session, who, states=state, department_id=department_id, day=day,
                                         limit=HISTORY_LIMIT, name=query.get("q", ""))
        site = await organisation.site(session, await organisation.only_site_id(session))
        departments = await organisation.departments_out(session, site.id)
    language = language_of(request)
    zone = ZoneInfo(site.time_zone)
    names = {d.id: getattr(d.name, language) for d in departments}
    return {"who": who, "visits": found, "departments": names, "filters": dict(query), "states": ALL_STATE_LABELS,
            "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "",
            "limit": HISTORY_LIMIT}


@routes.get("/panel/history")
async def history(request: web.Request) -> web.Response:
    return render(request, "history.html", await _history(request, await lobby_staff(request)))


@routes.get("/panel/history.csv")
async def history_csv(request: web.Request) -> web.Response:
    """The visits shown by the same filters, for a spreadsheet: UTF-8 with a BOM, no live formula."""
    who = await lobby_staff(request)
    context = await _history(request, who)
    language = language_of(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([translate(language, heading) for heading in CSV_COLUMNS])
    for visit in context["visits"]:
        left = next((t.at for t in visit.transitions if t.to_state == VisitState.CHECKED_OUT), None)
        writer.writerow([neutralised(v) for v in (
            context["local"](visit.checked_in_at), visit.visitor_name, visit.visitor_phone, visit.visitor_email,
            context["departments"].get(visit.department_id, ""),
            translate(language, ALL_STATE_LABELS[visit.state]), context["local"](left))])
    async with database(request).write() as session:
        record(session, ("staff", who.staff_id), "visits.exported", "visit", None, now(request),
               count=len(context["visits"]))
    return web.Response(body=("\ufeff" + out.getvalue()).encode(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="visits.csv"',
                                 "Cache-Control": "no-store"})


@routes.get("/panel/audit")
async def audit_log(request: web.Request) -> web.Response:
    who = await admin_staff(request)
    async with database(request).read() as session:
        events = await audit.search(session, action=request.query.get("action", ""),
                                    object_id=request.query.get("object", ""))
        site = await organisation.site(session, await organisation.only_site_id(session))
    zone = ZoneInfo(site.time_zone)
    return render(request, "audit.html", {"who": who, "events": events, "filters": dict(request.query),
                                          "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")})
