"""Administering the routing rules, at the service level on both databases: every bad input is refused with the
field it concerns and changes nothing; good input replaces what was there and is audited. And the rules read the
hours and the rota right across midnight (and a change of clocks) in the clinic's zone, America/Toronto."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from backend.audit.models import AuditEvent
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.organisation.models import Department, Site
from backend.routing import admin, rules, views
from backend.routing.models import ContactChannel
from backend.staff.models import StaffMember
from shared.enums import DeliveryChannel, Role
from tests.backend.conftest import Backend, backend  # noqa: F401  (the fixture)

TORONTO = ZoneInfo("America/Toronto")
MONDAY, FRIDAY, SATURDAY, SUNDAY = 0, 4, 5, 6
SECRET_HOOK = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n"
AT = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


def toronto(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> dt.datetime:
    """A moment given on the clinic's wall clock, as the app's clock gives it (UTC)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TORONTO).astimezone(dt.UTC)


def admin_of(backend: Backend) -> StaffIdentity:
    return StaffIdentity(backend.world.staff_ids["admin"], "Admin", frozenset({Role.ADMIN}), frozenset())


async def department(backend: Backend, key: str = "billing") -> Department:
    async with backend.database.read() as session:
        return await session.get(Department, backend.world.departments[key])


def routing_of(row: Department) -> tuple:
    return row.phone, row.email, row.fallback_department_id, row.escalate_after_seconds


async def call(backend: Backend, function, *args: Any, **kwargs: Any):
    async with backend.database.write() as session:
        return await function(session, admin_of(backend), *args, **kwargs)


async def refused(backend: Backend, function, *args: Any, **kwargs: Any) -> dict[str, str]:
    """The problems (field -> code) of a refused call, checking that it changed no row anywhere."""
    counts = await backend.row_counts()
    with pytest.raises(InvalidInput) as caught:
        await call(backend, function, *args, **kwargs)
    assert await backend.row_counts() == counts
    return {problem.field: problem.code for problem in caught.value.errors}


async def audit(backend: Backend, action: str) -> list[AuditEvent]:
    async with backend.database.read() as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                          .order_by(AuditEvent.id)))


# Department settings


async def settings_of(backend: Backend, **overrides: Any) -> dict[str, Any]:
    return {"phone": "514 555-0123", "email": "facturation@clinique.example",
            "fallback_department_id": backend.world.departments["paediatrics"], "escalate_after_seconds": 90,
            "at": AT, **overrides}


async def test_department_routing_is_normalised_saved_and_audited(backend: Backend):
    billing = backend.world.departments["billing"]
    await call(backend, admin.set_department_routing, billing,
               **await settings_of(backend, email="  Facturation@Clinique.EXAMPLE ", escalate_after_seconds="90"))
    row = await department(backend)
    assert routing_of(row) == ("+15145550123", "Facturation@clinique.example",
                               backend.world.departments["paediatrics"], 90)
    [event] = await audit(backend, "department.routing_updated")
    assert (event.actor_type, event.actor_id, event.object_id) == ("staff", backend.world.staff_ids["admin"],
                                                                  str(billing))
    assert event.details["phone"] == {"from": "", "to": "+15145550123"}

    # Blank phone and email mean none; saving the same again records nothing more.
    await call(backend, admin.set_department_routing, billing,
               **await settings_of(backend, phone=" ", email="", fallback_department_id=None))
    assert routing_of(await department(backend)) == ("", "", None, 90)
    await call(backend, admin.set_department_routing, billing,
               **await settings_of(backend, phone="", email="", fallback_department_id=""))
    assert len(await audit(backend, "department.routing_updated")) == 2


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"phone": "12"}, "phone", "phone_invalid"),
    ({"phone": "call me"}, "phone", "phone_invalid"),
    ({"email": "facturation@"}, "email", "email_invalid"),
    ({"email": "x" * 250 + "@clinique.example"}, "email", "email_invalid"),
    ({"fallback_department_id": 999_999}, "fallback_department_id", "fallback_unknown"),
    ({"fallback_department_id": "Pédiatrie"}, "fallback_department_id", "fallback_unknown"),
    ({"escalate_after_seconds": 9}, "escalate_after_seconds", "delay_invalid"),
    ({"escalate_after_seconds": 3601}, "escalate_after_seconds", "delay_invalid"),
    ({"escalate_after_seconds": "2 minutes"}, "escalate_after_seconds", "delay_invalid"),
    ({"escalate_after_seconds": ""}, "escalate_after_seconds", "delay_invalid"),
])
async def test_each_bad_routing_setting_is_named_and_changes_nothing(backend: Backend, overrides, field, code):
    billing = backend.world.departments["billing"]
    before = routing_of(await department(backend))
    problems = await refused(backend, admin.set_department_routing, billing,
                             **await settings_of(backend, **overrides))
    assert problems == {field: code}
    assert routing_of(await department(backend)) == before


