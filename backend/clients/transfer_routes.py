"""Importing client records from a spreadsheet (a preview, then all rows or none) and exporting them.

The file comes as multipart/form-data (a 'file' part, and an optional 'mapping' part) as the panel's form sends
it, or as the whole body (text/csv or the XLSX type) with the mapping in the query, as a script sends it.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from aiohttp import BodyPartReader, web

from backend.audit.service import record
from backend.clients import exporting, importing
from backend.clients import service as clients
from backend.clients.sheets import MAX_FILE_BYTES, XLSX_TYPE, Sheet
from backend.core.api import Endpoints, json_response, read_limited
from backend.core.errors import BadRequest, InvalidInput, PayloadTooLarge
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.web import database, now
from shared.api import FieldProblem, Problem

routes = Endpoints()

# The multipart envelope around the file: boundaries, part headers and the mapping.
ENVELOPE_BYTES = 256 * 1024
RAW_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", XLSX_TYPE,
                       "application/octet-stream"})
UPLOAD_QUERY = (("mapping", "string", "JSON object: column name → field (or null to ignore the column); the "
                                      "columns it does not name keep the guess. For a raw body; in a multipart "
                                      "form, send it as the 'mapping' part."),)


class ImportRefused(Problem):
    """422: at least one row has a problem, so nothing was stored. `errors` names every one (rows.<row>.<field>);
    `report` has the same with the columns."""

    report: importing.ImportReport


async def _parts(request: web.Request) -> tuple[bytes | None, str | None]:
    reader = await request.multipart()
    file, mapping, size = None, None, 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):  # a form nested in the form: nothing of ours
            continue
        data = bytearray()
        while chunk := await part.read_chunk():
            data += chunk
            size += len(chunk)
            if size > MAX_FILE_BYTES + ENVELOPE_BYTES:
                raise PayloadTooLarge(f"The file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        if part.name == "file":
            file = bytes(data)
        elif part.name == "mapping":
            mapping = data.decode("utf-8", errors="replace")
    return file, mapping


async def _upload(request: web.Request) -> tuple[bytes, dict[str, Any] | None]:
    """The file's bytes (its format is told by its content, not by the declared type) and the mapping given."""
    if request.content_length is not None and request.content_length > MAX_FILE_BYTES + ENVELOPE_BYTES:
        raise PayloadTooLarge(f"The file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if request.content_type.startswith("multipart/"):
        raw, mapping_text = await _parts(request)
        if raw is None:
            raise BadRequest("Send the spreadsheet as the form's 'file' part.")
    elif request.content_type in RAW_TYPES:
        raw, mapping_text = await read_limited(request, MAX_FILE_BYTES), request.query.get("mapping")
    else:
        raise BadRequest("Send the spreadsheet as multipart/form-data (a 'file' part), or as the body with "
                         f"Content-Type text/csv or {XLSX_TYPE}.")
    if len(raw) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"The file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if not mapping_text or not mapping_text.strip():
        return raw, None
    try:
        mapping = json.loads(mapping_text)
    except ValueError:
        mapping = None
    if not (isinstance(mapping, dict) and all(isinstance(v, str) or v is None for v in mapping.values())):
        raise InvalidInput("The mapping is not valid.", [FieldProblem(
            field="mapping", code="mapping_invalid",
            detail='A JSON object: column name → field name or null, e.g. {"Nom": "family_name", "Âge": null}.')])
    return raw, mapping


async def _sheet(request: web.Request) -> tuple[Sheet, dict[str, str | None], dict[str, str | None]]:
    raw, given = await _upload(request)
    try:
        # Parsing a large file takes a while: not on the event loop, which serves everyone else.
        sheet = await asyncio.to_thread(importing.read_sheet, raw)
    except importing.SheetError as error:
        raise InvalidInput(str(error), [FieldProblem(field="file", code="file_unreadable", detail=str(error))]) \
            from None
    try:
        mapping, guessed = importing.resolve_mapping(sheet.columns, given)
    except importing.SheetError as error:
        raise InvalidInput(str(error), [FieldProblem(field="mapping", code="mapping_invalid", detail=str(error))]) \
            from None
    return sheet, mapping, guessed


@routes.route("POST", "/api/clients/imports/preview", summary="Read a CSV or XLSX of clients: its columns, the "
              "guessed mapping, the first rows as they would be stored and every row's problems (stores nothing)",
              auth="staff", response=importing.ImportPreview, errors=(400, 403, 413, 422), query=UPLOAD_QUERY)
async def preview_import(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)
    sheet, mapping, guessed = await _sheet(request)
    at = now(request)
    async with database(request).read() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        checked = await importing.check(session, site, sheet, mapping, at.date())
    return json_response(importing.preview(checked, site, guessed))


@routes.route("POST", "/api/clients/imports", summary="Import a CSV or XLSX of clients: every row in one "
              "transaction, or none if any row has a problem (422 lists them all)", auth="staff",
              response=importing.ImportReport, status=201, errors=(400, 403, 409, 413, 422), query=UPLOAD_QUERY)
async def import_clients(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)
    sheet, mapping, _ = await _sheet(request)
    at = now(request)
    # Checked inside the writing transaction: no number can be taken between the check and the insert.
    async with database(request).write() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        checked = await importing.check(session, site, sheet, mapping, at.date())
        created = 0 if checked.problems else await importing.store(session, site, checked, who.audit_actor, at)
    if checked.problems:
        report = importing.report(checked, 0, applied=False)
        refused = ImportRefused(
            type="/problems/import-refused", title="Import refused", status=422,
            detail=f"{checked.bad_rows:,} of {len(sheet.rows):,} rows have problems: nothing was imported.",
            errors=[FieldProblem(field=f"rows.{p.row}.{p.field or 'row'}", code=p.code,
                                 detail=f"{p.column}: {p.detail}" if p.column else p.detail)
                    for p in checked.problems],
            report=report)
        return web.Response(status=422, body=refused.model_dump_json(), content_type="application/problem+json")
    return json_response(importing.report(checked, created, applied=True), status=201)


def _ids(request: web.Request) -> list[int] | None:
    """The clients asked for (ids=1,2,3 or ids repeated), or None for all of them."""
    raw = [part for value in request.query.getall("ids", []) for part in value.split(",") if part.strip()]
    if not raw:
        return None
    if not all(part.strip().isascii() and part.strip().isdigit() and len(part.strip()) <= 18 for part in raw):
        raise InvalidInput("ids are client numbers.", [FieldProblem(field="ids", code="ids_invalid",
                                                                    detail="Client ids, separated by commas.")])
    if len(raw) > exporting.MAX_IDS:
        raise InvalidInput("Too many ids.", [FieldProblem(field="ids", code="ids_too_many",
                                                          detail=f"At most {exporting.MAX_IDS:,} ids.")])
    return sorted({int(part) for part in raw})


async def _export(request: web.Request, who: StaffIdentity, kind: str) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)
    ids = _ids(request)
    separator = exporting.SEPARATORS.get(request.query.get("separator", ";"))
    if separator is None:
        raise InvalidInput("Unknown separator.", [FieldProblem(field="separator", code="separator_invalid",
                                                               detail="Use ; or , or tab.")])
    at = now(request)
    # A write: the export is audited in the same transaction that reads the records.
    async with database(request).write() as session:
        site_id = await organisation.only_site_id(session)
        rows = await exporting.client_rows(session, site_id, ids)
        details: dict[str, Any] = {"count": len(rows), "format": kind}
        if ids is not None:
            details["ids"] = [int(row[0]) for row in rows]
        record(session, who.audit_actor, "clients.exported", "site", site_id, at, **details)
    if kind == "csv":
        body, content_type = exporting.to_csv(rows, separator), f"{exporting.CSV_TYPE}; charset=utf-8"
    else:
        body, content_type = await asyncio.to_thread(exporting.to_xlsx, rows), exporting.XLSX_TYPE
    name = f"clients-{at.astimezone(dt.UTC).date().isoformat()}.{kind}"
    return web.Response(body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store",
                                            "Content-Disposition": f'attachment; filename="{name}"'})


EXPORT_QUERY = (("ids", "string", "Only these clients: ids separated by commas (or repeated); all active and "
                                  "inactive clients otherwise."),)


@routes.route("GET", "/api/clients/export.csv", summary="Clients as CSV (UTF-8 with BOM; formulas neutralised)",
              auth="staff", errors=(403, 422),
              query=EXPORT_QUERY + (("separator", "string", "; (default, as French Excel expects), , or tab."),))
async def export_csv(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _export(request, who, "csv")


@routes.route("GET", "/api/clients/export.xlsx", summary="Clients as XLSX (every cell text; no formula)",
              auth="staff", errors=(403, 422), query=EXPORT_QUERY)
async def export_xlsx(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _export(request, who, "xlsx")
