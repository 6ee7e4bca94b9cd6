"""Returning clients identify themselves at the kiosk: their file number or phone, and always their birth date.

A match gives the kiosk a pass (a token) naming that client: for 15 minutes it lets the client ask for contact
changes at that kiosk, for 24 hours it links a check-in made there (a check-in may wait in the kiosk's outbox).
Failures are written to the audit trail, which is also what the limit per kiosk counts: several backend
instances share it, and it survives restarts.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.appkeys import CLOCK, DATABASE
from backend.audit.service import record, wait_after_failures
from backend.clients.kiosk_models import ClientKioskPass
from backend.clients.models import Client
from backend.core.errors import InvalidInput
from backend.core.identity import KioskIdentity, new_token, token_hash
from backend.core.periodic import repeating
from backend.organisation.models import Site
from shared.api import FieldProblem
from shared.api_clients import ClientIdentifyRequest
from shared.enums import ClientStatus
from shared.fields import FieldError, normalise_phone

PASS_PREFIX = "acp_"
CHANGES_WITHIN = dt.timedelta(minutes=15)
CHECK_IN_WITHIN = dt.timedelta(hours=24)
# Passes are kept well past any kiosk outbox (idempotent replies live a week), so an old genuine pass is still
# told from a forged one; after that they are only a trail the audit log already holds.
KEEP_PASSES = dt.timedelta(days=30)
FAILURE_LIMIT = 5
FAILURE_WINDOW = dt.timedelta(minutes=10)
FAILED = "client.kiosk_identification_failed"
IDENTIFIED = "client.identified_at_kiosk"
OLDEST_BIRTH = dt.date(1880, 1, 1)
PURGE_SECONDS = 3600
# The one answer for an unknown number or phone and for a wrong birth date alike: it tells nobody who is a client.
NOT_FOUND = "No client matches these details. Check them, or ask at the front desk."


class TooManyFailures(Exception):
    """Too many failed identifications from this kiosk lately; `retry_after` seconds until the next try."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Identified:
    client: Client
    token: str
    country: str


def folded_number(number: str) -> str:
    """A file number as matched: case and spaces do not matter (p 1042 is P-1042's neighbour, p-1042 is it)."""
    return "".join(number.split()).upper()


def _number_column():
    return func.upper(func.replace(Client.number, " ", ""))


async def client_by_number(session: AsyncSession, site_id: int, number: str) -> Client | None:
    """The site's active or inactive client with this file number (case and spaces aside), if any."""
    folded = folded_number(number)
    if not folded:
        return None
    return await session.scalar(select(Client).where(
        Client.site_id == site_id, _number_column() == folded,
        Client.status.in_((ClientStatus.ACTIVE, ClientStatus.INACTIVE))))


def _checked(data: ClientIdentifyRequest, country: str, today: dt.date) -> tuple[str, str]:
    """('number' or 'phone', the value to match); InvalidInput naming each bad field otherwise."""
    number = (data.number or "").strip()
    phone = (data.phone or "").strip()
    problems: list[FieldProblem] = []
    if not number and not phone:
        problems += [FieldProblem(field=name, code="number_or_phone", detail="Give the file number or the phone "
                                                                             "number.") for name in ("number", "phone")]
    elif number and phone:
        problems.append(FieldProblem(field="phone", code="number_or_phone",
                                     detail="Give the file number or the phone number, not both."))
    value = folded_number(number)
    if phone and not number:
        try:
            value = normalise_phone(phone, country)
        except FieldError as error:
            problems.append(FieldProblem(field="phone", code=error.code, detail=error.message))
    if not OLDEST_BIRTH <= data.birth_date <= today:
        problems.append(FieldProblem(field="birth_date", code="date_out_of_range",
                                     detail="A date of birth between 1880 and today."))
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    return ("number" if number else "phone"), value