async def test_every_bad_setting_is_named_at_once(backend: Backend):
    billing = backend.world.departments["billing"]
    problems = await refused(backend, admin.set_department_routing, billing, phone="12", email="@", at=AT,
                             fallback_department_id=billing, escalate_after_seconds=0)
    assert problems == {"phone": "phone_invalid", "email": "email_invalid",
                        "fallback_department_id": "fallback_self", "escalate_after_seconds": "delay_invalid"}


async def test_the_delay_bounds_are_allowed(backend: Backend):
    billing = backend.world.departments["billing"]
    for seconds in (10, 3600):
        await call(backend, admin.set_department_routing, billing,
                   **await settings_of(backend, escalate_after_seconds=seconds))
        assert (await department(backend)).escalate_after_seconds == seconds


async def test_a_fallback_loop_is_allowed_but_not_a_department_falling_back_on_itself(backend: Backend):
    billing, paeds = backend.world.departments["billing"], backend.world.departments["paediatrics"]
    assert await refused(backend, admin.set_department_routing, billing,
                         **await settings_of(backend, fallback_department_id=billing)) == {
        "fallback_department_id": "fallback_self"}
    await call(backend, admin.set_department_routing, billing, **await settings_of(backend,
                                                                                   fallback_department_id=paeds))
    await call(backend, admin.set_department_routing, paeds, **await settings_of(backend,
                                                                                 fallback_department_id=billing))
    assert (await department(backend, "paediatrics")).fallback_department_id == billing
    # Both closed on Sundays: the loop ends at reception (no department answers) instead of going round.
    for key in ("billing", "paediatrics"):
        await call(backend, admin.set_opening_hours, backend.world.departments[key], [(MONDAY, "09:00", "17:00")],
                   at=AT)
    async with backend.database.read() as session:
        assert await rules.answering_department(session, billing, toronto(6, 12)) is None
        assert (await rules.answering_department(session, billing, toronto(7, 12))).id == billing


async def test_a_fallback_on_another_site_is_refused(backend: Backend):
    async with backend.database.write() as session:
        elsewhere = Site(name="Autre clinique", time_zone="America/Toronto")
        session.add(elsewhere)
        await session.flush()
        other = Department(site_id=elsewhere.id, name_fr="Accueil", name_en="Front desk")
        session.add(other)
        await session.flush()
        other_id = other.id
    assert await refused(backend, admin.set_department_routing, backend.world.departments["billing"],
                         **await settings_of(backend, fallback_department_id=other_id)) == {
        "fallback_department_id": "fallback_unknown"}


async def test_only_an_administrator_changes_routing_and_an_unknown_department_is_not_found(backend: Backend):
    receptionist = StaffIdentity(backend.world.staff_ids["reception"], "Reception", frozenset({Role.RECEPTIONIST}),
                                 frozenset())
    async with backend.database.write() as session:
        with pytest.raises(Forbidden):
            await admin.set_opening_hours(session, receptionist, backend.world.departments["billing"], [], AT)
    with pytest.raises(NotFound):
        await call(backend, admin.set_opening_hours, 999_999, [], AT)


# Opening hours


async def hours_of(backend: Backend, key: str = "billing") -> list[tuple[int, dt.time, dt.time]]:
    async with backend.database.read() as session:
        return [(h.weekday, h.opens, h.closes) for h in await admin.opening_hours(
            session, backend.world.departments[key])]


