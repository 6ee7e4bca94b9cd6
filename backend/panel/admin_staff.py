"""Admin pages of the panel: staff accounts and roles; site settings and departments."""
from __future__ import annotations

from aiohttp import web

from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.organisation import admin as organisation_admin
from backend.organisation import service as organisation
from backend.panel.routes import admin_form, admin_staff, render, routes
from backend.staff import admin as staff_admin
from backend.web import database, now, path_id
from shared.enums import Role
from shared.i18n import N_

ROLE_LABELS = {Role.ADMIN: N_("Administrator"), Role.RECEPTIONIST: N_("Receptionist"),
               Role.DEPARTMENT_STAFF: N_("Department staff"), Role.CLERK: N_("Clerk")}
SAVED = {"created": N_("The staff member was created."), "updated": N_("The changes were saved."),
         "deactivated": N_("The staff member was deactivated: their sessions and API tokens no longer work."),
         "activated": N_("The staff member was reactivated."), "password": N_("The new password was set."),
         "site": N_("The site settings were saved."), "department": N_("The department was saved.")}


def _roles(form) -> set[Role]:
    return {Role(value) for value in form.getall("roles", []) if value in set(Role)}


def _department_ids(form) -> set[int]:
    return {int(value) for value in form.getall("departments", []) if value.isascii() and value.isdigit()
            and len(value) < 18}


def _text(form, name: str, limit: int = 1000) -> str:
    return str(form.get(name, ""))[:limit]


# Staff


async def _staff_page(request: web.Request, who: StaffIdentity, *, errors=(), created: dict | None = None,
                      edited: dict | None = None, status: int = 200) -> web.Response:
    edit_raw = request.match_info.get("id") or request.query.get("edit", "")
    async with database(request).read() as session:
        members = await staff_admin.list_staff(session)
        departments = await organisation_admin.departments(session, await organisation.only_site_id(session))
    editing = next((m for m in members if edit_raw.isdigit() and m.id == int(edit_raw)), None)
    if editing is not None and edited is None:
        edited = {"display_name": editing.display_name, "roles": set(editing.role_set),
                  "departments": set(editing.department_ids), "listed_at_kiosk": editing.listed_at_kiosk}
    names = {d.id: (d.name_fr, d.name_en) for d in departments}
    return render(request, "admin_staff.html", {
        "who": who, "members": members, "editing": editing, "edited": edited,
        "created": created or {"roles": set(), "departments": set()},
        "departments": departments, "department_name": lambda i, lang: names.get(i, ("?", "?"))[lang == "en"],
        "role_labels": ROLE_LABELS, "errors": list(errors), "saved": SAVED.get(request.query.get("saved", ""), ""),
    }, status=status)


@routes.get("/panel/admin/staff")
async def staff_page(request: web.Request) -> web.Response:
    return await _staff_page(request, await admin_staff(request))


