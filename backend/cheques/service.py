"""Payroll runs and their cheques: creating and finding them, who may see what, and how they are shown.

The moves of a cheque (pick-up, handover, exceptions) live in the sibling modules; every one goes through
`move`, which checks CHEQUE_TRANSITIONS and writes the cheque's history.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.cheques import employees as employee_service
from backend.cheques import news
from backend.cheques.models import Cheque, ChequeEvent, Employee, Handover, PayrollRun
from backend.cheques.schemas import (
    ChequeEventOut, ChequeIn, ChequeOut, ChequeWithAmountOut, Dashboard, DashboardRun, EmployeeRef, HandoverOut,
    RunDetail, RunIn, RunOut,
)
from backend.cheques.states import (
    AMOUNT_READERS, CHEQUE_TRANSITIONS, EXCEPTIONS, PAYROLL_KEEPERS, ChequeStatus, RunState, can_move,
)
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.kiosks.models import KioskDevice
from backend.organisation.models import Site
from backend.organisation.service import only_site_id
from backend.staff.models import StaffMember
from shared.api import FieldProblem

RUN_LIST_LIMIT = 100
IN_HANDS = frozenset({ChequeStatus.HANDED_OVER, ChequeStatus.DELEGATED})
PENDING = frozenset({ChequeStatus.EXPECTED, ChequeStatus.AT_DESK, ChequeStatus.REQUESTED})


def require_keeper(who: StaffIdentity) -> None:
    if not who.roles & PAYROLL_KEEPERS:
        raise Forbidden("Only administrators and receptionists manage payroll cheques.")


def shows_amounts(who: StaffIdentity) -> bool:
    return bool(who.roles & AMOUNT_READERS)


def note(session: AsyncSession, cheque: Cheque, event: str, at: dt.datetime, *, who: StaffIdentity | None = None,
         kiosk_id: int | None = None, detail: str = "", other_cheque: str = "") -> None:
    """One line of the cheque's history: who did it, at which kiosk it was asked for, and the staff's note."""
    session.add(ChequeEvent(cheque_id=cheque.id, at=at, event=event, note=detail[:1000], other_cheque=other_cheque,
                            staff_member_id=who.staff_id if who else None, kiosk_id=kiosk_id))


def move(session: AsyncSession, cheque: Cheque, to: ChequeStatus, event: str, at: dt.datetime, *,
         who: StaffIdentity | None = None, kiosk_id: int | None = None, detail: str = "",
         other_cheque: str = "") -> None:
    """Change the cheque's status, if its life allows it (409 otherwise), with its history and audit."""
    if not can_move(cheque.status, to):
        if cheque.status in IN_HANDS:
            raise Conflict("This cheque has already been handed out.")
        raise Conflict(f"A cheque that is {cheque.status.value.replace('_', ' ')} cannot become "
                       f"{to.value.replace('_', ' ')}.")
    before = cheque.status
    cheque.status, cheque.updated_at = to, at
    note(session, cheque, event, at, who=who, kiosk_id=kiosk_id, detail=detail, other_cheque=other_cheque)
    # Staff act at the desk; a kiosk acts alone only when an employee asks for their cheque there.
    actor = who.audit_actor if who else ("kiosk", kiosk_id) if kiosk_id else ("system", None)
    record(session, actor, f"cheque.{event}", "cheque", cheque.id, at, before=before.value, after=to.value)


async def site_of_staff(session: AsyncSession) -> Site:
    """Staff act on the installation's site (one per installation, as elsewhere in the panel)."""
    return await session.get(Site, await only_site_id(session))