async def test_opening_hours_replace_what_was_there_and_none_means_always_open(backend: Backend):
    billing = backend.world.departments["billing"]
    await call(backend, admin.set_opening_hours, billing,
               [(day, "9:00", "17:00") for day in range(5)] + [(SATURDAY, dt.time(10), dt.time(12, 30))], at=AT)
    assert await hours_of(backend) == [(day, dt.time(9), dt.time(17)) for day in range(5)] + [
        (SATURDAY, dt.time(10), dt.time(12, 30))]
    await call(backend, admin.set_opening_hours, billing, [("4", "22:00", "06:00")], at=AT)
    assert await hours_of(backend) == [(FRIDAY, dt.time(22), dt.time(6))]
    [_first, second] = await audit(backend, "department.hours_set")
    assert second.details["hours"] == {"from": [f"{d} 09:00-17:00" for d in range(5)] + ["5 10:00-12:30"],
                                       "to": ["4 22:00-06:00"]}

    await call(backend, admin.set_opening_hours, billing, [], at=AT)
    assert await hours_of(backend) == []
    async with backend.database.read() as session:
        row = await session.get(Department, billing)
        for moment in (toronto(6, 3), toronto(2, 12), toronto(5, 23, 59)):
            assert await rules.is_open(session, row, moment)


@pytest.mark.parametrize(("span", "problems"), [
    ((7, "09:00", "17:00"), {"hours.1.weekday": "weekday_invalid"}),
    ((-1, "09:00", "17:00"), {"hours.1.weekday": "weekday_invalid"}),
    (("Monday", "09:00", "17:00"), {"hours.1.weekday": "weekday_invalid"}),
    ((MONDAY, "09:00", "09:00"), {"hours.1.closes": "span_empty"}),
    ((MONDAY, dt.time(9), dt.time(9)), {"hours.1.closes": "span_empty"}),
    ((MONDAY, "24:00", "17:00"), {"hours.1.opens": "time_invalid"}),
    ((MONDAY, "9h", "17:00"), {"hours.1.opens": "time_invalid"}),
    ((MONDAY, "09:00", ""), {"hours.1.closes": "time_required"}),
    ((9, "", "noon"), {"hours.1.weekday": "weekday_invalid", "hours.1.opens": "time_required",
                       "hours.1.closes": "time_invalid"}),
])
async def test_each_bad_span_is_named_and_the_hours_stay_as_they_were(backend: Backend, span, problems):
    billing = backend.world.departments["billing"]
    await call(backend, admin.set_opening_hours, billing, [(MONDAY, "08:00", "12:00")], at=AT)
    assert await refused(backend, admin.set_opening_hours, billing, [(FRIDAY, "08:00", "12:00"), span],
                         at=AT) == problems
    assert await hours_of(backend) == [(MONDAY, dt.time(8), dt.time(12))]


async def test_too_many_spans_are_refused(backend: Backend):
    assert await refused(backend, admin.set_opening_hours, backend.world.departments["billing"],
                         [(MONDAY, "08:00", "09:00")] * (admin.MAX_SPANS + 1), at=AT) == {"hours": "too_many"}


# The rota


async def rota_of(backend: Backend, key: str = "billing") -> list[tuple[str, int, dt.time, dt.time, int]]:
    logins = {staff_id: login for login, staff_id in backend.world.staff_ids.items()}
    async with backend.database.read() as session:
        return [(logins[s.staff_member_id], s.weekday, s.starts, s.ends, s.rank)
                for s in await admin.rota(session, backend.world.departments[key])]


async def test_the_rota_replaces_what_was_there(backend: Backend):
    ids, billing = backend.world.staff_ids, backend.world.departments["billing"]
    await call(backend, admin.set_rota, billing, [(ids["billing"], MONDAY, "09:00", "17:00", 2),
                                                  (str(ids["billing2"]), "0", "09:00", "17:00", "1")], at=AT)
    assert await rota_of(backend) == [("billing2", MONDAY, dt.time(9), dt.time(17), 1),
                                      ("billing", MONDAY, dt.time(9), dt.time(17), 2)]
    await call(backend, admin.set_rota, billing, [(ids["billing"], SATURDAY, "22:00", "06:00", 1)], at=AT)
    assert await rota_of(backend) == [("billing", SATURDAY, dt.time(22), dt.time(6), 1)]
    assert len(await audit(backend, "department.rota_set")) == 2
    await call(backend, admin.set_rota, billing, [], at=AT)
    assert await rota_of(backend) == []


