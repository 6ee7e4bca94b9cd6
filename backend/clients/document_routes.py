"""The documents of a client's file: upload (multipart), list, download or preview (each audited), remove.

Every action is audited on the client ("client" events carrying a document_id), so the record's access trail
(GET /api/clients/{id}/access) shows who downloaded which of its documents, and when.
"""
from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from backend.appkeys import SETTINGS
from backend.audit.service import record
from backend.clients import service as clients
from backend.clients.models import Client
from backend.core.api import Endpoints, json_response, read_limited
from backend.core.errors import BadRequest, Conflict, InvalidInput, PayloadTooLarge
from backend.core.identity import StaffIdentity
from backend.core.security import HEADERS
from backend.documents import service as documents
from backend.documents.storage import DocumentStore
from backend.web import database, now, path_id
from shared.api import FieldProblem
from shared.enums import ClientStatus

routes = Endpoints()

FORM_FIELDS = ("category", "title", "document_date", "retain_until")
FIELD_BYTES = 4096
# Boundaries, part headers and the small fields around the file.
ENVELOPE_BYTES = 64 * 1024
CHUNK_BYTES = 256 * 1024
# A preview may be framed by the panel (same origin) and shows the file alone: nothing else loads, nothing runs.
PREVIEW_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
UPLOAD_SUMMARY = ("File a document in a client's file: multipart/form-data with 'file', 'category' (identity, "
                  "insurance, contract, report, correspondence, other), and optional 'title', 'document_date' and "
                  "'retain_until' (YYYY-MM-DD). Its type is read from its content: PDF, PNG, JPEG, WebP, GIF, TIFF, "
                  "DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS or plain text; anything else is refused (422)")


class _PartBody:
    """read_limited reads `request.content` until it is empty; a form part reads the same way, chunk by chunk."""

    def __init__(self, part: BodyPartReader):
        self.content = self
        self._part = part

    async def read(self, size: int) -> bytes:
        # Whole chunks whatever is asked: a part needs room to find its boundary, and read_limited stops one
        # chunk past its limit at most.
        return await self._part.read_chunk(CHUNK_BYTES)


async def _form(request: web.Request, limit: int) -> tuple[bytes | None, str, dict[str, str]]:
    """The file (at most `limit` bytes, else 413), its name as sent, and the other fields."""
    if request.content_length is not None and request.content_length > limit + ENVELOPE_BYTES:
        raise PayloadTooLarge(f"A document may be at most {_size(limit)}.")
    if request.content_type != "multipart/form-data":
        raise BadRequest("Send the document as multipart/form-data, the file in a part named 'file'.")
    file, filename, fields = None, "", {}
    problems: list[FieldProblem] = []
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name not in ("file", *FORM_FIELDS):
                problems.append(FieldProblem(field=str(getattr(part, "name", "") or "part"), code="field_unknown",
                                             detail="This field is not accepted here."))
                break  # nothing else is read from a form that is wrong anyway
            if part.name in fields or (part.name == "file" and file is not None):
                problems.append(FieldProblem(field=part.name, code="field_repeated", detail="Send it once."))
                break
            if part.name == "file":
                try:
                    file = await read_limited(_PartBody(part), limit)  # type: ignore[arg-type]
                except PayloadTooLarge:
                    raise PayloadTooLarge(f"A document may be at most {_size(limit)}.") from None
                filename = part.filename or ""
            else:
                raw = await read_limited(_PartBody(part), FIELD_BYTES)  # type: ignore[arg-type]
                fields[part.name] = raw.decode("utf-8", errors="replace")
    except ValueError:
        raise BadRequest("The multipart form is malformed.") from None
    if problems:
        raise InvalidInput("The form has fields this endpoint does not take.", problems)
    return file, filename, fields


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def _still_held(client: Client) -> None:
    if client.status in (ClientStatus.MERGED, ClientStatus.ERASED):
        raise Conflict(f"This record was {client.status}: nothing more can be filed in it.")


@routes.route("POST", "/api/clients/{id}/documents", summary=UPLOAD_SUMMARY, auth="staff",
              response=documents.DocumentOut, status=201, errors=(403, 404, 409, 413, 422))
