"""Filing documents in a client's file: checking an upload, keeping it, listing, and removing it.

Rows count the references to a file: a file is removed when the last row naming it goes. So that an upload of
some content and the removal of the last row naming the same content cannot cross (one removing the file the
other has just counted on), both look at the rows and the disk while holding a lock on that content: on
PostgreSQL a transaction-level advisory lock on its SHA-256, on SQLite the database's single write lock, which
every write transaction holds. Files are removed after the rows' removal has committed (`release`), so a
transaction that fails never leaves a row without its file; a crash in between leaves a file no row wants,
which the daily `sweep` removes.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.clients import service as clients
from backend.clients.models import Client
from backend.core.db import Database
from backend.core.errors import InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.documents.kinds import Kind, Refused, agreeing_name, detect
from backend.documents.models import ClientDocument
from backend.documents.storage import DocumentStore, digest
from shared.api import FieldProblem, Response
from shared.enums import DocumentCategory

TITLE_MAX = 200
# The first key of the documents' advisory locks, so they cannot collide with another feature's.
DOCUMENT_LOCK = 0x0D0C


class DocumentOut(Response):
    id: int
    client_id: int
    category: DocumentCategory
    title: str
    document_date: dt.date | None
    retain_until: dt.date | None
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by_id: int | None
    uploaded_at: dt.datetime
    previewable: bool
    content_url: str


class DocumentList(Response):
    items: list[DocumentOut]


@dataclass(frozen=True)
class Upload:
    """A checked upload, ready to keep."""

    data: bytes
    sha256: str
    kind: Kind
    filename: str
    category: DocumentCategory
    title: str
    document_date: dt.date | None
    retain_until: dt.date | None


def checked_upload(data: bytes | None, filename: str, fields: dict[str, str]) -> Upload:
    """The upload, its type read from its bytes; InvalidInput naming every bad field otherwise."""
    problems: list[FieldProblem] = []
    kind, name = None, ""
    if data is None:
        problems.append(FieldProblem(field="file", code="required", detail="Attach the document as 'file'."))
    else:
        try:
            kind = detect(data)
            name = agreeing_name(filename, kind)
        except Refused as refused:
            problems.append(refused.problem)
    category = fields.get("category", "").strip()
    if category not in DocumentCategory.__members__.values():
        problems.append(FieldProblem(field="category", code="required" if not category else "category_unknown",
                                     detail=f"One of: {', '.join(DocumentCategory)}."))
    title = " ".join(fields.get("title", "").split())
    if len(title) > TITLE_MAX:
        problems.append(FieldProblem(field="title", code="too_long", detail=f"At most {TITLE_MAX} characters."))
    document_date = clients.parse_date(fields.get("document_date", ""), "document_date", problems)
    retain_until = clients.parse_date(fields.get("retain_until", ""), "retain_until", problems)
    if problems:
        raise InvalidInput("The document cannot be filed.", problems)
    assert data is not None and kind is not None
    return Upload(data=data, sha256=digest(data), kind=kind, filename=name, category=DocumentCategory(category),
                  title=title or name.rsplit(".", 1)[0], document_date=document_date, retain_until=retain_until)


async def lock_content(session: AsyncSession, sha256: str) -> None:
    """Hold the lock on this content until the transaction ends (see the module's docstring)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                              {"space": DOCUMENT_LOCK, "key": int.from_bytes(bytes.fromhex(sha256[:8]), "big",
                                                                             signed=True)})


async def file_document(session: AsyncSession, store: DocumentStore, who: StaffIdentity, client: Client,
                        upload: Upload, at: dt.datetime) -> ClientDocument:
    """Keep the file (once, whoever filed the same content before) and its row; audited on the client."""
    await lock_content(session, upload.sha256)
    key = await store.put(upload.data, upload.sha256)
    document = ClientDocument(
        client_id=client.id, category=upload.category, title=upload.title, document_date=upload.document_date,
        retain_until=upload.retain_until, filename=upload.filename, media_type=upload.kind.media_type,
        size=len(upload.data), sha256=upload.sha256, stored_at=key, uploaded_by_id=who.staff_id, uploaded_at=at)
    session.add(document)
    await session.flush()
    record(session, who.audit_actor, "document.uploaded", "client", client.id, at, document_id=document.id,
           category=str(upload.category), media_type=upload.kind.media_type, size=document.size)
    return document


async def documents_of(session: AsyncSession, client_id: int) -> list[ClientDocument]:
    """Newest first by the date they bear, then by upload."""
    return list(await session.scalars(
        select(ClientDocument).where(ClientDocument.client_id == client_id)
        .order_by(ClientDocument.document_date.desc().nulls_last(), ClientDocument.uploaded_at.desc(),
                  ClientDocument.id.desc())))


async def document_for_staff(session: AsyncSession, who: StaffIdentity, document_id: int,
                             roles: frozenset) -> ClientDocument:
    clients.require(who, roles)
    document = await session.get(ClientDocument, document_id)
    if document is None:
        raise NotFound("There is no such document.")
    return document


def previewable(document: ClientDocument) -> bool:
    return document.media_type == "application/pdf" or document.media_type.startswith("image/")


def document_out(document: ClientDocument) -> DocumentOut:
    return DocumentOut(
        id=document.id, client_id=document.client_id, category=document.category, title=document.title,
        document_date=document.document_date, retain_until=document.retain_until, filename=document.filename,
        media_type=document.media_type, size=document.size, sha256=document.sha256,
        uploaded_by_id=document.uploaded_by_id, uploaded_at=document.uploaded_at,
        previewable=previewable(document), content_url=f"/api/documents/{document.id}/content")


async def remove_rows(session: AsyncSession, documents: list[ClientDocument]) -> set[str]:
    """Delete these rows; the SHA-256 of their files, for `release` once this transaction has committed."""
    if documents:
        await session.execute(delete(ClientDocument).where(ClientDocument.id.in_([d.id for d in documents]))
                              .execution_options(synchronize_session=False))
    return {document.sha256 for document in documents}


async def release(database: Database, store: DocumentStore, shas: set[str]) -> int:
    """Remove the files of these contents that no row names any more; how many were removed."""
    removed = 0
    for sha256 in sorted(shas):
        async with database.write() as session:
            await lock_content(session, sha256)
            wanted = await session.scalar(select(ClientDocument.id).where(ClientDocument.sha256 == sha256).limit(1))
            if wanted is None and store.exists(sha256):
                await store.remove(sha256)
                removed += 1
    return removed


async def sweep(database: Database, store: DocumentStore) -> int:
    """Remove every file no row names (left by a crash between a removal and its release, or by an upload whose
    transaction failed), and temporary files of writes that died. `release` checks each one again under its
    lock, so an upload committing meanwhile keeps its file."""
    stored = set(await asyncio.to_thread(lambda: list(store.stored())))
    async with database.read() as session:
        wanted = set(await session.scalars(select(ClientDocument.sha256).distinct()))
    await asyncio.to_thread(store.forget_stale_temporaries)
    return await release(database, store, stored - wanted)
