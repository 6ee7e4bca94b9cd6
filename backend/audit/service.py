"""Writing the audit trail, always inside the transaction of the change it records."""
from __future__ import annotations

import datetime as dt
from typing import Any

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
