"""Staff accounts: creation, passwords, tokens, and resolving a token to a staff identity."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend.audit.service import record
from backend.core.errors import ApiError, Conflict, InvalidInput, Locked, NotFound, Unauthorized
from backend.core.identity import StaffIdentity, token_hash
from backend.organisation.models import Department
from backend.staff import tokens
from backend.staff.models import DepartmentMembership, StaffMember, StaffRole, StaffToken
from shared.api import FieldProblem, StaffDirectoryEntry
from shared.enums import Role, TokenScope

_hasher = PasswordHasher()
# Verifying against this keeps a wrong login name as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password")
MIN_PASSWORD_LENGTH = 10


def load_staff():
    return select(StaffMember).options(selectinload(StaffMember.roles), selectinload(StaffMember.memberships))


def identity_of(member: StaffMember) -> StaffIdentity:
    return StaffIdentity(member.id, member.display_name, member.role_set, member.department_ids)


async def create_staff(
    session: AsyncSession,
    *,
    login: str,
    display_name: str,
    roles: set[Role],
    department_names: list[str],
    password: str | None,
    email: str | None = None,
    listed_at_kiosk: bool = False,
    at: dt.datetime,
) -> StaffMember:
    """A new staff member; departments are named in French or English."""
    problems = []
    if not login or len(login) > 100 or not login.replace(".", "").replace("-", "").replace("_", "").isalnum():
        problems.append(FieldProblem(field="login", code="login_invalid",
                                     detail="Use letters, digits, '.', '-' or '_' (at most 100)."))
    if not roles:
        problems.append(FieldProblem(field="roles", code="required", detail="Give at least one role."))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldProblem(field="password", code="password_too_short",
                                     detail=f"Use at least {MIN_PASSWORD_LENGTH} characters."))
    departments = []
    for name in department_names:
        department = await session.scalar(
            select(Department).where((Department.name_fr == name) | (Department.name_en == name))
        )
        if department is None:
            problems.append(FieldProblem(field="department", code="department_unknown",
                                         detail=f"No department is named {name!r}."))
        else:
            departments.append(department)
    if Role.DEPARTMENT_STAFF in roles and not department_names:
        problems.append(FieldProblem(field="department", code="required",
                                     detail="Department staff need at least one department."))
    if problems:
        raise InvalidInput("The staff member cannot be created.", problems)
    if await session.scalar(select(StaffMember.id).where(StaffMember.login == login)) is not None:
        raise Conflict(f"A staff member with login {login!r} exists already.")
    member = StaffMember(
        login=login, display_name=display_name, email=email, listed_at_kiosk=listed_at_kiosk,
        password_hash=_hasher.hash(password) if password is not None else None,
        roles=[StaffRole(role=role) for role in sorted(roles)],
        memberships=[DepartmentMembership(department_id=d.id) for d in departments],
    )
    session.add(member)
    await session.flush()
    record(session, ("system", None), "staff.created", "staff_member", member.id, at,
           roles=sorted(roles), department_ids=[d.id for d in departments])
    return member


async def create_token(
    session: AsyncSession, login: str, *, label: str, at: dt.datetime, expires_at: dt.datetime | None = None,
    actor: tuple[str, int | None] = ("system", None),
) -> str:
    """A new staff API token for `login` (read and act); the plain token is returned once and never stored."""
    member = await session.scalar(select(StaffMember).where(StaffMember.login == login))
    if member is None or not member.active:
        raise NotFound(f"No active staff member has the login {login!r}.")
    _token_id, token = await tokens.issue(session, member.id, label=label, expires_at=expires_at,
                                          scope=TokenScope.WRITE, actor=actor, at=at)
    return token


async def identify(session: AsyncSession, token: str, now: dt.datetime) -> StaffIdentity | None:
    """The staff member a token belongs to, or None when it is unknown, expired or revoked."""
    row = await session.execute(
        load_staff().add_columns(StaffToken.scope).join(StaffToken, StaffToken.staff_member_id == StaffMember.id)
        .where(
            StaffToken.token_hash == token_hash(token),
            StaffToken.revoked_at.is_(None),
            (StaffToken.expires_at.is_(None)) | (StaffToken.expires_at > now),
            StaffMember.active.is_(True),
        )
    )
    found = row.first()
    if found is None:
        return None
    member, scope = found
    return dataclasses.replace(identity_of(member), read_only=scope == TokenScope.READ)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in. A failure is returned, not raised, so its count and audit commit."""

    member: StaffMember | None = None
    failure: ApiError | None = None


async def check_password(
    session: AsyncSession, login: str, password: str, *, now: dt.datetime, max_failures: int, lock_minutes: int,
) -> SignIn:
    """Who signs in with this login and password; too many wrong passwords lock the account for a while."""
    member = (await session.execute(load_staff().where(StaffMember.login == login))).scalars().first()
    if member is None or not member.active or member.password_hash is None:
        _verify(_DUMMY_HASH, password)
        record(session, ("system", None), "staff.sign_in_failed", "staff_member", None, now, reason="unknown")
        return SignIn(failure=Unauthorized("Wrong login or password."))
    if member.locked_until is not None and member.locked_until > now:
        record(session, ("staff", member.id), "staff.sign_in_refused", "staff_member", member.id, now,
               reason="locked")
        return SignIn(failure=Locked("Too many wrong passwords: this account is locked for a while. "
                                     "Try again later."))
    if not _verify(member.password_hash, password):
        member.failed_logins += 1
        if member.failed_logins >= max_failures:
            member.locked_until = now + dt.timedelta(minutes=lock_minutes)
            member.failed_logins = 0
            record(session, ("staff", member.id), "staff.locked", "staff_member", member.id, now)
        record(session, ("staff", member.id), "staff.sign_in_failed", "staff_member", member.id, now,
               reason="password")
        return SignIn(failure=Unauthorized("Wrong login or password."))
    member.failed_logins = 0
    member.locked_until = None
    if _hasher.check_needs_rehash(member.password_hash):
        member.password_hash = _hasher.hash(password)
    record(session, ("staff", member.id), "staff.signed_in", "staff_member", member.id, now)
    return SignIn(member=member)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def kiosk_directory(session: AsyncSession, department_ids: set[int]) -> list[StaffDirectoryEntry]:
    """People visitors may ask for by name: listed, active members of the given departments."""
    members = (await session.execute(
        load_staff().where(StaffMember.listed_at_kiosk.is_(True), StaffMember.active.is_(True))
        .order_by(StaffMember.display_name)
    )).scalars().all()
    return [
        StaffDirectoryEntry(id=m.id, display_name=m.display_name, department_ids=sorted(m.department_ids))
        for m in members if m.department_ids & department_ids
    ]


async def department_member_ids(session: AsyncSession, department_id: int) -> list[int]:
    rows = await session.scalars(
        select(DepartmentMembership.staff_member_id)
        .join(StaffMember, StaffMember.id == DepartmentMembership.staff_member_id)
        .where(DepartmentMembership.department_id == department_id, StaffMember.active.is_(True))
    )
    return list(rows)


async def active_member(session: AsyncSession, staff_id: int) -> StaffIdentity | None:
    member = (await session.execute(load_staff().where(StaffMember.id == staff_id))).scalars().first()
    return identity_of(member) if member is not None and member.active else None
