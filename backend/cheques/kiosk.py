""""Collect my cheque" at the kiosk: the employee identifies with their number and PIN, signs on screen, and the
desk is told to hand the cheques over (the handover itself is confirmed by a staff member in the panel).

A right PIN gives the kiosk a collection token for ten minutes, for that kiosk and that employee only; its hash
is kept on the employee, so any backend instance can check it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record, wait_after_failures
from backend.cheques import news, signatures
from backend.cheques.employees import count_failure, display_name, forget_collection, pin_matches
from backend.cheques.models import Cheque, Employee, PayrollRun
from backend.cheques.service import move
from backend.cheques.states import COLLECTABLE, PAYROLL_KEEPERS, ChequeStatus
from backend.cheques.wording import REQUEST_BODY, REQUEST_SUBJECT, Words
from backend.core.errors import ApiError, Conflict, InvalidInput, Locked, TooManyRequests, Unauthorized
from backend.core.events import Audience
from backend.core.identity import KioskIdentity
from backend.documents.storage import DocumentStore
from backend.routing import rules
from backend.staff.models import StaffMember, StaffRole
from shared.api import FieldProblem
from shared.api_cheques import (
    ChequeCollectOut, ChequeCollectRequest, ChequeToCollect, EmployeeCheques, EmployeeIdentifyRequest,
)
from shared.enums import Role

TOKEN_LIFETIME = dt.timedelta(minutes=10)
# Per kiosk, on top of each employee's lock: one kiosk trying many employee numbers is stopped too.
KIOSK_FAILURE_LIMIT, KIOSK_FAILURE_WINDOW = 10, dt.timedelta(minutes=10)
WRONG_PIN, REFUSED = "employee.kiosk_pin_wrong", "employee.kiosk_refused"
WRONG = "The employee number or PIN is wrong."
LOCKED = ("Too many wrong PINs: collecting cheques at the kiosk is locked for this employee. "
          "Ask at the front desk.")


@dataclass(frozen=True)
class Identified:
    """The outcome of an identification. A failure is returned, not raised, so the count of wrong PINs (and
    the lock) commits before the answer is sent."""

    cheques: EmployeeCheques | None = None
    failure: ApiError | None = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def identify(session: AsyncSession, kiosk: KioskIdentity, data: EmployeeIdentifyRequest,
                   at: dt.datetime) -> Identified:
    if await wait_after_failures(session, kiosk.audit_actor, (WRONG_PIN, REFUSED), at, limit=KIOSK_FAILURE_LIMIT,
                                 window=KIOSK_FAILURE_WINDOW) is not None:
        return Identified(failure=TooManyRequests("Too many failed identifications at this kiosk; wait a few "
                                                  "minutes."))
    employee = await session.scalar(select(Employee).where(
        Employee.site_id == kiosk.site_id, Employee.number == data.employee_number.strip()).with_for_update())
    if employee is not None and employee.kiosk_locked_at is not None:
        record(session, kiosk.audit_actor, REFUSED, "employee", employee.id, at, reason="locked")
        return Identified(failure=Locked(LOCKED))
    if not pin_matches(employee, data.pin):
        if employee is None:
            record(session, kiosk.audit_actor, WRONG_PIN, "employee", None, at, reason="unknown")
            return Identified(failure=Unauthorized(WRONG))
        locked = count_failure(employee, at)
        record(session, kiosk.audit_actor, WRONG_PIN, "employee", employee.id, at,
               failures=employee.pin_failures)
        if locked:
            forget_collection(employee)
            record(session, kiosk.audit_actor, "employee.kiosk_locked", "employee", employee.id, at)
            return Identified(failure=Locked(LOCKED))
        return Identified(failure=Unauthorized(WRONG))
    employee.pin_failures = 0
    token = secrets.token_urlsafe(32)
    employee.collection_token_hash = _token_hash(token)
    employee.collection_kiosk_id, employee.collection_expires_at = kiosk.kiosk_id, at + TOKEN_LIFETIME
    record(session, kiosk.audit_actor, "employee.kiosk_identified", "employee", employee.id, at)
    rows = await session.execute(
        select(Cheque, PayrollRun).join(PayrollRun, PayrollRun.id == Cheque.run_id)
        .where(Cheque.employee_id == employee.id, Cheque.status.in_(list(COLLECTABLE)))
        .order_by(PayrollRun.pay_date, Cheque.id))
    return Identified(cheques=EmployeeCheques(
        collection_token=token, given_name=employee.given_name,
        cheques=[ChequeToCollect(id=cheque.id, pay_date=run.pay_date, payroll_company=run.payroll_company,
                                 cheque_number=cheque.number) for cheque, run in rows]))


async def collect(session: AsyncSession, kiosk: KioskIdentity, data: ChequeCollectRequest, at: dt.datetime,
                  store: DocumentStore) -> tuple[ChequeCollectOut, news.Tidings]:
    """The employee signed for these cheques: each becomes requested, and the desk is told to hand them over."""
    employee = await session.scalar(select(Employee).where(
        Employee.collection_token_hash == _token_hash(data.collection_token)).with_for_update())
    if employee is None or employee.collection_kiosk_id != kiosk.kiosk_id or employee.collection_expires_at is None \
            or employee.collection_expires_at <= at:
        raise InvalidInput("Some fields are not valid.", [FieldProblem(
            field="collection_token", code="token_invalid",
            detail="This collection has expired or is not valid here: identify again.")])
    if employee.kiosk_locked_at is not None:
        raise Locked(LOCKED)
    ids = list(dict.fromkeys(data.cheque_ids))
    cheques = {row.id: row for row in await session.scalars(
        select(Cheque).where(Cheque.id.in_(ids)).with_for_update())}
    problems = [FieldProblem(field=f"cheque_ids.{index}", code="cheque_not_yours",
                             detail="There is no such cheque for this employee.")
                for index, cheque_id in enumerate(ids)
                if cheque_id not in cheques or cheques[cheque_id].employee_id != employee.id]
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    png = signatures.checked_signature(data.signature_png)
    for cheque_id in ids:
        status = cheques[cheque_id].status
        if status in (ChequeStatus.HANDED_OVER, ChequeStatus.DELEGATED):
            raise Conflict("This cheque has already been handed out.")
        if status == ChequeStatus.REQUESTED:
            raise Conflict("This cheque has already been asked for; the desk will hand it over.")
        if status not in COLLECTABLE:
            raise Conflict("This cheque is not at the desk.")
    sha256 = await signatures.keep(store, png)
    tidings = news.Tidings()
    for cheque_id in ids:
        cheque = cheques[cheque_id]
        move(session, cheque, ChequeStatus.REQUESTED, "requested", at, kiosk_id=kiosk.kiosk_id)
        cheque.requested_at, cheque.requested_kiosk_id, cheque.requested_signature_sha256 = at, kiosk.kiosk_id, sha256
        cheque.follow_up_on = None
        event, audience = news.cheque_event("cheque.requested", cheque, employee)
        event["employee"] = display_name(employee)
        tidings.events.append((event, audience))
    forget_collection(employee)  # one signature, one request: another needs the PIN again
    tidings.add(await _tell_desk(session, employee, [cheques[i] for i in ids], at))
    return ChequeCollectOut(cheque_ids=ids, desk_notified=bool(tidings.told_staff)), tidings


async def _tell_desk(session: AsyncSession, employee: Employee, cheques: list[Cheque],
                     at: dt.datetime) -> news.Tidings:
    """Receptionists are told (their panel, their own channels); with none, the administrators."""
    desk = await rules.receptionists(session)
    if not desk:
        desk = list(await session.scalars(
            select(StaffMember.id).join(StaffRole, StaffRole.staff_member_id == StaffMember.id)
            .where(StaffRole.role == Role.ADMIN, StaffMember.active.is_(True)).order_by(StaffMember.id)))
    words = await Words.of_site(session, employee.site_id)
    name = display_name(employee)
    subject = words.say(REQUEST_SUBJECT, name=name)
    body = words.say(REQUEST_BODY, name=name, count=len(cheques), numbers=", ".join(c.number for c in cheques))
    tidings = await news.tell_staff(session, desk, "cheque.requested", subject, body,
                                    f"cheque:{cheques[0].id}", at, email=False, channels=True)
    # The live news reaches every desk panel open now; the notification rows say who was meant to see it.
    tidings.events.append(({"type": "cheque.desk_call", "subject": subject, "body": body,
                            "cheque_ids": [c.id for c in cheques]}, Audience(roles=PAYROLL_KEEPERS)))
    return tidings
