"""Following an import started in the panel: its state and progress, which the panel's page polls."""
from __future__ import annotations

from aiohttp import web

from backend.clients import import_jobs
from backend.core.api import Endpoints, json_response
from backend.core.identity import StaffIdentity
from backend.web import database, path_id

routes = Endpoints()


@routes.route("GET", "/api/clients/imports/{id}", summary="An import started in the panel: its state, its "
              "progress (rows checked, then stored) and, once finished, what it did", auth="staff",
              response=import_jobs.ImportJobOut, errors=(403, 404, 409))
async def import_progress(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        job = await import_jobs.job_for_staff(session, who, path_id(request))
    return json_response(import_jobs.job_out(job))
