"""Administering staff accounts: roles, departments, activity and passwords, always leaving an active admin."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.models import AuditEvent
from backend.audit.service import record
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.staff.models import DepartmentMembership, StaffMember, StaffRole, StaffSession, StaffToken
from backend.staff.service import MIN_PASSWORD_LENGTH, _hasher, create_staff, load_staff
from shared.api import FieldProblem
from shared.enums import Role
from shared.i18n import N_

# Messages are msgids, so the panel can show them in the reader's language.
MESSAGES = {
    "login_invalid": N_("Use letters, digits, '.', '-' or '_' for the login (at most 100)."),
    "login_taken": N_("Another staff member already has this login."),
    "display_name_required": N_("Give the name to show."),
    "roles_required": N_("Give at least one role."),
    "department_unknown": N_("Choose departments from the list."),
    "department_required": N_("Department staff need at least one department."),
    "password_too_short": N_("The password must have at least 10 characters."),
    "email_invalid": N_("This email address does not look right."),
    "last_admin": N_("You are the last active administrator: another administrator must exist first."),
}
assert MIN_PASSWORD_LENGTH == 10, "update the password_too_short message"


def _problem(field: str, code: str) -> FieldProblem:
    return FieldProblem(field=field, code=code, detail=MESSAGES[code])


async def list_staff(session: AsyncSession) -> list[StaffMember]:
    """Every staff member with roles and departments, active ones first, by name."""
    return list((await session.execute(
        load_staff().order_by(StaffMember.active.desc(), StaffMember.display_name, StaffMember.login)
    )).scalars().all())


async def member(session: AsyncSession, staff_id: int) -> StaffMember:
    found = (await session.execute(load_staff().where(StaffMember.id == staff_id))).scalars().first()
    if found is None:
        raise NotFound("There is no such staff member.")
    return found


async def _check_departments(session: AsyncSession, department_ids: set[int], roles: set[Role],
                             problems: list[FieldProblem]) -> list:
    departments = []
    for department_id in sorted(department_ids):
        department = await organisation.department(session, department_id)
        if department is None or not department.active:
            problems.append(_problem("departments", "department_unknown"))
            return []
        departments.append(department)
    if Role.DEPARTMENT_STAFF in roles and not department_ids:
        problems.append(_problem("departments", "department_required"))
    return departments


def _check_profile(display_name: str, roles: set[Role], problems: list[FieldProblem]) -> None:
    if not display_name.strip() or len(display_name) > 200:
        problems.append(_problem("display_name", "display_name_required"))
    if not roles:
        problems.append(_problem("roles", "roles_required"))


async def create(
    session: AsyncSession, actor: StaffIdentity, *, login: str, display_name: str, email: str | None,
    roles: set[Role], department_ids: set[int], password: str | None, listed_at_kiosk: bool, at: dt.datetime,
) -> StaffMember:
    """A new staff member, made by an administrator (the checks and the audit of create_staff, then ours)."""
    problems: list[FieldProblem] = []
    _check_profile(display_name, roles, problems)
    departments = await _check_departments(session, department_ids, roles, problems)
    if email is not None and (len(email) > 254 or "@" not in email.strip("@") or " " in email):
        problems.append(_problem("email", "email_invalid"))
    if login and await session.scalar(select(StaffMember.id).where(StaffMember.login == login)) is not None:
        problems.append(_problem("login", "login_taken"))
    try:
        created = await create_staff(
            session, login=login, display_name=display_name.strip(), roles=roles,
            department_names=[d.name_fr for d in departments], password=password, email=email,
            listed_at_kiosk=listed_at_kiosk, at=at)
    except InvalidInput as error:
        # create_staff's own checks (login, password), worded as msgids; the ones made above are not repeated.
        codes = {p.code for p in problems}
        problems += [_problem(p.field, p.code) for p in error.errors if p.code in MESSAGES and p.code not in codes]
    except Conflict:
        pass  # the login is taken: already a problem above
    if problems:
        # Raising rolls the transaction back, so whatever create_staff added is not stored.
        raise InvalidInput("The staff member cannot be created.", problems)
    # create_staff audits as the system; this administrator is who did it.
    for pending in session.new:
        if isinstance(pending, AuditEvent) and pending.action == "staff.created" \
                and pending.object_id == str(created.id):
            pending.actor_type, pending.actor_id = actor.audit_actor
            pending.details = {**pending.details, "listed_at_kiosk": listed_at_kiosk}
    return created


async def _other_active_admins(session: AsyncSession, staff_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(StaffMember).join(StaffRole, StaffRole.staff_member_id == StaffMember.id)
        .where(StaffRole.role == Role.ADMIN, StaffMember.active.is_(True), StaffMember.id != staff_id))


async def update(
    session: AsyncSession, actor: StaffIdentity, staff_id: int, *, display_name: str, roles: set[Role],
    department_ids: set[int], listed_at_kiosk: bool, at: dt.datetime,
) -> StaffMember:
    """Change a member's name, roles, departments and kiosk listing; never leaves the site without an admin."""
    target = await member(session, staff_id)
    problems: list[FieldProblem] = []
    _check_profile(display_name, roles, problems)
    await _check_departments(session, department_ids, roles, problems)
    if Role.ADMIN in target.role_set and Role.ADMIN not in roles and target.active \
            and not await _other_active_admins(session, target.id):
        problems.append(_problem("roles", "last_admin"))
    if problems:
        raise InvalidInput("The staff member cannot be changed.", problems)
    changed: dict[str, object] = {}
    if display_name.strip() != target.display_name:
        target.display_name = display_name.strip()
        changed["display_name"] = True  # a name is personal data: the audit says it changed, not to what
    if roles != set(target.role_set):
        changed["roles"] = {"from": sorted(target.role_set), "to": sorted(roles)}
        kept = [r for r in target.roles if Role(r.role) in roles]
        target.roles = kept + [StaffRole(role=role) for role in sorted(roles - set(target.role_set))]
    if department_ids != set(target.department_ids):
        changed["department_ids"] = {"from": sorted(target.department_ids), "to": sorted(department_ids)}
        kept_memberships = [m for m in target.memberships if m.department_id in department_ids]
        target.memberships = kept_memberships + [DepartmentMembership(department_id=d)
                                                 for d in sorted(department_ids - set(target.department_ids))]
    if listed_at_kiosk != target.listed_at_kiosk:
        target.listed_at_kiosk = listed_at_kiosk
        changed["listed_at_kiosk"] = listed_at_kiosk
    if changed:
        await session.flush()
        record(session, actor.audit_actor, "staff.updated", "staff_member", target.id, at, **changed)
    return target


