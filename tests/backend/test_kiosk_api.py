"""What the kiosk needs beyond checking in: pairing, checking out by code, finding one's visit by name."""
from __future__ import annotations

from backend.kiosks import service as kiosks
from backend.appkeys import utc_now
from tests.backend.conftest import Backend, next_event


async def _pairing_code(backend: Backend, kiosk: str = "kiosk_a") -> str:
    async with backend.database.write() as session:
        return await kiosks.issue_pairing_code(session, backend.world.kiosk_ids[kiosk], at=utc_now())


async def test_pairing_code_gives_a_new_token_once(backend: Backend):
    code = await _pairing_code(backend)
    response = await backend.client.post("/api/kiosk/pair", json={"code": f"{code[:4]} {code[4:]}"})
    assert response.status == 200, await response.text()
    paired = await response.json()
    assert paired["kiosk"]["id"] == backend.world.kiosk_ids["kiosk_a"]
    assert paired["token"].startswith("ack_")
    new = {"Authorization": f"Bearer {paired['token']}"}
    assert (await backend.client.get("/api/kiosk/config", headers=new)).status == 200
    # The token it replaces stops working, and the code cannot be used twice.
    assert (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).status == 401
    again = await backend.client.post("/api/kiosk/pair", json={"code": code})
    assert again.status == 401
    assert again.content_type == "application/problem+json"


async def test_wrong_pairing_codes_are_limited(backend: Backend):
    code = await _pairing_code(backend)
    wrong = "00000000" if code != "00000000" else "11111111"
    for _ in range(10):
        assert (await backend.client.post("/api/kiosk/pair", json={"code": wrong})).status == 401
    counts = await backend.row_counts()
    blocked = await backend.client.post("/api/kiosk/pair", json={"code": code})
    assert blocked.status == 429  # even the right code, until the window passes
    assert await backend.row_counts() == counts


async def test_check_out_by_code_from_the_pass(backend: Backend):
    billing = await backend.live("billing")
    visit = await (await backend.check_in()).json()
    await next_event(billing)
    code = visit["code"]
    typed = f" {code[:3].lower()} {code[3:]} "
    response = await backend.client.post("/api/kiosk/check-outs", json={"code": typed},
                                         headers=backend.auth("kiosk_b"))
    assert response.status == 200, await response.text()
    assert (await response.json())["state"] == "checked_out"
    assert (await next_event(billing))["visit"]["state"] == "checked_out"
    again = await backend.client.post("/api/kiosk/check-outs", json={"code": code}, headers=backend.auth("kiosk_b"))
    assert again.status == 200


async def test_unknown_code_is_a_clear_404(backend: Backend):
    counts = await backend.row_counts()
    response = await backend.client.post("/api/kiosk/check-outs", json={"code": "ZZZZZZ"},
                                         headers=backend.auth("kiosk_a"))
    assert response.status == 404
    assert "front desk" in (await response.json())["detail"]
    assert await backend.row_counts() == counts


async def test_find_open_visit_by_name_ignoring_accents_and_case(backend: Backend):
    visit = await (await backend.check_in(visitor_name="Hélène Côté")).json()
    other = await (await backend.check_in(visitor_name="Marc Roy")).json()
    gone = await (await backend.check_in(visitor_name="Hélène Martin")).json()
    await backend.client.post(f"/api/kiosk/visits/{gone['id']}/check-out", headers=backend.auth("kiosk_a"))

    response = await backend.client.get("/api/kiosk/visits", params={"name": "helene"},
                                        headers=backend.auth("kiosk_b"))
    assert response.status == 200
    items = (await response.json())["items"]
    assert [(i["id"], i["display_name"]) for i in items] == [(visit["id"], "Hélène C.")]
    assert "visitor_phone" not in items[0]
    both = await (await backend.client.get("/api/kiosk/visits", params={"name": "cote hel"},
                                           headers=backend.auth("kiosk_b"))).json()
    assert [i["id"] for i in both["items"]] == [visit["id"]]
    assert other["id"] not in [i["id"] for i in both["items"]]


async def test_name_search_needs_two_letters(backend: Backend):
    response = await backend.client.get("/api/kiosk/visits", params={"name": "h"}, headers=backend.auth("kiosk_a"))
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "name"
