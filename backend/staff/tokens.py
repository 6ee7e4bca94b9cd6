"""Staff API tokens as people manage them: listing, creating with a label and an expiry, revoking.

A token's value is shown once, when it is created; only its hash is kept, so no list can show it again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.core.errors import InvalidInput, NotFound
from backend.core.identity import STAFF_TOKEN_PREFIX, new_token, token_hash
from backend.staff.models import StaffMember, StaffToken
from shared.api import FieldProblem
from shared.enums import TokenScope

LABEL_MAX_LENGTH = 100
MAX_EXPIRY_DAYS = 3650
LABEL_REQUIRED = "Give the token a label, to recognise it later."
LABEL_TOO_LONG = "Use at most 100 characters."
EXPIRY_INVALID = "Give a number of days from 1 to 3650, or leave it empty for no expiry."
SCOPE_INVALID = "Choose what the token may do from the list."
OWNER_UNKNOWN = "Choose an active staff member."


@dataclass(frozen=True)
class TokenRow:
    id: int
    label: str
    owner_id: int
    owner_name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    scope: TokenScope = TokenScope.WRITE

    def active(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def expired(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class Owner:
    id: int
    login: str
    display_name: str


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.timezone.utc)


async def list_tokens(session: AsyncSession, *, staff_member_id: int | None = None) -> list[TokenRow]:
    """A staff member's tokens, or everyone's (for an administrator) when no one is given; newest first."""
    query = (select(StaffToken, StaffMember.display_name)
             .join(StaffMember, StaffMember.id == StaffToken.staff_member_id)
             .order_by(StaffToken.created_at.desc(), StaffToken.id.desc()))
    if staff_member_id is not None:
        query = query.where(StaffToken.staff_member_id == staff_member_id)
    return [TokenRow(id=token.id, label=token.label, owner_id=token.staff_member_id, owner_name=name,
                     created_at=_aware(token.created_at), expires_at=_aware(token.expires_at),
                     revoked_at=_aware(token.revoked_at), scope=token.scope)
            for token, name in (await session.execute(query)).all()]


async def owners(session: AsyncSession) -> list[Owner]:
    """Who may be given a token: active staff members, by name."""
    members = await session.scalars(select(StaffMember).where(StaffMember.active.is_(True))
                                    .order_by(StaffMember.display_name, StaffMember.id))
    return [Owner(m.id, m.login, m.display_name) for m in members]


def parse_expiry_days(text: str) -> int | None:
    """Days until the token expires, from a form field; empty means never. ValueError when not a whole number."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise ValueError(text)
    return int(text)


async def create_token(session: AsyncSession, *, owner_id: int, label: str, expires_in_days: int | str | None,
                       actor: tuple[str, int | None], at: dt.datetime,
                       scope: TokenScope | str = TokenScope.WRITE) -> tuple[int, str]:
    """A new token for an active staff member: its id and its value, which is never available again.

    The expiry is in days (a form's text is accepted); None or empty means it never expires.
    """
    label = " ".join(label.split())
    problems = []
    if isinstance(expires_in_days, str):
        try:
            expires_in_days = parse_expiry_days(expires_in_days)
        except ValueError:
            expires_in_days = -1  # reported below
    if not label:
        problems.append(FieldProblem(field="label", code="required", detail=LABEL_REQUIRED))
    elif len(label) > LABEL_MAX_LENGTH:
        problems.append(FieldProblem(field="label", code="too_long", detail=LABEL_TOO_LONG))
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        problems.append(FieldProblem(field="expires_in_days", code="expiry_invalid", detail=EXPIRY_INVALID))
    if scope not in set(TokenScope):
        problems.append(FieldProblem(field="scope", code="scope_invalid", detail=SCOPE_INVALID))
    member = await session.get(StaffMember, owner_id)
    if member is None or not member.active:
        problems.append(FieldProblem(field="owner", code="owner_unknown", detail=OWNER_UNKNOWN))
    if problems:
        raise InvalidInput("The token cannot be created.", problems)
    expires_at = at + dt.timedelta(days=expires_in_days) if expires_in_days is not None else None
    return await issue(session, owner_id, label=label, expires_at=expires_at, scope=TokenScope(scope), actor=actor,
                       at=at)


async def issue(session: AsyncSession, member_id: int, *, label: str, expires_at: dt.datetime | None,
                scope: TokenScope, actor: tuple[str, int | None], at: dt.datetime) -> tuple[int, str]:
    """Store a new token, only its hash, with its audit event; its value is returned this once."""
    value = new_token(STAFF_TOKEN_PREFIX)
    token = StaffToken(staff_member_id=member_id, token_hash=token_hash(value), label=label, created_at=at,
                       expires_at=expires_at, scope=scope)
    session.add(token)
    await session.flush()
    record(session, actor, "staff_token.created", "staff_token", token.id, at, owner_id=member_id, label=label,
           scope=str(scope), expires_at=expires_at.isoformat() if expires_at else None)
    return token.id, value


async def revoke_token(session: AsyncSession, token_id: int, *, actor: tuple[str, int | None], at: dt.datetime,
                       staff_member_id: int | None = None) -> bool:
    """Stop a token (only the given member's, when one is given); False when it was revoked already."""
    token = await session.get(StaffToken, token_id)
    if token is None or (staff_member_id is not None and token.staff_member_id != staff_member_id):
        raise NotFound(f"There is no token {token_id}.")
    if token.revoked_at is not None:
        return False
    token.revoked_at = at
    record(session, actor, "staff_token.revoked", "staff_token", token.id, at, owner_id=token.staff_member_id,
           label=token.label)
    return True
