"""The demo's payroll: employees with numbers and PINs, last week's run collected with cheques at the desk (one
already handed over), and the next run to fetch, so the kiosk's "Collect my cheque" and the panel have real
things to show."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cheques.employees import hash_pin, new_employee
from backend.cheques.models import ChequeEvent, Handover, PayrollRun
from backend.cheques.service import new_cheque
from backend.cheques.states import ChequeStatus, ProofKind, RunState
from backend.organisation.models import Site
from backend.staff.models import StaffMember

EMPLOYEE_PIN = "1357"  # every demo employee's kiosk PIN
PAYROLL_COMPANY = "Paie Express Québec"
# number, given name, family name, net pay in cents, staff login of the same person (if any)
EMPLOYEES = [
    ("E-1001", "Sophie", "Lavoie", 184_250, None),
    ("E-1002", "Jean-François", "Gauthier", 162_075, None),
    ("E-1003", "Amélie", "Pelletier", 171_340, None),
    ("E-1004", "Olivier", "Morin", 149_900, None),
    ("E-1005", "Marc-André", "Roy", 158_610, "facturation"),
    ("E-1006", "Nadia", "Bouchard", 166_480, None),
]


async def seed(session: AsyncSession, site: Site, at: dt.datetime) -> None:
    logins = dict((await session.execute(select(StaffMember.login, StaffMember.id))).tuples().all())
    desk_id = logins.get("accueil")
    pin_hash = hash_pin(EMPLOYEE_PIN)  # one hash for all: argon2 is slow on purpose
    employees = []
    for number, given, family, _amount, login in EMPLOYEES:
        employee = new_employee(site.id, number, given, family, at)
        employee.pin_hash, employee.staff_member_id = pin_hash, logins.get(login) if login else None
        employees.append(employee)
    session.add_all(employees)
    await session.flush()
    today = at.astimezone(ZoneInfo(site.time_zone)).date()
    last = PayrollRun(site_id=site.id, pay_date=today - dt.timedelta(days=1), payroll_company=PAYROLL_COMPANY,
                      state=RunState.COLLECTED, currency=site.currency, pickup_assignee_id=desk_id,
                      pickup_due_on=today - dt.timedelta(days=2), pickup_reminded_on=today - dt.timedelta(days=2),
                      collected_by_id=desk_id, collected_at=at - dt.timedelta(days=1), collected_count=6,
                      missing_note="", created_by_id=desk_id, created_at=at - dt.timedelta(days=3))
    upcoming = PayrollRun(site_id=site.id, pay_date=today + dt.timedelta(days=13), payroll_company=PAYROLL_COMPANY,
                          state=RunState.AWAITING_PICKUP, currency=site.currency, pickup_assignee_id=desk_id,
                          pickup_due_on=today + dt.timedelta(days=12), missing_note="", created_by_id=desk_id,
                          created_at=at)
    session.add_all([last, upcoming])
    await session.flush()
    for index, (employee, (_n, _g, _f, amount, _l)) in enumerate(zip(employees, EMPLOYEES)):
        handed = index == 3  # Olivier took his at the desk with his PIN
        cheque = new_cheque(last, employee, f"{48_201 + index}", amount,
                            ChequeStatus.HANDED_OVER if handed else ChequeStatus.AT_DESK, at)
        cheque.ready_told_at = at - dt.timedelta(days=1)
        session.add(cheque)
        session.add(new_cheque(upcoming, employee, f"{48_301 + index}", amount, ChequeStatus.EXPECTED, at))
        await session.flush()
        session.add_all([ChequeEvent(cheque_id=cheque.id, at=at - dt.timedelta(days=2), event="imported", note="",
                                     staff_member_id=desk_id),
                         ChequeEvent(cheque_id=cheque.id, at=at - dt.timedelta(days=1), event="collected", note="",
                                     staff_member_id=desk_id)])
        if handed:
            session.add(ChequeEvent(cheque_id=cheque.id, at=at, event="handed_over", note="", staff_member_id=desk_id))
            session.add(Handover(cheque_id=cheque.id, given_by_id=desk_id, given_by_name="Hélène Côté",
                                 delegate_name="", authorisation_note="", authorisation_media_type="", at=at,
                                 proof=ProofKind.PIN, signature_sha256=None, kiosk_id=None))
