"""Administering visitor types and their custom fields: what the kiosk asks, checked before anything is stored."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend.audit.service import record
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.visits.models import VisitorField, VisitorType
from shared.api import FieldProblem
from shared.enums import FieldKind, Role

KEY = re.compile(r"[a-z0-9_]{1,50}")
MAX_FIELDS = 50
MAX_CHOICES = 100
NAME_LENGTH, LABEL_LENGTH = 120, 200


@dataclass
class TypeInput:
    key: str
    name_fr: str
    name_en: str


@dataclass
class FieldInput:
    key: str
    kind: str
    required: bool
    label_fr: str
    label_en: str
    # For kind "choice": [{"value": ..., "fr": ..., "en": ...}]
    choices: list[dict[str, str]] = field(default_factory=list)


def _require_admin(who: StaffIdentity) -> None:
    if Role.ADMIN not in who.roles:
        raise Forbidden("Only an administrator may change visitor types.")


def _actor(who: StaffIdentity) -> tuple[str, int]:
    return ("staff", who.staff_id)


def _clean(text: str) -> str:
    return " ".join(text.split())


class _Problems(list[FieldProblem]):
    def add(self, field_name: str, code: str, detail: str) -> None:
        self.append(FieldProblem(field=field_name, code=code, detail=detail))

    def raise_if_any(self) -> None:
        if self:
            raise InvalidInput("Check the highlighted fields.", list(self))


def _check_key(problems: _Problems, key: str, taken: set[str], field_name: str = "key") -> None:
    if not key:
        problems.add(field_name, "required", "Give a key.")
    elif not KEY.fullmatch(key):
        problems.add(field_name, "key_invalid", "A key is made of lowercase letters a-z, digits and _ (at most 50).")
    elif key in taken:
        problems.add(field_name, "key_taken", "This key is already used.")


def _check_text(problems: _Problems, field_name: str, value: str, length: int) -> None:
    if not value:
        problems.add(field_name, "required", "This field is required.")
    elif len(value) > length:
        problems.add(field_name, "too_long", f"At most {length} characters.")


# --- reading -------------------------------------------------------------------------------------

async def all_types(session: AsyncSession, site_id: int) -> list[VisitorType]:
    """Every visitor type of the site, active or not, with its fields in order."""
    return list(await session.scalars(
        select(VisitorType).options(selectinload(VisitorType.fields))
        .where(VisitorType.site_id == site_id).order_by(VisitorType.position, VisitorType.id)
    ))


async def _type(session: AsyncSession, site_id: int, type_id: int) -> VisitorType:
    found = await session.scalar(
        select(VisitorType).options(selectinload(VisitorType.fields))
        .where(VisitorType.id == type_id, VisitorType.site_id == site_id)
    )
    if found is None:
        raise NotFound("There is no such visitor type here.")
    return found


async def _field(session: AsyncSession, site_id: int, field_id: int) -> tuple[VisitorType, VisitorField]:
    type_id = await session.scalar(select(VisitorField.visitor_type_id).where(VisitorField.id == field_id))
    if type_id is None:
        raise NotFound("There is no such field here.")
    visitor_type = await _type(session, site_id, type_id)
    return visitor_type, next(f for f in visitor_type.fields if f.id == field_id)


# --- visitor types -------------------------------------------------------------------------------

async def create_type(session: AsyncSession, who: StaffIdentity, site_id: int, data: TypeInput,
                      at: dt.datetime) -> VisitorType:
    _require_admin(who)
    key, name_fr, name_en = data.key.strip(), _clean(data.name_fr), _clean(data.name_en)
    existing = await all_types(session, site_id)
    problems = _Problems()
    _check_key(problems, key, {t.key for t in existing})
    _check_text(problems, "name_fr", name_fr, NAME_LENGTH)
    _check_text(problems, "name_en", name_en, NAME_LENGTH)
    problems.raise_if_any()
    visitor_type = VisitorType(site_id=site_id, key=key, name_fr=name_fr, name_en=name_en,
                               position=max((t.position for t in existing), default=0) + 1, active=True, fields=[])
    session.add(visitor_type)
    await session.flush()
    record(session, _actor(who), "visitor_type.created", "visitor_type", visitor_type.id, at, key=key)
    return visitor_type


async def rename_type(session: AsyncSession, who: StaffIdentity, site_id: int, type_id: int, name_fr: str,
                      name_en: str, at: dt.datetime) -> VisitorType:
    _require_admin(who)
    visitor_type = await _type(session, site_id, type_id)
    name_fr, name_en = _clean(name_fr), _clean(name_en)
    problems = _Problems()
    _check_text(problems, "name_fr", name_fr, NAME_LENGTH)
    _check_text(problems, "name_en", name_en, NAME_LENGTH)
    problems.raise_if_any()
    visitor_type.name_fr, visitor_type.name_en = name_fr, name_en
    record(session, _actor(who), "visitor_type.renamed", "visitor_type", visitor_type.id, at)
    return visitor_type


async def set_active(session: AsyncSession, who: StaffIdentity, site_id: int, type_id: int, active: bool,
                     at: dt.datetime) -> VisitorType:
    """Deactivate (hidden at the kiosk; past visits keep it) or reactivate a type; one must stay active."""
    _require_admin(who)
    visitor_type = await _type(session, site_id, type_id)
    if visitor_type.active == active:
        return visitor_type
    if not active:
        others = [t for t in await all_types(session, site_id) if t.active and t.id != type_id]
        if not others:
            raise InvalidInput("The kiosk needs at least one active visitor type.", [FieldProblem(
                field="active", code="last_active_type", detail="The kiosk needs at least one active visitor type.")])
    visitor_type.active = active
    record(session, _actor(who), "visitor_type.reactivated" if active else "visitor_type.deactivated",
           "visitor_type", visitor_type.id, at)
    return visitor_type


# --- custom fields -------------------------------------------------------------------------------

def _checked_field(data: FieldInput, taken: set[str]) -> FieldInput:
    """The input cleaned, or InvalidInput with every problem at once."""
    problems = _Problems()
    key = data.key.strip()
    _check_key(problems, key, taken)
    try:
        kind = FieldKind(data.kind)
    except ValueError:
        problems.add("kind", "kind_unknown", "Choose a kind of answer from the list.")
        kind = None
    label_fr, label_en = _clean(data.label_fr), _clean(data.label_en)
    _check_text(problems, "label_fr", label_fr, LABEL_LENGTH)
    _check_text(problems, "label_en", label_en, LABEL_LENGTH)
    choices: list[dict[str, str]] = []
    if kind is FieldKind.CHOICE:
        values: set[str] = set()
        for choice in data.choices:
            value, fr, en = (_clean(str(choice.get(part, ""))) for part in ("value", "fr", "en"))
            if not KEY.fullmatch(value) or not fr or not en or len(fr) > LABEL_LENGTH or len(en) > LABEL_LENGTH:
                problems.add("choices", "choice_invalid",
                             "Write each choice as value | French | English; a value is like a key.")
                break
            if value in values:
                problems.add("choices", "choice_repeated", "Two choices have the same value.")
                break
            values.add(value)
            choices.append({"value": value, "fr": fr, "en": en})
        else:
            if not choices:
                problems.add("choices", "choices_required", "A list to choose from needs at least one choice.")
            elif len(choices) > MAX_CHOICES:
                problems.add("choices", "too_many_choices", f"At most {MAX_CHOICES} choices.")
    problems.raise_if_any()
    return FieldInput(key=key, kind=kind, required=bool(data.required), label_fr=label_fr, label_en=label_en,
                      choices=choices)


async def add_field(session: AsyncSession, who: StaffIdentity, site_id: int, type_id: int, data: FieldInput,
                    at: dt.datetime) -> VisitorField:
    _require_admin(who)
    visitor_type = await _type(session, site_id, type_id)
    if len(visitor_type.fields) >= MAX_FIELDS:
        raise InvalidInput("This visitor type has as many fields as it may.", [FieldProblem(
            field="key", code="too_many_fields", detail=f"A visitor type has at most {MAX_FIELDS} fields.")])
    clean = _checked_field(data, {f.key for f in visitor_type.fields})
    new = VisitorField(key=clean.key, kind=clean.kind, required=clean.required, label_fr=clean.label_fr,
                       label_en=clean.label_en, choices=clean.choices,
                       position=max((f.position for f in visitor_type.fields), default=0) + 1)
    visitor_type.fields.append(new)
    await session.flush()
    record(session, _actor(who), "visitor_field.added", "visitor_field", new.id, at, visitor_type_id=type_id,
           key=clean.key, kind=str(clean.kind), required=clean.required)
    return new


async def edit_field(session: AsyncSession, who: StaffIdentity, site_id: int, field_id: int, data: FieldInput,
                     at: dt.datetime) -> VisitorField:
    """Change a field; answers already given stay under the key they were given with."""
    _require_admin(who)
    visitor_type, existing = await _field(session, site_id, field_id)
    clean = _checked_field(data, {f.key for f in visitor_type.fields if f.id != field_id})
    before = {"key": existing.key, "kind": str(existing.kind), "required": existing.required}
    existing.key, existing.kind, existing.required = clean.key, clean.kind, clean.required
    existing.label_fr, existing.label_en, existing.choices = clean.label_fr, clean.label_en, clean.choices
    record(session, _actor(who), "visitor_field.edited", "visitor_field", field_id, at,
           visitor_type_id=visitor_type.id, before=before,
           after={"key": clean.key, "kind": str(clean.kind), "required": clean.required})
    return existing


async def remove_field(session: AsyncSession, who: StaffIdentity, site_id: int, field_id: int,
                       at: dt.datetime) -> None:
    """Stop asking a question; past visits keep their answers."""
    _require_admin(who)
    visitor_type, existing = await _field(session, site_id, field_id)
    visitor_type.fields.remove(existing)
    record(session, _actor(who), "visitor_field.removed", "visitor_field", field_id, at,
           visitor_type_id=visitor_type.id, key=existing.key)


async def move_field(session: AsyncSession, who: StaffIdentity, site_id: int, field_id: int, step: int,
                     at: dt.datetime) -> None:
    """Move a field one place up (step -1) or down (step +1) in the order the kiosk asks."""
    _require_admin(who)
    visitor_type, existing = await _field(session, site_id, field_id)
    ordered = sorted(visitor_type.fields, key=lambda f: (f.position, f.id))
    index = ordered.index(existing)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, each in enumerate(ordered, start=1):
        each.position = position
    record(session, _actor(who), "visitor_field.moved", "visitor_field", field_id, at,
           visitor_type_id=visitor_type.id, order=[f.key for f in ordered])
