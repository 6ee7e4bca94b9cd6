"""Administering the site's settings and its departments."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.core.errors import InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation.models import Department, Site
from shared.api import FieldProblem
from shared.i18n import N_

# The panel and the kiosk speak these languages; a site's locale must be one of them with a region.
LANGUAGES = ("fr", "en")
SITE_FIELDS = ("name", "address", "phone", "time_zone", "locale", "country", "currency")
MESSAGES = {
    "name_required": N_("Give the site a name (at most 200 characters)."),
    "address_too_long": N_("The address is too long (at most 500 characters)."),
    "phone_invalid": N_("Give a phone number of digits, spaces and + - ( ) only."),
    "time_zone_unknown": N_("Unknown time zone: use a name like America/Toronto."),
    "locale_unknown": N_("Use a French or English locale with a region, like fr_CA or en_CA."),
    "country_unknown": N_("Use a two-letter ISO country code, like CA."),
    "currency_unknown": N_("Use a three-letter ISO 4217 currency code, like CAD."),
    "name_fr_required": N_("Give the French name (at most 120 characters)."),
    "name_en_required": N_("Give the English name (at most 120 characters)."),
    "name_fr_taken": N_("Another department already has this French name."),
    "name_en_taken": N_("Another department already has this English name."),
}
_PHONE = re.compile(r"[0-9+\-(). ]{0,40}")
_COUNTRIES = frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def _problem(field: str, code: str) -> FieldProblem:
    return FieldProblem(field=field, code=code, detail=MESSAGES[code])


def _valid_time_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _valid_locale(code: str) -> bool:
    if not re.fullmatch(r"[a-z]{2}_[A-Z]{2}", code) or code[:2] not in LANGUAGES:
        return False
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def site_problems(values: dict[str, str]) -> list[FieldProblem]:
    """What is wrong with these site settings (all fields are stripped strings)."""
    problems = []
    if not values["name"] or len(values["name"]) > 200:
        problems.append(_problem("name", "name_required"))
    if len(values["address"]) > 500:
        problems.append(_problem("address", "address_too_long"))
    if not _PHONE.fullmatch(values["phone"]):
        problems.append(_problem("phone", "phone_invalid"))
    if not _valid_time_zone(values["time_zone"]):
        problems.append(_problem("time_zone", "time_zone_unknown"))
    if not _valid_locale(values["locale"]):
        problems.append(_problem("locale", "locale_unknown"))
    if values["country"] not in _COUNTRIES:
        problems.append(_problem("country", "country_unknown"))
    if values["currency"] not in list_currencies():
        problems.append(_problem("currency", "currency_unknown"))
    return problems


async def update_site(session: AsyncSession, actor: StaffIdentity, site_id: int, values: dict[str, str],
                      at: dt.datetime) -> Site:
    """Change the site's settings; nothing changes unless every field is valid."""
    site = await session.get(Site, site_id)
    if site is None:
        raise NotFound("There is no such site.")
    values = {name: str(values.get(name, "")).strip() for name in SITE_FIELDS}
    values["country"], values["currency"] = values["country"].upper(), values["currency"].upper()
    problems = site_problems(values)
    if problems:
        raise InvalidInput("The site settings cannot be saved.", problems)
    changed = {name: values[name] for name in SITE_FIELDS if getattr(site, name) != values[name]}
    for name, value in changed.items():
        setattr(site, name, value)
    if changed:
        record(session, actor.audit_actor, "site.updated", "site", site.id, at, fields=sorted(changed))
    return site


async def departments(session: AsyncSession, site_id: int) -> list[Department]:
    """Every department of the site, active or not, by French name."""
    return list(await session.scalars(
        select(Department).where(Department.site_id == site_id).order_by(Department.active.desc(),
                                                                          Department.name_fr)))


async def _name_problems(session: AsyncSession, site_id: int, name_fr: str, name_en: str,
                         department_id: int | None) -> list[FieldProblem]:
    problems = []
    if not name_fr or len(name_fr) > 120:
        problems.append(_problem("name_fr", "name_fr_required"))
    if not name_en or len(name_en) > 120:
        problems.append(_problem("name_en", "name_en_required"))
    # Unique per site, ignoring case: "Billing" and "billing" would confuse visitors at the kiosk.
    for other in await departments(session, site_id):
        if other.id == department_id:
            continue
        if other.name_fr.casefold() == name_fr.casefold():
            problems.append(_problem("name_fr", "name_fr_taken"))
        if other.name_en.casefold() == name_en.casefold():
            problems.append(_problem("name_en", "name_en_taken"))
    return problems


async def create_department(session: AsyncSession, actor: StaffIdentity, site_id: int, name_fr: str, name_en: str,
                            at: dt.datetime) -> Department:
    name_fr, name_en = name_fr.strip(), name_en.strip()
    problems = await _name_problems(session, site_id, name_fr, name_en, None)
    if problems:
        raise InvalidInput("The department cannot be created.", problems)
    department = Department(site_id=site_id, name_fr=name_fr, name_en=name_en, active=True)
    session.add(department)
    await session.flush()
    record(session, actor.audit_actor, "department.created", "department", department.id, at,
           name_fr=name_fr, name_en=name_en)
    return department


async def _department(session: AsyncSession, department_id: int) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFound("There is no such department.")
    return department


async def rename_department(session: AsyncSession, actor: StaffIdentity, department_id: int, name_fr: str,
                            name_en: str, at: dt.datetime) -> Department:
    department = await _department(session, department_id)
    name_fr, name_en = name_fr.strip(), name_en.strip()
    problems = await _name_problems(session, department.site_id, name_fr, name_en, department.id)
    if problems:
        raise InvalidInput("The department cannot be renamed.", problems)
    if (department.name_fr, department.name_en) != (name_fr, name_en):
        record(session, actor.audit_actor, "department.renamed", "department", department.id, at,
               name_fr={"from": department.name_fr, "to": name_fr},
               name_en={"from": department.name_en, "to": name_en})
        department.name_fr, department.name_en = name_fr, name_en
    return department


async def set_department_active(session: AsyncSession, actor: StaffIdentity, department_id: int, active: bool,
                                at: dt.datetime) -> Department:
    """A deactivated department leaves the kiosk; its history and memberships are kept."""
    department = await _department(session, department_id)
    if department.active != active:
        department.active = active
        record(session, actor.audit_actor, "department.activated" if active else "department.deactivated",
               "department", department.id, at)
    return department
