"""Routing: who is told about a visit, and the record of telling them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.events import Audience
from backend.routing.models import Notification
from backend.staff import service as staff
from backend.visits.models import Visit
from shared.enums import Role

# Receptionists run the whole lobby; admins see everything.
LOBBY_WATCHERS = frozenset({Role.RECEPTIONIST, Role.ADMIN})


async def route_check_in(session: AsyncSession, visit: Visit, now: dt.datetime) -> list[int]:
    """Notify the chosen host, or else every member of the visit's department; returns their ids."""
    recipients = [visit.host_id] if visit.host_id is not None else await staff.department_member_ids(
        session, visit.department_id)
    for recipient_id in recipients:
        session.add(Notification(kind="visit.checked_in", visit_id=visit.id, recipient_id=recipient_id,
                                 channel="panel", created_at=now))
    await session.flush()
    return recipients


async def visit_audience(session: AsyncSession, visit: Visit) -> Audience:
    """Who hears about a visit's changes: those notified of it, the lobby watchers, and its kiosk."""
    recipients = await session.scalars(select(Notification.recipient_id).where(Notification.visit_id == visit.id))
    return Audience(
        staff_ids=frozenset(recipients),
        roles=LOBBY_WATCHERS,
        kiosk_ids=frozenset({visit.kiosk_id}) if visit.kiosk_id is not None else frozenset(),
    )


async def acknowledge(session: AsyncSession, visit_id: int, by_staff_id: int | None, now: dt.datetime) -> None:
    """Someone answered: every open notification of the visit is acknowledged."""
    await session.execute(
        update(Notification)
        .where(Notification.visit_id == visit_id, Notification.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=by_staff_id)
    )


async def mark_delivered(session: AsyncSession, visit_id: int, staff_ids: frozenset[int], now: dt.datetime) -> None:
    """The panel channel reached these staff members' live connections."""
    await session.execute(
        update(Notification)
        .where(Notification.visit_id == visit_id, Notification.recipient_id.in_(staff_ids),
               Notification.channel == "panel", Notification.delivered_at.is_(None))
        .values(delivered_at=now)
    )
