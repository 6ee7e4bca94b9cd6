"""The first flow: a visitor checks in at a kiosk, the right staff see it live, and the kiosk hears back."""
from __future__ import annotations

import time

from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.routing.models import Notification
from tests.backend.conftest import Backend, next_event, nothing_arrives


async def test_check_in_reaches_department_and_reception_live_but_no_other_department(backend: Backend):
    billing = await backend.live("billing")
    reception = await backend.live("reception")
    paeds = await backend.live("paeds")
    clerk = await backend.live("clerk")

    started = time.monotonic()
    response = await backend.check_in()
    assert response.status == 201, await response.text()
    visit = await response.json()
    assert visit["state"] == "checked_in"
    assert visit["visitor_phone"] == "+15145550123"  # normalised

    for ws in (billing, reception):
        event = await next_event(ws, timeout=1.0)
        assert event["type"] == "visit.checked_in"
        assert event["visit"]["id"] == visit["id"]
    assert time.monotonic() - started < 1.0
    assert await nothing_arrives(paeds)
    assert await nothing_arrives(clerk)

    async with backend.database.read() as session:
        notes = (await session.scalars(select(Notification).where(Notification.visit_id == visit["id"]))).all()
    # Both billing members are notified; the connected one is recorded as delivered.
    assert {n.recipient_id for n in notes} == {backend.world.staff_ids["billing"], backend.world.staff_ids["billing2"]}
    delivered = {n.recipient_id for n in notes if n.delivered_at is not None}
    assert delivered == {backend.world.staff_ids["billing"]}


async def test_check_in_for_a_host_notifies_only_the_host_and_reception(backend: Backend):
    billing = await backend.live("billing")
    billing2 = await backend.live("billing2")
    response = await backend.check_in(host_id=backend.world.staff_ids["billing2"])
    assert response.status == 201, await response.text()
    assert (await next_event(billing2))["type"] == "visit.checked_in"
    assert await nothing_arrives(billing)


async def test_acknowledging_reaches_the_kiosk_that_made_the_visit_only(backend: Backend):
    kiosk_a = await backend.live("kiosk_a")
    kiosk_b = await backend.live("kiosk_b")
    visit = await (await backend.check_in("kiosk_a")).json()
    assert await nothing_arrives(kiosk_a, 0.1)  # the kiosk has its answer; no echo of its own check-in

    response = await backend.client.post(f"/api/visits/{visit['id']}/acknowledge", headers=backend.auth("billing"))
    assert response.status == 200, await response.text()
    event = await next_event(kiosk_a)
    assert event["type"] == "visit.updated"
    assert event["visit"]["state"] == "acknowledged"
    transition = event["visit"]["transitions"][-1]
    assert transition["by_staff_id"] == backend.world.staff_ids["billing"]
    assert await nothing_arrives(kiosk_b)

    async with backend.database.read() as session:
        notes = (await session.scalars(select(Notification).where(Notification.visit_id == visit["id"]))).all()
        actions = list(await session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "visit", AuditEvent.object_id == str(visit["id"])).order_by(AuditEvent.id)))
    assert all(n.acknowledged_by_id == backend.world.staff_ids["billing"] for n in notes)
    assert actions == ["visit.checked_in", "visit.acknowledged"]


async def test_full_life_of_a_visit_records_every_transition(backend: Backend):
    visit = await (await backend.check_in()).json()
    for to in ("in_meeting", "checked_out"):
        response = await backend.client.post(f"/api/visits/{visit['id']}/transitions", json={"to": to},
                                             headers=backend.auth("reception"))
        assert response.status == 200, await response.text()
    visit = await (await backend.client.get(f"/api/visits/{visit['id']}", headers=backend.auth("reception"))).json()
    assert [(t["from_state"], t["to_state"]) for t in visit["transitions"]] == [
        (None, "checked_in"), ("checked_in", "in_meeting"), ("in_meeting", "checked_out")]
    assert visit["transitions"][1]["by_staff_id"] == backend.world.staff_ids["reception"]
    times = [t["at"] for t in visit["transitions"]]
    assert times == sorted(times)


async def test_same_idempotency_key_twice_gives_one_visit(backend: Backend):
    first = await backend.check_in(key="outbox-42")
    counts = await backend.row_counts()
    second = await backend.check_in(key="outbox-42")
    assert first.status == second.status == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert (await first.json()) == (await second.json())
    assert await backend.row_counts() == counts


