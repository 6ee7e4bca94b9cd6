"""Administration of kiosks and staff API tokens in the panel: over real HTTP, and once in Chromium."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from backend.appkeys import utc_now
from backend.audit.models import AuditEvent
from backend.kiosks.models import KioskDevice
from backend.staff.models import StaffToken
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium_page, shot
from tests.panel.signing import give_password, sign_in

PAGE = "/panel/admin/kiosks"
PAIRING_CODE = re.compile(r'id="pairing-code">(\d{4}) (\d{4})<')
TOKEN_VALUE = re.compile(r'id="token-value">(acs_[A-Za-z0-9_-]+)<')


async def audit_actions(backend: Backend) -> list[tuple[str, str, int | None, str | None]]:
    async with backend.database.read() as session:
        events = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.action, e.actor_type, e.actor_id, e.object_id) for e in events]


async def test_an_admin_registers_a_kiosk_which_pairs_with_the_code_shown_once(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    response = await backend.client.post(PAGE, data={"name": "  Hall  B ", "csrf_token": csrf},
                                         allow_redirects=False)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = await response.text()
    code = "".join(PAIRING_CODE.search(html).groups())
    assert "Pairing code for Hall B" in html

    async with backend.database.read() as session:
        kiosk = await session.scalar(select(KioskDevice).where(KioskDevice.name == "Hall B"))
    assert kiosk is not None and kiosk.pairing_code_hash is not None and code not in kiosk.pairing_code_hash
    expires = kiosk.pairing_expires_at.replace(tzinfo=dt.timezone.utc) - kiosk.created_at.replace(
        tzinfo=dt.timezone.utc)
    assert expires == dt.timedelta(hours=24)

    listed = await (await backend.client.get(PAGE)).text()
    assert "Hall B" in listed and code[:4] + " " + code[4:] not in listed and 'id="pairing-code"' not in listed

    paired = await backend.client.post("/api/kiosk/pair", json={"code": f"{code[:4]} {code[4:]}"})
    assert paired.status == 200, await paired.text()
    token = (await paired.json())["token"]
    config = await backend.client.get("/api/kiosk/config", headers={"Authorization": f"Bearer {token}"})
    assert config.status == 200 and (await config.json())["kiosk"]["name"] == "Hall B"
    again = await backend.client.post("/api/kiosk/pair", json={"code": code})
    assert again.status == 401

    admin = backend.world.staff_ids["admin"]
    actions = await audit_actions(backend)
    assert ("kiosk.created", "staff", admin, str(kiosk.id)) in actions
    assert ("kiosk.pairing_code_issued", "staff", admin, str(kiosk.id)) in actions


async def test_a_new_pairing_code_replaces_the_kiosks_token_when_used(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    kiosk_id = backend.world.kiosk_ids["kiosk_b"]
    response = await backend.client.post(f"{PAGE}/{kiosk_id}/pairing-code", data={"csrf_token": csrf})
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    code = "".join(PAIRING_CODE.search(await response.text()).groups())
    paired = await backend.client.post("/api/kiosk/pair", json={"code": code})
    assert paired.status == 200
    token = (await paired.json())["token"]
    assert (await backend.client.get("/api/kiosk/config", headers={"Authorization": f"Bearer {token}"})).status == 200
    assert (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_b"))).status == 401
    assert ("kiosk.pairing_code_issued", "staff", backend.world.staff_ids["admin"], str(kiosk_id)) in \
        await audit_actions(backend)


async def test_revoking_a_kiosk_needs_confirmation_then_its_token_stops_working(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    kiosk_id = backend.world.kiosk_ids["kiosk_a"]
    assert (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).status == 200
    counts = await backend.row_counts()

    unconfirmed = await backend.client.post(f"{PAGE}/{kiosk_id}/revoke", data={"csrf_token": csrf},
                                            allow_redirects=False)
    assert unconfirmed.status == 422 and "Tick the box to confirm." in await unconfirmed.text()
    assert await backend.row_counts() == counts
    assert (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).status == 200

    revoked = await backend.client.post(f"{PAGE}/{kiosk_id}/revoke", data={"csrf_token": csrf, "confirm": "yes"},
                                        allow_redirects=False)
    assert revoked.status == 303 and revoked.headers["Location"] == f"{PAGE}?done=kiosk-revoked"
    assert (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).status == 401
    page = await (await backend.client.get(revoked.headers["Location"])).text()
    assert "The kiosk is revoked" in page
    row = re.search(rf'<tr data-kiosk="{kiosk_id}">(.*?)</tr>', page, re.S).group(1)
    assert "Revoked" in row and "/revoke" not in row and "/pairing-code" not in row
    assert ("kiosk.revoked", "staff", backend.world.staff_ids["admin"], str(kiosk_id)) in await audit_actions(backend)
    # A revoked kiosk cannot be given a pairing code.
    refused = await backend.client.post(f"{PAGE}/{kiosk_id}/pairing-code", data={"csrf_token": csrf})
    assert refused.status == 404


async def test_online_status_follows_when_the_kiosk_was_last_seen(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    assert csrf
    # kiosk_a calls now (that records it as seen); kiosk_b was last seen 5 minutes ago.
    assert (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).status == 200
    seen_b = utc_now() - dt.timedelta(minutes=5)
    async with backend.database.write() as session:
        (await session.get(KioskDevice, backend.world.kiosk_ids["kiosk_b"])).last_seen_at = seen_b
        session.add(KioskDevice(site_id=backend.world.site_id, name="Never seen", token_hash="0" * 64,
                                created_at=utc_now()))
    page = await (await backend.client.get(PAGE)).text()

    def row(name: str) -> str:
        return re.search(rf'<tr data-kiosk="\d+">\s*<td>{name}</td>(.*?)</tr>', page, re.S).group(1)

    assert "Online" in row("kiosk_a") and "Offline" not in row("kiosk_a")
    assert "Offline" in row("kiosk_b")
    # Shown in the site's time zone (America/Toronto), not in UTC.
    assert seen_b.astimezone(ZoneInfo("America/Toronto")).strftime("%Y-%m-%d %H:%M") in row("kiosk_b")
    assert "Offline" in row("Never seen") and "Never" in row("Never seen")


async def test_an_api_token_is_shown_once_works_as_bearer_and_stops_when_revoked(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    owner = backend.world.staff_ids["reception"]
    response = await backend.client.post(f"{PAGE}/tokens", data={
        "csrf_token": csrf, "label": "Tableau de bord", "owner": str(owner), "expires_in_days": "30"})
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    value = TOKEN_VALUE.search(await response.text()).group(1)

    visits = await backend.client.get("/api/visits", headers={"Authorization": f"Bearer {value}"})
    assert visits.status == 200

    listed = await (await backend.client.get(PAGE)).text()
    assert value not in listed and "Tableau de bord" in listed
    async with backend.database.read() as session:
        token = await session.scalar(select(StaffToken).where(StaffToken.label == "Tableau de bord"))
    assert token.staff_member_id == owner and value not in token.token_hash
    lifetime = token.expires_at.replace(tzinfo=dt.timezone.utc) - token.created_at.replace(tzinfo=dt.timezone.utc)
    assert lifetime == dt.timedelta(days=30)
    row = re.search(rf'<tr data-token="{token.id}">(.*?)</tr>', listed, re.S).group(1)
    assert "Reception" in row and "Never" not in row

    revoked = await backend.client.post(f"{PAGE}/tokens/{token.id}/revoke",
                                        data={"csrf_token": csrf, "confirm": "yes"}, allow_redirects=False)
    assert revoked.status == 303
    visits = await backend.client.get("/api/visits", headers={"Authorization": f"Bearer {value}"})
    assert visits.status == 401
    assert revoked.headers["Location"] == f"{PAGE}?done=token-revoked"
    page = await (await backend.client.get(revoked.headers["Location"])).text()
    assert value not in page
    assert "The token is revoked" in page

    admin = backend.world.staff_ids["admin"]
    actions = await audit_actions(backend)
    assert ("staff_token.created", "staff", admin, str(token.id)) in actions
    assert ("staff_token.revoked", "staff", admin, str(token.id)) in actions


async def test_a_token_without_expiry_never_expires(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    response = await backend.client.post(f"{PAGE}/tokens", data={
        "csrf_token": csrf, "label": "Forever", "owner": str(backend.world.staff_ids["admin"]),
        "expires_in_days": ""})
    assert response.status == 200
    async with backend.database.read() as session:
        token = await session.scalar(select(StaffToken).where(StaffToken.label == "Forever"))
    assert token.expires_at is None


async def test_someone_who_is_not_an_admin_gets_403_and_changes_nothing(backend: Backend):
    csrf = await sign_in(backend, "reception")
    counts = await backend.row_counts()
    assert (await backend.client.get(PAGE)).status == 403
    for path, data in ((PAGE, {"name": "Sneaky"}), (f"{PAGE}/tokens", {"label": "x", "owner": "1"}),
                       (f"{PAGE}/{backend.world.kiosk_ids['kiosk_a']}/revoke", {"confirm": "yes"}),
                       (f"{PAGE}/{backend.world.kiosk_ids['kiosk_a']}/pairing-code", {})):
        response = await backend.client.post(path, data={**data, "csrf_token": csrf}, allow_redirects=False)
        assert response.status == 403, path
    assert await backend.row_counts() == counts
    backend.client.session.cookie_jar.clear()
    assert (await backend.client.get(PAGE, allow_redirects=False)).status == 303


async def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(backend: Backend):
    await sign_in(backend, "admin", page=PAGE)
    counts = await backend.row_counts()
    for path, data in ((PAGE, {"name": "Hall C"}),
                       (f"{PAGE}/tokens", {"label": "x", "owner": str(backend.world.staff_ids["admin"])}),
                       (f"{PAGE}/{backend.world.kiosk_ids['kiosk_a']}/revoke", {"confirm": "yes"}),
                       (f"{PAGE}/{backend.world.kiosk_ids['kiosk_a']}/pairing-code", {})):
        response = await backend.client.post(path, data=data, allow_redirects=False)
        assert response.status == 403, path
        response = await backend.client.post(path, data={**data, "csrf_token": "forged"}, allow_redirects=False)
        assert response.status == 403, path
    assert await backend.row_counts() == counts
    async with backend.database.read() as session:
        kiosk = await session.get(KioskDevice, backend.world.kiosk_ids["kiosk_a"])
    assert kiosk.revoked_at is None and kiosk.pairing_code_hash is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_a_kiosk_needs_a_name_and_a_bad_one_stores_nothing(backend: Backend, name: str):
    csrf = await sign_in(backend, "admin", page=PAGE)
    counts = await backend.row_counts()
    response = await backend.client.post(PAGE, data={"name": name, "csrf_token": csrf})
    assert response.status == 422
    html = await response.text()
    assert 'aria-invalid="true"' in html and 'id="pairing-code"' not in html
    assert ("Give the kiosk a name." if len(name) < 100 else "Use at most 100 characters.") in html
    assert await backend.row_counts() == counts


async def test_a_token_with_a_bad_label_expiry_or_owner_stores_nothing(backend: Backend):
    csrf = await sign_in(backend, "admin", page=PAGE)
    counts = await backend.row_counts()
    admin = str(backend.world.staff_ids["admin"])
    for data, message in (({"label": "", "owner": admin}, "Give the token a label"),
                          ({"label": "ok", "owner": admin, "expires_in_days": "0"}, "from 1 to 3650"),
                          ({"label": "ok", "owner": admin, "expires_in_days": "soon"}, "from 1 to 3650"),
                          ({"label": "ok", "owner": admin, "expires_in_days": "3651"}, "from 1 to 3650"),
                          ({"label": "ok", "owner": "999999"}, "Choose an active staff member")):
        response = await backend.client.post(f"{PAGE}/tokens", data={**data, "csrf_token": csrf})
        html = await response.text()
        assert response.status == 422, data
        assert message in html and 'id="token-value"' not in html
    assert await backend.row_counts() == counts


# --- In Chromium -------------------------------------------------------------------------------------------

@pytest.fixture
async def page():
    async with chromium_page("en-CA") as page:
        yield page


@pytest.mark.parametrize("db_kind", ["sqlite"])  # the browser adds nothing on PostgreSQL
async def test_an_admin_registers_a_kiosk_in_the_browser(backend: Backend, page):
    await give_password(backend, "admin")
    base = str(backend.client.make_url("")).rstrip("/")
    await page.context.add_cookies([{"name": "accueil_lang", "value": "en", "url": base}])
    await page.goto(f"{base}{PAGE}")
    await page.get_by_label("Login").fill("admin")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Kiosks and API tokens")).to_be_visible()

    await page.locator('input[name="name"]').fill("Entrée principale")
    await page.locator('form[action="/panel/admin/kiosks"] button.primary').click()
    code = page.locator("#pairing-code")
    await expect(code).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    await expect(page.locator("tr", has_text="Entrée principale")).to_be_visible()
    await shot(page, "panel-admin-kiosks")

    paired = await backend.client.post("/api/kiosk/pair", json={"code": await code.text_content()})
    assert paired.status == 200
