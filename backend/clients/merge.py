"""Merging two records of one client: the kept record takes what it lacks from the absorbed one, and everything
that pointed at the absorbed one (visits, payment requests, calls, documents, its history) then points at it.

History: the absorbed record's change lines are re-pointed to the kept record, so the kept record's history
(GET /api/clients/{id}/history) is the whole story of both, in time order, with no reader having to follow
merged_into_id. So that each line's origin stays known, the kept record gets a "merged_from" line naming the
absorbed record, and the audit event lists the ids of the lines that moved. The absorbed record keeps its own
last lines, written after the move: its status becoming "merged" (and its number, if the kept one took it).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.calls.models import Call
from backend.clients import service as clients
from backend.clients.kiosk_models import ClientKioskPass, ContactChangeRequest
from backend.clients.models import Client, ClientChange
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.documents.models import ClientDocument
from backend.payments.models import PaymentRequest
from backend.visits.models import Visit
from shared.api import FieldProblem
from shared.enums import ClientStatus

# Every column that points at a client, moved to the kept record on a merge: a new linked table is one more line.
LINKED: list[tuple[type, Any]] = [
    (Visit, Visit.client_id),
    (PaymentRequest, PaymentRequest.client_id),
    (Call, Call.client_id),
    (ClientDocument, ClientDocument.client_id),
    # Kiosk passes and contact changes follow too: a pending change is then reviewed against the kept record.
    (ClientKioskPass, ClientKioskPass.client_id),
    (ContactChangeRequest, ContactChangeRequest.client_id),
    # Records merged earlier into the absorbed one now lead straight to the kept one (no chains to follow).
    (Client, Client.merged_into_id),
]
# Taken one by one: the kept record's own value, else the absorbed one's.
SINGLE_FIELDS = ("given_name", "family_name", "organisation_name", "number", "date_of_birth", "phone", "email")
# Taken as a whole, so an address never mixes one record's street with the other's city.
ADDRESS_FIELDS = ("address", "city", "region", "postal_code", "country")
STOPPED = (ClientStatus.MERGED, ClientStatus.ERASED)


async def merge_clients(session: AsyncSession, actor: StaffIdentity, keep_id: int, absorb_id: int,
                        at: dt.datetime) -> Client:
    """Merge the record absorb_id into keep_id; the kept record. Nothing is changed when it is refused."""
    clients.require(actor, clients.CLIENT_KEEPERS)
    if keep_id == absorb_id:
        raise InvalidInput("A record cannot be merged into itself.", [
            FieldProblem(field="absorb_id", code="same_client", detail="Choose another client to merge.")])
    # Locked in id order (PostgreSQL), so two clerks merging the same pair opposite ways wait, not deadlock.
    rows = await session.scalars(select(Client).where(Client.id.in_((keep_id, absorb_id))).order_by(Client.id)
                                 .with_for_update().execution_options(populate_existing=True))
    found = {client.id: client for client in rows}
    if keep_id not in found:
        raise NotFound("There is no such client.")
    if absorb_id not in found:
        raise InvalidInput("There is no client to merge with this id.", [
            FieldProblem(field="absorb_id", code="client_unknown", detail="No such client.")])
    keep, absorb = found[keep_id], found[absorb_id]
    for client in (keep, absorb):
        if client.status in STOPPED:
            raise Conflict(f"Client {client.id} was {client.status}: it can no longer be merged.")
    if keep.site_id != absorb.site_id:
        raise Conflict("These clients belong to different sites: they cannot be merged.")

    values = merged_values(keep, absorb, await clients.tags_of(session, keep.id),
                           await clients.tags_of(session, absorb.id))
    moved_lines = list(await session.scalars(select(ClientChange.id).where(ClientChange.client_id == absorb.id)))
    await session.execute(update(ClientChange).where(ClientChange.client_id == absorb.id)
                          .values(client_id=keep.id).execution_options(synchronize_session=False))
    moved = {}
    for model, column in LINKED:
        result = await session.execute(update(model).where(column == absorb.id).values({column.key: keep.id})
                                       .execution_options(synchronize_session=False))
        moved[model.__tablename__] = result.rowcount

    # The absorbed record first: the number, when the kept record takes it, must be free before it is taken.
    absorb.merged_into_id = keep.id
    gone: dict[str, Any] = {"status": ClientStatus.MERGED}
    if values.get("number") is not None and values["number"] == absorb.number:
        gone["number"] = None
    await clients.apply(session, absorb, gone, actor.staff_id, "merge", at)
    # Whatever search reads, a merged record is no longer found: only the kept one is.
    absorb.search_text = ""

    session.add(ClientChange(client_id=keep.id, at=at, by_staff_id=actor.staff_id, source="merge",
                             field="merged_from", old_value="",
                             new_value=f"client {absorb.id}: {clients.display_name(absorb)}"))
    changed = await clients.apply(session, keep, values, actor.staff_id, "merge", at)
    record(session, actor.audit_actor, "client.merged", "client", keep.id, at, absorbed_id=absorb.id,
           fields=changed, moved=moved, history_lines=moved_lines)
    await session.flush()
    return keep


def merged_values(keep: Client, absorb: Client, keep_tags: list[str], absorb_tags: list[str]) -> dict[str, Any]:
    """The kept record's values after the merge (service.apply writes only those that differ)."""
    values: dict[str, Any] = {}
    for name in SINGLE_FIELDS:
        values[name] = getattr(keep, name) or getattr(absorb, name)
    # The absorbed record's other phone is kept too, where the kept record has room for it.
    others = [p for p in (absorb.phone_alt, absorb.phone) if p and p != values["phone"]]
    values["phone_alt"] = keep.phone_alt or (others[0] if others else "")
    # The country alone is no address: every record has the site's by default.
    has_address = any(getattr(keep, name) for name in ADDRESS_FIELDS if name != "country")
    for name in ADDRESS_FIELDS:
        values[name] = getattr(keep if has_address else absorb, name) or getattr(keep, name)
    # Joined, unless one already says it all (a record merged twice, a note copied by hand).
    own, other = keep.notes, absorb.notes
    if not other.strip() or other.strip() in own:
        values["notes"] = own
    elif not own.strip() or own.strip() in other:
        values["notes"] = other
    else:
        values["notes"] = f"{own.rstrip()}\n\n{other.strip()}"
    values["tags"] = sorted(set(keep_tags) | set(absorb_tags))
    # Still a current client if either record was: the absorbed one's visits now count for the kept one.
    active = ClientStatus.ACTIVE in (keep.status, absorb.status)
    values["status"] = ClientStatus.ACTIVE if active else keep.status
    # The later end of retention: the kept record now holds the absorbed one's visits and documents too.
    ends = [day for day in (keep.retain_until, absorb.retain_until) if day is not None]
    values["retain_until"] = max(ends) if ends else None
    return values
