"""Writing the audit trail, always inside the transaction of the change it records."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.models import AuditEvent


def record(
    session: AsyncSession,
    actor: tuple[str, int | None],
    action: str,
    object_type: str,
    object_id: object,
    at: dt.datetime,
    **details: Any,
) -> None:
    actor_type, actor_id = actor
    session.add(AuditEvent(
        at=at, actor_type=actor_type, actor_id=actor_id, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id), details=details,
    ))


async def wait_after_failures(session: AsyncSession, actor: tuple[str, int | None], failures: Iterable[str],
                              at: dt.datetime, *, limit: int, window: dt.timedelta) -> int | None:
    """Seconds `actor` must wait, having failed `limit` times (audit actions `failures`) within `window`; None
    when it may go on. Counted in the audit trail, so a restart or another backend instance sees the same count."""
    actor_type, actor_id = actor
    count, oldest = (await session.execute(select(func.count(), func.min(AuditEvent.at)).where(
        AuditEvent.action.in_(list(failures)), AuditEvent.actor_type == actor_type, AuditEvent.actor_id == actor_id,
        AuditEvent.at > at - window))).one()
    if count < limit or oldest is None:
        return None
    return max(1, math.ceil((oldest + window - at).total_seconds()))


async def search(session: AsyncSession, *, action: str = "", object_id: str = "", limit: int = 200) -> list[AuditEvent]:
    """The newest events first, filtered by a part of the action and by the object's id."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if action.strip():
        query = query.where(AuditEvent.action.contains(action.strip()))
    if object_id.strip():
        query = query.where(AuditEvent.object_id == object_id.strip())
    return list(await session.scalars(query))
