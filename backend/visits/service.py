"""Visits: checking in, the state machine, and who may see which visit."""
from __future__ import annotations

import datetime as dt
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend.audit.service import record
from backend.clients import identification
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.events import Audience
from backend.core.identity import KioskIdentity, StaffIdentity
from backend.organisation import service as organisation
from backend.organisation.models import Site
from backend.routing import service as routing
from backend.routing.models import Escalation
from backend.staff import service as staff
from backend.visits.models import Visit, VisitorField, VisitorType, VisitTransition
from shared.api import (
    CheckInRequest, ChoiceOut, FieldProblem, LocalizedText, VisitorFieldOut, VisitorTypeOut, VisitOut,
)
from shared.enums import OPEN_VISIT_STATES, VISIT_TRANSITIONS, FieldKind, Role, VisitState
from shared.fields import FieldError, FieldSpec, check_values, folded, normalise_email, normalise_phone

# Letters and digits that cannot be mistaken for one another on a printed pass.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXY346789"
CODE_LENGTH = 6
LOBBY_ROLES = frozenset({Role.ADMIN, Role.RECEPTIONIST, Role.DEPARTMENT_STAFF})


def _visit_query() -> Select[tuple[Visit]]:
    return select(Visit).options(selectinload(Visit.transitions))


def visit_out(visit: Visit) -> VisitOut:
    return VisitOut.model_validate(visit)


# --- visitor types -------------------------------------------------------------------------------

def field_spec(field: VisitorField) -> FieldSpec:
    return FieldSpec(field.key, FieldKind(field.kind), field.required,
                     tuple(choice["value"] for choice in field.choices))


async def _visitor_types(session: AsyncSession, site_id: int) -> list[VisitorType]:
    return list(await session.scalars(
        select(VisitorType).options(selectinload(VisitorType.fields))
        .where(VisitorType.site_id == site_id, VisitorType.active.is_(True))
        .order_by(VisitorType.position, VisitorType.id)
    ))


async def visitor_types_out(session: AsyncSession, site_id: int) -> list[VisitorTypeOut]:
    return [
        VisitorTypeOut(
            id=t.id, key=t.key, name=LocalizedText(fr=t.name_fr, en=t.name_en),
            fields=[
                VisitorFieldOut(
                    key=f.key, kind=f.kind, required=f.required, label=LocalizedText(fr=f.label_fr, en=f.label_en),
                    choices=[ChoiceOut(value=c["value"], label=LocalizedText(fr=c["fr"], en=c["en"]))
                             for c in f.choices],
                )
                for f in t.fields
            ],
        )
        for t in await _visitor_types(session, site_id)
    ]


# --- checking in ---------------------------------------------------------------------------------