async def upload_document(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)  # before reading megabytes from somebody who may not file them
    client_id = path_id(request)
    async with database(request).read() as session:
        await clients.client_for_staff(session, who, client_id, now(request), viewed=False)  # 404 before the body
    settings = request.config_dict[SETTINGS]
    data, filename, fields = await _form(request, settings.document_max_bytes)
    # Reading the type and hashing megabytes: off the event loop.
    upload = await asyncio.to_thread(documents.checked_upload, data, filename, fields)
    at = now(request)
    async with database(request).write() as session:
        client = await clients.client_for_staff(session, who, client_id, at, viewed=False)
        _still_held(client)
        document = await documents.file_document(session, DocumentStore.of(settings), who, client, upload, at)
        out = documents.document_out(document)
    return json_response(out, status=201)


@routes.route("GET", "/api/clients/{id}/documents", summary="The documents in a client's file (audited as a view "
              "of the record)", auth="staff", response=documents.DocumentList, errors=(403, 404))
async def list_documents(request: web.Request, who: StaffIdentity) -> web.Response:
    # A write: their titles and names are part of the record, so listing them is a view, audited with it.
    async with database(request).write() as session:
        client = await clients.client_for_staff(session, who, path_id(request), now(request))
        items = [documents.document_out(d) for d in await documents.documents_of(session, client.id)]
    return json_response(documents.DocumentList(items=items))


@routes.route("GET", "/api/documents/{id}/content", summary="Download a document (preview=1: shown in the browser, "
              "for a PDF or an image); every download is audited", auth="staff", errors=(403, 404, 500),
              query=(("preview", "integer", "1 to show a PDF or an image inline rather than download it."),))
async def document_content(request: web.Request, who: StaffIdentity) -> web.StreamResponse:
    document_id = path_id(request)
    async with database(request).read() as session:
        document = await documents.document_for_staff(session, who, document_id, clients.CLIENT_READERS)
    # Checked against its checksum before anything is sent: a damaged file is an error, not a download.
    data = await DocumentStore.of(request.config_dict[SETTINGS]).read(document.sha256)
    inline = request.query.get("preview") == "1" and documents.previewable(document)
    async with database(request).write() as session:
        record(session, who.audit_actor, "document.downloaded", "client", document.client_id, now(request),
               document_id=document.id, preview=inline)
    response = web.StreamResponse(headers=_download_headers(document.filename, document.media_type, inline))
    response.content_length = len(data)
    # Prepared here, so the security middleware leaves these headers as they are (it sets the panel's otherwise).
    await response.prepare(request)
    for start in range(0, len(data), CHUNK_BYTES):
        await response.write(data[start:start + CHUNK_BYTES])
    await response.write_eof()
    return response


def _download_headers(filename: str, media_type: str, inline: bool) -> dict[str, Any]:
    # The stored name is already safe (no folders, quotes or control characters); the plain-ASCII fallback is for
    # old browsers, the RFC 6266 filename* carries the real name.
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " ._-()") else "_" for ch in filename)
    disposition = f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; " \
                  f"filename*=UTF-8''{quote(filename, safe='')}"
    headers = {**HEADERS, "Content-Type": media_type, "Content-Disposition": disposition,
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if inline:
        headers["Content-Security-Policy"] = PREVIEW_POLICY
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


@routes.route("DELETE", "/api/documents/{id}", summary="Remove a document from a client's file (its file goes "
              "when no other filing shares it)", auth="staff", status=204, errors=(403, 404))
async def delete_document(request: web.Request, who: StaffIdentity) -> web.Response:
    at = now(request)
    async with database(request).write() as session:
        document = await documents.document_for_staff(session, who, path_id(request), clients.CLIENT_KEEPERS)
        shas = await documents.remove_rows(session, [document])
        record(session, who.audit_actor, "document.deleted", "client", document.client_id, at,
               document_id=document.id, category=str(document.category))
    await documents.release(database(request), DocumentStore.of(request.config_dict[SETTINGS]), shas)
    return web.Response(status=204)
