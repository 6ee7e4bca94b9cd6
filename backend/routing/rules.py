"""Routing rules: whether a department is open, who is on duty in it, who takes over while it is closed, and
where each person is told. Weekly spans are read in the site's time zone."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.organisation.models import Department, Site
from backend.routing.models import ContactChannel, DutySlot, OpeningHours
from backend.staff import service as staff
from backend.staff.models import DepartmentMembership, StaffMember, StaffRole
from shared.enums import Role

MAX_FALLBACKS = 5  # a chain of fallbacks longer than this (or a loop) ends at reception


def in_span(local: dt.datetime, weekday: int, start: dt.time, end: dt.time) -> bool:
    """Whether local time `local` falls in the weekly span starting on `weekday` at `start` and ending at `end`
    (the next day when `end` is not after `start`)."""
    moment = local.time().replace(tzinfo=None)
    if start < end:
        return local.weekday() == weekday and start <= moment < end
    return (local.weekday() == weekday and moment >= start) or \
        (local.weekday() == (weekday + 1) % 7 and moment < end)


async def local_time(session: AsyncSession, department: Department, at: dt.datetime) -> dt.datetime:
    site = await session.get(Site, department.site_id)
    return at.astimezone(ZoneInfo(site.time_zone if site is not None else "UTC"))


async def is_open(session: AsyncSession, department: Department, at: dt.datetime) -> bool:
    hours = (await session.scalars(select(OpeningHours).where(OpeningHours.department_id == department.id))).all()
    if not hours:
        return True
    local = await local_time(session, department, at)
    return any(in_span(local, h.weekday, h.opens, h.closes) for h in hours)


async def answering_department(session: AsyncSession, department_id: int | None,
                               at: dt.datetime) -> Department | None:
    """The department that answers for `department_id` now: itself while open, else its fallback (and so on);
    None when none of them is open (reception then answers)."""
    seen: set[int] = set()
    while department_id is not None and department_id not in seen and len(seen) <= MAX_FALLBACKS:
        seen.add(department_id)
        department = await session.get(Department, department_id)
        if department is None:
            return None
        if department.active and await is_open(session, department, at):
            return department
        department_id = department.fallback_department_id
    return None


async def on_duty(session: AsyncSession, department: Department, at: dt.datetime) -> tuple[list[int], bool]:
    """Who answers for the department now, in order, and whether a rota says so. Without a rota, or with nobody
    on it at this hour, every active member answers, together."""
    slots = (await session.scalars(
        select(DutySlot).join(StaffMember, StaffMember.id == DutySlot.staff_member_id)
        # Someone who has left the department since the rota was made is no longer on it.
        .join(DepartmentMembership, (DepartmentMembership.staff_member_id == DutySlot.staff_member_id)
              & (DepartmentMembership.department_id == DutySlot.department_id))
        .where(DutySlot.department_id == department.id, StaffMember.active.is_(True))
        .order_by(DutySlot.rank, DutySlot.id))).all()
    if slots:
        local = await local_time(session, department, at)
        ranked = [slot.staff_member_id for slot in slots if in_span(local, slot.weekday, slot.starts, slot.ends)]
        if ranked:
            return list(dict.fromkeys(ranked)), True
    return await staff.department_member_ids(session, department.id), False


async def receptionists(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(StaffMember.id).join(StaffRole, StaffRole.staff_member_id == StaffMember.id)
        .where(StaffRole.role == Role.RECEPTIONIST, StaffMember.active.is_(True)).order_by(StaffMember.id))
    return list(rows)


async def emails_of(session: AsyncSession, staff_ids: list[int]) -> list[str]:
    rows = await session.scalars(select(StaffMember.email).where(
        StaffMember.id.in_(staff_ids), StaffMember.active.is_(True), StaffMember.email.is_not(None)))
    return sorted({address for address in rows if address})


async def channels_of(session: AsyncSession, staff_ids: list[int]) -> dict[int, list[ContactChannel]]:
    rows = await session.scalars(select(ContactChannel).where(ContactChannel.staff_member_id.in_(staff_ids))
                                 .order_by(ContactChannel.id))
    found: dict[int, list[ContactChannel]] = defaultdict(list)
    for row in rows:
        found[row.staff_member_id].append(row)
    return found
