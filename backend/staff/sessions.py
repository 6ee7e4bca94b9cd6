"""Browser sessions of the staff panel: opened at sign-in, ended at sign-out or after a while idle."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.core.identity import StaffIdentity, token_hash
from backend.staff.models import StaffMember, StaffSession
from backend.staff.service import load_staff, identity_of

# Seen at most this often: a busy board must not write on every request.
SEEN_RESOLUTION = dt.timedelta(seconds=60)


async def open_session(session: AsyncSession, member: StaffMember, now: dt.datetime) -> tuple[str, str]:
    """A new session (a new token each sign-in, so a planted cookie is worthless); returns token and CSRF token."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=token_hash(token), staff_member_id=member.id, csrf_token=csrf,
                             created_at=now, last_seen_at=now))
    return token, csrf


async def resume(session: AsyncSession, token: str, now: dt.datetime,
                 idle: dt.timedelta) -> tuple[StaffIdentity, str] | None:
    """The staff member and CSRF token of a live session; an idle one is ended."""
    row = await session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if row is None:
        return None
    if now - row.last_seen_at > idle:
        await session.delete(row)
        record(session, ("staff", row.staff_member_id), "staff.session_expired", "staff_member",
               row.staff_member_id, now)
        return None
    member = (await session.execute(load_staff().where(StaffMember.id == row.staff_member_id))).scalars().first()
    if member is None or not member.active:
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
    return identity_of(member), row.csrf_token


async def close_session(session: AsyncSession, token: str, now: dt.datetime) -> None:
    row = await session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if row is not None:
        record(session, ("staff", row.staff_member_id), "staff.signed_out", "staff_member", row.staff_member_id, now)
        await session.execute(delete(StaffSession).where(StaffSession.id == row.id))
