"""Employees paid by cheque: their record, their kiosk PIN (argon2, like staff passwords) and its lock.

Three wrong PINs in a row at the kiosk lock kiosk collection for that employee until someone at the desk
unlocks it: a PIN has few digits, so guesses must stay few.
"""
from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.cheques.models import Employee
from backend.cheques.schemas import EmployeeIn, EmployeeOut
from backend.cheques.states import PAYROLL_KEEPERS
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation.service import only_site_id
from backend.staff.models import StaffMember
from shared.api import FieldProblem
from shared.fields import FieldError, normalise_email

MAX_PIN_FAILURES = 3
LIST_LIMIT = 500
_hasher = PasswordHasher()
# Checked against when the employee number is unknown, so a wrong number takes as long as a wrong PIN.
_DUMMY_HASH = _hasher.hash("not a pin")


def _require_keeper(who: StaffIdentity) -> None:
    if not who.roles & PAYROLL_KEEPERS:
        raise Forbidden("Only administrators and receptionists manage payroll cheques.")


def display_name(employee: Employee) -> str:
    return " ".join(part for part in (employee.given_name, employee.family_name) if part)


def employee_out(employee: Employee) -> EmployeeOut:
    return EmployeeOut(
        id=employee.id, number=employee.number, given_name=employee.given_name, family_name=employee.family_name,
        display_name=display_name(employee), email=employee.email, staff_member_id=employee.staff_member_id,
        has_pin=employee.pin_hash is not None, pin_failures=employee.pin_failures,
        kiosk_locked=employee.kiosk_locked_at is not None, kiosk_locked_at=employee.kiosk_locked_at)


def new_employee(site_id: int, number: str, given_name: str, family_name: str, at: dt.datetime) -> Employee:
    return Employee(site_id=site_id, number=number, given_name=given_name, family_name=family_name, email="",
                    pin_failures=0, created_at=at)


async def create_employee(session: AsyncSession, who: StaffIdentity, data: EmployeeIn, at: dt.datetime) -> Employee:
    _require_keeper(who)
    site_id = await only_site_id(session)
    number, given, family = data.number.strip(), " ".join(data.given_name.split()), " ".join(data.family_name.split())
    problems = []
    if not number:
        problems.append(FieldProblem(field="number", code="required", detail="Give the employee number."))
    elif await session.scalar(select(Employee.id).where(Employee.site_id == site_id, Employee.number == number)):
        problems.append(FieldProblem(field="number", code="number_taken",
                                     detail="Another employee already has this number."))
    if not given:
        problems.append(FieldProblem(field="given_name", code="required", detail="Give the employee's name."))
    email = ""
    if data.email.strip():
        try:
            email = normalise_email(data.email.strip())
        except FieldError as error:
            problems.append(FieldProblem(field="email", code=error.code, detail=error.message))
    if data.staff_member_id is not None:
        if await session.get(StaffMember, data.staff_member_id) is None:
            problems.append(FieldProblem(field="staff_member_id", code="staff_unknown",
                                         detail="There is no such staff member."))
        elif await session.scalar(select(Employee.id).where(Employee.staff_member_id == data.staff_member_id)):
            problems.append(FieldProblem(field="staff_member_id", code="staff_taken",
                                         detail="This staff member is already linked to another employee."))
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    employee = new_employee(site_id, number, given, family, at)
    employee.email, employee.staff_member_id = email, data.staff_member_id
    session.add(employee)
    await session.flush()
    record(session, who.audit_actor, "employee.created", "employee", employee.id, at)
    return employee


async def list_employees(session: AsyncSession, who: StaffIdentity, *, search: str = "",
                         limit: int = LIST_LIMIT) -> list[Employee]:
    _require_keeper(who)
    query = select(Employee).order_by(Employee.family_name, Employee.given_name, Employee.id).limit(limit)
    if search.strip():
        like = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(Employee.number).like(like), func.lower(Employee.given_name).like(like),
                                func.lower(Employee.family_name).like(like)))
    return list(await session.scalars(query))


async def employee_for_staff(session: AsyncSession, who: StaffIdentity, employee_id: int, *,
                             lock: bool = False) -> Employee:
    _require_keeper(who)
    query = select(Employee).where(Employee.id == employee_id)
    employee = await session.scalar(query.with_for_update() if lock else query)
    if employee is None:
        raise NotFound("There is no such employee.")
    return employee


async def set_pin(session: AsyncSession, who: StaffIdentity, employee: Employee, pin: str, at: dt.datetime) -> None:
    """A new PIN (the employee chooses it at the desk); it also lifts a kiosk lock."""
    _require_keeper(who)
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise InvalidInput("Some fields are not valid.", [FieldProblem(
            field="pin", code="pin_invalid", detail="A PIN is 4 to 8 digits.")])
    employee.pin_hash = hash_pin(pin)
    employee.pin_failures, employee.kiosk_locked_at = 0, None
    forget_collection(employee)
    record(session, who.audit_actor, "employee.pin_set", "employee", employee.id, at)


async def unlock_kiosk(session: AsyncSession, who: StaffIdentity, employee: Employee, at: dt.datetime) -> None:
    _require_keeper(who)
    employee.pin_failures, employee.kiosk_locked_at = 0, None
    record(session, who.audit_actor, "employee.kiosk_unlocked", "employee", employee.id, at)


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def forget_collection(employee: Employee) -> None:
    employee.collection_token_hash = employee.collection_kiosk_id = employee.collection_expires_at = None


def pin_matches(employee: Employee | None, pin: str) -> bool:
    """Whether the PIN is right; as slow for an unknown employee or one without a PIN as for a wrong PIN."""
    if employee is None or employee.pin_hash is None:
        _verify(_DUMMY_HASH, pin)
        return False
    return _verify(employee.pin_hash, pin)


def count_failure(employee: Employee, at: dt.datetime) -> bool:
    """One more wrong PIN in a row; returns whether that locked kiosk collection."""
    employee.pin_failures += 1
    if employee.pin_failures >= MAX_PIN_FAILURES and employee.kiosk_locked_at is None:
        employee.kiosk_locked_at = at
        return True
    return False


def _verify(pin_hash: str, pin: str) -> bool:
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False
