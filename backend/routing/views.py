"""The routing rules as the administration pages show them: each department's state now (open, who is on duty,
who answers), a department's details for editing, and where each person is told."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import NotFound
from backend.notifications.service import shown_target
from backend.organisation.models import Department
from backend.routing import rules
from backend.routing.admin import member_ids, opening_hours, rota
from backend.routing.models import DutySlot, OpeningHours
from backend.staff.models import StaffMember
from shared.enums import DeliveryChannel

@dataclass(frozen=True)
class ChannelView:
    id: int
    channel: DeliveryChannel
    shown: str  # a webhook's URL only as scheme and host: the rest is the chat tool's secret


@dataclass(frozen=True)
class MemberChannels:
    staff_id: int
    display_name: str
    login: str
    email: str
    channels: list[ChannelView]


@dataclass(frozen=True)
class DepartmentRouting:
    department: Department
    open_now: bool
    always_open: bool  # no opening hours
    on_duty: list[str]  # names, in the order they are told
    by_rota: bool  # one by one along the rota, else together
    answering: Department | None  # who answers now: itself, a fallback, or None (reception)
    fallback: Department | None
    hours: list[OpeningHours]


@dataclass(frozen=True)
class DepartmentDetail:
    routing: DepartmentRouting
    slots: list[DutySlot]
    members: list[tuple[int, str]]  # active members (id, name), by name
    names: dict[int, str]  # every staff member on the rota or in the department, by id
    others: list[Department]  # the departments it may fall back to


async def _names(session: AsyncSession, staff_ids: set[int]) -> dict[int, str]:
    if not staff_ids:
        return {}
    rows = await session.execute(select(StaffMember.id, StaffMember.display_name)
                                 .where(StaffMember.id.in_(staff_ids)))
    return dict(rows.tuples().all())


async def _routing(session: AsyncSession, department: Department, at: dt.datetime) -> DepartmentRouting:
    hours = await opening_hours(session, department.id)
    open_now = department.active and await rules.is_open(session, department, at)
    answering = await rules.answering_department(session, department.id, at)
    duty_ids, by_rota = await rules.on_duty(session, department, at)
    names = await _names(session, set(duty_ids))
    fallback = await session.get(Department, department.fallback_department_id) \
        if department.fallback_department_id is not None else None
    return DepartmentRouting(department=department, open_now=open_now, always_open=not hours,
                             on_duty=[names[i] for i in duty_ids if i in names], by_rota=by_rota,
                             answering=answering, fallback=fallback, hours=hours)


async def routing_summary(session: AsyncSession, site_id: int, at: dt.datetime) -> list[DepartmentRouting]:
    """Each department of the site (active ones first, by French name) as it routes at `at`."""
    departments = await session.scalars(select(Department).where(Department.site_id == site_id)
                                        .order_by(Department.active.desc(), Department.name_fr))
    return [await _routing(session, department, at) for department in departments.all()]


async def department_detail(session: AsyncSession, department_id: int, at: dt.datetime) -> DepartmentDetail:
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFound("There is no such department.")
    slots = await rota(session, department.id)
    members = await member_ids(session, department.id)
    names = await _names(session, members | {slot.staff_member_id for slot in slots})
    others = await session.scalars(select(Department).where(Department.site_id == department.site_id,
                                                            Department.id != department.id)
                                   .order_by(Department.active.desc(), Department.name_fr))
    return DepartmentDetail(routing=await _routing(session, department, at), slots=slots,
                            members=sorted(((i, names[i]) for i in members), key=lambda m: (m[1].casefold(), m[0])),
                            names=names, others=list(others.all()))


async def member_channels(session: AsyncSession) -> list[MemberChannels]:
    """Every active staff member, by name, with where they are told besides the panel."""
    members = (await session.scalars(select(StaffMember).where(StaffMember.active.is_(True))
                                     .order_by(StaffMember.display_name, StaffMember.login))).all()
    channels = await rules.channels_of(session, [m.id for m in members])
    return [MemberChannels(staff_id=m.id, display_name=m.display_name, login=m.login, email=m.email or "",
                           channels=[ChannelView(id=c.id, channel=DeliveryChannel(c.channel),
                                                 shown=shown_target(DeliveryChannel(c.channel), c.target))
                                     for c in channels.get(m.id, [])])
            for m in members]
