"""Searching client records, as the clerk types: GET /api/clients?q=.

Finding a client is not looking at their record: no result is audited, only the record opened afterwards
(GET /api/clients/{id}).
"""
from __future__ import annotations

from aiohttp import web

from backend.clients import service as clients
from backend.clients.schemas import ClientList
from backend.clients.search import search_clients
from backend.core.api import Endpoints, json_response, limit_param
from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.web import database
from shared.api import FieldProblem

routes = Endpoints()
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
QUERY_MAX = 200
FILTERS = {"q", "limit", "inactive"}


@routes.route("GET", "/api/clients", summary="Find clients by name, phone, email, number or tag (tolerant of "
              "accents, case and small typos), best first; without q, the most recently updated", auth="staff",
              response=ClientList, errors=(403, 422),
              query=(("q", "string", f"What was typed, up to {QUERY_MAX} characters."),
                     ("limit", "integer", f"At most this many (default {DEFAULT_LIMIT}, up to {MAX_LIMIT})."),
                     ("inactive", "boolean", "Include inactive clients (default false).")))
async def find_clients(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_READERS)
    problems = [FieldProblem(field=name, code="field_unknown", detail="No such filter.")
                for name in sorted(set(request.query) - FILTERS)]
    problems += [FieldProblem(field=name, code="field_repeated", detail="Give this filter once.")
                 for name in sorted(FILTERS) if len(request.query.getall(name, [])) > 1]
    q = request.query.get("q", "")
    if len(q) > QUERY_MAX:
        problems.append(FieldProblem(field="q", code="query_too_long", detail=f"At most {QUERY_MAX} characters."))
    limit = limit_param(request.query, DEFAULT_LIMIT, MAX_LIMIT, problems)
    inactive = request.query.get("inactive", "false")
    if inactive not in ("true", "false", "1", "0"):
        problems.append(FieldProblem(field="inactive", code="boolean_invalid", detail="true or false."))
    if problems:
        raise InvalidInput("Some filters are not valid.", problems)
    async with database(request).read() as session:
        site_id = await organisation.only_site_id(session)
        found = await search_clients(session, site_id, q, limit=limit, include_inactive=inactive in ("true", "1"))
        items = [await clients.client_out(session, client) for client, _score in found]
    return json_response(ClientList(items=items))
