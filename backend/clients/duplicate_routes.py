"""Duplicate client records: checked at entry, listed in bulk for the clerks, and merged.

The check and the list show only what tells two records apart at a glance (name, date of birth, number) and why
they look alike: the full record is one audited view away (GET /api/clients/{id}).
"""
from __future__ import annotations

import datetime as dt

from aiohttp import web

from backend.clients import service as clients
from backend.clients.duplicates import duplicate_pairs, likely_duplicates
from backend.clients.merge import merge_clients
from backend.clients.models import Client
from backend.clients.schemas import ClientIn, ClientOut
from backend.core.api import Endpoints, json_response, limit_param
from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.web import body, database, now, path_id
from shared.api import FieldProblem, Request, Response
from shared.enums import ClientStatus

routes = Endpoints()
PAIRS_DEFAULT, PAIRS_MAX = 200, 1000


class ClientBrief(Response):
    id: int
    display_name: str
    date_of_birth: dt.date | None
    number: str | None
    status: ClientStatus
    summary: str  # "Hélène Côté, born 1961-04-12"


class DuplicateOut(Response):
    client: ClientBrief
    score: int
    reasons: list[str]


class DuplicateCheck(Response):
    items: list[DuplicateOut]


class DuplicatePairOut(Response):
    first: ClientBrief  # the older record: the one usually kept
    second: ClientBrief
    score: int
    reasons: list[str]


class DuplicatePairs(Response):
    items: list[DuplicatePairOut]


class MergeIn(Request):
    absorb_id: int


def brief(client: Client) -> ClientBrief:
    name = clients.display_name(client)
    summary = f"{name}, born {client.date_of_birth.isoformat()}" if client.date_of_birth else name
    if client.number:
        summary += f" (no. {client.number})"
    return ClientBrief(id=client.id, display_name=name, date_of_birth=client.date_of_birth, number=client.number,
                       status=client.status, summary=summary)


@routes.route("POST", "/api/clients/duplicates-check", summary="The records a client being entered looks like "
              "(nothing is stored)", auth="staff", body=ClientIn, response=DuplicateCheck, errors=(403, 422))
async def check_duplicates(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_READERS)
    data = await body(request, ClientIn)
    async with database(request).read() as session:
        site = await organisation.site(session, await organisation.only_site_id(session))
        # A number already taken is the strongest sign of a duplicate, not an error, for this check.
        number = " ".join((data.number or "").split()) or None
        unchecked = data.model_copy(update={"number": None}) if "number" in data.model_fields_set else data
        values = await clients.checked_values(session, site, unchecked, now(request).date())
        if "number" in data.model_fields_set:
            values["number"] = number
        found = await likely_duplicates(session, site.id, values)
    return json_response(DuplicateCheck(items=[DuplicateOut(client=brief(client), score=score, reasons=reasons)
                                               for client, score, reasons in found]))


@routes.route("GET", "/api/clients/duplicates", summary="Likely duplicate records, best first", auth="staff",
              response=DuplicatePairs, errors=(403, 422),
              query=(("limit", "integer", f"At most this many pairs (default {PAIRS_DEFAULT}, up to {PAIRS_MAX})."),))
async def list_duplicates(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_READERS)
    problems = [FieldProblem(field=name, code="field_unknown", detail="No such filter.")
                for name in sorted(set(request.query) - {"limit"})]
    limit = limit_param(request.query, PAIRS_DEFAULT, PAIRS_MAX, problems)
    if problems:
        raise InvalidInput("Some filters are not valid.", problems)
    async with database(request).read() as session:
        pairs = await duplicate_pairs(session, await organisation.only_site_id(session), limit=limit)
    return json_response(DuplicatePairs(items=[
        DuplicatePairOut(first=brief(a), second=brief(b), score=score, reasons=reasons)
        for a, b, score, reasons in pairs]))


@routes.route("POST", "/api/clients/{id}/merge", summary="Merge another record of the same client into this one",
              auth="staff", body=MergeIn, response=ClientOut, errors=(403, 404, 409, 422))
async def merge(request: web.Request, who: StaffIdentity) -> web.Response:
    clients.require(who, clients.CLIENT_KEEPERS)
    keep_id = path_id(request)
    data = await body(request, MergeIn)
    async with database(request).write() as session:
        kept = await merge_clients(session, who, keep_id, data.absorb_id, now(request))
        out = await clients.client_out(session, kept)
    return json_response(out)
