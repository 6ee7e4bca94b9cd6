"""Domain errors, and the middleware that answers them as application/problem+json (RFC 9457)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from shared.api import FieldProblem, Problem

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


class ApiError(Exception):
    """Raised by services and handlers; becomes a problem+json answer. Nothing is committed."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: list[FieldProblem] | None = None, *, title: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        if title:
            self.title = title


class BadRequest(ApiError):
    status, title = 400, "Bad request"


class Unauthorized(ApiError):
    status, title = 401, "Unauthorized"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class NotFound(ApiError):
    status, title = 404, "Not found"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class PayloadTooLarge(ApiError):
    status, title = 413, "Payload too large"


class InvalidInput(ApiError):
    status, title = 422, "Invalid input"


class Locked(ApiError):
    status, title = 423, "Locked"


class TooManyRequests(ApiError):
    status, title = 429, "Too many requests"


def problem_response(status: int, title: str, detail: str | None, errors: list[FieldProblem] = (),
                     headers: dict[str, str] | None = None) -> web.Response:
    slug = title.lower().replace(" ", "-")
    problem = Problem(type=f"/problems/{slug}", title=title, status=status, detail=detail, errors=list(errors))
    return web.Response(
        status=status,
        body=problem.model_dump_json(),
        content_type=PROBLEM_TYPE,
        headers=headers,
    )


@web.middleware
async def problem_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        headers = {"WWW-Authenticate": 'Bearer realm="accueil"'} if error.status == 401 else None
        return problem_response(error.status, error.title, error.detail, error.errors, headers)
    except web.HTTPException as error:
        if error.status < 400 or error.content_type == "text/html":
            raise  # a redirect, or a page made for a person (the panel's own error pages)
        headers = {k: v for k, v in error.headers.items() if k.lower() in {"allow", "retry-after"}}
        detail = error.text if error.text and not error.text.startswith(f"{error.status}:") else None
        return problem_response(error.status, error.reason, detail or _standard_detail(error), (), headers)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "Internal server error", "Something went wrong; it has been logged.")


def _standard_detail(error: web.HTTPException) -> str:
    if isinstance(error, web.HTTPRequestEntityTooLarge):
        return "The request body is too large."
    if isinstance(error, web.HTTPMethodNotAllowed):
        return f"Use one of: {', '.join(sorted(error.allowed_methods))}."
    if isinstance(error, web.HTTPNotFound):
        return "There is nothing at this address."
    return error.reason