async def test_a_rota_naming_someone_outside_the_department_is_refused(backend: Backend):
    ids, billing = backend.world.staff_ids, backend.world.departments["billing"]
    await call(backend, admin.set_rota, billing, [(ids["billing"], MONDAY, "09:00", "17:00", 1)], at=AT)
    before = await rota_of(backend)
    async with backend.database.write() as session:
        (await session.get(StaffMember, ids["billing2"])).active = False  # a member who left
    for stranger in (ids["paeds"], ids["reception"], ids["billing2"], 999_999, "billing", ""):
        assert await refused(backend, admin.set_rota, billing, [
            (ids["billing"], FRIDAY, "09:00", "17:00", 1), (stranger, MONDAY, "09:00", "17:00", 1)],
            at=AT) == {"rota.1.staff": "staff_not_member"}, stranger
    assert await rota_of(backend) == before


@pytest.mark.parametrize(("slot", "problems"), [
    (("billing", 7, "09:00", "17:00", 1), {"rota.0.weekday": "weekday_invalid"}),
    (("billing", MONDAY, "17:00", "17:00", 1), {"rota.0.ends": "span_empty"}),
    (("billing", MONDAY, "", "17:00", 1), {"rota.0.starts": "time_required"}),
    (("billing", MONDAY, "09:00", "17:00", 0), {"rota.0.rank": "rank_invalid"}),
    (("billing", MONDAY, "09:00", "17:00", 100), {"rota.0.rank": "rank_invalid"}),
    (("billing", MONDAY, "09:00", "17:00", "first"), {"rota.0.rank": "rank_invalid"}),
    (("paeds", 8, "9", "17:00", -1), {"rota.0.staff": "staff_not_member", "rota.0.weekday": "weekday_invalid",
                                     "rota.0.starts": "time_invalid", "rota.0.rank": "rank_invalid"}),
])
async def test_each_bad_rota_line_is_named(backend: Backend, slot, problems):
    login, *rest = slot
    assert await refused(backend, admin.set_rota, backend.world.departments["billing"],
                         [(backend.world.staff_ids[login], *rest)], at=AT) == problems


@pytest.mark.parametrize("db_kind", ["postgresql"])  # SQLite has one writer at a time anyway
async def test_two_admins_saving_one_departments_rota_take_turns(backend: Backend):
    ids, billing = backend.world.staff_ids, backend.world.departments["billing"]
    async with backend.database.write() as first:
        await admin.set_rota(first, admin_of(backend), billing, [(ids["billing"], MONDAY, "09:00", "17:00", 1)], AT)
        # Meanwhile, another request would delete the rows this one is replacing, then add its own beside these
        # new ones: it waits for the department instead (here, only a moment, then gives up).
        with pytest.raises(DBAPIError, match="lock"):
            async with backend.database.write() as second:
                await second.execute(text("SET LOCAL lock_timeout = '200ms'"))
                await admin.set_rota(second, admin_of(backend), billing,
                                     [(ids["billing2"], MONDAY, "09:00", "17:00", 1)], AT)
    assert await rota_of(backend) == [("billing", MONDAY, dt.time(9), dt.time(17), 1)]


# Contact channels


async def channels_of(backend: Backend, login: str) -> list[tuple[str, str]]:
    async with backend.database.read() as session:
        rows = await session.scalars(select(ContactChannel).where(
            ContactChannel.staff_member_id == backend.world.staff_ids[login]).order_by(ContactChannel.id))
        return [(DeliveryChannel(row.channel).value, row.target) for row in rows]


async def test_channels_are_added_listed_with_webhooks_shortened_and_removed(backend: Backend):
    billing = backend.world.staff_ids["billing"]
    email = await call(backend, admin.add_contact_channel, billing, "email", " Billing@Clinique.EXAMPLE", AT)
    hook = await call(backend, admin.add_contact_channel, str(billing), DeliveryChannel.SLACK, SECRET_HOOK, AT)
    await call(backend, admin.add_contact_channel, billing, "teams", "https://clinique.webhook.office.com/x/y", AT)
    assert await channels_of(backend, "billing") == [
        ("email", "Billing@clinique.example"), ("slack", SECRET_HOOK),
        ("teams", "https://clinique.webhook.office.com/x/y")]

    async with backend.database.read() as session:
        listed = {m.staff_id: m for m in await views.member_channels(session)}
    assert [(c.channel, c.shown) for c in listed[billing].channels] == [
        ("email", "Billing@clinique.example"), ("slack", "https://hooks.slack.com/…"),
        ("teams", "https://clinique.webhook.office.com/…")]
    assert set(listed) == {staff_id for staff_id in backend.world.staff_ids.values()}

    await call(backend, admin.remove_contact_channel, hook.id, AT)
    assert [c for c, _ in await channels_of(backend, "billing")] == ["email", "teams"]
    added = await audit(backend, "contact_channel.added")
    [removed] = await audit(backend, "contact_channel.removed")
    assert removed.object_id == str(hook.id) and removed.details["target"] == "https://hooks.slack.com/…"
    assert all("s3cr3t" not in str(event.details) for event in [*added, removed])
    assert email.id != hook.id
    with pytest.raises(NotFound):
        await call(backend, admin.remove_contact_channel, hook.id, AT)


