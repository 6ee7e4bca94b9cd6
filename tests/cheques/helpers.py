"""Setting up a collected run quickly, through the API, for the tests that start from cheques at the desk."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend.cheques.models import Employee
from tests.cheques.conftest import PAY_DATE, Payroll, payroll_csv

PEOPLE = [("E200", "Hélène Côté", "70001", "1 234,56"), ("E201", "Marc-André Tremblay", "70002", "987,00"),
          ("E202", "Zoé Bélanger", "70003", "1 500,00")]


@dataclass
class Desk:
    run_id: int
    employees: dict[str, int]  # number -> id
    cheques: dict[str, int]  # cheque number -> id


async def collected_run(payroll: Payroll, *, pins: dict[str, str] | None = None,
                        linked: dict[str, str] | None = None) -> Desk:
    """A run imported and collected: every cheque at the desk. `pins` by employee number; `linked` links an
    employee number to a staff login."""
    run = await payroll.post("/api/cheques/runs", "admin", {"pay_date": PAY_DATE, "payroll_company": "Paie Nord"},
                             201)
    data = payroll_csv([(number, name, cheque, amount, PAY_DATE) for number, name, cheque, amount in PEOPLE])
    await payroll.post(f"/api/cheques/runs/{run['id']}/import?apply=true", "admin", None, data=data)
    async with payroll.database.write() as session:
        employees = dict((await session.execute(select(Employee.number, Employee.id))).tuples().all())
        for number, login in (linked or {}).items():
            (await session.get(Employee, employees[number])).staff_member_id = payroll.world.staff_ids[login]
    for number, pin in (pins or {}).items():
        await payroll.post(f"/api/cheques/employees/{employees[number]}/pin", "reception", {"pin": pin})
    detail = await payroll.post(f"/api/cheques/runs/{run['id']}/collected", "reception",
                                {"count": len(PEOPLE), "missing_cheque_numbers": []})
    return Desk(run_id=run["id"], employees=employees, cheques={c["number"]: c["id"] for c in detail["cheques"]})
