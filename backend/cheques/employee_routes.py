"""Employees paid by cheque, for the desk: list and add them, set a PIN, lift a kiosk lock."""
from __future__ import annotations

from aiohttp import web

from backend.cheques import employees
from backend.cheques.schemas import EmployeeIn, EmployeeList, EmployeeOut, EmployeePinIn
from backend.cheques.service import require_keeper
from backend.core.api import Endpoints, json_response, limit_param
from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.web import body, database, now, path_id
from shared.api import FieldProblem

routes = Endpoints()
MAX_LIMIT = 1000


@routes.route("GET", "/api/cheques/employees", summary="Employees paid by cheque", auth="staff",
              response=EmployeeList, errors=(403, 422),
              query=(("q", "string", "A part of the number or name."),
                     ("limit", "integer", f"At most this many (default {employees.LIST_LIMIT}, up to {MAX_LIMIT}).")))
async def list_employees(request: web.Request, who: StaffIdentity) -> web.Response:
    require_keeper(who)
    problems = [FieldProblem(field=name, code="field_unknown", detail="No such filter.")
                for name in sorted(set(request.query) - {"q", "limit"})]
    limit = limit_param(request.query, employees.LIST_LIMIT, MAX_LIMIT, problems)
    if len(request.query.get("q", "")) > 100:
        problems.append(FieldProblem(field="q", code="too_long", detail="At most 100 characters."))
    if problems:
        raise InvalidInput("Some filters are not valid.", problems)
    async with database(request).read() as session:
        rows = await employees.list_employees(session, who, search=request.query.get("q", ""), limit=limit)
    return json_response(EmployeeList(items=[employees.employee_out(row) for row in rows]))


@routes.route("POST", "/api/cheques/employees", summary="Add an employee paid by cheque", auth="staff",
              body=EmployeeIn, response=EmployeeOut, status=201, errors=(403, 404, 409))
async def create_employee(request: web.Request, who: StaffIdentity) -> web.Response:
    require_keeper(who)
    data = await body(request, EmployeeIn)
    async with database(request).write() as session:
        employee = await employees.create_employee(session, who, data, now(request))
    return json_response(employees.employee_out(employee), status=201)


@routes.route("POST", "/api/cheques/employees/{id}/pin",
              summary="Set the PIN an employee types at the kiosk (also lifts a kiosk lock)", auth="staff",
              body=EmployeePinIn, response=EmployeeOut, errors=(403, 404))
async def set_pin(request: web.Request, who: StaffIdentity) -> web.Response:
    require_keeper(who)
    data = await body(request, EmployeePinIn)
    async with database(request).write() as session:
        employee = await employees.employee_for_staff(session, who, path_id(request), lock=True)
        await employees.set_pin(session, who, employee, data.pin, now(request))
    return json_response(employees.employee_out(employee))


@routes.route("POST", "/api/cheques/employees/{id}/unlock",
              summary="Let an employee collect at the kiosk again after too many wrong PINs", auth="staff",
              response=EmployeeOut, errors=(403, 404))
async def unlock(request: web.Request, who: StaffIdentity) -> web.Response:
    require_keeper(who)
    async with database(request).write() as session:
        employee = await employees.employee_for_staff(session, who, path_id(request), lock=True)
        await employees.unlock_kiosk(session, who, employee, now(request))
    return json_response(employees.employee_out(employee))
