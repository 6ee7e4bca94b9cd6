"""Routing: who is told about a visit, in what words, and the record of telling them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.events import Audience
from backend.organisation.models import Department, Site
from backend.routing import escalation
from backend.routing.escalation import Alert, Told
from backend.routing.models import Notification
from backend.visits.models import Visit
from shared.enums import Role
from shared.i18n import N_, translate

# Receptionists run the whole lobby; admins see everything.
LOBBY_WATCHERS = frozenset({Role.RECEPTIONIST, Role.ADMIN})


async def site_language(session: AsyncSession) -> str:
    """Messages to staff are written in the site's language (French unless the site says English)."""
    locale = await session.scalar(select(Site.locale).limit(1))
    return "en" if (locale or "").startswith("en") else "fr"


def first_name_and_initial(name: str) -> str:
    """What a chat channel or an email is told of a visitor or caller: enough for staff, little to a passer-by."""
    words = name.split()
    return "" if not words else words[0] if len(words) == 1 else f"{words[0]} {words[-1][0]}."


async def route_check_in(session: AsyncSession, visit: Visit, at: dt.datetime, base_url: str) -> Told | None:
    """Tell whoever answers for the visit now (the host, the on-duty member, the fallback department) and start
    its escalation; returns who was told, to publish after commit."""
    language = await site_language(session)
    department = await session.get(Department, visit.department_id)
    department_name = (department.name_en if language == "en" else department.name_fr) if department else ""
    visitor = first_name_and_initial(visit.visitor_name)
    alert = Alert(
        kind="visit.checked_in", about=f"visit:{visit.id}", visit_id=visit.id,
        subject=translate(language, N_("Visitor for {department}: {visitor}")).format(
            department=department_name, visitor=visitor),
        body=translate(language, N_("{visitor} is waiting at the front desk for {department}.")).format(
            visitor=visitor, department=department_name),
        payload={"link": {"url": f"{base_url}/panel/", "label": translate(language, N_("Open the lobby"))}})
    return await escalation.start(session, alert, visit.department_id, visit.host_id, at)


async def visit_audience(session: AsyncSession, visit: Visit) -> Audience:
    """Who hears about a visit's changes: those notified of it, the lobby watchers, and its kiosk."""
    recipients = await session.scalars(select(Notification.recipient_id).where(Notification.visit_id == visit.id))
    return Audience(
        staff_ids=frozenset(recipients),
        roles=LOBBY_WATCHERS,
        kiosk_ids=frozenset({visit.kiosk_id}) if visit.kiosk_id is not None else frozenset(),
    )


async def acknowledge(session: AsyncSession, *, by_staff_id: int | None, at: dt.datetime,
                      visit_id: int | None = None, call_id: int | None = None) -> None:
    """Someone answered: every open notification of the visit (or call) is acknowledged, its escalation stops."""
    about = Notification.visit_id == visit_id if visit_id is not None else Notification.call_id == call_id
    await session.execute(
        update(Notification).where(about, Notification.acknowledged_at.is_(None))
        .values(acknowledged_at=at, acknowledged_by_id=by_staff_id))
    await escalation.acknowledge(session, f"visit:{visit_id}" if visit_id is not None else f"call:{call_id}",
                                 by_staff_id, at)


async def mark_delivered(session: AsyncSession, staff_ids: frozenset[int], at: dt.datetime, *,
                         visit_id: int | None = None, call_id: int | None = None) -> None:
    """The panel channel reached these staff members' live connections."""
    about = Notification.visit_id == visit_id if visit_id is not None else Notification.call_id == call_id
    await session.execute(
        update(Notification)
        .where(about, Notification.recipient_id.in_(staff_ids), Notification.channel == "panel",
               Notification.delivered_at.is_(None))
        .values(delivered_at=at))