async def check_in(session: AsyncSession, kiosk: KioskIdentity, body: CheckInRequest, now: dt.datetime) -> Visit:
    """Validate everything, then store the visit and its first transition; raises InvalidInput at once."""
    site = await organisation.site(session, kiosk.site_id)
    problems: list[FieldProblem] = []

    def problem(field: str, code: str, detail: str) -> None:
        problems.append(FieldProblem(field=field, code=code, detail=detail))

    visitor_type = await session.scalar(
        select(VisitorType).options(selectinload(VisitorType.fields)).where(
            VisitorType.id == body.visitor_type_id, VisitorType.site_id == site.id, VisitorType.active.is_(True))
    )
    if visitor_type is None:
        problem("visitor_type_id", "visitor_type_unknown", "There is no such visitor type here.")
    department = await organisation.department(session, body.department_id)
    if department is None or department.site_id != site.id or not department.active:
        problem("department_id", "department_unknown", "There is no such department here.")
        department = None
    if body.host_id is not None and department is not None:
        host = await staff.active_member(session, body.host_id)
        if host is None:
            problem("host_id", "host_unknown", "There is no such person here.")
        elif department.id not in host.department_ids:
            problem("host_id", "host_not_in_department", "This person does not work in that department.")

    visitor_name = " ".join(body.visitor_name.split())
    if not visitor_name:
        problem("visitor_name", "required", "Give the visitor's name.")
    contact: dict[str, str | None] = {"visitor_phone": None, "visitor_email": None}
    for field, value, normalise in (
        ("visitor_phone", body.visitor_phone, lambda v: normalise_phone(v, site.country)),
        ("visitor_email", body.visitor_email, normalise_email),
    ):
        if value and value.strip():
            try:
                contact[field] = normalise(value.strip())
            except FieldError as error:
                problem(field, error.code, error.message)

    custom_fields: dict[str, str | bool] = {}
    if visitor_type is not None:
        custom_fields, errors = check_values(
            [field_spec(f) for f in visitor_type.fields], body.custom_fields, site.country)
        for key, error in errors.items():
            problem(f"custom_fields.{key}", error.code, error.message)

    client_id = None
    if body.client_token:
        # A returning client identified at this kiosk: the visit joins their record.
        linked = await identification.client_for_check_in(session, kiosk, body.client_token, now)
        if isinstance(linked, FieldProblem):
            problems.append(linked)
        else:
            client_id = linked

    if problems:
        raise InvalidInput("The check-in has invalid fields; nothing was stored.", problems)

    visit = Visit(
        code=await _new_code(session), site_id=site.id, state=VisitState.CHECKED_IN,
        visitor_name=visitor_name, visitor_type_id=visitor_type.id, department_id=department.id,
        host_id=body.host_id, custom_fields=custom_fields, language=body.language, kiosk_id=kiosk.kiosk_id,
        checked_in_at=now, client_id=client_id, **contact,
        transitions=[VisitTransition(from_state=None, to_state=VisitState.CHECKED_IN, at=now,
                                     by_kiosk_id=kiosk.kiosk_id)],
    )
    session.add(visit)
    await session.flush()
    record(session, kiosk.audit_actor, "visit.checked_in", "visit", visit.id, now,
           department_id=department.id, host_id=body.host_id, visitor_type_id=visitor_type.id)
    return visit


async def _new_code(session: AsyncSession) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if await session.scalar(select(Visit.id).where(Visit.code == code)) is None:
            return code


# --- reading -------------------------------------------------------------------------------------

def require_lobby_access(who: StaffIdentity) -> None:
    if not who.roles & LOBBY_ROLES:
        raise Forbidden("Your role has no access to the lobby's visits.")


def may_see(who: StaffIdentity, visit: Visit) -> bool:
    return who.sees_every_department or visit.department_id in who.department_ids or visit.host_id == who.staff_id


async def visit_for_staff(session: AsyncSession, who: StaffIdentity, visit_id: int) -> Visit:
    require_lobby_access(who)
    visit = (await session.execute(_visit_query().where(Visit.id == visit_id))).scalars().first()
    if visit is None:
        raise NotFound(f"There is no visit {visit_id}.")
    if not may_see(who, visit) and await session.scalar(
            _stood_in_for(who).where(Escalation.visit_id == visit.id)) is None:
        raise Forbidden("This visit is for another department.")
    return visit


async def visit_by_id(session: AsyncSession, visit_id: int) -> Visit | None:
    return (await session.execute(_visit_query().where(Visit.id == visit_id))).scalars().first()


def _stood_in_for(who: StaffIdentity) -> Select[tuple[int]]:
    """Other departments' visits that one of this person's departments answers for (their fallback)."""
    return select(Escalation.visit_id).where(Escalation.department_id.in_(who.department_ids or {-1}),
                                             Escalation.visit_id.is_not(None))


async def visit_for_kiosk(session: AsyncSession, kiosk: KioskIdentity, visit_id: int, *, own: bool) -> Visit:
    """A visit of the kiosk's site; with `own`, only one this kiosk made (it shows the visitor's data)."""
    query = _visit_query().where(Visit.id == visit_id, Visit.site_id == kiosk.site_id)
    if own:
        query = query.where(Visit.kiosk_id == kiosk.kiosk_id)
    visit = (await session.execute(query)).scalars().first()
    if visit is None:
        raise NotFound(f"There is no visit {visit_id} for this kiosk.")
    return visit


