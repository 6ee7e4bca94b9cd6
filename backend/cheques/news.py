"""Telling people about cheques: panel notifications and outgoing deliveries are written in the change's own
transaction; the live events that go with them are collected in `Tidings` and published only after the commit."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.appkeys import HUB
from backend.cheques.models import Cheque, Employee, PayrollRun
from backend.cheques.states import PAYROLL_KEEPERS
from backend.cheques.wording import READY_BODY, READY_SUBJECT, Words
from backend.core.events import Audience
from backend.notifications import service as deliveries
from backend.notifications.dispatcher import wake
from backend.organisation.models import Site
from backend.routing import rules
from backend.routing.models import Notification
from backend.staff.models import StaffMember
from shared.enums import DeliveryChannel

log = logging.getLogger(__name__)


@dataclass
class Tidings:
    """What a change has to tell once committed: live events, and whether deliveries were queued."""

    events: list[tuple[dict, Audience]] = field(default_factory=list)
    deliveries: bool = False
    told_staff: set[int] = field(default_factory=set)  # panel notifications written
    reminded: int = 0  # reminders sent (the reminders' rounds count them)

    def add(self, other: Tidings) -> Tidings:
        self.events.extend(other.events)
        self.deliveries = self.deliveries or other.deliveries
        self.told_staff |= other.told_staff
        self.reminded += other.reminded
        return self


def cheque_event(kind: str, cheque: Cheque, employee: Employee) -> tuple[dict, Audience]:
    """A cheque's news for the desk's panels and the employee's own, without its amount."""
    event = {"type": kind, "cheque": {"id": cheque.id, "run_id": cheque.run_id, "status": str(cheque.status),
                                      "number": cheque.number, "employee_id": employee.id}}
    own = frozenset({employee.staff_member_id}) if employee.staff_member_id is not None else frozenset()
    return event, Audience(staff_ids=own, roles=PAYROLL_KEEPERS)


def changed(cheque: Cheque, employee: Employee) -> Tidings:
    return Tidings(events=[cheque_event("cheque.updated", cheque, employee)])


async def site_language(session: AsyncSession, site_id: int) -> str:
    """Messages are written in the site's language (French unless the site says English)."""
    locale = await session.scalar(select(Site.locale).where(Site.id == site_id))
    return "en" if (locale or "").startswith("en") else "fr"


async def tell_staff(session: AsyncSession, staff_ids: list[int], kind: str, subject: str, body: str, about: str,
                     at: dt.datetime, *, email: bool, channels: bool, link: str = "") -> Tidings:
    """A panel notification for each of these staff members, and by email (their account's address) and/or
    their own contact channels (email, chat)."""
    tidings = Tidings()
    members = {row.id: row for row in await session.scalars(
        select(StaffMember).where(StaffMember.id.in_(staff_ids), StaffMember.active.is_(True)))}
    payload = {"link": {"url": link, "label": subject}} if link else {}
    their_channels = await rules.channels_of(session, list(members)) if channels else {}
    for staff_id, member in members.items():
        session.add(Notification(kind=kind, recipient_id=staff_id, channel="panel", created_at=at))
        tidings.told_staff.add(staff_id)
        sent_to: set[str] = set()
        if email and member.email:
            await deliveries.enqueue(session, DeliveryChannel.EMAIL, member.email, subject, body, payload, about,
                                     staff_id, at)
            sent_to.add(member.email.lower())
            tidings.deliveries = True
        for channel in their_channels.get(staff_id, []):
            if channel.target.lower() in sent_to:
                continue  # the same address twice would be the same email twice
            await deliveries.enqueue(session, channel.channel, channel.target, subject, body, payload, about,
                                     staff_id, at)
            tidings.deliveries = True
    return tidings


async def tell_employee(session: AsyncSession, employee: Employee, kind: str, subject: str, body: str,
                        about: str, at: dt.datetime) -> Tidings:
    """An employee learns by email (their own address) and, if they are a staff member, on their panel."""
    tidings = Tidings()
    if employee.email:
        await deliveries.enqueue(session, DeliveryChannel.EMAIL, employee.email, subject, body, {}, about,
                                 employee.staff_member_id, at)
        tidings.deliveries = True
    if employee.staff_member_id is not None:
        session.add(Notification(kind=kind, recipient_id=employee.staff_member_id, channel="panel", created_at=at))
        tidings.told_staff.add(employee.staff_member_id)
        tidings.events.append(({"type": kind, "subject": subject, "body": body},
                               Audience(staff_ids=frozenset({employee.staff_member_id}))))
    return tidings


async def tell_ready(session: AsyncSession, run: PayrollRun, cheques: list[Cheque], at: dt.datetime) -> Tidings:
    """Each employee learns their cheque waits at the desk; the reminders count from now."""
    tidings = Tidings()
    if not cheques:
        return tidings
    words = await Words.of_site(session, run.site_id)
    employees = {row.id: row for row in await session.scalars(
        select(Employee).where(Employee.id.in_({cheque.employee_id for cheque in cheques})))}
    for cheque in cheques:
        employee = employees[cheque.employee_id]
        values = words.cheque_values(cheque, employee, run)
        tidings.add(await tell_employee(session, employee, "cheque.ready", words.say(READY_SUBJECT),
                                        words.say(READY_BODY, **values), f"cheque:{cheque.id}", at))
        cheque.ready_told_at, cheque.reminded_on = at, None
        tidings.add(changed(cheque, employee))
    return tidings


def run_summary(run: PayrollRun) -> dict:
    return {"id": run.id, "pay_date": run.pay_date.isoformat(), "payroll_company": run.payroll_company,
            "state": str(run.state)}


async def publish(app: Mapping, tidings: Tidings) -> None:
    """After the commit: queued deliveries go out now, live events reach the panels."""
    if tidings.deliveries:
        wake(app)
    try:
        for event, audience in tidings.events:
            await app[HUB].broadcast(event, audience)
    except Exception:  # the record is made; a panel that missed the news catches up when it reloads
        log.exception("could not publish cheque news")
