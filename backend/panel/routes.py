"""The staff web panel: server-rendered pages, made live by one small script."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from backend.appkeys import SETTINGS
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.payments.routes import CASHIER_ROLES
from backend.payments.runtime import CASHIER
from backend.staff import sessions
from backend.visits import service as visits
from backend.web import (
    CSRF_TOKEN, SESSION_COOKIE, check_csrf, check_sign_in, database, hub, now, path_id, session_staff,
)
from shared.api import VisitEvent
from shared.enums import OPEN_VISIT_STATES, VISIT_TRANSITIONS, Role, VisitState
from shared.i18n import N_, translate

HERE = Path(__file__).resolve().parent
LANGUAGE_COOKIE = "accueil_lang"
LANGUAGES = ("fr", "en")
routes = web.RouteTableDef()
STATE_LABELS = {VisitState.CHECKED_IN: N_("Waiting"), VisitState.ACKNOWLEDGED: N_("Someone is coming"),
                VisitState.IN_MEETING: N_("In meeting")}
ACTIONS = [(VisitState.ACKNOWLEDGED, N_("Acknowledge")), (VisitState.IN_MEETING, N_("In meeting")),
           (VisitState.CHECKED_OUT, N_("Mark as left")), (VisitState.NO_SHOW, N_("No-show"))]
SIGN_IN_FAILURES = {401: N_("Wrong login or password."),
                    423: N_("Too many wrong passwords: this account is locked for a while."),
                    429: N_("Too many failed sign-ins from here; wait a few minutes.")}


def language_of(request: web.Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "fr"


def render(request: web.Request, template: str, context: dict, status: int = 200, *,
           language: str | None = None) -> web.Response:
    language = language or language_of(request)
    who = context.get("who")
    context = {**context, "language": language, "_": lambda message: translate(language, message),
               "csrf_token": request.get(CSRF_TOKEN, ""), "path": request.path_qs,
               # The nav's Payments entry: for the roles that may see payments, on a site that takes them.
               "payments_nav": bool(who and who.roles & CASHIER_ROLES and request.config_dict.get(CASHIER))}
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers["Cache-Control"] = "no-store"  # pages hold personal data
    return response


async def signed_in(request: web.Request) -> StaffIdentity:
    who = await session_staff(request)
    if who is None:
        raise web.HTTPSeeOther(f"/panel/sign-in?next={request.path}")
    return who


async def lobby_staff(request: web.Request) -> StaffIdentity:
    """Signed in, with a role that works the lobby (a clerk's session gets 403)."""
    who = await signed_in(request)
    visits.require_lobby_access(who)
    return who


async def admin_staff(request: web.Request) -> StaffIdentity:
    """Signed in as an administrator; anyone else gets 403 (the page says why)."""
    return await staff_with_role(request, frozenset({Role.ADMIN}))


async def staff_with_role(request: web.Request, roles: frozenset[Role]) -> StaffIdentity:
    """Signed in with one of `roles`; anyone else gets 403 (the page says why)."""
    who = await signed_in(request)
    if not who.roles & roles:
        raise web.HTTPForbidden(text=render(request, "forbidden.html", {"who": who}).text,
                                content_type="text/html")
    return who


async def role_form(request: web.Request, roles: frozenset[Role]):
    """Someone with one of `roles` and the form they posted, once its CSRF token checks out."""
    who = await staff_with_role(request, roles)
    form = await request.post()
    check_csrf(request, str(form.get("csrf_token", "")))
    return who, form


async def admin_form(request: web.Request):
    """The administrator and the form they posted, once its CSRF token checks out (nothing is read otherwise)."""
    return await role_form(request, frozenset({Role.ADMIN}))


@routes.get("/panel/admin")
async def admin_index(request: web.Request) -> web.Response:
    return render(request, "admin.html", {"who": await admin_staff(request)})


@routes.get("/")
async def home(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/panel/")


@routes.get("/panel/language/{language}")
async def choose_language(request: web.Request) -> web.Response:
    """The user's language, remembered in a cookie; then back where they were."""
    language = request.match_info["language"]
    if language not in LANGUAGES:
        raise NotFound("Accueil speaks French and English.")
    target = request.query.get("next", "/panel/")
    response = web.HTTPSeeOther(target if target.startswith("/") and not target.startswith("//") else "/panel/")
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        path="/")
    raise response


@routes.get("/panel/sign-in")
async def sign_in_page(request: web.Request) -> web.Response:
    return render(request, "sign_in.html", {"error": "", "login": ""})


@routes.post("/panel/sign-in")
async def sign_in(request: web.Request) -> web.Response:
    form = await request.post()
    login, password = str(form.get("login", ""))[:100], str(form.get("password", ""))[:1000]
    at = now(request)
    async with database(request).write() as session:
        outcome = await check_sign_in(request, session, login, password)
        if outcome.failure is None:
            token, _csrf = await sessions.open_session(session, outcome.member, at)
    if outcome.failure is not None:
        return render(request, "sign_in.html", {"error": SIGN_IN_FAILURES[outcome.failure.status], "login": login},
                      status=outcome.failure.status)
    target = request.query.get("next", "/panel/")
    response = web.HTTPSeeOther(target if target.startswith("/panel/") else "/panel/")
    settings = request.config_dict[SETTINGS]
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/",
                        secure=request.secure or settings.behind_https)
    raise response