async def test_the_same_channel_twice_is_refused(backend: Backend):
    billing = backend.world.staff_ids["billing"]
    await call(backend, admin.add_contact_channel, billing, "email", "billing@clinique.example", AT)
    await call(backend, admin.add_contact_channel, billing, "slack", SECRET_HOOK, AT)
    assert await refused(backend, admin.add_contact_channel, billing, "email", " billing@CLINIQUE.example ",
                         AT) == {"target": "channel_duplicate"}
    assert await refused(backend, admin.add_contact_channel, billing, "slack", SECRET_HOOK, AT) == {
        "target": "channel_duplicate"}
    # The same address for somebody else, or the same hook as Teams, is another channel.
    await call(backend, admin.add_contact_channel, backend.world.staff_ids["billing2"], "email",
               "billing@clinique.example", AT)
    await call(backend, admin.add_contact_channel, billing, "teams", SECRET_HOOK, AT)


async def test_a_channel_added_meanwhile_by_another_request_is_a_conflict(backend: Backend):
    billing = backend.world.staff_ids["billing"]
    async with backend.database.write() as session:
        session.add(ContactChannel(staff_member_id=billing, channel=DeliveryChannel.EMAIL,
                                   target="billing@clinique.example"))
    counts = await backend.row_counts()

    async def added_too_late(session, actor, *args):
        """As if the other request committed just after this one looked for the same channel and found none."""
        looks = session.scalar

        async def finds_no_channel(statement, *rest, **options):
            return None if "contact_channel" in str(statement) else await looks(statement, *rest, **options)
        session.scalar = finds_no_channel
        return await admin.add_contact_channel(session, actor, *args)

    with pytest.raises(Conflict):
        await call(backend, added_too_late, billing, "email", "billing@clinique.example", AT)
    assert await backend.row_counts() == counts


@pytest.mark.parametrize(("staff", "channel", "target", "problems"), [
    ("billing", "email", "billing@", {"target": "email_invalid"}),
    ("billing", "email", "", {"target": "email_invalid"}),
    ("billing", "slack", "hooks.slack.com/services/x", {"target": "url_invalid"}),
    ("billing", "teams", "ftp://clinique.example/hook", {"target": "url_invalid"}),
    ("billing", "sms", "+15145550123", {"channel": "channel_invalid"}),
    ("nobody", "email", "nobody@clinique.example", {"staff": "staff_unknown"}),
    ("inactive", "email", "billing2@clinique.example", {"staff": "staff_unknown"}),
    ("nobody", "pager", "x", {"staff": "staff_unknown", "channel": "channel_invalid"}),
])
async def test_each_bad_channel_is_named_and_adds_nothing(backend: Backend, staff, channel, target, problems):
    async with backend.database.write() as session:
        (await session.get(StaffMember, backend.world.staff_ids["billing2"])).active = False
    staff_id = {"nobody": 999_999, "inactive": backend.world.staff_ids["billing2"]}.get(
        staff, backend.world.staff_ids.get(staff))
    assert await refused(backend, admin.add_contact_channel, staff_id, channel, target, AT) == problems


# The rules across midnight, in the clinic's zone