@routes.post("/panel/admin/staff")
async def create_staff(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    values = {"login": _text(form, "login", 100).strip(), "display_name": _text(form, "display_name", 200),
              "email": _text(form, "email", 254).strip() or None, "roles": _roles(form),
              "departments": _department_ids(form), "listed_at_kiosk": form.get("listed_at_kiosk") == "1"}
    password = _text(form, "password") or None
    try:
        async with database(request).write() as session:
            await staff_admin.create(
                session, who, login=values["login"], display_name=values["display_name"], email=values["email"],
                roles=values["roles"], department_ids=values["departments"], password=password,
                listed_at_kiosk=values["listed_at_kiosk"], at=now(request))
    except InvalidInput as error:
        return await _staff_page(request, who, errors=error.errors, created=values, status=422)
    raise web.HTTPSeeOther("/panel/admin/staff?saved=created")


@routes.post("/panel/admin/staff/{id}")
async def update_staff(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    staff_id = path_id(request)
    values = {"display_name": _text(form, "display_name", 200), "roles": _roles(form),
              "departments": _department_ids(form), "listed_at_kiosk": form.get("listed_at_kiosk") == "1"}
    try:
        async with database(request).write() as session:
            await staff_admin.update(session, who, staff_id, display_name=values["display_name"],
                                     roles=values["roles"], department_ids=values["departments"],
                                     listed_at_kiosk=values["listed_at_kiosk"], at=now(request))
    except InvalidInput as error:
        return await _staff_page(request, who, errors=error.errors, edited=values, status=422)
    raise web.HTTPSeeOther(f"/panel/admin/staff?edit={staff_id}&saved=updated")


async def _set_active(request: web.Request, active: bool) -> web.Response:
    who, _form = await admin_form(request)
    staff_id = path_id(request)
    try:
        async with database(request).write() as session:
            await staff_admin.set_active(session, who, staff_id, active, now(request))
    except InvalidInput as error:
        return await _staff_page(request, who, errors=error.errors, status=422)
    raise web.HTTPSeeOther(f"/panel/admin/staff?edit={staff_id}&saved={'activated' if active else 'deactivated'}")


@routes.post("/panel/admin/staff/{id}/deactivate")
async def deactivate_staff(request: web.Request) -> web.Response:
    return await _set_active(request, False)


@routes.post("/panel/admin/staff/{id}/reactivate")
async def reactivate_staff(request: web.Request) -> web.Response:
    return await _set_active(request, True)


@routes.post("/panel/admin/staff/{id}/password")
async def set_password(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    staff_id = path_id(request)
    try:
        async with database(request).write() as session:
            await staff_admin.set_password(session, who, staff_id, _text(form, "password"), now(request))
    except InvalidInput as error:
        return await _staff_page(request, who, errors=error.errors, status=422)
    raise web.HTTPSeeOther(f"/panel/admin/staff?edit={staff_id}&saved=password")


# Site and departments


async def _site_page(request: web.Request, who: StaffIdentity, *, errors=(), site_values: dict | None = None,
                     new_department: dict | None = None, status: int = 200) -> web.Response:
    async with database(request).read() as session:
        site_id = await organisation.only_site_id(session)
        site = await organisation.site(session, site_id)
        departments = await organisation_admin.departments(session, site_id)
    if site_values is None:
        site_values = {name: getattr(site, name) for name in organisation_admin.SITE_FIELDS}
    return render(request, "admin_site.html", {
        "who": who, "site": site_values, "departments": departments, "errors": list(errors),
        "new_department": new_department or {"name_fr": "", "name_en": ""},
        "saved": SAVED.get(request.query.get("saved", ""), ""),
    }, status=status)


@routes.get("/panel/admin/site")
async def site_page(request: web.Request) -> web.Response:
    return await _site_page(request, await admin_staff(request))


@routes.post("/panel/admin/site")
async def update_site(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    values = {name: _text(form, name, 500) for name in organisation_admin.SITE_FIELDS}
    try:
        async with database(request).write() as session:
            await organisation_admin.update_site(session, who, await organisation.only_site_id(session), values,
                                                 now(request))
    except InvalidInput as error:
        return await _site_page(request, who, errors=error.errors, site_values=values, status=422)
    raise web.HTTPSeeOther("/panel/admin/site?saved=site")


@routes.post("/panel/admin/departments")
async def create_department(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    values = {"name_fr": _text(form, "name_fr", 200), "name_en": _text(form, "name_en", 200)}
    try:
        async with database(request).write() as session:
            await organisation_admin.create_department(session, who, await organisation.only_site_id(session),
                                                       values["name_fr"], values["name_en"], now(request))
    except InvalidInput as error:
        return await _site_page(request, who, errors=error.errors, new_department=values, status=422)
    raise web.HTTPSeeOther("/panel/admin/site?saved=department")


@routes.post("/panel/admin/departments/{id}")
async def rename_department(request: web.Request) -> web.Response:
    who, form = await admin_form(request)
    try:
        async with database(request).write() as session:
            await organisation_admin.rename_department(session, who, path_id(request), _text(form, "name_fr", 200),
                                                       _text(form, "name_en", 200), now(request))
    except InvalidInput as error:
        return await _site_page(request, who, errors=error.errors, status=422)
    raise web.HTTPSeeOther("/panel/admin/site?saved=department")


async def _set_department_active(request: web.Request, active: bool) -> web.Response:
    who, _form = await admin_form(request)
    async with database(request).write() as session:
        await organisation_admin.set_department_active(session, who, path_id(request), active, now(request))
    raise web.HTTPSeeOther("/panel/admin/site?saved=department")


@routes.post("/panel/admin/departments/{id}/deactivate")
async def deactivate_department(request: web.Request) -> web.Response:
    return await _set_department_active(request, False)


@routes.post("/panel/admin/departments/{id}/reactivate")
async def reactivate_department(request: web.Request) -> web.Response:
    return await _set_department_active(request, True)
