"""Deliveries: recording a notification to send, claiming those that are due, and recording how a try went.

Every function takes the caller's session; none commits. Time is always given (the app's injectable clock).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from yarl import URL

from backend.core.errors import InvalidInput
from backend.core.mail import valid_address
from backend.notifications.channels import Job, Outcome
from backend.notifications.models import Delivery
from backend.notifications.schemas import DeliveryOut
from shared.api import FieldProblem
from shared.enums import DeliveryChannel, DeliveryStatus

log = logging.getLogger(__name__)

OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
# How long a claimed delivery is left alone, per send queued before it to the same target, before another
# dispatcher may take it again: far longer than a send may last (webhooks 10 s; SMTP a few 20 s steps), so only
# a dispatcher that died mid-send lets it be taken again.
IN_FLIGHT_LEASE = dt.timedelta(minutes=2)
CLAIM_LIMIT = 100
MAX_RETRY_AFTER = 3600.0  # a target asking to wait longer than this is asked again after an hour anyway
SUBJECT_MAX, ABOUT_MAX, ERROR_MAX = 300, 100, 300


def valid_target(channel: DeliveryChannel, target: str) -> str:
    """The target in normal form; 422 when it is no email address, or no http(s) URL for a webhook."""
    if channel == DeliveryChannel.EMAIL:
        return valid_address(target, "target")
    try:
        url = URL(target.strip())
    except ValueError:
        url = None
    if url is None or url.scheme not in ("https", "http") or not url.host or len(str(url)) > 2000:
        raise InvalidInput("This webhook address is not valid.", [FieldProblem(
            field="target", code="url_invalid", detail="Expected the https:// address of an incoming webhook.")])
    return str(url)


async def enqueue(session: AsyncSession, channel: DeliveryChannel, target: str, subject: str, body: str,
                  payload: dict[str, Any] | None, about: str, recipient_staff_id: int | None,
                  at: dt.datetime) -> Delivery:
    """Record a notification to send, in the caller's transaction: it is sent only if that commits (so it goes
    out with the change that caused it), and it survives a restart. Due at once."""
    channel = DeliveryChannel(channel)
    if len(about) > ABOUT_MAX:
        raise ValueError(f"`about` is at most {ABOUT_MAX} characters: {about[:20]}…")
    delivery = Delivery(
        channel=channel, target=valid_target(channel, target),
        subject=subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 1] + "…",
        body=body, payload=payload or {}, about=about, recipient_staff_id=recipient_staff_id,
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at, last_error="", created_at=at)
    session.add(delivery)
    await session.flush()
    return delivery


async def any_due(session: AsyncSession, now: dt.datetime) -> bool:
    """Whether some delivery is due: a read, so an idle poll never takes SQLite's write lock."""
    return await session.scalar(select(Delivery.id).where(
        Delivery.status.in_(OPEN_STATUSES), Delivery.next_attempt_at <= now).limit(1)) is not None


async def claim_due(session: AsyncSession, now: dt.datetime, *, limit: int = CLAIM_LIMIT,
                    lease: dt.timedelta = IN_FLIGHT_LEASE) -> list[Job]:
    """Take the deliveries due at `now` for sending: each counts one more attempt and is not due again until its
    lease runs out. Run in a transaction of its own, committed before sending, so the claim holds across
    processes: on PostgreSQL, rows another dispatcher is claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite
    has one writer at a time and ignores the clause."""
    rows = (await session.scalars(
        select(Delivery)
        .where(Delivery.status.in_(OPEN_STATUSES), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True))).all()
    queued: Counter[tuple[str, str]] = Counter()
    jobs = []
    for row in rows:
        # Sends to one target go one after another: a row's lease covers the sends queued before it.
        queued[(row.channel, row.target)] += 1
        row.attempts += 1
        row.next_attempt_at = now + lease * queued[(row.channel, row.target)]
        jobs.append(Job(id=row.id, channel=row.channel, target=row.target, subject=row.subject, body=row.body,
                        payload=dict(row.payload or {}), attempt=row.attempts))
    await session.flush()
    return jobs


def next_wait(attempt: int, outcome: Outcome, delays: Sequence[float]) -> float | None:
    """Seconds until the next try after failed attempt number `attempt`, or None: no more tries."""
    if not outcome.retry or attempt > len(delays):
        return None
    wait = float(delays[attempt - 1])
    if outcome.retry_after is not None:
        wait = max(wait, min(outcome.retry_after, MAX_RETRY_AFTER))
    return wait


async def record_outcome(session: AsyncSession, job: Job, outcome: Outcome, now: dt.datetime,
                         delays: Sequence[float]) -> Delivery | None:
    """Record how attempt `job.attempt` went, under the row's lock; returns the delivery if its record changed.

    Once delivered, a delivery never changes again (so it is never sent twice by this engine). A failure counts
    only if no later attempt has claimed the delivery since (a dispatcher that outlived its lease)."""
    row = await session.scalar(select(Delivery).where(Delivery.id == job.id).with_for_update())
    if row is None or row.status == DeliveryStatus.DELIVERED:
        return None
    if outcome.delivered:
        row.status, row.delivered_at, row.next_attempt_at, row.last_error = DeliveryStatus.DELIVERED, now, None, ""
        return row
    if row.attempts != job.attempt or row.status not in OPEN_STATUSES:
        log.warning("delivery %d: attempt %d reported after attempt %d began; ignored", row.id, job.attempt,
                    row.attempts)
        return None
    row.last_error = outcome.error[:ERROR_MAX]
    wait = next_wait(job.attempt, outcome, delays)
    if wait is None:
        row.status, row.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        row.status, row.next_attempt_at = DeliveryStatus.RETRYING, now + dt.timedelta(seconds=wait)
    return row


async def list_deliveries(session: AsyncSession, *, statuses: Sequence[DeliveryStatus] = (), about: str = "",
                          limit: int = 100) -> list[Delivery]:
    """The newest first, optionally only of these statuses and about this object."""
    query = select(Delivery).order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
    if statuses:
        query = query.where(Delivery.status.in_(list(statuses)))
    if about:
        query = query.where(Delivery.about == about)
    return list((await session.scalars(query)).all())


def shown_target(channel: DeliveryChannel, target: str) -> str:
    """What staff may see of a target: a webhook's URL carries its secret, so only its scheme and host."""
    if channel == DeliveryChannel.EMAIL:
        return target
    url = URL(target)
    return f"{url.scheme}://{url.host}/…"


def delivery_out(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id, channel=row.channel, target=shown_target(row.channel, row.target), subject=row.subject,
        about=row.about, recipient_staff_id=row.recipient_staff_id, status=row.status, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, last_error=row.last_error, created_at=row.created_at,
        delivered_at=row.delivered_at)
