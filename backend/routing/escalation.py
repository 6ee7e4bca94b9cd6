"""Escalation: tell the first person who answers for a department, and if nobody acknowledges within the
department's delay, the next on duty, then reception, then the department's email. Each step is taken in one
transaction with the notifications and deliveries it makes, under the escalation's row lock: after a restart, or
with several backends, every step is taken once.

Every function takes the caller's session; none commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.notifications import service as deliveries
from backend.organisation.models import Department
from backend.routing import rules
from backend.routing.models import Escalation, Notification
from backend.staff import service as staff
from shared.enums import DeliveryChannel, EscalationState

CLAIM_LIMIT = 100
DEFAULT_DELAY = 120  # seconds, for what no department times (a call for nobody in particular)


@dataclass(frozen=True)
class Alert:
    """What is to be told, and about what: the visit or call it concerns, in words for people and chat cards."""

    kind: str  # "visit.checked_in", "call.message", "call.transferred"…
    about: str  # "visit:12", "call:3"
    subject: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)  # chat card fields and link (see notifications)
    visit_id: int | None = None
    call_id: int | None = None


@dataclass(frozen=True)
class Told:
    """A step taken, to publish once committed: who was told on the panel."""

    kind: str
    about: str
    visit_id: int | None
    call_id: int | None
    staff_ids: frozenset[int]
    step: int


async def chain_for(session: AsyncSession, department_id: int | None, host_id: int | None,
                    at: dt.datetime) -> tuple[list[dict[str, Any]], Department | None]:
    """The steps, in order, and the department that answers: the person asked for (while their department is
    open), those on duty (one by one along a rota, else together), reception, and last the department's email
    (or its members' addresses)."""
    asked = await session.get(Department, department_id) if department_id is not None else None
    answering = await rules.answering_department(session, department_id, at)
    steps: list[dict[str, Any]] = []
    if host_id is not None and answering is not None and answering.id == department_id \
            and await staff.active_member(session, host_id) is not None:
        steps.append({"to": "staff", "ids": [host_id]})
    if answering is not None:
        duty, by_rota = await rules.on_duty(session, answering, at)
        duty = [staff_id for staff_id in duty if staff_id != host_id]
        if by_rota:
            steps.extend({"to": "staff", "ids": [staff_id]} for staff_id in duty)
        elif duty:
            steps.append({"to": "staff", "ids": duty})
    told = {staff_id for step in steps for staff_id in step["ids"]}
    reception = [staff_id for staff_id in await rules.receptionists(session) if staff_id not in told]
    if reception:
        steps.append({"to": "reception", "ids": reception})
    last = answering or asked
    if last is not None:
        addresses = [last.email] if last.email else await rules.emails_of(
            session, await staff.department_member_ids(session, last.id))
        if addresses:
            steps.append({"to": "email", "addresses": addresses})
    return steps, answering


async def start(session: AsyncSession, alert: Alert, department_id: int | None, host_id: int | None,
                at: dt.datetime, *, escalate: bool = True) -> Told | None:
    """Tell the first step now; with `escalate`, the next ones follow until somebody acknowledges. Starting again
    for the same object (a call that became a voicemail) begins a new chain."""
    steps, answering = await chain_for(session, department_id, host_id, at)
    if not escalate:
        steps = steps[:1]
    timed_by = answering or (await session.get(Department, department_id) if department_id is not None else None)
    row = await session.scalar(select(Escalation).where(Escalation.about == alert.about).with_for_update())
    if row is None:
        row = Escalation(about=alert.about, created_at=at)
        session.add(row)
    row.kind, row.visit_id, row.call_id = alert.kind, alert.visit_id, alert.call_id
    row.department_id = answering.id if answering is not None else department_id
    row.chain, row.step = steps, 0
    row.delay_seconds = timed_by.escalate_after_seconds if timed_by is not None else DEFAULT_DELAY
    row.subject, row.body, row.payload = alert.subject, alert.body, dict(alert.payload)
    row.state, row.next_at, row.acknowledged_at, row.acknowledged_by_id = EscalationState.OPEN, None, None, None
    await session.flush()
    if not steps:
        row.state = EscalationState.EXHAUSTED
        return None
    return await _take_step(session, row, at)


async def acknowledge(session: AsyncSession, about: str, by_staff_id: int | None, at: dt.datetime) -> bool:
    """Somebody has it: no further step. Returns whether an escalation was waiting."""
    row = await session.scalar(select(Escalation).where(Escalation.about == about).with_for_update())
    if row is None or row.state == EscalationState.ACKNOWLEDGED:
        return False
    row.state, row.next_at, row.acknowledged_at, row.acknowledged_by_id = (
        EscalationState.ACKNOWLEDGED, None, at, by_staff_id)
    return True


async def any_due(session: AsyncSession, now: dt.datetime) -> bool:
    """A read, so an idle poll never takes SQLite's write lock."""
    return await session.scalar(select(Escalation.id).where(
        Escalation.state == EscalationState.OPEN, Escalation.next_at <= now).limit(1)) is not None


async def advance_due(session: AsyncSession, now: dt.datetime) -> list[Told]:
    """Take the next step of every escalation whose delay has run out. Rows another backend is advancing are
    skipped (PostgreSQL); SQLite has one writer at a time."""
    rows = (await session.scalars(
        select(Escalation).where(Escalation.state == EscalationState.OPEN, Escalation.next_at <= now)
        .order_by(Escalation.next_at, Escalation.id).limit(CLAIM_LIMIT).with_for_update(skip_locked=True))).all()
    told = []
    for row in rows:
        row.step += 1
        if row.step >= len(row.chain):
            row.state, row.next_at = EscalationState.EXHAUSTED, None
            continue
        told.append(await _take_step(session, row, now))
    await session.flush()
    return told


async def _take_step(session: AsyncSession, row: Escalation, at: dt.datetime) -> Told:
    step = row.chain[row.step]
    staff_ids: list[int] = []
    if step["to"] == "email":
        for address in step["addresses"]:
            await deliveries.enqueue(session, DeliveryChannel.EMAIL, address, row.subject, row.body, row.payload,
                                     row.about, None, at)
    else:
        staff_ids = list(step["ids"])
        channels = await rules.channels_of(session, staff_ids)
        for staff_id in staff_ids:
            session.add(Notification(kind=row.kind, visit_id=row.visit_id, call_id=row.call_id,
                                     recipient_id=staff_id, channel="panel", created_at=at))
            for channel in channels.get(staff_id, []):
                await deliveries.enqueue(session, channel.channel, channel.target, row.subject, row.body,
                                         row.payload, row.about, staff_id, at)
    last = row.step + 1 >= len(row.chain)
    row.state = EscalationState.EXHAUSTED if last else EscalationState.OPEN
    row.next_at = None if last else at + dt.timedelta(seconds=row.delay_seconds)
    await session.flush()
    return Told(kind=row.kind, about=row.about, visit_id=row.visit_id, call_id=row.call_id,
                staff_ids=frozenset(staff_ids), step=row.step)
