"""Everything held about one client, as one ZIP (the right of access): the record, its history and tags, the
visits, payment requests and calls linked to it with their personal fields, the trail of who viewed or handled
the record, and the files of its documents.

The archive is built in a spooled temporary file (in memory while small), since a file of documents may be
larger than is reasonable to hold in memory at once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import enum
import json
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.models import AuditEvent
from backend.calls.models import Call
from backend.clients import service as clients
from backend.clients.kiosk_models import ContactChangeRequest
from backend.clients.models import Client
from backend.documents import service as documents
from backend.documents.models import ClientDocument
from backend.documents.storage import DocumentStore
from backend.payments.models import Payment, PaymentLine, PaymentRequest
from backend.receipts.models import ReceiptRecord
from backend.staff.models import StaffMember
from backend.visits.models import Visit

IN_MEMORY_BYTES = 8 * 1024 * 1024
# Already compressed: deflating them again costs time for nothing.
STORED_TYPES = ("application/pdf", "image/", "application/vnd.openxmlformats", "application/vnd.oasis")
README = """Everything {site} holds about client #{id}, as of {at}.

client.json            the client record
tags.json              its tags
history.json           every change of the record: when, by whom (staff id), the field, old and new values
visits.json            the visits linked to the client, with what was entered at check-in
payment_requests.json  payment requests, their lines, payments and receipts
calls.json             telephone calls linked to the client
contact_changes.json   contact details the client proposed at the kiosk, and how each was reviewed
access.json            who viewed or handled the record, and when
documents.json         the documents in the client's file; their files are in documents/
"""
VISIT_FIELDS = ("id", "code", "state", "checked_in_at", "visitor_name", "visitor_phone", "visitor_email",
                "custom_fields", "language", "visitor_type_id", "department_id")
REQUEST_FIELDS = ("id", "code", "state", "created_at", "payer_name", "currency", "subtotal", "taxes", "total",
                  "visit_id")
LINE_FIELDS = ("description", "quantity", "unit_amount", "amount")
PAYMENT_FIELDS = ("id", "method", "state", "amount", "currency", "card_brand", "card_last4", "refunded",
                  "created_at", "settled_at")
CHANGE_FIELDS = ("id", "state", "proposed_at", "fields", "reviewed_at", "reject_reason")
CALL_FIELDS = ("id", "source", "received_at", "ended_at", "caller_name", "caller_number", "client_name", "reason",
               "outcome", "recording_url", "department_id")


@dataclass
class Everything:
    parts: dict[str, Any]  # file name in the archive -> JSON value
    documents: list[ClientDocument]


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


async def gather(session: AsyncSession, client: Client, site_name: str, at: dt.datetime) -> Everything:
    visits = list(await session.scalars(select(Visit).where(Visit.client_id == client.id).order_by(Visit.id)))
    # Those of its visits too, as erasure reaches them: a kiosk's payment names the visitor.
    requests = list(await session.scalars(select(PaymentRequest).where(or_(
        PaymentRequest.client_id == client.id, PaymentRequest.visit_id.in_([v.id for v in visits])))
        .order_by(PaymentRequest.id)))
    request_parts = []
    for request in requests:
        lines = await session.scalars(select(PaymentLine).where(PaymentLine.request_id == request.id)
                                      .order_by(PaymentLine.position))
        payments = []
        for payment in await session.scalars(select(Payment).where(Payment.request_id == request.id)
                                             .order_by(Payment.id)):
            receipt = await session.scalar(select(ReceiptRecord).where(ReceiptRecord.payment_id == payment.id))
            payments.append({**_row(payment, PAYMENT_FIELDS),
                             "receipt": receipt and {"number": receipt.number, "issued_at": _plain(receipt.issued_at),
                                                     "emailed_to": receipt.emailed_to}})
        request_parts.append({**_row(request, REQUEST_FIELDS), "lines": [_row(line, LINE_FIELDS) for line in lines],
                              "payments": payments})
    calls = await session.scalars(select(Call).where(Call.client_id == client.id).order_by(Call.id))
    changes = await session.scalars(select(ContactChangeRequest).where(ContactChangeRequest.client_id == client.id)
                                    .order_by(ContactChangeRequest.id))
    access = (await session.execute(
        select(AuditEvent, StaffMember.display_name)
        .outerjoin(StaffMember, (AuditEvent.actor_type == "staff") & (AuditEvent.actor_id == StaffMember.id))
        .where(AuditEvent.object_type == "client", AuditEvent.object_id == str(client.id))
        .order_by(AuditEvent.at, AuditEvent.id))).all()
    files = await documents.documents_of(session, client.id)
    return Everything(parts={
        "README.txt": README.format(site=site_name, id=client.id, at=at.isoformat(timespec="seconds")),
        "client.json": (await clients.client_out(session, client)).model_dump(mode="json"),
        "tags.json": await clients.tags_of(session, client.id),
        "history.json": [line.model_dump(mode="json") for line in await clients.history(session, client.id)],
        "visits.json": [_row(visit, VISIT_FIELDS) for visit in visits],
        "payment_requests.json": request_parts,
        "calls.json": [_row(call, CALL_FIELDS) for call in calls],
        "contact_changes.json": [_row(change, CHANGE_FIELDS) for change in changes],
        "access.json": [{"at": _plain(event.at), "action": event.action, "actor_type": event.actor_type,
                         "actor_id": event.actor_id, "staff_name": name or "", "details": event.details}
                        for event, name in access],
        "documents.json": [{**documents.document_out(d).model_dump(mode="json", exclude={"content_url"}),
                            "file": archived_name(d)} for d in files],
    }, documents=files)


def archived_name(document: ClientDocument) -> str:
    return f"documents/{document.id}-{document.filename}"


async def archive(everything: Everything, store: DocumentStore) -> IO[bytes]:
    """The ZIP, rewound; each document's file is checked against its checksum as it is added."""
    return await asyncio.to_thread(_archive, everything, store)


def _archive(everything: Everything, store: DocumentStore) -> IO[bytes]:
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as package:
            for name, value in everything.parts.items():
                body = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
                package.writestr(name, body)
            for document in everything.documents:
                stored = document.media_type.startswith(STORED_TYPES)
                package.writestr(archived_name(document), store.read_blocking(document.sha256),
                                 compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
