"""Idempotency-Key: a kiosk retrying an unsafe request (after a timeout, from its offline outbox) gets the
first answer again, and nothing is stored twice."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.db import Database
from backend.core.errors import BadRequest, Conflict
from backend.kiosks.models import IdempotentReply
from shared.api import FieldProblem

T = TypeVar("T")

# Long enough for a kiosk that was offline over a weekend to flush its outbox.
KEEP_REPLIES = dt.timedelta(days=7)


def header(what: str) -> tuple[str, bool, str]:
    """The header's entry in the OpenAPI document of an endpoint taking `what` (e.g. "check-in")."""
    return ("Idempotency-Key", True, f"Unique per {what} (e.g. a UUID); a retry with the same key and body gets "
            "the first answer again.")


def key_of(request: web.Request, what: str) -> str:
    """The request's Idempotency-Key; without one, or with a malformed one, the request is refused."""
    key = request.headers.get("Idempotency-Key", "")
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        raise BadRequest("Send an Idempotency-Key header of 1 to 255 printable ASCII characters.",
                         [FieldProblem(field="Idempotency-Key", code="required",
                                       detail=f"A unique key per {what}, such as a UUID.")])
    return key


async def once(database: Database, kiosk_id: int, key: str, data: BaseModel, at: dt.datetime,
               work: Callable[[AsyncSession], Awaitable[tuple[BaseModel, T]]]) -> web.Response | tuple[BaseModel, T]:
    """Does `work` in one write transaction and remembers its answer (201) under the kiosk's key; the same request
    sent again gets the first answer back as a ready response, and `work` does not run again.

    `work` returns the answer and whatever the caller needs after the commit (who to tell, say)."""
    # The same request sent again, whatever its spacing or key order, is recognised as a retry.
    fingerprint = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
    for attempt in range(2):
        try:
            async with database.write() as session:
                replay = await find(session, kiosk_id, key, fingerprint)
                if replay is not None:
                    return web.json_response(replay.body, status=replay.status,
                                             headers={"Idempotent-Replayed": "true"})
                out, after = await work(session)
                remember(session, kiosk_id, key, fingerprint, 201, out.model_dump(mode="json"), at)
            return out, after
        except IntegrityError:
            # Two requests with one key raced (PostgreSQL): the loser replays the winner's answer.
            if attempt:
                raise
    raise AssertionError("unreachable")


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
