"""Who may call what: kiosk and staff tokens stay on their side, bad credentials get 401, and signing in
with a password is limited by a lock after too many wrong attempts."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from aiohttp import ClientResponse, WSServerHandshakeError
from sqlalchemy import select

from backend.app import create_app
from backend.appkeys import DATABASE, utc_now
from backend.audit.models import AuditEvent
from backend.settings import Settings
from tests.backend.conftest import FakeClock, PASSWORD, Backend, build_world

PROBLEM = "application/problem+json"
SIGN_IN = "/api/auth/token"


async def problem_of(response: ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    problem = await response.json(content_type=PROBLEM)
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    return problem


async def call(backend: Backend, method: str, path: str, headers: dict[str, str]) -> ClientResponse:
    """One request; a check-in carries a valid body and key, so only the credentials can be wrong."""
    if path == "/api/kiosk/check-ins":
        headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        return await backend.client.post(path, json=backend.check_in_body(), headers=headers)
    return await backend.client.request(method, path, headers=headers)


async def a_visit_id(backend: Backend) -> int:
    response = await backend.check_in()
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


# --- tokens on the wrong side ---------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [("GET", "/api/visits"), ("GET", "/api/visits/{id}"),
                                              ("POST", "/api/visits/{id}/acknowledge")])
async def test_a_kiosk_token_cannot_call_staff_endpoints(backend: Backend, method: str, path: str):
    path = path.format(id=await a_visit_id(backend))
    counts = await backend.row_counts()
    await problem_of(await call(backend, method, path, backend.auth("kiosk_a")), 403)
    assert await backend.row_counts() == counts


async def test_a_kiosk_token_cannot_open_the_staff_live_channel(backend: Backend):
    with pytest.raises(WSServerHandshakeError) as refused:
        await backend.client.ws_connect("/api/ws", headers=backend.auth("kiosk_a"))
    assert refused.value.status == 403


@pytest.mark.parametrize("who", ["reception", "admin", "billing"])
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/kiosk/config"), ("POST", "/api/kiosk/check-ins"),
                                              ("GET", "/api/kiosk/visits/{id}"),
                                              ("POST", "/api/kiosk/visits/{id}/check-out")])
async def test_a_staff_token_cannot_act_as_a_kiosk(backend: Backend, who: str, method: str, path: str):
    path = path.format(id=await a_visit_id(backend))
    counts = await backend.row_counts()
    await problem_of(await call(backend, method, path, backend.auth(who)), 403)
    assert await backend.row_counts() == counts


async def test_a_staff_token_cannot_open_the_kiosk_live_channel(backend: Backend):
    with pytest.raises(WSServerHandshakeError) as refused:
        await backend.client.ws_connect("/api/kiosk/ws", headers=backend.auth("reception"))
    assert refused.value.status == 403


# --- missing or bad credentials -------------------------------------------------------------------

BAD_CREDENTIALS = {
    "no-header": {},
    "basic": {"Authorization": "Basic eHl6OnNlY3JldA=="},
    "empty-bearer": {"Authorization": "Bearer "},
    "bearer-only": {"Authorization": "Bearer"},
    "token-without-scheme": {"Authorization": "acs_abcdefghijklmnop"},
    "unknown-token": {"Authorization": "Bearer nope-not-a-token"},
}
ENDPOINTS = [("GET", "/api/visits"), ("POST", "/api/visits/{id}/acknowledge"), ("GET", "/api/kiosk/config"),
             ("POST", "/api/kiosk/check-ins")]


@pytest.mark.parametrize("headers", list(BAD_CREDENTIALS.values()), ids=list(BAD_CREDENTIALS))
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_bad_credentials_are_unauthorized(backend: Backend, headers: dict[str, str], method: str,
                                                path: str):
    path = path.format(id=await a_visit_id(backend))
    counts = await backend.row_counts()
    response = await call(backend, method, path, headers)
    await problem_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await backend.row_counts() == counts


@pytest.mark.parametrize(("token", "method", "path"), [
    pytest.param("acs_" + "x" * 43, "GET", "/api/visits", id="unknown-staff-token-on-staff-endpoint"),
    pytest.param("ack_" + "x" * 43, "GET", "/api/kiosk/config", id="unknown-kiosk-token-on-kiosk-endpoint"),
    pytest.param("ack_" + "x" * 43, "GET", "/api/visits", id="unknown-kiosk-token-on-staff-endpoint"),
    pytest.param("acs_" + "x" * 43, "GET", "/api/kiosk/config", id="unknown-staff-token-on-kiosk-endpoint"),
])
async def test_an_unknown_token_is_unauthorized_whatever_its_prefix(backend: Backend, token: str, method: str,
                                                                    path: str):
    response = await call(backend, method, path, {"Authorization": f"Bearer {token}"})
    await problem_of(response, 401)
    assert "WWW-Authenticate" in response.headers


async def test_the_bearer_scheme_is_case_insensitive(backend: Backend):
    response = await backend.client.get("/api/visits",
                                        headers={"Authorization": f"bearer {backend.world.tokens['reception']}"})
    assert response.status == 200, await response.text()


# --- signing in -----------------------------------------------------------------------------------

async def sign_in(backend: Backend, password: str, username: str = "reception") -> ClientResponse:
    return await backend.client.post(SIGN_IN, json={"username": username, "password": password})


async def audit_actions(backend: Backend) -> list[str]:
    async with backend.database.read() as session:
        return list(await session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("staff.%")).order_by(AuditEvent.id)))


async def test_signing_in_with_the_right_password_gives_a_working_token(backend: Backend):
    response = await sign_in(backend, PASSWORD)
    assert response.status == 201, await response.text()
    answer = await response.json()
    assert answer["token"].startswith("acs_")
    assert answer["staff_id"] == backend.world.staff_ids["reception"]
    assert answer["roles"] == ["receptionist"]
    assert dt.datetime.fromisoformat(answer["expires_at"]) > utc_now()
    visits = await backend.client.get("/api/visits", headers={"Authorization": f"Bearer {answer['token']}"})
    assert visits.status == 200, await visits.text()


async def test_signing_in_with_a_wrong_password_is_unauthorized(backend: Backend):
    problem = await problem_of(await sign_in(backend, "wrong horse battery"), 401)
    assert PASSWORD not in problem["detail"]
    assert "staff.sign_in_failed" in await audit_actions(backend)


async def test_an_unknown_login_gets_the_same_answer_as_a_wrong_password(backend: Backend):
    wrong_password = await problem_of(await sign_in(backend, "wrong horse battery"), 401)
    unknown_login = await problem_of(await sign_in(backend, PASSWORD, username="nobody"), 401)
    assert unknown_login == wrong_password


async def test_an_account_without_a_password_cannot_sign_in(backend: Backend):
    # "admin" only has API tokens; an empty or any password must not open it.
    wrong_password = await problem_of(await sign_in(backend, "wrong horse battery"), 401)
    no_password = await problem_of(await sign_in(backend, PASSWORD, username="admin"), 401)
    assert no_password == wrong_password


@pytest.mark.parametrize("body", [{"username": "reception"}, {"username": "reception", "password": ""},
                                  {"username": "reception", "password": PASSWORD, "remember": True}],
                         ids=["no-password", "empty-password", "extra-field"])
async def test_a_sign_in_body_that_is_not_valid_is_refused(backend: Backend, body: dict[str, Any]):
    counts = await backend.row_counts()
    await problem_of(await backend.client.post(SIGN_IN, json=body), 422)
    assert await backend.row_counts() == counts


async def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(backend: Backend):
    for _ in range(5):
        await problem_of(await sign_in(backend, "wrong horse battery"), 401)
    problem = await problem_of(await sign_in(backend, PASSWORD), 423)
    assert "locked" in problem["detail"]
    actions = await audit_actions(backend)
    assert actions.count("staff.sign_in_failed") == 5
    assert actions.count("staff.locked") == 1


async def test_four_wrong_passwords_do_not_lock_and_a_success_starts_the_count_again(backend: Backend):
    for _ in range(4):
        await problem_of(await sign_in(backend, "wrong horse battery"), 401)
    assert (await sign_in(backend, PASSWORD)).status == 201
    for _ in range(4):
        await problem_of(await sign_in(backend, "wrong horse battery"), 401)
    assert (await sign_in(backend, PASSWORD)).status == 201
    assert "staff.locked" not in await audit_actions(backend)


async def test_a_locked_account_opens_again_after_the_lock_time(settings: Settings, aiohttp_client):
    clock = FakeClock()
    app = create_app(settings, clock=clock)
    client = await aiohttp_client(app)
    await build_world(app[DATABASE])

    async def sign_in_with(password: str) -> ClientResponse:
        return await client.post(SIGN_IN, json={"username": "reception", "password": password})

    for _ in range(settings.login_max_failures):
        assert (await sign_in_with("wrong horse battery")).status == 401
    clock.advance(minutes=settings.login_lock_minutes - 1)
    assert (await sign_in_with(PASSWORD)).status == 423
    clock.advance(minutes=1, seconds=1)
    response = await sign_in_with(PASSWORD)
    assert response.status == 201, await response.text()
    token = (await response.json())["token"]
    visits = await client.get("/api/visits", headers={"Authorization": f"Bearer {token}"})
    assert visits.status == 200


async def test_a_signed_in_token_expires(settings: Settings, aiohttp_client):
    clock = FakeClock()
    app = create_app(settings, clock=clock)
    client = await aiohttp_client(app)
    await build_world(app[DATABASE])
    response = await client.post(SIGN_IN, json={"username": "reception", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {(await response.json())['token']}"}
    clock.advance(hours=settings.token_hours, seconds=-1)
    assert (await client.get("/api/visits", headers=headers)).status == 200
    clock.advance(seconds=2)
    assert (await client.get("/api/visits", headers=headers)).status == 401


async def test_a_read_only_token_reads_but_cannot_act(backend):
    from backend.appkeys import utc_now
    from backend.staff import tokens

    visit = await (await backend.check_in()).json()
    async with backend.database.write() as session:
        _id, value = await tokens.create_token(
            session, owner_id=backend.world.staff_ids["reception"], label="wall display", expires_in_days=None,
            actor=("system", None), at=utc_now(), scope="read")
    headers = {"Authorization": f"Bearer {value}"}
    assert (await backend.client.get("/api/visits", headers=headers)).status == 200
    counts = await backend.row_counts()
    refused = await backend.client.post(f"/api/visits/{visit['id']}/acknowledge", headers=headers)
    assert refused.status == 403
    assert "only read" in (await refused.json())["detail"]
    assert await backend.row_counts() == counts
