"""Idempotency-Key: a kiosk retrying an unsafe request (after a timeout, from its offline outbox) gets the
first answer again, and nothing is stored twice."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import Conflict
from backend.kiosks.models import IdempotentReply

# Long enough for a kiosk that was offline over a weekend to flush its outbox.
KEEP_REPLIES = dt.timedelta(days=7)


async def find(session: AsyncSession, kiosk_id: int, key: str, fingerprint: str) -> IdempotentReply | None:
    reply = await session.scalar(
        select(IdempotentReply).where(IdempotentReply.kiosk_id == kiosk_id, IdempotentReply.key == key))
    if reply is not None and reply.request_hash != fingerprint:
        raise Conflict("This Idempotency-Key was already used for a different request.")
    return reply


def remember(session: AsyncSession, kiosk_id: int, key: str, fingerprint: str, status: int,
             body: dict[str, Any], at: dt.datetime) -> None:
    session.add(IdempotentReply(kiosk_id=kiosk_id, key=key, request_hash=fingerprint, status=status, body=body,
                                created_at=at))


async def forget_old(session: AsyncSession, now: dt.datetime) -> int:
    result = await session.execute(delete(IdempotentReply).where(IdempotentReply.created_at < now - KEEP_REPLIES))
    return result.rowcount or 0
