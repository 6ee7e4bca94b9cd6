"""Contact changes a client asks for at the kiosk: checked like any change of the record, kept aside, and applied
only when a clerk approves (with the record's history saying "kiosk", and which clerk).

Every function takes the caller's session; none commits.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.clients import service as clients
from backend.clients.change_schemas import ContactChangeView, ContactFieldChange
from backend.clients.identification import client_for_changes
from backend.clients.kiosk_models import ContactChangeRequest, ContactChangeState
from backend.clients.models import Client
from backend.clients.schemas import ClientIn
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.identity import KioskIdentity, StaffIdentity
from backend.kiosks.models import KioskDevice
from backend.organisation.models import Site
from shared.api import FieldProblem
from shared.api_clients import ContactUpdateRequest
from shared.enums import ClientStatus

# What a client may change about themselves at the kiosk, in the order a record shows them.
CONTACT_FIELDS = ("phone", "email", "address", "city", "postal_code")
REPLACED = "Replaced by a later request from the kiosk."


class AlreadyReviewed(Conflict):
    """The change was approved or rejected before: a verdict is given once."""
LISTED = 200


async def propose(session: AsyncSession, kiosk: KioskIdentity, data: ContactUpdateRequest,
                  at: dt.datetime) -> ContactChangeRequest:
    """A pending change of the fields that differ from the record; InvalidInput for a bad token, a bad value or
    nothing to change. An earlier pending change of the same client is replaced: the latest word counts."""
    client = await client_for_changes(session, kiosk, data.client_token, at)
    given = {name: getattr(data, name) for name in CONTACT_FIELDS if getattr(data, name) is not None}
    site = await session.get(Site, client.site_id)
    # The same checks and forms as a clerk's change: an E.164 phone, a normalised email, trimmed text.
    values = await clients.checked_values(session, site, ClientIn(**given), at.date(), client=client)
    fields = {name: {"seen": getattr(client, name), "proposed": values[name]}
              for name in CONTACT_FIELDS if name in values and values[name] != getattr(client, name)}
    if not fields:
        raise InvalidInput("Nothing would change.", [FieldProblem(
            field="body", code="nothing_changes", detail="Give at least one contact detail that differs from the "
                                                         "record.")])
    for earlier in await session.scalars(select(ContactChangeRequest).where(
            ContactChangeRequest.client_id == client.id, ContactChangeRequest.state == ContactChangeState.PENDING)):
        earlier.state, earlier.reviewed_at, earlier.reject_reason = ContactChangeState.REJECTED, at, REPLACED
    change = ContactChangeRequest(client_id=client.id, kiosk_id=kiosk.kiosk_id, state=ContactChangeState.PENDING,
                                  fields=fields, proposed_at=at, reject_reason="")
    session.add(change)
    await session.flush()
    record(session, kiosk.audit_actor, "client.contact_change_proposed", "client", client.id, at,
           change_id=change.id, fields=list(fields))
    return change


async def pending_of(session: AsyncSession, client_id: int) -> ContactChangeRequest | None:
    return await session.scalar(select(ContactChangeRequest).where(
        ContactChangeRequest.client_id == client_id, ContactChangeRequest.state == ContactChangeState.PENDING)
        .order_by(ContactChangeRequest.id.desc()).limit(1))


def _views(rows) -> list[ContactChangeView]:
    return [ContactChangeView(
        id=change.id, client_id=client.id, client_name=clients.display_name(client), client_number=client.number,
        kiosk_id=change.kiosk_id, kiosk_name=kiosk_name or "", state=change.state, proposed_at=change.proposed_at,
        reviewed_at=change.reviewed_at, reviewed_by_id=change.reviewed_by_id, reject_reason=change.reject_reason,
        fields=[ContactFieldChange(field=name, seen=values["seen"], on_file=getattr(client, name),
                                   proposed=values["proposed"], changed_since=getattr(client, name) != values["seen"])
                for name in CONTACT_FIELDS if (values := change.fields.get(name)) is not None],
    ) for change, client, kiosk_name in rows]


def _query():
    return (select(ContactChangeRequest, Client, KioskDevice.name)
            .join(Client, Client.id == ContactChangeRequest.client_id)
            .outerjoin(KioskDevice, KioskDevice.id == ContactChangeRequest.kiosk_id))


async def list_changes(session: AsyncSession, who: StaffIdentity, state: ContactChangeState | None, *,
                       client_id: int | None = None, limit: int = LISTED) -> list[ContactChangeView]:
    """Changes in one state (all when None): pending ones oldest first, as a queue is worked; others newest
    first."""
    clients.require(who, clients.CLIENT_KEEPERS)
    query = _query().limit(limit)
    if state is not None:
        query = query.where(ContactChangeRequest.state == state)
    if client_id is not None:
        query = query.where(ContactChangeRequest.client_id == client_id)
    if state == ContactChangeState.PENDING:
        query = query.order_by(ContactChangeRequest.proposed_at, ContactChangeRequest.id)
    else:
        query = query.order_by(ContactChangeRequest.proposed_at.desc(), ContactChangeRequest.id.desc())
    return _views((await session.execute(query)).tuples().all())


async def view(session: AsyncSession, change_id: int) -> ContactChangeView:
    rows = (await session.execute(_query().where(ContactChangeRequest.id == change_id))).tuples().all()
    if not rows:
        raise NotFound("There is no such contact change.")
    return _views(rows)[0]


async def _for_review(session: AsyncSession, who: StaffIdentity, change_id: int) -> tuple[ContactChangeRequest,
                                                                                           Client]:
    clients.require(who, clients.CLIENT_KEEPERS)
    # Locked (PostgreSQL), so two clerks reviewing the same change at once cannot both apply it.
    change = await session.scalar(select(ContactChangeRequest).where(ContactChangeRequest.id == change_id)
                                  .with_for_update().execution_options(populate_existing=True))
    if change is None:
        raise NotFound("There is no such contact change.")
    if change.state != ContactChangeState.PENDING:
        raise AlreadyReviewed(f"This change was already {change.state}: it cannot be reviewed again.")
    client = await session.get(Client, change.client_id)
    if client.status in (ClientStatus.MERGED, ClientStatus.ERASED):
        raise Conflict(f"This record was {client.status}: the change can no longer be applied.")
    return change, client


async def approve(session: AsyncSession, who: StaffIdentity, change_id: int, at: dt.datetime) -> list[str]:
    """Apply the proposed values, as the reviewing clerk, with "kiosk" as the history's source; the fields that
    changed (a value already on file leaves no line)."""
    change, client = await _for_review(session, who, change_id)
    values = {name: change.fields[name]["proposed"] for name in CONTACT_FIELDS if name in change.fields}
    applied = await clients.apply(session, client, values, who.staff_id, "kiosk", at)
    change.state, change.reviewed_at, change.reviewed_by_id = ContactChangeState.APPROVED, at, who.staff_id
    record(session, who.audit_actor, "client.contact_change_approved", "client", client.id, at,
           change_id=change.id, fields=applied)
    await session.flush()
    return applied


async def reject(session: AsyncSession, who: StaffIdentity, change_id: int, reason: str, at: dt.datetime) -> None:
    """Close the change without touching the record; the reason is kept with it."""
    clients.require(who, clients.CLIENT_KEEPERS)
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("Say why the change is rejected.", [FieldProblem(
            field="reason", code="required", detail="Give a reason, e.g. 'could not confirm by phone'.")])
    change, client = await _for_review(session, who, change_id)
    change.state, change.reviewed_at, change.reviewed_by_id = ContactChangeState.REJECTED, at, who.staff_id
    change.reject_reason = reason
    record(session, who.audit_actor, "client.contact_change_rejected", "client", client.id, at,
           change_id=change.id)
    await session.flush()