async def test_same_key_with_another_body_is_a_conflict(backend: Backend):
    await backend.check_in(key="k-1")
    counts = await backend.row_counts()
    response = await backend.check_in(key="k-1", visitor_name="Quelqu'un d'autre")
    assert response.status == 409
    assert response.content_type == "application/problem+json"
    assert await backend.row_counts() == counts


async def test_same_key_from_two_kiosks_is_two_visits(backend: Backend):
    a = await (await backend.check_in("kiosk_a", key="same")).json()
    b = await (await backend.check_in("kiosk_b", key="same")).json()
    assert a["id"] != b["id"]


async def test_kiosk_checks_a_visitor_out_and_staff_hear_it(backend: Backend):
    billing = await backend.live("billing")
    visit = await (await backend.check_in()).json()
    await next_event(billing)
    response = await backend.client.post(f"/api/kiosk/visits/{visit['id']}/check-out",
                                         headers=backend.auth("kiosk_b"))
    assert response.status == 200
    assert (await response.json())["state"] == "checked_out"
    event = await next_event(billing)
    assert event["visit"]["state"] == "checked_out"
    assert event["visit"]["transitions"][-1]["by_kiosk_id"] == backend.world.kiosk_ids["kiosk_b"]
    again = await backend.client.post(f"/api/kiosk/visits/{visit['id']}/check-out", headers=backend.auth("kiosk_b"))
    assert again.status == 200  # a second tap is harmless


async def test_kiosk_reads_only_its_own_visits(backend: Backend):
    visit = await (await backend.check_in("kiosk_a")).json()
    own = await backend.client.get(f"/api/kiosk/visits/{visit['id']}", headers=backend.auth("kiosk_a"))
    assert own.status == 200
    other = await backend.client.get(f"/api/kiosk/visits/{visit['id']}", headers=backend.auth("kiosk_b"))
    assert other.status == 404


async def test_kiosk_config_lists_site_departments_people_and_fields(backend: Backend):
    response = await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))
    assert response.status == 200
    config = await response.json()
    assert config["kiosk"]["name"] == "kiosk_a"
    assert config["site"]["currency"] == "CAD"
    assert {d["name"]["fr"] for d in config["departments"]} == {"Facturation", "Pédiatrie"}
    assert {p["display_name"] for p in config["staff"]} == {"Billing", "Billing2", "Paeds"}
    patient = next(t for t in config["visitor_types"] if t["key"] == "patient")
    assert [f["kind"] for f in patient["fields"]] == ["date", "phone", "email", "yes_no", "choice", "text"]
    reason = next(f for f in patient["fields"] if f["key"] == "reason")
    assert reason["choices"][1] == {"value": "walk_in", "label": {"fr": "Sans rendez-vous", "en": "Walk-in"}}


async def test_visit_list_filters_and_department_scoping(backend: Backend):
    billing_visit = await (await backend.check_in()).json()
    paeds_visit = await (await backend.check_in(department_id=backend.world.departments["paediatrics"])).json()

    async def ids(who: str, query: str = "") -> set[int]:
        response = await backend.client.get(f"/api/visits{query}", headers=backend.auth(who))
        assert response.status == 200, await response.text()
        return {v["id"] for v in (await response.json())["items"]}

    assert await ids("reception") == {billing_visit["id"], paeds_visit["id"]}
    assert await ids("billing") == {billing_visit["id"]}
    assert await ids("paeds") == {paeds_visit["id"]}
    assert await ids("reception", f"?department_id={backend.world.departments['paediatrics']}") == {paeds_visit["id"]}
    assert await ids("reception", "?state=checked_out") == set()
    today = billing_visit["checked_in_at"][:10]
    assert billing_visit["id"] in await ids("reception", "?state=checked_in&day=" + today) | await ids(
        "reception", "?day=" + _next_day(today)) | await ids("reception", "?day=" + _prev_day(today))
    assert await ids("reception", "?day=2001-01-01") == set()


def _next_day(day: str) -> str:
    import datetime as dt
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def _prev_day(day: str) -> str:
    import datetime as dt
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


async def test_department_staff_get_403_for_another_departments_visit(backend: Backend):
    visit = await (await backend.check_in()).json()
    for path in (f"/api/visits/{visit['id']}", ):
        response = await backend.client.get(path, headers=backend.auth("paeds"))
        assert response.status == 403
    counts = await backend.row_counts()
    response = await backend.client.post(f"/api/visits/{visit['id']}/acknowledge", headers=backend.auth("paeds"))
    assert response.status == 403
    assert await backend.row_counts() == counts


async def test_clerk_has_no_lobby_access(backend: Backend):
    response = await backend.client.get("/api/visits", headers=backend.auth("clerk"))
    assert response.status == 403