@routes.post("/panel/sign-out")
async def sign_out(request: web.Request) -> web.Response:
    await signed_in(request)
    form = await request.post()
    check_csrf(request, str(form.get("csrf_token", "")))
    async with database(request).write() as session:
        await sessions.close_session(session, request.cookies[SESSION_COOKIE], now(request))
    response = web.HTTPSeeOther("/panel/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def _board(request: web.Request, who: StaffIdentity) -> dict:
    """The lobby: open visits of today that this person may see, by department, oldest first."""
    mine = request.query.get("mine") == "1"
    async with database(request).read() as session:
        open_visits = await visits.list_visits(session, who, states=list(OPEN_VISIT_STATES), department_id=None,
                                               day=None, limit=500)
        departments = {d.id: d for d in await organisation.departments_out(session, await organisation.only_site_id(
            session))}
        site = await organisation.site(session, await organisation.only_site_id(session))
    if mine:
        open_visits = [v for v in open_visits if v.department_id in who.department_ids or v.host_id == who.staff_id]
    language = language_of(request)
    columns: dict[int, list] = {}
    for visit in sorted(open_visits, key=lambda v: v.checked_in_at):
        columns.setdefault(visit.department_id, []).append(visit)
    zone = ZoneInfo(site.time_zone)
    return {
        "who": who, "mine": mine, "site": site,
        "columns": [(getattr(departments[d].name, language) if d in departments else "—", items)
                    for d, items in sorted(columns.items(), key=lambda item: item[1][0].checked_in_at)],
        "local_time": lambda moment: moment.astimezone(zone).strftime("%H:%M"),
        "now": now(request),
        "allowed": VISIT_TRANSITIONS,
        "state_labels": STATE_LABELS,
        "actions": ACTIONS,
        "my_departments": ",".join(str(d) for d in sorted(who.department_ids)),
    }


@routes.get("/panel/")
async def lobby(request: web.Request) -> web.Response:
    who = await signed_in(request)
    try:
        visits.require_lobby_access(who)
    except Forbidden:
        return render(request, "forbidden.html", {"who": who}, status=403)
    return render(request, "lobby.html", await _board(request, who))


@routes.get("/panel/board")
async def board(request: web.Request) -> web.Response:
    """The board alone, fetched by the page's script when the live channel says something changed."""
    return render(request, "board.html", await _board(request, await lobby_staff(request)))


@routes.post("/panel/visits/{id}/move")
async def move(request: web.Request) -> web.Response:
    who = await signed_in(request)
    form = await request.post()
    check_csrf(request, str(form.get("csrf_token", "")))
    try:
        to = VisitState(str(form.get("to", "")))
    except ValueError:
        raise Conflict("Unknown state.") from None
    async with database(request).write() as session:
        visit = await visits.visit_for_staff(session, who, path_id(request))
        out, audience = await visits.transition(session, visit, to, who, now(request))
    await hub(request).broadcast(VisitEvent(type="visit.updated", visit=out).model_dump(mode="json"), audience)
    raise web.HTTPSeeOther("/panel/" + ("?mine=1" if form.get("mine") == "1" else ""))


def setup(app: web.Application) -> None:
    import jinja2

    from backend.panel import history  # noqa: F401  (its pages join `routes`)
    from backend.panel import admin_staff  # noqa: F401
    from backend.panel import admin_kiosks  # noqa: F401
    from backend.panel import admin_visitor_types  # noqa: F401
    from backend.panel import payments, payment_requests, admin_payments  # noqa: F401
    from backend.panel import deliveries  # noqa: F401
    from backend.panel import client_changes  # noqa: F401  (before clients, whose /panel/clients/{id} is wider)
    from backend.panel import calls, admin_routing, clients  # noqa: F401
    from backend.panel import cheques, cheques_runs, cheques_handover  # noqa: F401
    from backend.panel import cheques_exceptions, cheques_employees  # noqa: F401
    from backend.panel import client_import, client_documents, client_merge  # noqa: F401

    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    app.router.add_routes(routes)
    app.router.add_static("/panel/static", HERE / "static", append_version=True)

