"""The kiosk's backend client against the real backend: calls, the live channel, and the offline outbox."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from backend.app import create_app
from backend.appkeys import DATABASE, HUB, utc_now
from backend.kiosks import service as kiosks
from backend.settings import Settings
from backend.visits.models import Visit
from kiosk.client import BackendClient, BackendRefused
from kiosk.outbox import Outbox
from shared.api import CheckInRequest, VisitEvent
from shared.enums import VisitState
from tests.backend.conftest import Backend, World, build_world


def check_in_request(backend: Backend, **overrides: Any) -> CheckInRequest:
    # Through JSON, as the kiosk's forms would: the model is strict, so Python input wants Language members.
    return CheckInRequest.model_validate_json(json.dumps(backend.check_in_body(**overrides)))


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_config_loads(backend: Backend, kiosk: BackendClient):
    config = await kiosk.config()
    assert config.kiosk.id == backend.world.kiosk_ids["kiosk_a"]
    assert {d.id for d in config.departments} == set(backend.world.departments.values())
    assert {t.key for t in config.visitor_types} == {"patient", "visitor"}
    assert kiosk.online


async def test_check_in_returns_the_visit(backend: Backend, kiosk: BackendClient, outbox: Outbox):
    result = await kiosk.check_in(check_in_request(backend))
    assert not result.queued
    assert result.visit is not None
    assert result.visit.state == VisitState.CHECKED_IN
    assert result.visit.kiosk_id == backend.world.kiosk_ids["kiosk_a"]
    assert (await kiosk.visit(result.visit.id)).code == result.visit.code
    assert await outbox.count() == 0


async def test_refused_check_in_raises_with_field_errors_and_stores_nothing(
        backend: Backend, kiosk: BackendClient, outbox: Outbox):
    counts = await backend.row_counts()
    with pytest.raises(BackendRefused) as refused:
        await kiosk.check_in(check_in_request(backend, custom_fields={"first_visit": True}))
    assert refused.value.problem.status == 422
    assert "custom_fields.date_of_birth" in {e.field for e in refused.value.problem.errors}
    assert await outbox.count() == 0
    assert await outbox.rejected() == []
    assert await backend.row_counts() == counts


async def test_pairing_gives_the_client_its_token(backend: Backend, outbox: Outbox):
    async with backend.database.write() as session:
        code = await kiosks.issue_pairing_code(session, backend.world.kiosk_ids["kiosk_b"], at=utc_now())
    client = BackendClient(str(backend.client.make_url("")), None, outbox, timeout=10.0)
    await client.start()
    try:
        with pytest.raises(BackendRefused) as refused:
            await client.config()
        assert refused.value.problem.status == 401
        paired = await client.pair(code)
        assert client.token == paired.token
        assert paired.kiosk.id == backend.world.kiosk_ids["kiosk_b"]
        assert (await client.config()).kiosk.id == paired.kiosk.id
        with pytest.raises(BackendRefused):  # a code works once
            await client.pair(code)
    finally:
        await client.close()


async def test_find_visits_and_check_out_by_code(backend: Backend, kiosk: BackendClient):
    visit = (await kiosk.check_in(check_in_request(backend, visitor_name="Hélène Côté"))).visit
    assert visit is not None
    matches = await kiosk.find_visits("helene")
    assert [(m.id, m.display_name) for m in matches] == [(visit.id, "Hélène C.")]
    assert (await kiosk.check_out_by_code(visit.code.lower())).state == VisitState.CHECKED_OUT
    assert await kiosk.find_visits("helene") == []
    # Checking out again (a second tap) is not an error.
    assert (await kiosk.check_out(visit.id)).state == VisitState.CHECKED_OUT
    with pytest.raises(BackendRefused) as refused:
        await kiosk.check_out_by_code("ZZZZZZ")
    assert refused.value.problem.status == 404


async def test_live_channel_tells_when_staff_acknowledge(backend: Backend, outbox: Outbox):
    client = BackendClient(str(backend.client.make_url("")), backend.world.tokens["kiosk_a"], outbox,
                           timeout=10.0, retry_seconds=0.05)
    events: asyncio.Queue[VisitEvent] = asyncio.Queue()
    client.on_visit_event.append(events.put_nowait)
    await client.start(background=True)
    try:
        await wait_until(lambda: client.online)  # registered with the hub: nothing will be missed
        visit = (await client.check_in(check_in_request(backend))).visit
        assert visit is not None
        response = await backend.client.post(f"/api/visits/{visit.id}/acknowledge", headers=backend.auth("billing"))
        assert response.status == 200, await response.text()
        event = await asyncio.wait_for(events.get(), timeout=2)
        assert event.type == "visit.updated"
        assert (event.visit.id, event.visit.state) == (visit.id, VisitState.ACKNOWLEDGED)
    finally:
        await client.close()


# --- offline -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve(settings: Settings, port: int) -> web.AppRunner:
    """A real backend listening on the port, as in production (a new app each time, on the same database)."""
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def stop(runner: web.AppRunner) -> None:
    # The backend closes live channels only in its cleanup, after aiohttp has waited (up to its shutdown
    # timeout) for open connections to end, so a connected kiosk holds a shutdown for ~30 s; close them first.
    await runner.app[HUB].close_all()
    await runner.cleanup()


async def count_visits(runner: web.AppRunner) -> int:
    async with runner.app[DATABASE].read() as session:
        return await session.scalar(select(func.count()).select_from(Visit))


def body(world: World, name: str) -> dict[str, Any]:
    return {"visitor_name": name, "visitor_type_id": world.visitor_types["visitor"],
            "department_id": world.departments["billing"], "language": "en"}


async def test_check_ins_made_offline_are_sent_once_when_the_backend_returns(settings: Settings, outbox: Outbox):
    port = free_port()
    runner = await serve(settings, port)
    world = await build_world(runner.app[DATABASE])
    client = BackendClient(f"http://127.0.0.1:{port}", world.tokens["kiosk_a"], outbox,
                           timeout=10.0, retry_seconds=0.05)
    online_changes: list[bool] = []
    pending_counts: list[int] = []
    client.on_online_change.append(online_changes.append)
    client.on_outbox_change.append(pending_counts.append)
    await client.start(background=True)
    try:
        await wait_until(lambda: client.online)
        await stop(runner)
        await wait_until(lambda: not client.online)

        names = [f"Visitor {i:02}" for i in range(20)]
        results = [await client.check_in(CheckInRequest.model_validate_json(json.dumps(body(world, name))))
                   for name in names]
        assert all(r.queued and r.visit is None for r in results)
        assert len({r.key for r in results}) == 20
        assert await outbox.count() == 20
        assert not client.online

        runner = await serve(settings, port)
        await wait_until(lambda: client.online and pending_counts[-1] == 0)
        assert await outbox.count() == 0
        assert await outbox.rejected() == []
        assert await count_visits(runner) == 20
        async with runner.app[DATABASE].read() as session:
            in_order = list(await session.scalars(select(Visit.visitor_name).order_by(Visit.id)))
        assert in_order == names  # none overtook an older one
        assert online_changes[:2] == [True, False] and online_changes[-1] is True

        assert await client.flush_outbox() == 0
        assert await count_visits(runner) == 20
    finally:
        await client.close()
        await stop(runner)


async def test_a_check_in_stored_before_its_answer_was_lost_is_not_doubled(
        backend: Backend, kiosk: BackendClient, outbox: Outbox):
    key = str(uuid.uuid4())
    first = await backend.check_in(key=key)  # the backend stored it; the kiosk timed out waiting
    assert first.status == 201
    await outbox.add(key, backend.check_in_body())
    assert await kiosk.flush_outbox() == 1
    assert await outbox.count() == 0
    assert await outbox.rejected() == []
    assert (await backend.row_counts())["visit"] == 1


async def test_concurrent_flushes_send_each_check_in_once(backend: Backend, kiosk: BackendClient, outbox: Outbox):
    for i in range(3):
        await outbox.add(str(uuid.uuid4()), backend.check_in_body(visitor_name=f"Visitor {i}"))
    assert sum(await asyncio.gather(kiosk.flush_outbox(), kiosk.flush_outbox())) == 3
    assert (await backend.row_counts())["visit"] == 3


async def test_a_check_in_refused_for_good_is_kept_for_staff(backend: Backend, kiosk: BackendClient,
                                                             outbox: Outbox):
    key = str(uuid.uuid4())
    assert (await backend.check_in(key=key)).status == 201
    # The same key for another request: 409, which no retry will change.
    await outbox.add(key, backend.check_in_body(visitor_name="Someone Else"))
    await outbox.add(str(uuid.uuid4()), backend.check_in_body(visitor_name="Next In Line"))
    assert await kiosk.flush_outbox() == 1
    assert await outbox.count() == 0
    [rejected] = await outbox.rejected()
    assert rejected.key == key
    assert json.loads(rejected.last_error or "")["status"] == 409
    assert (await backend.row_counts())["visit"] == 2


async def test_the_outbox_survives_reopening(tmp_path: Path):
    path = tmp_path / "outbox.db"
    box = Outbox(path)
    await box.open()
    await box.add("first", {"visitor_name": "A", "custom_fields": {"first_visit": True}})
    await box.add("second", {"visitor_name": "B"})
    await box.add("third", {"visitor_name": "C"})
    await box.record_attempt("first", "ClientConnectorError")
    await box.reject("second", "422 Invalid input")
    await box.close()

    again = Outbox(path)
    await again.open()
    try:
        pending = await again.pending()
        assert [i.key for i in pending] == ["first", "third"]
        assert pending[0].body == {"visitor_name": "A", "custom_fields": {"first_visit": True}}
        assert (pending[0].attempts, pending[0].last_error) == (1, "ClientConnectorError")
        assert pending[0].created_at.tzinfo == dt.UTC
        assert await again.count() == 2
        [rejected] = await again.rejected()
        assert (rejected.key, rejected.last_error) == ("second", "422 Invalid input")
        await again.remove("first")
        assert [i.key for i in await again.pending()] == ["third"]
    finally:
        await again.close()