async def create_run(session: AsyncSession, who: StaffIdentity, data: RunIn, at: dt.datetime) -> PayrollRun:
    require_keeper(who)
    company = " ".join(data.payroll_company.split())
    if not company:
        raise InvalidInput("Some fields are not valid.", [FieldProblem(
            field="payroll_company", code="required", detail="Name the payroll company.")])
    site = await site_of_staff(session)
    run = PayrollRun(site_id=site.id, pay_date=data.pay_date, payroll_company=company,
                     state=RunState.AWAITING_PICKUP, currency=site.currency, missing_note="",
                     created_by_id=who.staff_id, created_at=at)
    session.add(run)
    await session.flush()
    record(session, who.audit_actor, "payroll_run.created", "payroll_run", run.id, at,
           pay_date=data.pay_date.isoformat(), payroll_company=company)
    return run


async def list_runs(session: AsyncSession, who: StaffIdentity, *, limit: int = RUN_LIST_LIMIT) -> list[PayrollRun]:
    require_keeper(who)
    return list(await session.scalars(
        select(PayrollRun).order_by(PayrollRun.pay_date.desc(), PayrollRun.id.desc()).limit(limit)))


async def run_for_staff(session: AsyncSession, who: StaffIdentity, run_id: int, *, lock: bool = False) -> PayrollRun:
    require_keeper(who)
    query = select(PayrollRun).where(PayrollRun.id == run_id)
    run = await session.scalar(query.with_for_update() if lock else query)
    if run is None:
        raise NotFound("There is no such payroll run.")
    return run


async def cheques_of_run(session: AsyncSession, run_id: int, *, lock: bool = False) -> list[Cheque]:
    query = select(Cheque).where(Cheque.run_id == run_id).order_by(Cheque.id)
    return list(await session.scalars(query.with_for_update() if lock else query))


async def add_cheque(session: AsyncSession, who: StaffIdentity, run: PayrollRun, data: ChequeIn,
                     at: dt.datetime) -> Cheque:
    """A cheque entered by hand: expected while the run waits for pick-up, at the desk once it is collected."""
    require_keeper(who)
    if run.state == RunState.CLOSED:
        raise Conflict("This payroll run is closed: every cheque in it has been dealt with.")
    problems = []
    employee = await session.get(Employee, data.employee_id)
    if employee is None or employee.site_id != run.site_id:
        problems.append(FieldProblem(field="employee_id", code="employee_unknown", detail="There is no such employee."))
    number = data.number.strip()
    if not number:
        problems.append(FieldProblem(field="number", code="required", detail="Give the cheque number."))
    elif await session.scalar(select(Cheque.id).where(Cheque.run_id == run.id, Cheque.number == number)):
        problems.append(FieldProblem(field="number", code="number_taken",
                                     detail="This run already has a cheque with this number."))
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    status = ChequeStatus.EXPECTED if run.state == RunState.AWAITING_PICKUP else ChequeStatus.AT_DESK
    cheque = new_cheque(run, employee, number, data.amount, status, at)
    session.add(cheque)
    await session.flush()
    note(session, cheque, "entered", at, who=who)
    record(session, who.audit_actor, "cheque.entered", "cheque", cheque.id, at, run_id=run.id)
    if status == ChequeStatus.AT_DESK:
        # A late cheque for a run already at the desk: its employee is told like the others were. The email is
        # queued in this transaction; the caller wakes the dispatcher after the commit.
        await news.tell_ready(session, run, [cheque], at)
    return cheque


def new_cheque(run: PayrollRun, employee: Employee, number: str, amount: int, status: ChequeStatus,
               at: dt.datetime) -> Cheque:
    return Cheque(run_id=run.id, employee_id=employee.id, number=number, amount=amount, currency=run.currency,
                  status=status, created_at=at, updated_at=at)


async def cheque_for_staff(session: AsyncSession, who: StaffIdentity, cheque_id: int, *,
                           lock: bool = False) -> Cheque:
    """Keepers may see any cheque; a staff member who is an employee, only their own. Anyone else's is not
    found (404), so that a guess does not even tell a cheque exists."""
    query = select(Cheque).where(Cheque.id == cheque_id)
    cheque = await session.scalar(query.with_for_update() if lock else query)
    if cheque is None:
        raise NotFound("There is no such cheque.")
    if who.roles & PAYROLL_KEEPERS:
        return cheque
    owner = await session.scalar(select(Employee.staff_member_id).where(Employee.id == cheque.employee_id))
    if owner is None or owner != who.staff_id:
        raise NotFound("There is no such cheque.")
    return cheque


