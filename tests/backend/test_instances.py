"""Several backend instances on one PostgreSQL database: events cross from one to the other."""
from __future__ import annotations

import pytest

from backend.app import create_app
from backend.appkeys import DATABASE, HUB
from backend.core.events import Audience
from tests.backend.conftest import Backend, build_world, next_event


@pytest.fixture
def db_kind() -> str:
    return "postgresql"  # SQLite is one process by design


@pytest.fixture
async def two_instances(settings, aiohttp_client) -> tuple[Backend, Backend]:
    first = await aiohttp_client(create_app(settings))
    second = await aiohttp_client(create_app(settings))
    world = await build_world(first.app[DATABASE])
    return (Backend(client=first, database=first.app[DATABASE], world=world),
            Backend(client=second, database=second.app[DATABASE], world=world))


async def test_a_check_in_on_one_instance_reaches_staff_on_the_other(two_instances):
    taking, serving = two_instances
    billing = await serving.live("billing")
    kiosk = await serving.live("kiosk_a")
    visit = await (await taking.check_in("kiosk_a")).json()
    event = await next_event(billing, timeout=2)
    assert (event["type"], event["visit"]["id"]) == ("visit.checked_in", visit["id"])

    # Acknowledged through the serving instance: the kiosk, connected there too, hears it.
    response = await serving.client.post(f"/api/visits/{visit['id']}/acknowledge", headers=serving.auth("billing"))
    assert response.status == 200
    assert (await next_event(kiosk, timeout=2))["visit"]["state"] == "acknowledged"


async def test_an_event_larger_than_a_notify_payload_still_crosses(two_instances):
    taking, serving = two_instances
    billing = await serving.live("billing")
    large = {"type": "visit.updated", "note": "é" * 9000}
    await taking.client.app[HUB].broadcast(large, Audience(staff_ids=frozenset({taking.world.staff_ids["billing"]})))
    assert (await next_event(billing, timeout=2))["note"] == large["note"]