async def list_visits(
    session: AsyncSession, who: StaffIdentity, *, states: list[VisitState], department_id: int | None,
    day: dt.date | None, limit: int, name: str = "",
) -> list[Visit]:
    """Visits the staff member may see, newest first; `name` is a part of the visitor's name, in any case."""
    require_lobby_access(who)
    query = _visit_query().order_by(Visit.checked_in_at.desc(), Visit.id.desc()).limit(limit)
    if not who.sees_every_department:
        query = query.where(or_(Visit.department_id.in_(who.department_ids), Visit.host_id == who.staff_id,
                                Visit.id.in_(_stood_in_for(who))))
    if states:
        query = query.where(Visit.state.in_(states))
    if department_id is not None:
        query = query.where(Visit.department_id == department_id)
    if name.strip():
        query = query.where(Visit.visitor_name.ilike(f"%{_like_escaped(name.strip())}%", escape="\\"))
    if day is not None:
        # "Today" is the site's day, not UTC's.
        windows = []
        for site in await session.scalars(select(Site)):
            start = dt.datetime.combine(day, dt.time(), ZoneInfo(site.time_zone))
            windows.append((Visit.site_id == site.id) & (Visit.checked_in_at >= start)
                           & (Visit.checked_in_at < start + dt.timedelta(days=1)))
        query = query.where(or_(*windows)) if windows else query.where(False)
    return list((await session.execute(query)).scalars().all())


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def public_name(visitor_name: str) -> str:
    """First name and initial of the last name: enough to recognise oneself, little to a passer-by."""
    words = visitor_name.split()
    return words[0] if len(words) == 1 else f"{words[0]} {words[-1][0]}."


async def visit_by_code(session: AsyncSession, kiosk: KioskIdentity, code: str) -> Visit:
    normalised = "".join(code.split()).upper()
    visit = (await session.execute(_visit_query().where(Visit.code == normalised,
                                                        Visit.site_id == kiosk.site_id))).scalars().first()
    if visit is None:
        raise NotFound("No visit has this code. Check the code on your pass, or see the front desk.")
    return visit


async def open_visits_by_name(session: AsyncSession, kiosk: KioskIdentity, name: str,
                              now: dt.datetime) -> list[Visit]:
    """Today's open visits at the kiosk's site whose visitor name contains every word typed."""
    site = await organisation.site(session, kiosk.site_id)
    start = dt.datetime.combine(now.astimezone(ZoneInfo(site.time_zone)).date(), dt.time(), ZoneInfo(site.time_zone))
    candidates = await session.scalars(
        select(Visit).where(Visit.site_id == site.id, Visit.state.in_(OPEN_VISIT_STATES),
                            Visit.checked_in_at >= start).order_by(Visit.checked_in_at))
    words = folded(name).split()
    return [v for v in candidates if all(word in folded(v.visitor_name) for word in words)]


# --- moving a visit along ------------------------------------------------------------------------

def move(visit: Visit, to: VisitState, now: dt.datetime, actor: StaffIdentity | KioskIdentity,
         session: AsyncSession) -> None:
    """Apply a transition allowed by the state machine, with its time, author and audit event."""
    allowed = VISIT_TRANSITIONS.get(visit.state, frozenset())
    if to not in allowed:
        choices = ", ".join(sorted(allowed)) or "none: the visit is over"
        raise Conflict(f"A visit that is {visit.state} cannot become {to} (allowed: {choices}).")
    staff_id = actor.staff_id if isinstance(actor, StaffIdentity) else None
    kiosk_id = actor.kiosk_id if isinstance(actor, KioskIdentity) else None
    visit.transitions.append(VisitTransition(from_state=visit.state, to_state=to, at=now,
                                             by_staff_id=staff_id, by_kiosk_id=kiosk_id))
    record(session, actor.audit_actor, f"visit.{to}", "visit", visit.id, now, from_state=str(visit.state))
    visit.state = to


async def transition(session: AsyncSession, visit: Visit, to: VisitState, actor: StaffIdentity | KioskIdentity,
                     at: dt.datetime) -> tuple[VisitOut, Audience]:
    """Move a visit on; the first answer acknowledges its notifications. Returns what to publish after commit."""
    was_waiting = visit.state == VisitState.CHECKED_IN
    move(visit, to, at, actor, session)
    if was_waiting:
        await routing.acknowledge(session, by_staff_id=getattr(actor, "staff_id", None), at=at, visit_id=visit.id)
    return visit_out(visit), await routing.visit_audience(session, visit)
