"""Administering the routing rules: a department's phone, address, fallback and delay; its weekly opening hours;
its on-duty rota; and where each member is told besides the panel (their contact channels).

Every function takes the caller's session and never commits. Each checks everything it is given first and, when
something is wrong, raises InvalidInput naming every bad field, having changed nothing. Times of day are wall-clock
times in the site's time zone, given as datetime.time or as "HH:MM" text (what a form posts).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.notifications.service import shown_target, valid_target
from backend.organisation.models import Department, Site
from backend.routing.models import ContactChannel, DutySlot, OpeningHours
from backend.staff.models import DepartmentMembership, StaffMember
from shared.api import FieldProblem
from shared.enums import DeliveryChannel, Role
from shared.fields import FieldError, normalise_email, normalise_phone

MIN_DELAY, MAX_DELAY = 10, 3600  # seconds each person has to answer before the next is told
MAX_RANK = 99
MAX_SPANS = 50  # opening-hours spans, or rota slots, of one department: far more than a week needs
EMAIL_MAX = 254

# The English detail of each problem, by code; the panel shows its own words for each code.
DETAILS = {
    "phone_invalid": "Expected a phone number (E.164 or national), or nothing.",
    "email_invalid": "Expected an email address, or nothing.",
    "fallback_self": "A department cannot be its own fallback.",
    "fallback_unknown": "Expected another department of the same site, or none.",
    "delay_invalid": f"Expected a whole number of seconds from {MIN_DELAY} to {MAX_DELAY}.",
    "weekday_invalid": "Expected a day of the week from 0 (Monday) to 6 (Sunday).",
    "time_required": "Expected a time of day (HH:MM).",
    "time_invalid": "Expected a time of day (HH:MM, 00:00 to 23:59).",
    "span_empty": "A span must end at another time than it starts (an end before the start runs past midnight).",
    "too_many": f"At most {MAX_SPANS} lines.",
    "staff_not_member": "Expected an active member of this department.",
    "staff_unknown": "Expected an active staff member.",
    "rank_invalid": f"Expected an order from 1 to {MAX_RANK}.",
    "channel_invalid": "Expected one of: email, slack, teams.",
    "channel_duplicate": "This member is already told there.",
}
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")


def _problem(field: str, code: str, detail: str | None = None) -> FieldProblem:
    return FieldProblem(field=field, code=code, detail=detail or DETAILS[code])


def _require_admin(actor: StaffIdentity) -> None:
    if Role.ADMIN not in actor.roles or actor.read_only:
        raise Forbidden("Only an administrator may change the routing rules.")


async def _department(session: AsyncSession, department_id: int) -> Department:
    """The department, locked until the caller's transaction ends (PostgreSQL): two admins saving its hours or rota
    at once take turns, instead of both deleting the old rows and leaving the union of their new ones."""
    department = await session.scalar(select(Department).where(Department.id == department_id).with_for_update())
    if department is None:
        raise NotFound("There is no such department.")
    return department


def _whole(value: object) -> int | None:
    """An int from an int or from digits (what a form posts); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) < 10:
            return int(text)
    return None


def _time(value: object) -> tuple[dt.time | None, str | None]:
    """The time of day, or the code of what is wrong with it."""
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None, microsecond=0), None
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None, "time_required"
    match = _TIME.fullmatch(text)
    if match is None:
        return None, "time_invalid"
    return dt.time(int(match[1]), int(match[2]), int(match[3] or 0)), None


def clock(moment: dt.time) -> str:
    """A time of day as the panel and the audit trail show it: 09:00."""
    return moment.strftime("%H:%M")


def _weekday(value: object, field: str, problems: list[FieldProblem]) -> int | None:
    weekday = _whole(value)
    if weekday is None or not 0 <= weekday <= 6:
        problems.append(_problem(field, "weekday_invalid"))
        return None
    return weekday


def _span(start: object, end: object, prefix: str, names: tuple[str, str],
          problems: list[FieldProblem]) -> tuple[dt.time, dt.time] | None:
    opens, opens_code = _time(start)
    closes, closes_code = _time(end)
    if opens_code:
        problems.append(_problem(f"{prefix}.{names[0]}", opens_code))
    if closes_code:
        problems.append(_problem(f"{prefix}.{names[1]}", closes_code))
    if opens is None or closes is None:
        return None
    if opens == closes:
        problems.append(_problem(f"{prefix}.{names[1]}", "span_empty"))
        return None
    return opens, closes


# Department settings


