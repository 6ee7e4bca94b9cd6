"""What the staff panel needs beside the API's services: the desk's to-do lists (pick-ups due, kiosk requests
waiting), the people a form may name, and linking an employee to their staff account after the fact."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.cheques.models import Cheque, Employee, PayrollRun
from backend.cheques.service import local_today, require_keeper, site_of_staff
from backend.cheques.states import PAYROLL_KEEPERS, ChequeStatus, RunState
from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.staff.models import StaffMember, StaffRole
from shared.api import FieldProblem


async def today_at_site(session: AsyncSession, at: dt.datetime) -> dt.date:
    """`at` as a day where the desk is: what "due today" and "overdue" mean."""
    return await local_today(session, (await site_of_staff(session)).id, at)


async def pickups_due(session: AsyncSession, who: StaffIdentity, at: dt.datetime) -> list[PayrollRun]:
    """Runs still at the payroll company whose pick-up day is today or already past, the most overdue first."""
    require_keeper(who)
    today = await today_at_site(session, at)
    return list(await session.scalars(
        select(PayrollRun).where(PayrollRun.state == RunState.AWAITING_PICKUP, PayrollRun.pickup_due_on <= today)
        .order_by(PayrollRun.pickup_due_on, PayrollRun.id)))


async def kiosk_requests(session: AsyncSession, who: StaffIdentity) -> list[Cheque]:
    """Cheques an employee signed for at the kiosk and the desk has still to hand over, the oldest first."""
    require_keeper(who)
    return list(await session.scalars(select(Cheque).where(Cheque.status == ChequeStatus.REQUESTED)
                                      .order_by(Cheque.requested_at, Cheque.id)))


async def front_office(session: AsyncSession) -> list[StaffMember]:
    """The active people who may fetch a run (the pick-up form's choices): administrators and receptionists."""
    keepers = select(StaffRole.staff_member_id).where(StaffRole.role.in_(PAYROLL_KEEPERS))
    return list(await session.scalars(select(StaffMember).where(StaffMember.active.is_(True),
                                                                StaffMember.id.in_(keepers))
                                      .order_by(StaffMember.display_name)))


async def linkable_staff(session: AsyncSession) -> list[tuple[int, str, int | None]]:
    """Every active staff member, with the employee already linked to them (None if none): the link form's list."""
    rows = await session.execute(
        select(StaffMember.id, StaffMember.display_name, Employee.id)
        .outerjoin(Employee, Employee.staff_member_id == StaffMember.id)
        .where(StaffMember.active.is_(True)).order_by(StaffMember.display_name))
    return [tuple(row) for row in rows]


async def employee_of_staff(session: AsyncSession, staff_id: int) -> Employee | None:
    """The employee who is this staff member, if any."""
    return await session.scalar(select(Employee).where(Employee.staff_member_id == staff_id))


async def link_staff(session: AsyncSession, who: StaffIdentity, employee: Employee, staff_member_id: int | None,
                     at: dt.datetime) -> None:
    """Say which staff member this employee is (they then see their own cheques in the panel), or nobody."""
    require_keeper(who)
    if staff_member_id is not None and staff_member_id != employee.staff_member_id:
        member = await session.get(StaffMember, staff_member_id)
        if member is None or not member.active:
            raise InvalidInput("Some fields are not valid.", [FieldProblem(
                field="staff_member_id", code="staff_unknown", detail="There is no such staff member.")])
        if await session.scalar(select(Employee.id).where(Employee.staff_member_id == staff_member_id)):
            raise InvalidInput("Some fields are not valid.", [FieldProblem(
                field="staff_member_id", code="staff_taken",
                detail="This staff member is already linked to another employee.")])
    if staff_member_id == employee.staff_member_id:
        return
    before = employee.staff_member_id
    employee.staff_member_id = staff_member_id
    record(session, who.audit_actor, "employee.staff_linked", "employee", employee.id, at,
           before=before, after=staff_member_id)
