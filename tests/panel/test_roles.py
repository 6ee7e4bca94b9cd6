"""Every route, with every role and with none, answers as the role table says."""
from __future__ import annotations

import re

import pytest

from backend.app import ENDPOINTS
from backend.staff.models import StaffMember
from backend.staff.service import _hasher
from tests.backend.conftest import PASSWORD, Backend

WHO = ["none", "kiosk_a", "admin", "reception", "billing", "paeds", "clerk"]
LOBBY = {"admin", "reception", "billing", "paeds"}
ADMIN_ONLY = {"none": 303, "admin": 200, **{w: 403 for w in ("reception", "billing", "paeds", "clerk")}}

# (method, path, expected status by identity). "{visit}" is a Billing visit made by kiosk_a.
API = [
    ("GET", "/healthz", {w: 200 for w in WHO}),
    ("GET", "/readyz", {w: 200 for w in WHO}),
    ("GET", "/api/openapi.json", {w: 200 for w in WHO}),
    ("GET", "/api/kiosk/config", {"none": 401, "kiosk_a": 200, **{w: 403 for w in WHO[2:]}}),
    ("GET", "/api/kiosk/visits/{visit}", {"none": 401, "kiosk_a": 200, **{w: 403 for w in WHO[2:]}}),
    ("GET", "/api/kiosk/visits?name=he", {"none": 401, "kiosk_a": 200, **{w: 403 for w in WHO[2:]}}),
    ("GET", "/api/visits", {"none": 401, "kiosk_a": 403, "clerk": 403, **{w: 200 for w in LOBBY}}),
    ("GET", "/api/visits/{visit}", {"none": 401, "kiosk_a": 403, "clerk": 403, "paeds": 403,
                                    **{w: 200 for w in LOBBY - {"paeds"}}}),
    ("POST", "/api/visits/{visit}/acknowledge", {"none": 401, "kiosk_a": 403, "clerk": 403, "paeds": 403,
                                                 **{w: 200 for w in LOBBY - {"paeds"}}}),
    ("POST", "/api/kiosk/visits/{visit}/check-out", {"none": 401, "kiosk_a": 200, **{w: 403 for w in WHO[2:]}}),
]
PANEL = [
    ("GET", "/panel/", {"none": 303, "clerk": 403, **{w: 200 for w in LOBBY}}),
    ("GET", "/panel/board", {"none": 303, "clerk": 403, **{w: 200 for w in LOBBY}}),
    ("GET", "/panel/history", {"none": 303, "clerk": 403, **{w: 200 for w in LOBBY}}),
    ("GET", "/panel/history.csv", {"none": 303, "clerk": 403, **{w: 200 for w in LOBBY}}),
    *[("GET", path, ADMIN_ONLY) for path in ("/panel/audit", "/panel/admin", "/panel/admin/visitor-types",
                                              "/panel/admin/kiosks", "/panel/admin/staff", "/panel/admin/site")],
]


@pytest.fixture
def db_kind() -> str:
    return "sqlite"  # the table is about roles; both databases are covered elsewhere


async def _visit(backend: Backend) -> int:
    return (await (await backend.check_in("kiosk_a")).json())["id"]


@pytest.mark.parametrize("method, path, expected", API, ids=[f"{m} {p}" for m, p, _ in API])
async def test_api_route_against_the_role_table(backend: Backend, method: str, path: str, expected: dict):
    for who in WHO:
        url = path.replace("{visit}", str(await _visit(backend)))
        headers = {} if who == "none" else backend.auth(who)
        response = await backend.client.request(method, url, headers=headers, allow_redirects=False)
        assert response.status == expected[who], (who, method, url, await response.text())


@pytest.mark.parametrize("method, path, expected", PANEL, ids=[f"{m} {p}" for m, p, _ in PANEL])
async def test_panel_page_against_the_role_table(backend: Backend, method: str, path: str, expected: dict):
    async with backend.database.write() as session:
        for who in WHO[2:]:
            member = await session.get(StaffMember, backend.world.staff_ids[who])
            member.password_hash = _hasher.hash(PASSWORD)
    await _visit(backend)
    for who in ["none", *WHO[2:]]:
        backend.client.session.cookie_jar.clear()
        if who != "none":
            signed = await backend.client.post("/panel/sign-in", data={"login": who, "password": PASSWORD},
                                               allow_redirects=False)
            assert signed.status == 303
        response = await backend.client.request(method, path, allow_redirects=False)
        assert response.status == expected[who], (who, method, path)


def test_the_table_covers_every_json_endpoint():
    tabled = {(m, p.split("?")[0]) for m, p, _ in API}
    untabled = {(e.method, e.path.replace("{id}", "{visit}")) for e in ENDPOINTS} - tabled
    # Covered with their own tests: sign-in and pairing need no identity; the live channels are WebSockets;
    # kiosk check-ins and staff transitions need bodies (tests/backend/test_auth.py checks their identities).
    assert untabled == {("POST", "/api/auth/token"), ("POST", "/api/kiosk/pair"), ("GET", "/api/ws"),
                        ("GET", "/api/kiosk/ws"), ("POST", "/api/kiosk/check-ins"), ("POST", "/api/kiosk/check-outs"),
                        ("POST", "/api/visits/{visit}/transitions")}


async def test_every_panel_form_refuses_whoever_the_table_refuses(backend: Backend):
    """Each POST route of the panel, found from the router: admins' forms for admins only, visit moves for the
    lobby roles; signed out, every one sends to the sign-in page. Posted with a valid CSRF token."""
    async with backend.database.write() as session:
        for who in WHO[2:]:
            member = await session.get(StaffMember, backend.world.staff_ids[who])
            member.password_hash = _hasher.hash(PASSWORD)
    posts = sorted({r.resource.canonical for r in backend.client.app.router.routes()
                    if r.method == "POST" and r.resource.canonical.startswith("/panel/")}
                   - {"/panel/sign-in", "/panel/sign-out"})
    assert any(p.startswith("/panel/admin/") for p in posts) and "/panel/visits/{id}/move" in posts
    for who in ["none", *WHO[2:]]:
        backend.client.session.cookie_jar.clear()
        csrf = ""
        if who != "none":
            await backend.client.post("/panel/sign-in", data={"login": who, "password": PASSWORD})
            page = await (await backend.client.get("/panel/admin")).text()  # a page (or a 403 page) for all
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        for path in posts:
            visit = await _visit(backend)
            url = path.replace("{id}", str(visit))
            response = await backend.client.post(url, data={"csrf_token": csrf, "to": "acknowledged"},
                                                 allow_redirects=False)
            if who == "none":
                assert response.status == 303 and "/panel/sign-in" in response.headers["Location"], (who, url)
                continue
            allowed = who == "admin" if path.startswith("/panel/admin/") else who in LOBBY - {"paeds"}
            if allowed:
                assert response.status != 403, (who, url, response.status)
            else:
                assert response.status == 403, (who, url, response.status)