async def set_department_routing(session: AsyncSession, actor: StaffIdentity, department_id: int, *, phone: str,
                                 email: str, fallback_department_id: int | str | None,
                                 escalate_after_seconds: int | str, at: dt.datetime) -> Department:
    """The number callers are transferred to (E.164, read in the site's country), the address told last, the
    department that answers while this one is closed (another of the same site; loops are allowed, the rules stop
    them), and how long each person has to answer. A blank phone or email means none."""
    _require_admin(actor)
    department = await _department(session, department_id)
    site = await session.get(Site, department.site_id)
    problems: list[FieldProblem] = []

    phone = (phone or "").strip()
    if phone:
        try:
            phone = normalise_phone(phone[:100], site.country if site is not None else "CA")
        except FieldError:
            problems.append(_problem("phone", "phone_invalid"))
    email = (email or "").strip()
    if email:
        try:
            email = normalise_email(email[:EMAIL_MAX + 1])
        except FieldError:
            email = ""
        if not email or len(email) > EMAIL_MAX:
            problems.append(_problem("email", "email_invalid"))

    fallback_id: int | None = None
    if fallback_department_id not in (None, ""):
        fallback_id = _whole(fallback_department_id)
        if fallback_id is not None and fallback_id == department.id:
            problems.append(_problem("fallback_department_id", "fallback_self"))
        else:
            fallback = await session.get(Department, fallback_id) if fallback_id is not None else None
            if fallback is None or fallback.site_id != department.site_id:
                problems.append(_problem("fallback_department_id", "fallback_unknown"))

    delay = _whole(escalate_after_seconds)
    if delay is None or not MIN_DELAY <= delay <= MAX_DELAY:
        problems.append(_problem("escalate_after_seconds", "delay_invalid"))

    if problems:
        raise InvalidInput("The department's routing cannot be saved.", problems)
    values = {"phone": phone, "email": email, "fallback_department_id": fallback_id,
              "escalate_after_seconds": delay}
    changed = {name: {"from": getattr(department, name), "to": value} for name, value in values.items()
               if getattr(department, name) != value}
    for name, change in changed.items():
        setattr(department, name, change["to"])
    if changed:
        record(session, actor.audit_actor, "department.routing_updated", "department", department.id, at, **changed)
    return department


# Opening hours


async def set_opening_hours(session: AsyncSession, actor: StaffIdentity, department_id: int,
                            spans: Sequence[tuple[object, object, object]], at: dt.datetime) -> list[OpeningHours]:
    """Replace the department's weekly opening hours with `spans` of (weekday 0 = Monday, opens, closes); a span
    that closes before it opens runs past midnight. No spans: always open. Problems are named hours.{i}.weekday,
    hours.{i}.opens and hours.{i}.closes, i being the span's place in `spans`."""
    _require_admin(actor)
    department = await _department(session, department_id)
    problems: list[FieldProblem] = []
    if len(spans) > MAX_SPANS:
        problems.append(_problem("hours", "too_many"))
    checked: list[tuple[int, dt.time, dt.time]] = []
    for index, (weekday, opens, closes) in enumerate(spans[:MAX_SPANS]):
        day = _weekday(weekday, f"hours.{index}.weekday", problems)
        span = _span(opens, closes, f"hours.{index}", ("opens", "closes"), problems)
        if day is not None and span is not None:
            checked.append((day, *span))
    if problems:
        raise InvalidInput("The opening hours cannot be saved.", problems)

    checked = sorted(set(checked))
    before = await opening_hours(session, department.id)
    await session.execute(delete(OpeningHours).where(OpeningHours.department_id == department.id))
    rows = [OpeningHours(department_id=department.id, weekday=day, opens=opens, closes=closes)
            for day, opens, closes in checked]
    session.add_all(rows)
    await session.flush()
    was, now = [_span_text(h.weekday, h.opens, h.closes) for h in before], [_span_text(*span) for span in checked]
    if was != now:
        record(session, actor.audit_actor, "department.hours_set", "department", department.id, at,
               hours={"from": was, "to": now})
    return rows


def _span_text(weekday: int, start: dt.time, end: dt.time) -> str:
    return f"{weekday} {clock(start)}-{clock(end)}"


async def opening_hours(session: AsyncSession, department_id: int) -> list[OpeningHours]:
    return list(await session.scalars(select(OpeningHours).where(OpeningHours.department_id == department_id)
                                      .order_by(OpeningHours.weekday, OpeningHours.opens, OpeningHours.id)))


# On-duty rota


async def member_ids(session: AsyncSession, department_id: int) -> set[int]:
    """The department's active members."""
    return set(await session.scalars(
        select(DepartmentMembership.staff_member_id)
        .join(StaffMember, StaffMember.id == DepartmentMembership.staff_member_id)
        .where(DepartmentMembership.department_id == department_id, StaffMember.active.is_(True))))


