"""Declaring JSON endpoints once: the route, its auth, its bodies — and from that, the OpenAPI document.

A feature declares `routes = Endpoints()` and decorates its handlers; `create_app` adds every feature's
endpoints to the router, and `openapi_document` describes exactly those.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from backend.core.errors import BadRequest, InvalidInput, PayloadTooLarge
from shared.api import FieldProblem, Problem

Auth = Literal["kiosk", "staff"] | None
Handler = Callable[..., Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    auth: Auth
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    websocket: bool
    query: tuple[tuple[str, str, str], ...]  # (name, JSON type, description)
    headers: tuple[tuple[str, bool, str], ...]  # (name, required, description)


class Endpoints:
    def __init__(self) -> None:
        self.items: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        auth: Auth,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        websocket: bool = False,
        query: tuple[tuple[str, str, str], ...] = (),
        headers: tuple[tuple[str, bool, str], ...] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.items.append(
                Endpoint(method, path, handler, summary, auth, body, response, status, errors, websocket,
                         query, headers)
            )
            return handler

        return register


def enum_params(query: Any, name: str, kind: type[E], problems: list[FieldProblem]) -> list[E]:
    """Every value of a repeatable query filter, checked against its enum; a problem named for each unknown one."""
    found = []
    for raw in query.getall(name, []):
        if raw in kind.__members__.values():
            found.append(kind(raw))
        elif raw:
            problems.append(FieldProblem(field=name, code=f"{name}_unknown", detail=f"Use one of: {', '.join(kind)}."))
    return found


def limit_param(query: Any, default: int, maximum: int, problems: list[FieldProblem]) -> int:
    """A list's `limit` filter: a whole number from 1 to `maximum` (`default` when absent); a problem otherwise."""
    raw = query.get("limit", str(default))
    limit = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 0
    if not 1 <= limit <= maximum:
        problems.append(FieldProblem(field="limit", code="limit_invalid",
                                     detail=f"A whole number from 1 to {maximum}."))
    return limit


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole raw body, however many packets it came in; 413 past `limit` bytes."""
    raw = bytearray()
    while chunk := await request.content.read(limit + 1 - len(raw)):
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge(f"The body may be at most {limit} bytes.")
    return bytes(raw)


async def read_body(request: web.Request, model: type[M], limit: int) -> M:
    """The request's JSON body as `model`; 400 for malformed JSON, 413 past `limit`, 422 with every field."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The body may be at most {limit} bytes.")
    raw = await read_limited(request, limit)
    if request.content_type != "application/json":
        raise BadRequest("Send the body as application/json.")
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            raise BadRequest("The body is not well-formed JSON.") from None
        raise InvalidInput("Some fields are not valid.", field_problems(error)) from None


def field_problems(error: ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        code = {"extra_forbidden": "field_unknown", "missing": "required"}.get(item["type"], item["type"])
        message = "This field is not accepted here." if code == "field_unknown" else item["msg"]
        problems.append(FieldProblem(field=location, code=code, detail=message))
    return problems


def json_response(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=model.model_dump_json(), status=status, content_type="application/json", headers=headers
    )


# --- OpenAPI ---------------------------------------------------------------------------------

_STATUS_TEXT = {400: "Bad request", 401: "Missing or invalid token", 403: "Not allowed for this identity",
                404: "Not found", 409: "Conflict with the current state", 413: "Body too large",
                422: "Invalid fields", 423: "Locked"}


def openapi_document(endpoints: list[Endpoint], *, title: str, version: str) -> dict[str, Any]:
    models = {Problem}
    for e in endpoints:
        models.update(m for m in (e.body, e.response) if m is not None)
    bodies = {e.body for e in endpoints if e.body is not None}
    _, schema = models_json_schema(
        [(m, "validation" if m in bodies else "serialization") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        operation: dict[str, Any] = {"summary": e.summary, "operationId": e.handler.__name__}
        if e.auth:
            operation["security"] = [{f"{e.auth}Token": []}]
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
            for name in _path_params(e.path)
        ]
        parameters += [{"name": n, "in": "query", "required": False, "schema": {"type": t}, "description": d}
                       for n, t, d in e.query]
        parameters += [{"name": n, "in": "header", "required": r, "schema": {"type": "string"}, "description": d}
                       for n, r, d in e.headers]
        if parameters:
            operation["parameters"] = parameters
        if e.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{e.body.__name__}"}}},
            }
        responses: dict[str, Any] = {}
        if e.websocket:
            responses["101"] = {"description": "Switching to a WebSocket; messages are "
                                f"{e.response.__name__ if e.response else 'JSON'} documents."}
        elif e.response is not None:
            responses[str(e.status)] = {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{e.response.__name__}"}}},
            }
        else:
            responses[str(e.status)] = {"description": "OK"}
        statuses = set(e.errors)
        if e.auth:
            statuses |= {401, 403}
        if e.body is not None:
            statuses |= {400, 413, 422}
        for status in sorted(statuses):
            responses[str(status)] = {
                "description": _STATUS_TEXT.get(status, "Error"),
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        operation["responses"] = responses
        paths.setdefault(e.path, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {
                "kioskToken": {"type": "http", "scheme": "bearer", "description": "Token from `accueil create-kiosk`."},
                "staffToken": {"type": "http", "scheme": "bearer",
                               "description": "Token from `accueil create-token` or POST /api/auth/token."},
            },
        },
    }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