async def set_active(session: AsyncSession, actor: StaffIdentity, staff_id: int, active: bool,
                     at: dt.datetime) -> StaffMember:
    """Deactivate (their sessions end and their API tokens are revoked) or reactivate a member."""
    target = await member(session, staff_id)
    if target.active == active:
        return target
    if not active and Role.ADMIN in target.role_set and not await _other_active_admins(session, target.id):
        raise InvalidInput("The staff member cannot be deactivated.", [_problem("active", "last_admin")])
    target.active = active
    details: dict[str, object] = {}
    if not active:
        # Inactive members are refused anyway; removing what they held means reactivating revives nothing.
        ended = await session.execute(delete(StaffSession).where(StaffSession.staff_member_id == target.id))
        revoked = await session.execute(
            sql_update(StaffToken).where(StaffToken.staff_member_id == target.id, StaffToken.revoked_at.is_(None))
            .values(revoked_at=at))
        details = {"sessions_ended": ended.rowcount, "tokens_revoked": revoked.rowcount}
    record(session, actor.audit_actor, "staff.activated" if active else "staff.deactivated", "staff_member",
           target.id, at, **details)
    return target


async def set_password(session: AsyncSession, actor: StaffIdentity, staff_id: int, password: str,
                       at: dt.datetime) -> StaffMember:
    """A new password chosen by an administrator; unlocks the account and ends the member's other sessions."""
    target = await member(session, staff_id)
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 1000:
        raise InvalidInput("The password cannot be set.", [_problem("password", "password_too_short")])
    target.password_hash = _hasher.hash(password)
    target.failed_logins = 0
    target.locked_until = None
    ended = 0
    if target.id != actor.staff_id:
        ended = (await session.execute(
            delete(StaffSession).where(StaffSession.staff_member_id == target.id))).rowcount
    record(session, actor.audit_actor, "staff.password_set", "staff_member", target.id, at, sessions_ended=ended)
    return target
