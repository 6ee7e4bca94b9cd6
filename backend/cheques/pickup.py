"""Fetching a run from the payroll company: who goes and when, and what they brought back.

Recording the collection puts every cheque at the desk except those named missing, and tells each employee
whose cheque is there (email, and their panel if they are a staff member).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.cheques import news
from backend.cheques.models import PayrollRun
from backend.cheques.schemas import PickupAssignIn, PickupCollectedIn
from backend.cheques.service import cheques_of_run, local_today, move, require_keeper
from backend.cheques.states import PAYROLL_KEEPERS, ChequeStatus, RunState
from backend.core.errors import Conflict, InvalidInput
from backend.core.events import Audience
from backend.core.identity import StaffIdentity
from backend.staff.models import StaffMember, StaffRole
from shared.api import FieldProblem


async def assign_pickup(session: AsyncSession, who: StaffIdentity, run: PayrollRun, data: PickupAssignIn,
                        at: dt.datetime) -> None:
    """A named front-office member fetches the run on a day; they are reminded that morning."""
    require_keeper(who)
    if run.state != RunState.AWAITING_PICKUP:
        raise Conflict("This payroll run has already been collected.")
    problems = []
    member = await session.get(StaffMember, data.staff_member_id)
    roles = set(await session.scalars(select(StaffRole.role).where(StaffRole.staff_member_id == data.staff_member_id)))
    if member is None or not member.active or not roles & PAYROLL_KEEPERS:
        problems.append(FieldProblem(field="staff_member_id", code="staff_unknown",
                                     detail="Choose an active front-office member (receptionist or administrator)."))
    if data.due_on < await local_today(session, run.site_id, at):
        problems.append(FieldProblem(field="due_on", code="date_past", detail="The pick-up day cannot be in the past."))
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    if (run.pickup_assignee_id, run.pickup_due_on) != (data.staff_member_id, data.due_on):
        run.pickup_reminded_on = None  # a new person or day: a new reminder
    run.pickup_assignee_id, run.pickup_due_on = data.staff_member_id, data.due_on
    record(session, who.audit_actor, "payroll_run.pickup_assigned", "payroll_run", run.id, at,
           staff_member_id=data.staff_member_id, due_on=data.due_on.isoformat())


async def record_collected(session: AsyncSession, who: StaffIdentity, run: PayrollRun, data: PickupCollectedIn,
                           at: dt.datetime) -> news.Tidings:
    """The cheques are at the desk: how many came, which are missing; employees are told."""
    require_keeper(who)
    if run.state != RunState.AWAITING_PICKUP:
        raise Conflict("This payroll run has already been collected.")
    cheques = await cheques_of_run(session, run.id, lock=True)
    by_number = {cheque.number: cheque for cheque in cheques}
    problems = []
    missing_numbers = [number.strip() for number in data.missing_cheque_numbers]
    for index, number in enumerate(missing_numbers):
        if number not in by_number:
            problems.append(FieldProblem(field=f"missing_cheque_numbers.{index}", code="cheque_unknown",
                                         detail=f"This run has no cheque numbered “{number}”."))
    missing = set(missing_numbers)
    if not cheques:
        problems.append(FieldProblem(field="count", code="run_empty",
                                     detail="This run has no cheques yet: import or enter them first."))
    elif data.count != len(cheques) - len(missing):
        expected = len(cheques) - len(missing)
        problems.append(FieldProblem(
            field="count", code="count_mismatch",
            detail=f"The run lists {len(cheques)} cheques and {len(missing)} are named missing, so {expected} "
                   "should have come: count again, or name the missing ones."))
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    run.state, run.collected_by_id, run.collected_at = RunState.COLLECTED, who.staff_id, at
    run.collected_count, run.missing_note = data.count, data.note.strip()
    record(session, who.audit_actor, "payroll_run.collected", "payroll_run", run.id, at, count=data.count,
           missing=sorted(missing))
    tidings = news.Tidings()
    ready = []
    for cheque in cheques:
        if cheque.status != ChequeStatus.EXPECTED:
            continue
        if cheque.number in missing:
            move(session, cheque, ChequeStatus.MISSING, "missing", at, who=who, detail=data.note.strip())
        else:
            move(session, cheque, ChequeStatus.AT_DESK, "collected", at, who=who)
            ready.append(cheque)
    tidings.add(await news.tell_ready(session, run, ready, at))
    tidings.events.append(({"type": "payroll_run.collected", "run": news.run_summary(run)},
                           Audience(roles=PAYROLL_KEEPERS)))
    return tidings