async def test_a_span_past_midnight_opens_the_department_until_the_next_morning(backend: Backend):
    billing = backend.world.departments["billing"]
    # Friday 22:00 to Saturday 06:00, and Sunday 22:00 to Monday 02:00 (the week wraps round).
    await call(backend, admin.set_opening_hours, billing, [(FRIDAY, "22:00", "06:00"), (SUNDAY, "22:00", "02:00")],
               at=AT)
    expected = {
        toronto(4, 21, 59): False,  # Friday evening, before
        toronto(4, 22, 0): True,
        toronto(4, 23, 59): True,
        toronto(5, 0, 0): True,  # Saturday, past midnight
        toronto(5, 5, 59): True,
        toronto(5, 6, 0): False,  # the span ends at 06:00
        toronto(5, 22, 30): False,  # Saturday night has no span of its own
        toronto(6, 1, 0): False,  # nor Sunday morning
        toronto(6, 22, 0): True,
        toronto(7, 1, 59): True,  # Monday morning, from Sunday's span
        toronto(7, 2, 0): False,
    }
    async with backend.database.read() as session:
        row = await session.get(Department, billing)
        seen = {moment: await rules.is_open(session, row, moment) for moment in expected}
    assert seen == expected


async def test_the_wall_clock_counts_across_a_change_of_clocks(backend: Backend):
    billing = backend.world.departments["billing"]
    # Toronto springs forward on Sunday 8 March 2026 at 02:00: Saturday 22:00 to Sunday 06:00 lasts 7 hours.
    await call(backend, admin.set_opening_hours, billing, [(SATURDAY, "22:00", "06:00")], at=AT)
    async with backend.database.read() as session:
        row = await session.get(Department, billing)
        assert await rules.is_open(session, row, toronto(8, 5, 59, month=3))
        assert not await rules.is_open(session, row, toronto(8, 6, 0, month=3))
        # 06:00 EDT is 10:00 UTC; in winter time it would have been 11:00 UTC.
        assert not await rules.is_open(session, row, dt.datetime(2026, 3, 8, 10, 30, tzinfo=dt.UTC))
        assert await rules.is_open(session, row, dt.datetime(2026, 3, 8, 9, 30, tzinfo=dt.UTC))


async def test_the_rota_past_midnight_tells_those_on_duty_in_order(backend: Backend):
    ids, billing = backend.world.staff_ids, backend.world.departments["billing"]
    await call(backend, admin.set_rota, billing, [(ids["billing2"], FRIDAY, "22:00", "06:00", 1),
                                                  (ids["billing"], FRIDAY, "22:00", "02:00", 2),
                                                  (ids["billing"], SATURDAY, "09:00", "12:00", 1)], at=AT)
    async with backend.database.read() as session:
        row = await session.get(Department, billing)
        duty = {moment: await rules.on_duty(session, row, moment) for moment in (
            toronto(4, 23), toronto(5, 1, 30), toronto(5, 3), toronto(5, 10), toronto(5, 7))}
    everybody = sorted([ids["billing"], ids["billing2"]])
    assert duty[toronto(4, 23)] == ([ids["billing2"], ids["billing"]], True)
    assert duty[toronto(5, 1, 30)] == ([ids["billing2"], ids["billing"]], True)
    assert duty[toronto(5, 3)] == ([ids["billing2"]], True)
    assert duty[toronto(5, 10)] == ([ids["billing"]], True)
    # Nobody on the rota at 07:00 on Saturday: every member, together.
    assert (sorted(duty[toronto(5, 7)][0]), duty[toronto(5, 7)][1]) == (everybody, False)


async def test_the_summary_tells_who_answers_now(backend: Backend):
    ids, departments = backend.world.staff_ids, backend.world.departments
    await call(backend, admin.set_opening_hours, departments["billing"], [(FRIDAY, "22:00", "06:00")], at=AT)
    await call(backend, admin.set_rota, departments["billing"], [(ids["billing2"], FRIDAY, "22:00", "06:00", 1)],
               at=AT)
    await call(backend, admin.set_department_routing, departments["billing"], phone="", email="", at=AT,
               fallback_department_id=departments["paediatrics"], escalate_after_seconds=60)
    async with backend.database.read() as session:
        night = {r.department.name_en: r for r in await views.routing_summary(
            session, backend.world.site_id, toronto(5, 2))}
        day = {r.department.name_en: r for r in await views.routing_summary(
            session, backend.world.site_id, toronto(5, 12))}
    assert (night["Billing"].open_now, night["Billing"].on_duty, night["Billing"].by_rota) == (True, ["Billing2"], True)
    assert night["Billing"].answering.name_en == "Billing" and night["Billing"].fallback.name_en == "Paediatrics"
    assert (day["Billing"].open_now, day["Billing"].answering.name_en) == (False, "Paediatrics")
    assert (day["Paediatrics"].always_open, day["Paediatrics"].on_duty) == (True, ["Paeds"])
