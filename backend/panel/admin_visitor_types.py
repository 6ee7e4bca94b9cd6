"""Administration of visitor types and their questions: the kiosk asks what is stored here, at its next request."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.organisation import service as organisation
from backend.panel.routes import admin_form, admin_staff, language_of, render, routes
from backend.visits import types
from backend.web import database, now, path_id
from shared.enums import FieldKind
from shared.i18n import N_, translate

PAGE = "/panel/admin/visitor-types"
KIND_LABELS = {FieldKind.TEXT: N_("Text"), FieldKind.CHOICE: N_("Choice from a list"),
               FieldKind.YES_NO: N_("Yes or no"), FieldKind.PHONE: N_("Phone number"),
               FieldKind.EMAIL: N_("Email address"), FieldKind.DATE: N_("Date")}
# The service's problems by code, as the panel says them (the service's own detail is the fallback).
PROBLEMS = {
    "required": N_("This field is required."),
    "key_invalid": N_("Use only lowercase letters a to z, digits and _ (at most 50)."),
    "key_taken": N_("This key is already in use."),
    "too_long": N_("This text is too long."),
    "kind_unknown": N_("Choose a kind of answer from the list."),
    "choice_invalid": N_("Write one choice per line: value | French | English; a value is written like a key."),
    "choice_repeated": N_("Two choices have the same value."),
    "choices_required": N_("A list to choose from needs at least one choice."),
    "too_many_choices": N_("Too many choices: at most 100."),
    "too_many_fields": N_("A visitor type has at most 50 questions."),
    "last_active_type": N_("The kiosk needs at least one active visitor type."),
}
Change = Callable[[AsyncSession, StaffIdentity, int, Any], Awaitable[Any]]


def _choices_text(choices: list[dict[str, str]]) -> str:
    return "\n".join(f"{c['value']} | {c['fr']} | {c['en']}" for c in choices)


def _parsed_choices(text: str) -> list[dict[str, str]]:
    """One choice a line, "value | French | English"; blank lines are skipped, missing parts left empty."""
    choices = []
    for line in text.splitlines():
        if line.strip():
            parts = [part.strip() for part in line.split("|")]
            parts += [""] * (3 - len(parts))
            choices.append({"value": parts[0], "fr": parts[1], "en": "|".join(parts[2:])})
    return choices


def _field_input(form: Any) -> types.FieldInput:
    return types.FieldInput(
        key=str(form.get("key", ""))[:200], kind=str(form.get("kind", ""))[:50],
        required=form.get("required") == "1", label_fr=str(form.get("label_fr", ""))[:1000],
        label_en=str(form.get("label_en", ""))[:1000], choices=_parsed_choices(str(form.get("choices", ""))[:20000]))


async def _page(request: web.Request, who: StaffIdentity, scope: str = "", form: Any = None,
                error: InvalidInput | None = None) -> web.Response:
    """The list with its forms; after refused input, that form keeps what was typed and says what is wrong."""
    language = language_of(request)
    async with database(request).read() as session:
        visitor_types = await types.all_types(session, await organisation.only_site_id(session))
    problems: dict[str, str] = {}
    for problem in error.errors if error else []:
        problems.setdefault(problem.field, translate(language, PROBLEMS.get(problem.code, problem.detail)))
    return render(request, "admin_visitor_types.html", {
        "who": who, "types": visitor_types, "kinds": KIND_LABELS, "choices_text": _choices_text,
        "scope": scope, "values": dict(form) if form is not None else {}, "problems": problems,
        "name_of": lambda thing, prefix="name": getattr(thing, f"{prefix}_{language}"),
    }, status=422 if error else 200)


async def _change(request: web.Request, scope: str, change: Change, anchor: str) -> web.Response:
    """Admin only, CSRF-checked, one transaction with its audit event; then back to the page (or 422 with why)."""
    who, form = await admin_form(request)
    try:
        async with database(request).write() as session:
            await change(session, who, await organisation.only_site_id(session), form)
    except InvalidInput as error:
        return await _page(request, who, scope, form, error)
    raise web.HTTPSeeOther(f"{PAGE}#{anchor}" if anchor else PAGE)


@routes.get(PAGE)
async def visitor_types_page(request: web.Request) -> web.Response:
    return await _page(request, await admin_staff(request))


@routes.post(PAGE)
async def create_type(request: web.Request) -> web.Response:
    async def change(session, who, site_id, form):
        data = types.TypeInput(key=str(form.get("key", ""))[:200], name_fr=str(form.get("name_fr", ""))[:1000],
                               name_en=str(form.get("name_en", ""))[:1000])
        await types.create_type(session, who, site_id, data, now(request))
    return await _change(request, "new-type", change, "new-type")


@routes.post(PAGE + "/{id}/name")
async def rename_type(request: web.Request) -> web.Response:
    type_id = path_id(request)

    async def change(session, who, site_id, form):
        await types.rename_type(session, who, site_id, type_id, str(form.get("name_fr", ""))[:1000],
                                str(form.get("name_en", ""))[:1000], now(request))
    return await _change(request, f"type-{type_id}", change, f"type-{type_id}")


@routes.post(PAGE + "/{id}/active")
async def set_active(request: web.Request) -> web.Response:
    type_id = path_id(request)

    async def change(session, who, site_id, form):
        await types.set_active(session, who, site_id, type_id, form.get("active") == "1", now(request))
    return await _change(request, f"type-{type_id}", change, f"type-{type_id}")


@routes.post(PAGE + "/{id}/fields")
async def add_field(request: web.Request) -> web.Response:
    type_id = path_id(request)

    async def change(session, who, site_id, form):
        await types.add_field(session, who, site_id, type_id, _field_input(form), now(request))
    return await _change(request, f"add-field-{type_id}", change, f"type-{type_id}")


@routes.post("/panel/admin/visitor-fields/{id}")
async def edit_field(request: web.Request) -> web.Response:
    field_id = path_id(request)

    async def change(session, who, site_id, form):
        await types.edit_field(session, who, site_id, field_id, _field_input(form), now(request))
    return await _change(request, f"field-{field_id}", change, f"field-{field_id}")


@routes.post("/panel/admin/visitor-fields/{id}/remove")
async def remove_field(request: web.Request) -> web.Response:
    field_id = path_id(request)

    async def change(session, who, site_id, form):
        await types.remove_field(session, who, site_id, field_id, now(request))
    return await _change(request, f"field-{field_id}", change, "")


@routes.post("/panel/admin/visitor-fields/{id}/move")
async def move_field(request: web.Request) -> web.Response:
    field_id = path_id(request)

    async def change(session, who, site_id, form):
        await types.move_field(session, who, site_id, field_id, -1 if form.get("step") == "up" else 1, now(request))
    return await _change(request, f"field-{field_id}", change, f"field-{field_id}")