async def identify(session: AsyncSession, kiosk: KioskIdentity, data: ClientIdentifyRequest,
                   at: dt.datetime) -> Identified | None:
    """The client these details name, with a new pass for this kiosk; None when none matches (the failure is
    counted: the caller commits it, then answers NOT_FOUND); TooManyFailures when this kiosk must wait."""
    site = await session.get(Site, kiosk.site_id)
    by, value = _checked(data, site.country, at.date())
    wait = await wait_after_failures(session, kiosk.audit_actor, (FAILED,), at, limit=FAILURE_LIMIT,
                                     window=FAILURE_WINDOW)
    if wait is not None:
        raise TooManyFailures(wait)
    query = select(Client).where(Client.site_id == site.id, Client.status == ClientStatus.ACTIVE,
                                 Client.merged_into_id.is_(None), Client.date_of_birth == data.birth_date)
    if by == "number":
        query = query.where(_number_column() == value)
    else:
        query = query.where(or_(Client.phone == value, Client.phone_alt == value))
    found = list(await session.scalars(query.limit(2)))
    if len(found) != 1:
        if not found:  # two people sharing a phone and a birthday are not guessing: they use their number
            record(session, kiosk.audit_actor, FAILED, "kiosk", kiosk.kiosk_id, at, by=by)
        return None
    client = found[0]
    token = new_token(PASS_PREFIX)
    session.add(ClientKioskPass(token_hash=token_hash(token), client_id=client.id, kiosk_id=kiosk.kiosk_id,
                                issued_at=at))
    record(session, kiosk.audit_actor, IDENTIFIED, "client", client.id, at, kiosk_id=kiosk.kiosk_id, by=by)
    await session.flush()
    return Identified(client=client, token=token, country=site.country)


async def _pass(session: AsyncSession, kiosk: KioskIdentity, token: str) -> ClientKioskPass | None:
    """The pass this token is, when it was given to this kiosk (another kiosk's is as good as unknown)."""
    if not token.startswith(PASS_PREFIX):
        return None
    found = await session.scalar(select(ClientKioskPass).where(ClientKioskPass.token_hash == token_hash(token)))
    return found if found is not None and found.kiosk_id == kiosk.kiosk_id else None


async def client_for_changes(session: AsyncSession, kiosk: KioskIdentity, token: str, at: dt.datetime) -> Client:
    """The client a pass names, for a contact change: given to this kiosk less than 15 minutes ago, for a client
    still active; InvalidInput on client_token otherwise."""
    found = await _pass(session, kiosk, token)
    if found is None:
        raise InvalidInput("The client token is not valid.", [FieldProblem(
            field="client_token", code="client_token_invalid", detail="Identify the client again.")])
    client = await session.get(Client, found.client_id)
    if at - found.issued_at > CHANGES_WITHIN or client is None or client.status != ClientStatus.ACTIVE:
        raise InvalidInput("The client token has expired.", [FieldProblem(
            field="client_token", code="client_token_expired",
            detail="It is valid 15 minutes after identifying: identify the client again.")])
    return client


async def client_for_check_in(session: AsyncSession, kiosk: KioskIdentity, token: str,
                              at: dt.datetime) -> int | None | FieldProblem:
    """The client id a check-in's pass links to; None when the pass is genuine but too old (or its client is no
    longer active): the visitor is in the lobby either way. A FieldProblem when the token is unknown or forged."""
    found = await _pass(session, kiosk, token)
    if found is None:
        return FieldProblem(field="client_token", code="client_token_invalid",
                            detail="This client token was not given to this kiosk.")
    if at - found.issued_at > CHECK_IN_WITHIN:
        return None
    status = await session.scalar(select(Client.status).where(Client.id == found.client_id))
    return found.client_id if status == ClientStatus.ACTIVE else None


async def forget_old_passes(session: AsyncSession, at: dt.datetime) -> int:
    result = await session.execute(delete(ClientKioskPass).where(ClientKioskPass.issued_at < at - KEEP_PASSES))
    return result.rowcount or 0


async def passes_context(app: web.Application) -> AsyncIterator[None]:
    """Hourly: forget passes older than any kiosk could still send."""
    async def purge() -> None:
        async with app[DATABASE].write() as session:
            await forget_old_passes(session, app[CLOCK]())

    async with repeating("old client passes", PURGE_SECONDS, purge, first_after=PURGE_SECONDS):
        yield
