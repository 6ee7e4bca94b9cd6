"""The staff panel over real HTTP: sessions, CSRF, security headers, the lobby board, the live channel's Origin."""
from __future__ import annotations


import aiohttp
import pytest

from backend.appkeys import DATABASE
from backend.visits.models import Visit
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.signing import csrf_of


async def sign_in(backend: Backend, login: str = "reception", password: str = PASSWORD) -> aiohttp.ClientResponse:
    return await backend.client.post("/panel/sign-in", data={"login": login, "password": password},
                                     allow_redirects=False)


async def test_sign_in_sets_a_safe_session_cookie_and_shows_the_lobby(backend: Backend):
    response = await sign_in(backend)
    assert response.status == 303 and response.headers["Location"] == "/panel/"
    cookie = response.headers["Set-Cookie"]
    assert "accueil_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    lobby = await backend.client.get("/panel/")
    assert lobby.status == 200
    assert "Salle d’attente" in await lobby.text()


async def test_every_answer_carries_the_security_headers(backend: Backend):
    for path in ("/panel/sign-in", "/healthz", "/api/visits", "/panel/static/panel.css"):
        response = await backend.client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


async def test_the_lobby_needs_a_session(backend: Backend):
    response = await backend.client.get("/panel/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/panel/sign-in")


async def test_wrong_password_is_refused_in_the_page(backend: Backend):
    response = await sign_in(backend, password="not it")
    assert response.status == 401
    assert "Identifiant ou mot de passe incorrect." in await response.text()
    assert "accueil_session" not in response.headers.get("Set-Cookie", "")


async def test_a_checked_in_visitor_is_on_the_board_and_moves_with_the_csrf_token(backend: Backend):
    visit = await (await backend.check_in(visitor_name="Hélène Côté")).json()
    await sign_in(backend)
    page = await (await backend.client.get("/panel/")).text()
    assert "Hélène Côté" in page and "Facturation" in page
    counts = await backend.row_counts()

    refused = await backend.client.post(f"/panel/visits/{visit['id']}/move", data={"to": "acknowledged"},
                                        allow_redirects=False)
    assert refused.status == 403
    assert await backend.row_counts() == counts

    accepted = await backend.client.post(f"/panel/visits/{visit['id']}/move",
                                         data={"to": "acknowledged", "csrf_token": csrf_of(page)},
                                         allow_redirects=False)
    assert accepted.status == 303
    async with backend.database.read() as session:
        assert (await session.get(Visit, visit["id"])).state == "acknowledged"


async def test_the_api_with_the_session_cookie_needs_the_csrf_header(backend: Backend):
    visit = await (await backend.check_in()).json()
    await sign_in(backend)
    page = await (await backend.client.get("/panel/")).text()
    refused = await backend.client.post(f"/api/visits/{visit['id']}/acknowledge")
    assert refused.status == 403
    accepted = await backend.client.post(f"/api/visits/{visit['id']}/acknowledge",
                                         headers={"X-CSRF-Token": csrf_of(page)})
    assert accepted.status == 200


async def test_the_live_channel_refuses_another_origin(backend: Backend):
    await sign_in(backend)
    base = str(backend.client.make_url("")).rstrip("/")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await backend.client.ws_connect("/api/ws", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    ws = await backend.client.ws_connect("/api/ws", headers={"Origin": base})
    assert (await ws.receive_json(timeout=2)) == {"type": "ready"}
    await ws.close()


async def test_sign_out_ends_the_session(backend: Backend):
    await sign_in(backend)
    page = await (await backend.client.get("/panel/")).text()
    response = await backend.client.post("/panel/sign-out", data={"csrf_token": csrf_of(page)},
                                         allow_redirects=False)
    assert response.status == 303
    again = await backend.client.get("/panel/", allow_redirects=False)
    assert again.status == 303


async def test_the_language_is_the_users_choice_and_remembered(backend: Backend):
    await sign_in(backend)
    await backend.client.get("/panel/language/en?next=/panel/")
    assert "Lobby" in await (await backend.client.get("/panel/")).text()
    assert "Nobody is waiting." in await (await backend.client.get("/panel/board")).text()


async def test_history_searches_and_exports_without_live_formulas(backend: Backend):
    await backend.check_in(visitor_name="=HYPERLINK(\"http://x\")")
    await backend.check_in(visitor_name="Hélène Côté")
    await sign_in(backend)
    page = await (await backend.client.get("/panel/history", params={"q": "hélène"})).text()
    assert "Hélène Côté" in page and "HYPERLINK" not in page
    export = await backend.client.get("/panel/history.csv")
    assert export.status == 200 and export.content_type == "text/csv"
    text = (await export.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.splitlines()
    assert lines[0].startswith("\ufeffArrivé·e à,Visiteur")
    formula = next(line for line in lines if "HYPERLINK" in line)
    assert "'=HYPERLINK" in formula
    async with backend.database.read() as session:
        from sqlalchemy import select

        from backend.audit.models import AuditEvent
        assert "visits.exported" in set(await session.scalars(select(AuditEvent.action)))


async def test_the_audit_log_is_for_admins(backend: Backend):
    await sign_in(backend)
    assert (await backend.client.get("/panel/audit")).status == 403


async def test_a_session_ends_after_a_while_idle(settings, aiohttp_client):
    import datetime as dt

    from backend.app import create_app
    from backend.appkeys import utc_now
    from tests.backend.conftest import build_world

    clock = [utc_now()]
    client = await aiohttp_client(create_app(settings, clock=lambda: clock[0]))
    world = await build_world(client.app[DATABASE])
    backend = Backend(client=client, database=client.app[DATABASE], world=world)
    await sign_in(backend)
    clock[0] += dt.timedelta(minutes=settings.session_idle_minutes - 1)
    assert (await client.get("/panel/", allow_redirects=False)).status == 200  # still there, and seen again
    clock[0] += dt.timedelta(minutes=settings.session_idle_minutes - 1)
    assert (await client.get("/panel/", allow_redirects=False)).status == 200
    clock[0] += dt.timedelta(minutes=settings.session_idle_minutes + 1)
    assert (await client.get("/panel/", allow_redirects=False)).status == 303
