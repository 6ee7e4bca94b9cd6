"""Deliveries for staff who follow them: admins and receptionists."""
from __future__ import annotations

from aiohttp import web
from multidict import MultiMapping

from backend.core.api import Endpoints, enum_params, json_response, limit_param
from backend.core.errors import Forbidden, InvalidInput
from backend.core.identity import StaffIdentity
from backend.notifications import service
from backend.notifications.schemas import DeliveryList
from backend.web import database
from shared.api import FieldProblem
from shared.enums import DeliveryStatus, Role

routes = Endpoints()

DELIVERY_ROLES = frozenset({Role.ADMIN, Role.RECEPTIONIST})
LIST_LIMIT = 100
MAX_LIST_LIMIT = 500


def delivery_filters(query: MultiMapping[str]) -> dict:
    """The list's filters from a query string; 422 naming every bad one."""
    problems: list[FieldProblem] = [FieldProblem(field=name, code="field_unknown", detail="No such filter.")
                                    for name in sorted(set(query) - {"status", "about", "limit"})]
    statuses = enum_params(query, "status", DeliveryStatus, problems)
    about = query.get("about", "")
    if len(about) > service.ABOUT_MAX:
        problems.append(FieldProblem(field="about", code="too_long",
                                     detail=f"At most {service.ABOUT_MAX} characters."))
    limit = limit_param(query, LIST_LIMIT, MAX_LIST_LIMIT, problems)
    if problems:
        raise InvalidInput("Some filters are not valid.", problems)
    return {"statuses": statuses, "about": about, "limit": limit}


@routes.route("GET", "/api/deliveries", summary="Outgoing notifications (email, chat webhooks), newest first",
              auth="staff", response=DeliveryList, errors=(403, 422),
              query=(("status", "string", "pending, retrying, delivered or failed; repeat for several."),
                     ("about", "string", 'What they are about, e.g. "visit:12".'),
                     ("limit", "integer", f"At most this many (default {LIST_LIMIT}, up to {MAX_LIST_LIMIT}).")))
async def list_deliveries(request: web.Request, who: StaffIdentity) -> web.Response:
    if not who.roles & DELIVERY_ROLES:
        raise Forbidden("Your role may not follow outgoing notifications.")
    filters = delivery_filters(request.query)
    async with database(request).read() as session:
        rows = await service.list_deliveries(session, **filters)
    return json_response(DeliveryList(items=[service.delivery_out(row) for row in rows]))
