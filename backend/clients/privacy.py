"""Erasure: on request (an administrator), and automatically when a client's retention ends.

An erased client stays as an empty shell (status erased, shown as "Erased client #id"), so the visits, payment
requests and calls that point at it stay valid for statistics and accounting while nothing tells who it was:
its personal fields, tags and the values in its history are blanked (the history keeps which field changed,
when and by whom); its documents' rows go, and their files unless another filing shares them; its linked visits,
payment requests (also those of its visits), receipts' addresses and calls lose their personal fields. Money
amounts and dates stay. Copies the application keeps for a while (a kiosk's idempotent replies, queued
notifications, escalations, large live events, audit details of its receipts and payments) are scrubbed too.

Erasure reaches what is linked to the client: a visit never linked to the record is not found by its name.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.appkeys import CLOCK, DATABASE, SETTINGS
from backend.audit.models import AuditEvent
from backend.core.periodic import repeating
from backend.audit.service import record
from backend.calls.models import Call, CallEvent
from backend.clients.kiosk_models import ContactChangeRequest
from backend.clients.models import Client, ClientChange, ClientTag
from backend.core.db import Database
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.relay import LiveEvent
from backend.documents import service as documents
from backend.documents.models import ClientDocument
from backend.documents.storage import DocumentStore
from backend.kiosks.models import IdempotentReply
from backend.notifications.models import Delivery
from backend.organisation.models import Site
from backend.payments.models import Payment, PaymentRequest, Refund
from backend.receipts.models import ReceiptRecord
from backend.routing.models import Escalation
from backend.visits.models import Visit
from shared.api import FieldProblem
from shared.enums import ClientStatus, DeliveryStatus
from shared.fields import folded

log = logging.getLogger(__name__)

SYSTEM = ("system", None)
BLANK_TEXT = ("given_name", "family_name", "organisation_name", "phone", "phone_alt", "email", "address", "city",
              "region", "postal_code", "notes", "search_text")
NEEDLE_MIN = 4  # shorter strings (initials, "Li") would match too much in the copies that are scrubbed
BATCH = 100  # clients erased per transaction by the retention run, so no transaction holds the lock for long
RETENTION_CHECK_SECONDS = 3600
RETENTION_FIRST_DELAY = 300  # not at start-up: a restart loop must not become an erasure loop
RETENTION_RUNNING = web.AppKey("retention_running", asyncio.Lock)


@dataclass
class Erased:
    client_ids: list[int] = field(default_factory=list)
    documents: int = 0
    shas: set[str] = field(default_factory=set)  # the files to `release` once the transaction has committed


def _needles(values: Iterable[Any]) -> set[str]:
    return {folded(str(v)) for v in values if v and len(str(v)) >= NEEDLE_MIN}


def _scrubbed(value: Any, needles: set[str]) -> Any:
    """A JSON value with every string that mentions one of the needles blanked."""
    if isinstance(value, str):
        return "" if any(n in folded(value) for n in needles) else value
    if isinstance(value, dict):
        return {k: _scrubbed(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, needles) for v in value]
    return value


async def erase_client(session: AsyncSession, client_id: int, at: dt.datetime, *, actor: tuple[str, int | None],
                       reason: str = "", automatic: bool = False) -> Erased:
    """Erase one client (see the module's docstring); 409 if it already was. Nothing is committed here."""
    client = await session.scalar(select(Client).where(Client.id == client_id).with_for_update()
                                  .execution_options(populate_existing=True))
    if client is None:
        raise NotFound("There is no such client.")
    if client.status == ClientStatus.ERASED:
        raise Conflict("This client was already erased.")
    if session.bind.dialect.name == "sqlite":
        # Deleted and overwritten values are zeroed in the file, not left in free space.
        await session.execute(text("PRAGMA secure_delete = ON"))
    visits = list(await session.scalars(select(Visit).where(Visit.client_id == client.id)))
    visit_ids = [v.id for v in visits]
    requests = list(await session.scalars(select(PaymentRequest).where(or_(
        PaymentRequest.client_id == client.id, PaymentRequest.visit_id.in_(visit_ids)))))
    calls = list(await session.scalars(select(Call).where(Call.client_id == client.id)))
    call_ids = [c.id for c in calls]
    full_name = " ".join(part for part in (client.given_name, client.family_name) if part)
    # Whole names, numbers and addresses: precise enough to find copies of this client among other people's.
    needles = _needles([full_name, client.organisation_name, client.number, client.phone, client.phone_alt,
                        client.email, client.address,
                        *(x for v in visits for x in (v.visitor_name, v.visitor_phone, v.visitor_email)),
                        *(r.payer_name for r in requests),
                        *(x for c in calls for x in (c.caller_name, c.caller_number, c.client_name))])
    if reason and any(n in folded(reason) for n in needles | _needles([client.given_name, client.family_name])):
        raise InvalidInput("The reason is kept after erasure, so it must not name the client.", [FieldProblem(
            field="reason", code="reason_names_client", detail="Say why without the client's name or contact "
                                                               "details, e.g. 'their request of 2026-11-02'.")])
    since = min([v.checked_in_at for v in visits] + [r.created_at for r in requests], default=None)

    for visit in visits:
        visit.visitor_name, visit.visitor_phone, visit.visitor_email, visit.custom_fields = "", None, None, {}
    for request in requests:
        request.payer_name = ""
    for call in calls:
        call.caller_name = call.caller_number = call.client_name = call.reason = call.recording_url = ""
    if call_ids:
        for event in await session.scalars(select(CallEvent).where(CallEvent.call_id.in_(call_ids))):
            if event.event == "ringing" or _scrubbed(event.detail, needles) != event.detail:
                event.detail = ""  # a ringing event's detail is the caller's number
    await _scrub_payments(session, [r.id for r in requests], needles)
    await _scrub_copies(session, visit_ids, call_ids, needles, since)

    own_documents = list(await session.scalars(select(ClientDocument).where(ClientDocument.client_id == client.id)))
    shas = await documents.remove_rows(session, own_documents)
    await session.execute(delete(ClientTag).where(ClientTag.client_id == client.id))
    # Contact changes asked for at the kiosk hold the very details being erased.
    await session.execute(delete(ContactChangeRequest).where(ContactChangeRequest.client_id == client.id))
    # Which field changed, when and by whom stays: that a record was kept and corrected is not personal data.
    await session.execute(update(ClientChange).where(ClientChange.client_id == client.id)
                          .values(old_value="", new_value="").execution_options(synchronize_session=False))
    session.add(ClientChange(client_id=client.id, at=at, by_staff_id=actor[1] if actor[0] == "staff" else None,
                             source="erasure", field="status", old_value=str(client.status),
                             new_value=str(ClientStatus.ERASED)))
    for name in BLANK_TEXT:
        setattr(client, name, "")
    client.number = client.date_of_birth = None
    client.status, client.updated_at = ClientStatus.ERASED, at
    details: dict[str, Any] = {"automatic": automatic, "visits": len(visits), "payment_requests": len(requests),
                               "calls": len(calls), "documents": len(own_documents)}
    if reason:
        details["reason"] = reason
    record(session, actor, "client.erased", "client", client.id, at, **details)
    await session.flush()
    erased = Erased(client_ids=[client.id], documents=len(own_documents), shas=set(shas))
    # Records merged into this one still hold their own copy of the same person's details.
    for absorbed_id in list(await session.scalars(select(Client.id).where(
            Client.merged_into_id == client.id, Client.status == ClientStatus.MERGED))):
        more = await erase_client(session, absorbed_id, at, actor=actor, automatic=automatic)
        erased.client_ids += more.client_ids
        erased.documents += more.documents
        erased.shas |= more.shas
    return erased


async def _scrub_payments(session: AsyncSession, request_ids: list[int], needles: set[str]) -> None:
    """Receipts keep the address they were emailed to, and audit events and refunds may quote it."""
    if not request_ids:
        return
    payment_ids = list(await session.scalars(select(Payment.id).where(Payment.request_id.in_(request_ids))))
    receipts = list(await session.scalars(select(ReceiptRecord).where(ReceiptRecord.payment_id.in_(payment_ids))))
    for receipt in receipts:
        needles |= _needles([receipt.emailed_to])
        receipt.emailed_to = ""
    for refund in await session.scalars(select(Refund).where(Refund.payment_id.in_(payment_ids))):
        refund.reason = _scrubbed(refund.reason, needles)
    about = [("receipt", [r.number for r in receipts]), ("payment", [str(i) for i in payment_ids]),
             ("payment_request", [str(i) for i in request_ids])]
    for object_type, ids in about:
        if ids:
            for event in await session.scalars(select(AuditEvent).where(AuditEvent.object_type == object_type,
                                                                        AuditEvent.object_id.in_(ids))):
                event.details = _scrubbed(event.details, needles)


async def _scrub_copies(session: AsyncSession, visit_ids: list[int], call_ids: list[int], needles: set[str],
                        since: dt.datetime | None) -> None:
    """Copies of visits and calls kept for a while: notifications, escalations, kiosks' replies, live events."""
    about = [f"visit:{i}" for i in visit_ids] + [f"call:{i}" for i in call_ids]
    if about:
        for delivery in await session.scalars(select(Delivery).where(Delivery.about.in_(about))):
            delivery.subject, delivery.body, delivery.payload = "", "", {}
            if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
                delivery.status, delivery.last_error = DeliveryStatus.FAILED, "Not sent: the client was erased."
        for escalation in await session.scalars(select(Escalation).where(Escalation.about.in_(about))):
            escalation.subject, escalation.body, escalation.payload = "", "", {}
    if since is not None:
        # A kiosk's reply is written with the visit or payment request it answers, and kept a week at most.
        for reply in await session.scalars(select(IdempotentReply).where(IdempotentReply.created_at >= since)):
            body = reply.body
            if isinstance(body, dict) and body.get("id") in visit_ids and "visitor_name" in body:
                body = {**body, "visitor_name": "", "visitor_phone": None, "visitor_email": None,
                        "custom_fields": {}}
            body = _scrubbed(body, needles)
            if body != reply.body:
                reply.body = body
    if needles:  # kept for minutes only: few rows
        for event in await session.scalars(select(LiveEvent)):
            if any(n in folded(json.dumps(event.payload, ensure_ascii=False)) for n in needles):
                await session.delete(event)


async def purge_residue(database: Database) -> None:
    """After an erasure has committed: SQLite still holds what it replaced where no query reads it, in the search
    index's older segments (which keep the trigrams of deleted text until they are merged) and in the
    write-ahead log. Merge the first (freed pages zeroed, by secure_delete) and empty the second. PostgreSQL
    keeps replaced row versions until VACUUM reuses their space: physical erasure there is the server's own
    business (autovacuum, and the retention of its WAL archives and backups)."""
    if not database.is_sqlite:
        return
    async with database.write() as session:
        await session.execute(text("PRAGMA secure_delete = ON"))
        if await session.scalar(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'client_fts'")):
            await session.execute(text("INSERT INTO client_fts(client_fts) VALUES ('optimize')"))
    async with database.read() as session:
        await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


async def erase_expired(session: AsyncSession, today: dt.date, at: dt.datetime, *, limit: int = BATCH) -> Erased:
    """Erase up to `limit` clients whose retention ended before `today`, and remove the documents whose own
    retention did. Files are released by the caller after the commit (Erased.shas)."""
    done = Erased()
    expired = list(await session.scalars(select(Client.id).where(
        Client.retain_until < today, Client.status != ClientStatus.ERASED).order_by(Client.id).limit(limit)))
    for client_id in expired:
        erased = await erase_client(session, client_id, at, actor=SYSTEM, automatic=True)
        done.client_ids += erased.client_ids
        done.documents += erased.documents
        done.shas |= erased.shas
    old = list(await session.scalars(select(ClientDocument).where(ClientDocument.retain_until < today)
                                     .order_by(ClientDocument.id).limit(limit)))
    for document in old:
        record(session, SYSTEM, "document.expired", "client", document.client_id, at, document_id=document.id)
    done.shas |= await documents.remove_rows(session, old)
    done.documents += len(old)
    return done


async def site_today(app: web.Application, at: dt.datetime) -> dt.date:
    """Retention is counted in the site's days: a date ends at the site's midnight, not UTC's."""
    async with app[DATABASE].read() as session:
        zone = await session.scalar(select(Site.time_zone).order_by(Site.id).limit(1))
    return at.astimezone(ZoneInfo(zone or "UTC")).date()


async def run_retention(app: web.Application) -> Erased:
    """One retention run, to its end: what it erased. The daily task calls it; tests call it after moving the
    clock."""
    async with app[RETENTION_RUNNING]:
        database, at = app[DATABASE], app[CLOCK]()
        store = DocumentStore.of(app[SETTINGS])
        today = await site_today(app, at)
        total = Erased()
        while True:
            async with database.write() as session:
                batch = await erase_expired(session, today, at)
            await documents.release(database, store, batch.shas)
            total.client_ids += batch.client_ids
            total.documents += batch.documents
            if len(batch.client_ids) < BATCH and batch.documents < BATCH:
                break
        if total.client_ids or total.documents:
            await purge_residue(database)
        removed = await documents.sweep(database, store)
    if total.client_ids or total.documents or removed:
        log.info("retention: %d client(s) erased, %d document(s) removed, %d unwanted file(s) swept",
                 len(total.client_ids), total.documents, removed)
    return total


async def retention_context(app: web.Application) -> AsyncIterator[None]:
    """Runs retention once a day: checks a few minutes after start-up, then hourly, and runs when the site's
    date has changed since the last run."""
    app[RETENTION_RUNNING] = asyncio.Lock()

    last: list[dt.date] = []  # the site's date of the last run

    async def daily() -> None:
        today = await site_today(app, app[CLOCK]())
        if today not in last:
            await run_retention(app)
            last[:] = [today]

    async with repeating("retention run", RETENTION_CHECK_SECONDS, daily, first_after=RETENTION_FIRST_DELAY):
        yield
