"""Kiosk devices: creating them, resolving their tokens, and what they need to know to greet visitors."""
from __future__ import annotations

import datetime as dt
import secrets
import string

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.core.errors import NotFound
from backend.core.identity import KIOSK_TOKEN_PREFIX, KioskIdentity, new_token, token_hash
from backend.kiosks.models import KioskDevice
from backend.organisation import service as organisation
from backend.staff import service as staff
from backend.visits import service as visits
from shared.api import KioskConfig, KioskOut

# A kiosk calls every few seconds; record that it was seen at most this often.
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=60)
PAIRING_CODE_LENGTH = 8
PAIRING_CODE_LIFETIME = dt.timedelta(hours=24)


async def create_kiosk(session: AsyncSession, name: str, *, at: dt.datetime, site_id: int | None = None) -> tuple[
        KioskDevice, str]:
    """A new kiosk for the site (the only one when not given); the plain token is returned once."""
    if site_id is None:
        site_id = await organisation.only_site_id(session)
    elif await organisation.site(session, site_id) is None:
        raise NotFound(f"There is no site {site_id}.")
    token = new_token(KIOSK_TOKEN_PREFIX)
    kiosk = KioskDevice(site_id=site_id, name=name, token_hash=token_hash(token), created_at=at)
    session.add(kiosk)
    await session.flush()
    record(session, ("system", None), "kiosk.created", "kiosk_device", kiosk.id, at, name=name)
    return kiosk, token


async def issue_pairing_code(session: AsyncSession, kiosk_id: int, *, at: dt.datetime) -> str:
    """A new single-use pairing code for the kiosk, replacing any earlier one; returned once."""
    kiosk = await session.get(KioskDevice, kiosk_id)
    if kiosk is None or kiosk.revoked_at is not None:
        raise NotFound(f"There is no active kiosk {kiosk_id}.")
    code = "".join(secrets.choice(string.digits) for _ in range(PAIRING_CODE_LENGTH))
    kiosk.pairing_code_hash = token_hash(code)
    kiosk.pairing_expires_at = at + PAIRING_CODE_LIFETIME
    record(session, ("system", None), "kiosk.pairing_code_issued", "kiosk_device", kiosk.id, at)
    return code


def normalise_pairing_code(code: str) -> str:
    return "".join(ch for ch in code if ch in string.digits)


async def pair(session: AsyncSession, code: str, *, at: dt.datetime) -> tuple[KioskDevice, str] | None:
    """Exchange a valid pairing code for a new kiosk token (the old one stops working); None when invalid."""
    kiosk = await session.scalar(select(KioskDevice).where(
        KioskDevice.pairing_code_hash == token_hash(normalise_pairing_code(code)),
        KioskDevice.pairing_expires_at > at, KioskDevice.revoked_at.is_(None)))
    if kiosk is None:
        return None
    token = new_token(KIOSK_TOKEN_PREFIX)
    kiosk.token_hash = token_hash(token)
    kiosk.pairing_code_hash = None
    kiosk.pairing_expires_at = None
    record(session, ("kiosk", kiosk.id), "kiosk.paired", "kiosk_device", kiosk.id, at)
    return kiosk, token


async def identify(session: AsyncSession, token: str) -> tuple[KioskIdentity, dt.datetime | None] | None:
    """The kiosk a token belongs to and when it was last seen, or None when unknown or revoked."""
    kiosk = await session.scalar(
        select(KioskDevice).where(KioskDevice.token_hash == token_hash(token), KioskDevice.revoked_at.is_(None))
    )
    if kiosk is None:
        return None
    return KioskIdentity(kiosk.id, kiosk.site_id, kiosk.name), kiosk.last_seen_at


async def mark_seen(session: AsyncSession, kiosk_id: int, now: dt.datetime) -> None:
    await session.execute(update(KioskDevice).where(KioskDevice.id == kiosk_id).values(last_seen_at=now))


def needs_seen_update(last_seen: dt.datetime | None, now: dt.datetime) -> bool:
    return last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION


async def config(session: AsyncSession, kiosk: KioskIdentity) -> KioskConfig:
    site = await organisation.site(session, kiosk.site_id)
    departments = await organisation.departments_out(session, kiosk.site_id)
    return KioskConfig(
        kiosk=KioskOut(id=kiosk.kiosk_id, name=kiosk.name),
        site=organisation.site_out(site),
        departments=departments,
        staff=await staff.kiosk_directory(session, {d.id for d in departments}),
        visitor_types=await visits.visitor_types_out(session, kiosk.site_id),
    )
