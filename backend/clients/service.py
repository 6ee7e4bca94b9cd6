"""Client records: checking what is entered, creating and changing a record with the history of every change, and
reading one (each view audited).

Every function takes the caller's session; none commits. Bad input raises InvalidInput naming every bad field,
having changed nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.clients.models import Client, ClientChange, ClientTag
from backend.clients.schemas import TAG_MAX, ClientChangeOut, ClientIn, ClientOut
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation.models import Site
from shared.api import FieldProblem
from shared.enums import ClientKind, ClientStatus, Role
from shared.fields import FieldError, folded, normalise_email, normalise_phone

# Who may read client records, and who may change them.
CLIENT_READERS = frozenset({Role.ADMIN, Role.RECEPTIONIST, Role.CLERK, Role.DEPARTMENT_STAFF})
CLIENT_KEEPERS = frozenset({Role.ADMIN, Role.RECEPTIONIST, Role.CLERK})
TEXT_FIELDS = ("given_name", "family_name", "organisation_name", "address", "city", "region", "postal_code",
               "notes")
# Every field kept in the history, in the order a record shows them.
TRACKED = ("kind", "given_name", "family_name", "organisation_name", "number", "date_of_birth", "phone",
           "phone_alt", "email", "address", "city", "region", "postal_code", "country", "notes", "tags", "status",
           "retain_until")
OLDEST_BIRTH = dt.date(1880, 1, 1)


def require(who: StaffIdentity, roles: frozenset[Role]) -> None:
    if not who.roles & roles:
        raise Forbidden("Your role may not " + ("change" if roles == CLIENT_KEEPERS else "see") + " client records.")


def display_name(client: Client) -> str:
    if client.status == ClientStatus.ERASED:  # computed: the record holds no name any more
        return f"Erased client #{client.id}"
    if client.kind == ClientKind.ORGANISATION:
        return client.organisation_name
    return " ".join(part for part in (client.given_name, client.family_name) if part)


def search_text(client: Client, tags: list[str]) -> str:
    """What search and duplicate detection read: names, number, email, phone digits and tags, folded."""
    digits = " ".join("".join(ch for ch in phone if ch.isdigit()) for phone in (client.phone, client.phone_alt)
                      if phone)
    parts = (client.given_name, client.family_name, client.organisation_name, client.number or "", client.email,
             digits, " ".join(tags))
    return " ".join(folded(part) for part in parts if part)


def parse_date(raw: str, field: str, problems: list[FieldProblem]) -> dt.date | None:
    """YYYY-MM-DD (ISO, as the API and date inputs send) or DD/MM/YYYY (as French spreadsheets write it)."""
    raw = raw.strip()
    if not raw:
        return None
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, layout).date()
        except ValueError:
            continue
    problems.append(FieldProblem(field=field, code="date_invalid", detail="Expected YYYY-MM-DD or DD/MM/YYYY."))
    return None


def _text(value: str) -> str:
    return " ".join(value.split()) if "\n" not in value else value.strip()


async def checked_values(session: AsyncSession, site: Site, data: ClientIn, today: dt.date, *,
                         client: Client | None = None) -> dict[str, Any]:
    """The values to store, normalised, from what was given (only the fields given, for a change); InvalidInput
    naming every bad field otherwise."""
    given = data.model_dump(exclude_unset=True)
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if given.get(name) is not None:
            values[name] = _text(given[name])
    if "kind" in given:
        values["kind"] = given["kind"] or ClientKind.PERSON
    if "number" in given:
        number = " ".join((given["number"] or "").split())
        values["number"] = number or None
        if number:
            taken = await session.scalar(select(Client.id).where(
                Client.site_id == site.id, Client.number == number,
                Client.id != (client.id if client is not None else -1)))
            if taken is not None:
                problems.append(FieldProblem(field="number", code="number_taken",
                                             detail=f"Client {taken} already has this number."))
    for name in ("phone", "phone_alt"):
        if name in given:
            raw = (given[name] or "").strip()
            try:
                values[name] = normalise_phone(raw, site.country) if raw else ""
            except FieldError as error:
                problems.append(FieldProblem(field=name, code=error.code, detail=error.message))
    if "email" in given:
        raw = (given["email"] or "").strip()
        try:
            values["email"] = normalise_email(raw) if raw else ""
        except FieldError as error:
            problems.append(FieldProblem(field="email", code=error.code, detail=error.message))
    if "date_of_birth" in given:
        born = parse_date(given["date_of_birth"] or "", "date_of_birth", problems)
        if born is not None and not OLDEST_BIRTH <= born <= today:
            problems.append(FieldProblem(field="date_of_birth", code="date_out_of_range",
                                         detail="A date of birth between 1880 and today."))
        values["date_of_birth"] = born
    if "retain_until" in given:
        values["retain_until"] = parse_date(given["retain_until"] or "", "retain_until", problems)
    if "country" in given:
        country = (given["country"] or "").strip().upper()
        if country and not (len(country) == 2 and country.isalpha()):
            problems.append(FieldProblem(field="country", code="country_invalid",
                                         detail="A two-letter country code (ISO 3166), e.g. CA."))
        values["country"] = country
    if "status" in given:
        if given["status"] not in (ClientStatus.ACTIVE, ClientStatus.INACTIVE, None):
            problems.append(FieldProblem(field="status", code="status_invalid",
                                         detail="active or inactive: merging and erasing have their own actions."))
        values["status"] = given["status"] or ClientStatus.ACTIVE
    if "tags" in given:
        tags = sorted({" ".join(tag.split()).casefold() for tag in given["tags"] or [] if tag.strip()})
        if any(len(tag) > TAG_MAX for tag in tags):
            problems.append(FieldProblem(field="tags", code="tag_too_long", detail=f"At most {TAG_MAX} characters."))
        values["tags"] = tags
    kind = values.get("kind", client.kind if client is not None else ClientKind.PERSON)
    named = {name: values.get(name, getattr(client, name, "") if client is not None else "")
             for name in ("given_name", "family_name", "organisation_name")}
    if kind == ClientKind.PERSON and not (named["given_name"] or named["family_name"]):
        problems.append(FieldProblem(field="family_name", code="required", detail="Give a name."))
    if kind == ClientKind.ORGANISATION and not named["organisation_name"]:
        problems.append(FieldProblem(field="organisation_name", code="required",
                                     detail="Give the organisation's name."))
    if problems:
        raise InvalidInput("Some fields of the client are not valid.", problems)
    return values


async def tags_of(session: AsyncSession, client_id: int) -> list[str]:
    return list(await session.scalars(select(ClientTag.tag).where(ClientTag.client_id == client_id)
                                      .order_by(ClientTag.tag)))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


async def apply(session: AsyncSession, client: Client, values: dict[str, Any], by_staff_id: int | None,
                source: str, at: dt.datetime) -> list[str]:
    """Set the values on the client, with a history line per field that changed; returns those fields."""
    old_tags = await tags_of(session, client.id)
    changed = []
    for name in TRACKED:
        if name not in values:
            continue
        old = old_tags if name == "tags" else getattr(client, name)
        new = values[name]
        if _shown(old) == _shown(new):
            continue
        changed.append(name)
        session.add(ClientChange(client_id=client.id, at=at, by_staff_id=by_staff_id, source=source, field=name,
                                 old_value=_shown(old), new_value=_shown(new)))
        if name == "tags":
            await session.execute(delete(ClientTag).where(ClientTag.client_id == client.id))
            session.add_all(ClientTag(client_id=client.id, tag=tag) for tag in new)
        else:
            setattr(client, name, new)
    if changed:
        client.updated_at = at
        client.search_text = search_text(client, values.get("tags", old_tags))
    await session.flush()
    return changed


def blank_client(site: Site, at: dt.datetime) -> Client:
    return Client(site_id=site.id, kind=ClientKind.PERSON, given_name="", family_name="", organisation_name="",
                  number=None, date_of_birth=None, phone="", phone_alt="", email="", address="", city="",
                  region="", postal_code="", country=site.country, notes="", status=ClientStatus.ACTIVE,
                  merged_into_id=None, search_text="", retain_until=None, created_at=at, updated_at=at)


async def create_client(session: AsyncSession, site: Site, values: dict[str, Any], by_staff_id: int | None,
                        source: str, at: dt.datetime) -> Client:
    """A new client from checked values; its history starts with every field given."""
    client = blank_client(site, at)
    session.add(client)
    await session.flush()
    await apply(session, client, {"kind": ClientKind.PERSON, **values}, by_staff_id, source, at)
    return client


async def client_for_staff(session: AsyncSession, who: StaffIdentity, client_id: int, at: dt.datetime, *,
                           viewed: bool = True) -> Client:
    """The client; each view is audited (who looked at whose record, and when)."""
    require(who, CLIENT_READERS)
    client = await session.get(Client, client_id)
    if client is None:
        raise NotFound("There is no such client.")
    if viewed:
        record(session, who.audit_actor, "client.viewed", "client", client.id, at)
        await session.flush()
    return client


async def client_out(session: AsyncSession, client: Client) -> ClientOut:
    return ClientOut(
        id=client.id, kind=client.kind, display_name=display_name(client), given_name=client.given_name,
        family_name=client.family_name, organisation_name=client.organisation_name, number=client.number,
        date_of_birth=client.date_of_birth, phone=client.phone, phone_alt=client.phone_alt, email=client.email,
        address=client.address, city=client.city, region=client.region, postal_code=client.postal_code,
        country=client.country, notes=client.notes, tags=await tags_of(session, client.id), status=client.status,
        merged_into_id=client.merged_into_id, retain_until=client.retain_until, created_at=client.created_at,
        updated_at=client.updated_at)


async def history(session: AsyncSession, client_id: int) -> list[ClientChangeOut]:
    rows = await session.scalars(select(ClientChange).where(ClientChange.client_id == client_id)
                                 .order_by(ClientChange.at.desc(), ClientChange.id.desc()))
    return [ClientChangeOut(at=r.at, by_staff_id=r.by_staff_id, source=r.source, field=r.field,
                            old_value=r.old_value, new_value=r.new_value) for r in rows]