async def set_rota(session: AsyncSession, actor: StaffIdentity, department_id: int,
                   slots: Sequence[tuple[object, object, object, object, object]],
                   at: dt.datetime) -> list[DutySlot]:
    """Replace the department's on-duty rota with `slots` of (staff id, weekday, starts, ends, rank): each an active
    member of the department, told in rank order (1 first). No slots: all members are told together. Problems are
    named rota.{i}.staff, .weekday, .starts, .ends and .rank."""
    _require_admin(actor)
    department = await _department(session, department_id)
    members = await member_ids(session, department.id)
    problems: list[FieldProblem] = []
    if len(slots) > MAX_SPANS:
        problems.append(_problem("rota", "too_many"))
    checked: list[tuple[int, dt.time, dt.time, int, int]] = []
    for index, (staff_id, weekday, starts, ends, rank) in enumerate(slots[:MAX_SPANS]):
        prefix = f"rota.{index}"
        member = _whole(staff_id)
        if member is None or member not in members:
            problems.append(_problem(f"{prefix}.staff", "staff_not_member"))
        day = _weekday(weekday, f"{prefix}.weekday", problems)
        span = _span(starts, ends, prefix, ("starts", "ends"), problems)
        order = _whole(rank)
        if order is None or not 1 <= order <= MAX_RANK:
            problems.append(_problem(f"{prefix}.rank", "rank_invalid"))
        if member in members and day is not None and span is not None and order is not None \
                and 1 <= order <= MAX_RANK:
            checked.append((day, *span, order, member))
    if problems:
        raise InvalidInput("The on-duty rota cannot be saved.", problems)

    checked = sorted(set(checked))
    before = await rota(session, department.id)
    await session.execute(delete(DutySlot).where(DutySlot.department_id == department.id))
    rows = [DutySlot(department_id=department.id, staff_member_id=member, weekday=day, starts=starts, ends=ends,
                     rank=order) for day, starts, ends, order, member in checked]
    session.add_all(rows)
    await session.flush()
    was = [_slot_text(s.staff_member_id, s.weekday, s.starts, s.ends, s.rank) for s in before]
    now = [_slot_text(member, day, starts, ends, order) for day, starts, ends, order, member in checked]
    if sorted(was) != sorted(now):
        record(session, actor.audit_actor, "department.rota_set", "department", department.id, at,
               rota={"from": was, "to": now})
    return rows


def _slot_text(staff_id: int, weekday: int, starts: dt.time, ends: dt.time, rank: int) -> str:
    return f"#{rank} staff {staff_id}: {_span_text(weekday, starts, ends)}"


async def rota(session: AsyncSession, department_id: int) -> list[DutySlot]:
    return list(await session.scalars(select(DutySlot).where(DutySlot.department_id == department_id)
                                      .order_by(DutySlot.weekday, DutySlot.starts, DutySlot.rank, DutySlot.id)))


# Contact channels


async def add_contact_channel(session: AsyncSession, actor: StaffIdentity, staff_id: int | str,
                              channel: DeliveryChannel | str, target: str, at: dt.datetime) -> ContactChannel:
    """Tell this active member there too: an email address, or a Slack or Teams incoming webhook's URL. The same
    target twice for one member is refused (422 on `target`; 409 if another request added it meanwhile)."""
    _require_admin(actor)
    problems: list[FieldProblem] = []
    member_id = _whole(staff_id)
    member = await session.get(StaffMember, member_id) if member_id is not None else None
    if member is None or not member.active:
        problems.append(_problem("staff", "staff_unknown"))
    try:
        kind = DeliveryChannel(str(channel))
    except ValueError:
        kind = None
        problems.append(_problem("channel", "channel_invalid"))
    normal = ""
    if kind is not None:
        try:
            normal = valid_target(kind, (target or "")[:2001])
        except InvalidInput as error:
            problems.extend(_problem("target", p.code, p.detail) for p in error.errors)
    if member is not None and kind is not None and normal and await session.scalar(
            select(ContactChannel.id).where(ContactChannel.staff_member_id == member.id,
                                            ContactChannel.channel == kind, ContactChannel.target == normal)):
        problems.append(_problem("target", "channel_duplicate"))
    if problems:
        raise InvalidInput("The contact channel cannot be added.", problems)

    row = ContactChannel(staff_member_id=member.id, channel=kind, target=normal)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:  # the caller's transaction is lost with it: it is rolled back as the error leaves
        raise Conflict("This member was just given the same channel.") from None
    record(session, actor.audit_actor, "contact_channel.added", "contact_channel", row.id, at,
           staff_member_id=member.id, channel=kind.value, target=shown_target(kind, normal))
    return row


async def remove_contact_channel(session: AsyncSession, actor: StaffIdentity, channel_id: int,
                                 at: dt.datetime) -> ContactChannel:
    _require_admin(actor)
    row = await session.get(ContactChannel, channel_id)
    if row is None:
        raise NotFound("There is no such contact channel.")
    await session.delete(row)
    await session.flush()
    record(session, actor.audit_actor, "contact_channel.removed", "contact_channel", channel_id, at,
           staff_member_id=row.staff_member_id, channel=DeliveryChannel(row.channel).value,
           target=shown_target(DeliveryChannel(row.channel), row.target))
    return row
