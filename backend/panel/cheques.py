"""The payroll cheques dashboard (runs with collected / pending / exceptions, pick-ups due, kiosk requests waiting
for the desk; live through panel.js) and "My cheques" for a staff member who is also an employee. The sibling
modules cheques_runs, cheques_handover, cheques_exceptions and cheques_employees hold the other pages; what they
all show things with is here."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date

from backend.cheques import panel_support
from backend.cheques import service as cheques
from backend.cheques.schemas import ChequeEventOut
from backend.cheques.states import (
    PAYROLL_KEEPERS, PROOF_LABELS, RUN_STATE_LABELS, STATUS_LABELS, ChequeStatus, RunState,
)
from backend.core.identity import StaffIdentity
from backend.organisation.models import Site
from backend.panel.routes import language_of, render, routes, signed_in, staff_with_role
from backend.web import database, now
from shared.i18n import N_, translate
from shared.money import format_money

# The history's lines, by the event the services write.
EVENT_LABELS = {
    "entered": N_("Entered by hand"), "imported": N_("Imported from the payroll company’s file"),
    "collected": N_("Collected from the payroll company"), "missing": N_("Missing from the envelope"),
    "arrived": N_("Arrived after the others"), "held": N_("Held"), "requested": N_("Requested at the kiosk"),
    "request_declined": N_("Kiosk request set aside"), "handed_over": N_("Handed over"),
    "delegated": N_("Handed to a delegate"), "voided": N_("Voided"), "reissued": N_("Reissued"),
    "returned": N_("Returned to the payroll company"),
}
# The services write a few notes of their own, in English: said again in the page's language.
REPLACES, REPLACED_BY = N_("replaces cheque {number}"), N_("replaced by cheque {number}")
AT_THE_KIOSK = N_("asked for at the kiosk {kiosk}")


def event_note(language: str, event: ChequeEventOut) -> str:
    """A history line's note: the other cheque of a void and reissue, the kiosk a handover was asked for at, and
    the staff's own words as typed."""
    said = []
    if event.other_cheque:
        said.append(translate(language, REPLACED_BY if event.event == "voided" else REPLACES).replace(
            "{number}", event.other_cheque))
    if event.kiosk and event.event == "handed_over":  # on the request's own line, "by" names the kiosk
        said.append(translate(language, AT_THE_KIOSK).replace("{kiosk}", event.kiosk))
    return " — ".join([event.note, *said] if event.note else said)


# Badge colours as elsewhere in the panel: green in somebody's hands, amber something to do, red gone wrong.
STATUS_BADGES = {
    ChequeStatus.EXPECTED: "", ChequeStatus.AT_DESK: "cheque-ready", ChequeStatus.REQUESTED: "state-waiting",
    ChequeStatus.HELD: "state-waiting", ChequeStatus.MISSING: "state-failed", ChequeStatus.HANDED_OVER:
    "state-succeeded", ChequeStatus.DELEGATED: "state-succeeded", ChequeStatus.VOIDED: "state-failed",
    ChequeStatus.RETURNED: "state-failed",
}
RUN_BADGES = {RunState.AWAITING_PICKUP: "state-waiting", RunState.COLLECTED: "cheque-ready",
              RunState.CLOSED: "state-succeeded"}


def missing_page(request: web.Request, who: StaffIdentity) -> web.HTTPNotFound:
    """The panel's "not found" page, for a run, cheque or employee that does not exist."""
    return web.HTTPNotFound(text=render(request, "missing.html", {"who": who}).text, content_type="text/html")


async def showing(session, request: web.Request, who: StaffIdentity) -> dict:
    """What every payroll page shows things with: the site's zone and locale, the labels, who sees amounts."""
    site: Site = await cheques.site_of_staff(session)
    language = language_of(request)
    zone = ZoneInfo(site.time_zone)
    locale = f"{language}_{site.country}"

    def when(moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return {
        "who": who, "site": site, "today": await cheques.local_today(session, site.id, now(request)),
        "day": lambda day: format_date(day, format="medium", locale=locale) if day else "",
        "when": when, "money": lambda amount, currency: format_money(amount, currency, locale),
        "shows_amounts": cheques.shows_amounts(who), "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES, "run_labels": RUN_STATE_LABELS, "run_badges": RUN_BADGES,
        "proof_labels": PROOF_LABELS, "event_labels": EVENT_LABELS,
        "event_note": lambda event: event_note(language, event),
    }


async def _dashboard(request: web.Request, who: StaffIdentity) -> dict:
    at = now(request)
    async with database(request).read() as session:
        context = await showing(session, request, who)
        summary = await cheques.dashboard(session, who)
        due = [await cheques.run_out(session, run) for run in await panel_support.pickups_due(session, who, at)]
        waiting = [await cheques.cheque_out(session, who, cheque, with_events=False)
                   for cheque in await panel_support.kiosk_requests(session, who)]
        mine = await panel_support.employee_of_staff(session, who.staff_id)
    return {**context, "summary": summary, "due": due, "waiting": waiting, "has_own": mine is not None}


@routes.get("/panel/cheques")
async def dashboard_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, PAYROLL_KEEPERS)
    return render(request, "cheques.html", await _dashboard(request, who))


@routes.get("/panel/cheques/live")
async def dashboard_live(request: web.Request) -> web.Response:
    """The dashboard's lists alone, fetched by the page's script when the live channel tells of a cheque."""
    who = await staff_with_role(request, PAYROLL_KEEPERS)
    return render(request, "_cheques_live.html", await _dashboard(request, who))


@routes.get("/panel/cheques/mine")
async def my_cheques_page(request: web.Request) -> web.Response:
    """A staff member's own cheques, and nobody else's (the service looks them up by the signed-in person)."""
    who = await signed_in(request)
    async with database(request).read() as session:
        context = await showing(session, request, who)
        employee = await panel_support.employee_of_staff(session, who.staff_id)
        mine = [await cheques.cheque_out(session, who, cheque, with_events=False)
                for cheque in await cheques.my_cheques(session, who)]
    return render(request, "cheques_mine.html", {**context, "employee": employee, "cheques": mine})
