"""Privacy: everything held about a client as one ZIP, and erasure on request."""
from __future__ import annotations

import datetime as dt

from aiohttp import web
from pydantic import Field

from backend.appkeys import SETTINGS
from backend.audit.service import record
from backend.clients import everything, privacy
from backend.clients import service as clients
from backend.core.api import Endpoints, json_response
from backend.core.errors import Forbidden, InvalidInput
from backend.core.identity import StaffIdentity
from backend.core.security import HEADERS
from backend.documents import service as documents
from backend.documents.storage import DocumentStore
from backend.organisation.models import Site
from backend.web import body, database, now, path_id
from shared.api import FieldProblem, Request, Response
from shared.enums import Role

routes = Endpoints()
CHUNK_BYTES = 256 * 1024


class ErasureIn(Request):
    reason: str = Field(min_length=1, max_length=500, description="Why the client is erased (their request, a "
                        "letter's date…). It is kept in the audit trail, so it must not name the client.")


class ErasureOut(Response):
    client_id: int
    display_name: str
    erased_at: dt.datetime
    documents: int = Field(description="Documents removed from the client's file.")


@routes.route("GET", "/api/clients/{id}/everything", summary="Everything held about a client, as a ZIP: the record, "
              "history, tags, linked visits, payment requests and calls, who viewed it, and its documents' files "
              "(audited)", auth="staff", errors=(403, 404, 500))
async def export_everything(request: web.Request, who: StaffIdentity) -> web.StreamResponse:
    clients.require(who, clients.CLIENT_KEEPERS)
    at = now(request)
    async with database(request).read() as session:
        client = await clients.client_for_staff(session, who, path_id(request), at, viewed=False)
        site = await session.get(Site, client.site_id)
        gathered = await everything.gather(session, client, site.name if site else "", at)
    package = await everything.archive(gathered, DocumentStore.of(request.config_dict[SETTINGS]))
    try:
        # Audited once the archive exists: what the trail says was handed out, was.
        async with database(request).write() as session:
            record(session, who.audit_actor, "client.exported_whole", "client", client.id, at,
                   documents=len(gathered.documents))
        response = web.StreamResponse(headers={
            **HEADERS, "Content-Type": "application/zip", "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="client-{client.id}-everything.zip"'})
        package.seek(0, 2)
        response.content_length = package.tell()
        package.seek(0)
        # Prepared here, so the security middleware leaves these headers alone.
        await response.prepare(request)
        while chunk := package.read(CHUNK_BYTES):
            await response.write(chunk)
        await response.write_eof()
    finally:
        package.close()
    return response


@routes.route("POST", "/api/clients/{id}/erase", summary="Erase a client's personal data on request (administrators; "
              "amounts and dates stay)", auth="staff", body=ErasureIn, response=ErasureOut, errors=(403, 404, 409))
async def erase_client(request: web.Request, who: StaffIdentity) -> web.Response:
    if Role.ADMIN not in who.roles:
        raise Forbidden("Only an administrator may erase a client.")
    data = await body(request, ErasureIn)
    reason = " ".join(data.reason.split())
    if not reason:
        raise InvalidInput("Say why the client is erased.", [
            FieldProblem(field="reason", code="required", detail="Give the reason for the erasure.")])
    at = now(request)
    async with database(request).write() as session:
        erased = await privacy.erase_client(session, path_id(request), at, actor=who.audit_actor, reason=reason)
        client = await clients.client_for_staff(session, who, path_id(request), at, viewed=False)
        out = ErasureOut(client_id=client.id, display_name=clients.display_name(client), erased_at=at,
                         documents=erased.documents)
    await documents.release(database(request), DocumentStore.of(request.config_dict[SETTINGS]), erased.shas)
    await privacy.purge_residue(database(request))
    return json_response(out)