async def my_cheques(session: AsyncSession, who: StaffIdentity) -> list[Cheque]:
    employee = await session.scalar(select(Employee).where(Employee.staff_member_id == who.staff_id))
    if employee is None:
        return []
    return list(await session.scalars(select(Cheque).join(PayrollRun, PayrollRun.id == Cheque.run_id)
                                      .where(Cheque.employee_id == employee.id)
                                      .order_by(PayrollRun.pay_date.desc(), Cheque.id.desc())))


async def _names(session: AsyncSession, staff_ids: set[int]) -> dict[int, str]:
    if not staff_ids:
        return {}
    rows = await session.execute(select(StaffMember.id, StaffMember.display_name).where(StaffMember.id.in_(staff_ids)))
    return {row.id: row.display_name for row in rows}


async def cheque_out(session: AsyncSession, who: StaffIdentity, cheque: Cheque, *,
                     with_events: bool = True) -> ChequeOut:
    await session.flush()  # sessions do not autoflush: the history just written must be read back too
    run = await session.get(PayrollRun, cheque.run_id)
    employee = await session.get(Employee, cheque.employee_id)
    replaces = await session.scalar(select(Cheque.id).where(Cheque.replaced_by_id == cheque.id))
    handover = await session.scalar(select(Handover).where(Handover.cheque_id == cheque.id))
    events: list[ChequeEventOut] = []
    if with_events:
        rows = list(await session.scalars(select(ChequeEvent).where(ChequeEvent.cheque_id == cheque.id)
                                          .order_by(ChequeEvent.at, ChequeEvent.id)))
        staff_names = await _names(session, {row.staff_member_id for row in rows if row.staff_member_id})
        kiosk_ids = {row.kiosk_id for row in rows if row.kiosk_id}
        kiosk_names = dict((await session.execute(select(KioskDevice.id, KioskDevice.name).where(
            KioskDevice.id.in_(kiosk_ids)))).tuples().all()) if kiosk_ids else {}
        events = [ChequeEventOut(at=row.at, event=row.event, note=row.note, other_cheque=row.other_cheque,
                                 by=staff_names.get(row.staff_member_id, "") or kiosk_names.get(row.kiosk_id, ""),
                                 kiosk=kiosk_names.get(row.kiosk_id, ""))
                  for row in rows]
    fields = dict(
        id=cheque.id, run_id=cheque.run_id, pay_date=run.pay_date, payroll_company=run.payroll_company,
        employee=EmployeeRef(id=employee.id, number=employee.number,
                             display_name=employee_service.display_name(employee)),
        number=cheque.number, status=cheque.status, follow_up_on=cheque.follow_up_on,
        replaced_by_id=cheque.replaced_by_id, replaces_id=replaces, requested_at=cheque.requested_at,
        handover=handover_out(handover, employee) if handover else None, events=events)
    if shows_amounts(who):
        return ChequeWithAmountOut(**fields, amount=cheque.amount, currency=cheque.currency)
    return ChequeOut(**fields)


def handover_out(handover: Handover, employee: Employee) -> HandoverOut:
    return HandoverOut(
        at=handover.at, given_by=handover.given_by_name,
        received_by=handover.delegate_name or employee_service.display_name(employee),
        delegate_name=handover.delegate_name, authorisation_note=handover.authorisation_note,
        has_authorisation_document=handover.authorisation_sha256 is not None, proof=handover.proof,
        has_signature=handover.signature_sha256 is not None)


