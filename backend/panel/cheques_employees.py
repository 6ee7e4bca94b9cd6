"""Employees paid by cheque, in the panel: the list (searchable) and a new one, and each employee's page — the
staff member they are (who then sees their own cheques), their kiosk PIN, and unlocking kiosk collection after
too many wrong PINs."""
from __future__ import annotations

from aiohttp import web

from backend.cheques import employees as employee_service
from backend.cheques import panel_support
from backend.cheques.schemas import EmployeeIn
from backend.cheques.states import PAYROLL_KEEPERS
from backend.core.errors import InvalidInput, NotFound
from backend.panel.cheques import missing_page, showing
from backend.panel.cheques_forms import build, field_errors, keeper_form, number_of, panel_problem
from backend.panel.routes import language_of, render, routes, staff_with_role
from backend.web import database, now, path_id
from shared.i18n import N_, translate

FIELDS = ("number", "given_name", "family_name", "email", "staff_member_id")
CHOOSE_PERSON = N_("Choose a person from the list.")
SAVED = {"created": N_("The employee is added."), "linked": N_("The link to a staff account is saved."),
         "pin": N_("The PIN is set; kiosk collection is open to this employee."),
         "unlocked": N_("Kiosk collection is unlocked: the employee may try their PIN again.")}


async def _list_page(request: web.Request, who, *, form: dict | None = None, errors: dict | None = None,
                     status: int = 200) -> web.Response:
    query = request.query.get("q", "")[:100]
    async with database(request).read() as session:
        context = await showing(session, request, who)
        found = [employee_service.employee_out(e)
                 for e in await employee_service.list_employees(session, who, search=query)]
        people = await panel_support.linkable_staff(session)
    names = {staff_id: name for staff_id, name, _linked in people}
    return render(request, "cheques_employees.html", {
        **context, "employees": found, "query": query,
        "people": [(i, name) for i, name, linked in people if linked is None],
        "names": names, "form": form or {}, "errors": errors or {}}, status=status)


@routes.get("/panel/cheques/employees")
async def employees_page(request: web.Request) -> web.Response:
    return await _list_page(request, await staff_with_role(request, PAYROLL_KEEPERS))


def _staff_choice(posted, language: str) -> int | None:
    """The staff member chosen in a list ("" for nobody); a value that is not an id is the panel's problem."""
    raw = posted.get("staff_member_id").strip()
    if raw and number_of(raw) is None:
        raise InvalidInput("Some fields are not valid.", [panel_problem(
            "staff_member_id", translate(language, CHOOSE_PERSON))])
    return number_of(raw) if raw else None


@routes.post("/panel/cheques/employees")
async def create_employee(request: web.Request) -> web.Response:
    who, posted = await keeper_form(request, FIELDS)
    language = language_of(request)
    try:
        data = build(EmployeeIn, number=posted.get("number")[:100], given_name=posted.get("given_name")[:300],
                     family_name=posted.get("family_name")[:300], email=posted.get("email")[:300],
                     staff_member_id=_staff_choice(posted, language))
        async with database(request).write() as session:
            employee = await employee_service.create_employee(session, who, data, now(request))
    except InvalidInput as problem:
        return await _list_page(request, who, form=posted.fields, errors=field_errors(problem, language),
                                status=422)
    raise web.HTTPSeeOther(f"/panel/cheques/employees/{employee.id}?saved=created")


async def _employee_page(request: web.Request, who, *, errors: dict | None = None,
                         status: int = 200) -> web.Response:
    async with database(request).read() as session:
        try:
            employee = await employee_service.employee_for_staff(session, who, path_id(request))
        except NotFound:
            raise missing_page(request, who) from None
        context = await showing(session, request, who)
        people = await panel_support.linkable_staff(session)
    saved = request.query.get("saved", "")
    return render(request, "cheques_employee.html", {
        **context, "employee": employee_service.employee_out(employee),
        "people": [(i, name) for i, name, linked in people if linked in (None, employee.id)],
        "errors": errors or {}, "saved": translate(language_of(request), SAVED[saved]) if saved in SAVED else ""},
        status=status)


@routes.get(r"/panel/cheques/employees/{id:\d+}")
async def employee_page(request: web.Request) -> web.Response:
    return await _employee_page(request, await staff_with_role(request, PAYROLL_KEEPERS))


async def _employee_step(request: web.Request, name: str, names: tuple[str, ...], step, saved: str) -> web.Response:
    who, posted = await keeper_form(request, names)
    language = language_of(request)
    try:
        async with database(request).write() as session:
            try:
                employee = await employee_service.employee_for_staff(session, who, path_id(request), lock=True)
            except NotFound:
                raise missing_page(request, who) from None
            await step(session, who, employee, posted)
    except InvalidInput as problem:
        return await _employee_page(request, who, errors={name: field_errors(problem, language)}, status=422)
    raise web.HTTPSeeOther(f"/panel/cheques/employees/{path_id(request)}?saved={saved}")


@routes.post(r"/panel/cheques/employees/{id:\d+}/link")
async def link_staff(request: web.Request) -> web.Response:
    async def step(session, who, employee, posted):
        staff_id = _staff_choice(posted, language_of(request))
        await panel_support.link_staff(session, who, employee, staff_id, now(request))
    return await _employee_step(request, "link", ("staff_member_id",), step, "linked")


@routes.post(r"/panel/cheques/employees/{id:\d+}/pin")
async def set_pin(request: web.Request) -> web.Response:
    """The employee chooses a PIN at the desk (typed twice, so that a slip does not lock them out)."""
    async def step(session, who, employee, posted):
        pin, again = posted.get("pin").strip(), posted.get("pin_again").strip()
        if pin != again:
            raise InvalidInput("Some fields are not valid.", [panel_problem(
                "pin_again", translate(language_of(request), N_("The two PINs differ: type the same one twice.")))])
        await employee_service.set_pin(session, who, employee, pin, now(request))
    return await _employee_step(request, "pin", ("pin", "pin_again"), step, "pin")


@routes.post(r"/panel/cheques/employees/{id:\d+}/unlock")
async def unlock(request: web.Request) -> web.Response:
    async def step(session, who, employee, _posted):
        await employee_service.unlock_kiosk(session, who, employee, now(request))
    return await _employee_step(request, "unlock", (), step, "unlocked")
