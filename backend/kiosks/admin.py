"""Kiosks as an administrator sees them: registering, online status, revoking, new pairing codes."""
from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.core.errors import InvalidInput, NotFound
from backend.core.identity import KIOSK_TOKEN_PREFIX, new_token, token_hash
from backend.kiosks.models import KioskDevice
from backend.kiosks.service import PAIRING_CODE_LENGTH, PAIRING_CODE_LIFETIME
from backend.organisation import service as organisation
from shared.api import FieldProblem

# A kiosk calls at least every minute while it runs (see LAST_SEEN_RESOLUTION): two missed calls is offline.
ONLINE_WINDOW = dt.timedelta(minutes=2)
NAME_MAX_LENGTH = 100
NAME_REQUIRED = "Give the kiosk a name."
NAME_TOO_LONG = "Use at most 100 characters."
# Stripe Terminal reader ids: "tmr_" and letters or digits.
READER_ID = re.compile(r"^tmr_[A-Za-z0-9]{4,60}$")
READER_INVALID = "A Stripe reader id looks like tmr_FDOt2wlRZEdpd7; leave it empty for no reader."


@dataclass(frozen=True)
class KioskRow:
    id: int
    name: str
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    revoked_at: dt.datetime | None
    pairing_expires_at: dt.datetime | None
    online: bool
    stripe_reader_id: str = ""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def is_online(last_seen_at: dt.datetime | None, now: dt.datetime) -> bool:
    return last_seen_at is not None and now - _aware(last_seen_at) <= ONLINE_WINDOW


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def group_pairing_code(code: str) -> str:
    """The code as it is read aloud and typed: 1234 5678."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


async def list_kiosks(session: AsyncSession, now: dt.datetime) -> list[KioskRow]:
    """Every kiosk, active ones first, by name."""
    kiosks = await session.scalars(select(KioskDevice).order_by(KioskDevice.revoked_at.is_not(None),
                                                                KioskDevice.name, KioskDevice.id))
    rows = []
    for kiosk in kiosks:
        pairing = kiosk.pairing_expires_at
        pairing = _aware(pairing) if pairing is not None and _aware(pairing) > now else None
        rows.append(KioskRow(
            id=kiosk.id, name=kiosk.name, created_at=_aware(kiosk.created_at),
            last_seen_at=_aware(kiosk.last_seen_at) if kiosk.last_seen_at else None,
            revoked_at=_aware(kiosk.revoked_at) if kiosk.revoked_at else None, pairing_expires_at=pairing,
            online=kiosk.revoked_at is None and is_online(kiosk.last_seen_at, now),
            stripe_reader_id=kiosk.stripe_reader_id or ""))
    return rows


def check_name(name: str) -> str:
    """The kiosk's name, trimmed; InvalidInput when empty or too long."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("The kiosk cannot be registered.",
                           [FieldProblem(field="name", code="required", detail=NAME_REQUIRED)])
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput("The kiosk cannot be registered.",
                           [FieldProblem(field="name", code="too_long", detail=NAME_TOO_LONG)])
    return name


async def register_kiosk(session: AsyncSession, name: str, *, actor: tuple[str, int | None],
                         at: dt.datetime) -> tuple[KioskDevice, str]:
    """A new kiosk and its pairing code (returned once); the kiosk gets its token by pairing with it."""
    name = check_name(name)
    site_id = await organisation.only_site_id(session)
    # Nobody ever sees this token: pairing replaces it.
    kiosk = KioskDevice(site_id=site_id, name=name, token_hash=token_hash(new_token(KIOSK_TOKEN_PREFIX)),
                        created_at=at)
    session.add(kiosk)
    await session.flush()
    record(session, actor, "kiosk.created", "kiosk_device", kiosk.id, at, name=name)
    return kiosk, _new_pairing_code(session, kiosk, actor=actor, at=at)


async def new_pairing_code(session: AsyncSession, kiosk_id: int, *, actor: tuple[str, int | None],
                           at: dt.datetime) -> tuple[KioskDevice, str]:
    """A fresh pairing code for an active kiosk, replacing any earlier one; returned once."""
    kiosk = await session.get(KioskDevice, kiosk_id)
    if kiosk is None or kiosk.revoked_at is not None:
        raise NotFound(f"There is no active kiosk {kiosk_id}.")
    return kiosk, _new_pairing_code(session, kiosk, actor=actor, at=at)


def _new_pairing_code(session: AsyncSession, kiosk: KioskDevice, *, actor: tuple[str, int | None],
                      at: dt.datetime) -> str:
    code = "".join(secrets.choice(string.digits) for _ in range(PAIRING_CODE_LENGTH))
    kiosk.pairing_code_hash = token_hash(code)
    kiosk.pairing_expires_at = at + PAIRING_CODE_LIFETIME
    record(session, actor, "kiosk.pairing_code_issued", "kiosk_device", kiosk.id, at)
    return code


async def revoke_kiosk(session: AsyncSession, kiosk_id: int, *, actor: tuple[str, int | None],
                       at: dt.datetime) -> bool:
    """Stop the kiosk's token and any pairing code; False when it was revoked already (nothing changes)."""
    kiosk = await session.get(KioskDevice, kiosk_id)
    if kiosk is None:
        raise NotFound(f"There is no kiosk {kiosk_id}.")
    if kiosk.revoked_at is not None:
        return False
    kiosk.revoked_at = at
    kiosk.pairing_code_hash = None
    kiosk.pairing_expires_at = None
    record(session, actor, "kiosk.revoked", "kiosk_device", kiosk.id, at, name=kiosk.name)
    return True


async def set_card_reader(session: AsyncSession, kiosk_id: int, reader_id: str, *, actor: tuple[str, int | None],
                          at: dt.datetime) -> KioskDevice:
    """The Stripe Terminal reader beside an active kiosk, which takes its card payments; blank for none."""
    reader_id = reader_id.strip()
    if reader_id and not READER_ID.match(reader_id):
        raise InvalidInput("This is not a Stripe reader id.",
                           [FieldProblem(field="stripe_reader_id", code="reader_invalid", detail=READER_INVALID)])
    kiosk = await session.get(KioskDevice, kiosk_id)
    if kiosk is None or kiosk.revoked_at is not None:
        raise NotFound(f"There is no active kiosk {kiosk_id}.")
    if (kiosk.stripe_reader_id or "") != reader_id:
        record(session, actor, "kiosk.card_reader_set", "kiosk_device", kiosk.id, at,
               previous=kiosk.stripe_reader_id, reader=reader_id or None)
        kiosk.stripe_reader_id = reader_id or None
    return kiosk