async def status_counts(session: AsyncSession, run_ids: list[int]) -> dict[int, Counter]:
    counts: dict[int, Counter] = {run_id: Counter() for run_id in run_ids}
    if run_ids:
        rows = await session.execute(select(Cheque.run_id, Cheque.status, func.count()).where(
            Cheque.run_id.in_(run_ids)).group_by(Cheque.run_id, Cheque.status))
        for run_id, status, count in rows:
            counts[run_id][ChequeStatus(status).value] = count
    return counts


async def run_out(session: AsyncSession, run: PayrollRun, counts: Counter | None = None) -> RunOut:
    if counts is None:
        await session.flush()
        counts = (await status_counts(session, [run.id]))[run.id]
    names = await _names(session, {i for i in (run.pickup_assignee_id, run.collected_by_id) if i})
    return RunOut(
        id=run.id, pay_date=run.pay_date, payroll_company=run.payroll_company, state=run.state,
        pickup_assignee_id=run.pickup_assignee_id, pickup_assignee=names.get(run.pickup_assignee_id, ""),
        pickup_due_on=run.pickup_due_on, collected_by=names.get(run.collected_by_id, ""),
        collected_at=run.collected_at, collected_count=run.collected_count, missing_note=run.missing_note,
        counts=dict(counts), created_at=run.created_at)


async def run_detail(session: AsyncSession, who: StaffIdentity, run: PayrollRun) -> RunDetail:
    summary = await run_out(session, run)
    cheques = [await cheque_out(session, who, cheque, with_events=False)
               for cheque in await cheques_of_run(session, run.id)]
    return RunDetail(**summary.model_dump(), cheques=cheques)


async def refresh_run_state(session: AsyncSession, run: PayrollRun, at: dt.datetime) -> None:
    """A collected run closes once every cheque is final, and opens again when one is not (a reissue)."""
    if run.state == RunState.AWAITING_PICKUP:
        return
    await session.flush()
    statuses = set(await session.scalars(select(Cheque.status).where(Cheque.run_id == run.id)))
    open_left = any(ChequeStatus(status) in CHEQUE_TRANSITIONS for status in statuses)
    target = RunState.COLLECTED if open_left else RunState.CLOSED
    if target != run.state:
        run.state = target
        record(session, ("system", None), f"payroll_run.{target.value}", "payroll_run", run.id, at)


async def dashboard(session: AsyncSession, who: StaffIdentity) -> Dashboard:
    """Collected, pending and exceptions: overall, and for each run not closed plus the last few closed."""
    require_keeper(who)
    runs = list(await session.scalars(select(PayrollRun).order_by(PayrollRun.pay_date.desc(), PayrollRun.id.desc())
                                      .limit(RUN_LIST_LIMIT)))
    counts = await status_counts(session, [run.id for run in runs])
    total: Counter = Counter()
    shown = []
    for run in runs:
        by_status = counts[run.id]
        total.update(by_status)
        shown.append(DashboardRun(
            id=run.id, pay_date=run.pay_date, payroll_company=run.payroll_company, state=run.state,
            collected=sum(by_status[s.value] for s in IN_HANDS), pending=sum(by_status[s.value] for s in PENDING),
            exceptions=sum(by_status[s.value] for s in EXCEPTIONS - IN_HANDS)))
    return Dashboard(
        collected=sum(total[s.value] for s in IN_HANDS), pending=sum(total[s.value] for s in PENDING),
        exceptions=sum(total[s.value] for s in EXCEPTIONS - IN_HANDS),
        by_status={status.value: total[status.value] for status in ChequeStatus}, runs=shown)


async def local_today(session: AsyncSession, site_id: int, at: dt.datetime) -> dt.date:
    """`at` as a day in the site's time zone: what "today" means for follow-ups and reminders."""
    zone = await session.scalar(select(Site.time_zone).where(Site.id == site_id))
    return at.astimezone(ZoneInfo(zone or "UTC")).date()
