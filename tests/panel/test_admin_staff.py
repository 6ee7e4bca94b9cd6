"""Admin pages of the panel: staff accounts and roles, site settings and departments."""
from __future__ import annotations

import json

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.organisation.models import Department, Site
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.test_panel_http import csrf_of, sign_in
from tests.panel.browser import chromium_page, shot
from tests.panel.signing import give_password

NEW_PASSWORD = "a long new password 42"


async def as_admin(backend: Backend, path: str = "/panel/admin/staff") -> str:
    """Signed in as the admin, in English; the page's CSRF token."""
    await give_password(backend, "admin")
    assert (await sign_in(backend, "admin")).status == 303
    await backend.client.get("/panel/language/en?next=/panel/", allow_redirects=False)
    page = await backend.client.get(path)
    assert page.status == 200
    return csrf_of(await page.text())


async def post(backend: Backend, path: str, data: dict | list, csrf: str | None):
    if csrf is not None:
        data = [*(data.items() if isinstance(data, dict) else data), ("csrf_token", csrf)]
    return await backend.client.post(path, data=data, allow_redirects=False)


async def audit(backend: Backend) -> list[AuditEvent]:
    async with backend.database.read() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


async def test_an_admin_creates_a_receptionist_who_can_sign_in(backend: Backend):
    csrf = await as_admin(backend)
    created = await post(backend, "/panel/admin/staff", {"login": "nadia", "display_name": "Nadia Roy",
                                                         "password": NEW_PASSWORD, "roles": "receptionist"}, csrf)
    assert created.status == 303
    page = await (await backend.client.get(created.headers["Location"])).text()
    assert "Nadia Roy" in page and "The staff member was created." in page
    event = [e for e in await audit(backend) if e.action == "staff.created"][-1]
    assert (event.actor_type, event.actor_id) == ("staff", backend.world.staff_ids["admin"])

    backend.client.session.cookie_jar.clear()
    assert (await sign_in(backend, "nadia", NEW_PASSWORD)).status == 303
    assert (await backend.client.get("/panel/", allow_redirects=False)).status == 200
    assert (await backend.client.get("/panel/admin/staff", allow_redirects=False)).status == 403


async def test_a_bad_new_member_is_refused_with_the_reasons_and_nothing_stored(backend: Backend):
    csrf = await as_admin(backend)
    counts = await backend.row_counts()
    refused = await post(backend, "/panel/admin/staff", [("login", "bad login!"), ("display_name", "X"),
                                                         ("password", "short"), ("roles", "department_staff")], csrf)
    assert refused.status == 422
    text = await refused.text()
    assert "The password must have at least 10 characters." in text
    assert "Department staff need at least one department." in text
    assert "for the login" in text
    assert await backend.row_counts() == counts
    taken = await post(backend, "/panel/admin/staff", {"login": "billing", "display_name": "B", "roles": "clerk"}, csrf)
    assert taken.status == 422 and "already has this login" in await taken.text()
    assert await backend.row_counts() == counts


async def test_changing_a_members_department_moves_their_lobby(backend: Backend):
    csrf = await as_admin(backend)
    billing_visit = (await (await backend.check_in()).json())["id"]
    paeds_visit = (await (await backend.check_in(department_id=backend.world.departments["paediatrics"])).json())["id"]

    async def lobby() -> set[int]:
        response = await backend.client.get("/api/visits", headers=backend.auth("billing"))
        assert response.status == 200
        return {v["id"] for v in (await response.json())["items"]}

    assert billing_visit in await lobby() and paeds_visit not in await lobby()
    member = backend.world.staff_ids["billing"]
    changed = await post(backend, f"/panel/admin/staff/{member}",
                         {"display_name": "Billing Person", "roles": "department_staff",
                          "departments": str(backend.world.departments["paediatrics"]), "listed_at_kiosk": "1"}, csrf)
    assert changed.status == 303
    assert paeds_visit in await lobby() and billing_visit not in await lobby()
    event = [e for e in await audit(backend) if e.action == "staff.updated"][-1]
    assert event.details["department_ids"] == {"from": [backend.world.departments["billing"]],
                                               "to": [backend.world.departments["paediatrics"]]}
    assert event.details["display_name"] is True and "Billing Person" not in json.dumps(event.details)


async def test_deactivating_a_member_ends_their_token_and_session_and_setting_a_password(backend: Backend):
    await give_password(backend, "billing")
    assert (await sign_in(backend, "billing")).status == 303
    billing_cookies = backend.client.session.cookie_jar.filter_cookies(backend.client.make_url("/"))
    billing_session = billing_cookies["accueil_session"].value
    backend.client.session.cookie_jar.clear()
    csrf = await as_admin(backend)
    member = backend.world.staff_ids["billing"]
    assert (await backend.client.get("/api/visits", headers=backend.auth("billing"))).status == 200

    assert (await post(backend, f"/panel/admin/staff/{member}/deactivate", {}, csrf)).status == 303
    assert (await backend.client.get("/api/visits", headers=backend.auth("billing"))).status == 401
    admin_cookie = backend.client.session.cookie_jar.filter_cookies(backend.client.make_url("/"))["accueil_session"]
    ended = await backend.client.get("/panel/", cookies={"accueil_session": billing_session}, allow_redirects=False)
    backend.client.session.cookie_jar.update_cookies({"accueil_session": admin_cookie.value})
    assert ended.status == 303 and ended.headers["Location"].startswith("/panel/sign-in")

    assert (await post(backend, f"/panel/admin/staff/{member}/reactivate", {}, csrf)).status == 303
    # Reactivation revives nothing: the old token stays revoked, a new password lets them in.
    assert (await backend.client.get("/api/visits", headers=backend.auth("billing"))).status == 401
    short = await post(backend, f"/panel/admin/staff/{member}/password", {"password": "short"}, csrf)
    assert short.status == 422
    assert (await post(backend, f"/panel/admin/staff/{member}/password", {"password": NEW_PASSWORD}, csrf)).status == 303
    backend.client.session.cookie_jar.clear()
    assert (await sign_in(backend, "billing", NEW_PASSWORD)).status == 303

    actions = [e.action for e in await audit(backend)]
    assert {"staff.deactivated", "staff.activated", "staff.password_set"} <= set(actions)


async def test_the_last_admin_keeps_their_admin_role(backend: Backend):
    csrf = await as_admin(backend)
    counts = await backend.row_counts()
    me = backend.world.staff_ids["admin"]
    refused = await post(backend, f"/panel/admin/staff/{me}", {"display_name": "Admin", "roles": "receptionist"}, csrf)
    assert refused.status == 422
    assert "You are the last active administrator" in await refused.text()
    deactivate = await post(backend, f"/panel/admin/staff/{me}/deactivate", {}, csrf)
    assert deactivate.status == 422 and "last active administrator" in await deactivate.text()
    assert await backend.row_counts() == counts
    async with backend.database.read() as session:
        assert [e for e in await session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.updated"))] == []
    assert (await backend.client.get("/panel/admin/staff")).status == 200  # still an admin


async def test_bad_site_settings_are_refused_and_good_ones_saved(backend: Backend):
    csrf = await as_admin(backend, "/panel/admin/site")
    async with backend.database.read() as session:
        before = {k: getattr(await session.get(Site, backend.world.site_id), k) for k in ("time_zone", "currency")}
    good = {"name": "Clinique Test", "address": "1 rue Test", "phone": "+1 514 555 0100", "time_zone": "America/Montreal",
            "locale": "en_CA", "country": "ca", "currency": "cad"}
    refused = await post(backend, "/panel/admin/site", {**good, "time_zone": "Mars/Olympus", "currency": "CAN"}, csrf)
    assert refused.status == 422
    text = await refused.text()
    assert "Unknown time zone" in text and "ISO 4217" in text and "Mars/Olympus" in text
    async with backend.database.read() as session:
        site = await session.get(Site, backend.world.site_id)
        assert {k: getattr(site, k) for k in ("time_zone", "currency")} == before
    saved = await post(backend, "/panel/admin/site", good, csrf)
    assert saved.status == 303
    async with backend.database.read() as session:
        site = await session.get(Site, backend.world.site_id)
        assert (site.time_zone, site.locale, site.country, site.currency) == ("America/Montreal", "en_CA", "CA", "CAD")
    assert any(e.action == "site.updated" for e in await audit(backend))


async def test_a_department_made_on_the_page_reaches_the_kiosk(backend: Backend):
    csrf = await as_admin(backend, "/panel/admin/site")
    created = await post(backend, "/panel/admin/departments", {"name_fr": "Radiologie", "name_en": "Radiology"}, csrf)
    assert created.status == 303
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).json()
    assert "Radiology" in json.dumps(config)
    twice = await post(backend, "/panel/admin/departments", {"name_fr": "radiologie", "name_en": "X-rays"}, csrf)
    assert twice.status == 422 and "already has this French name" in await twice.text()
    async with backend.database.read() as session:
        radiology = await session.scalar(select(Department).where(Department.name_en == "Radiology"))
    renamed = await post(backend, f"/panel/admin/departments/{radiology.id}",
                         {"name_fr": "Imagerie", "name_en": "Imaging"}, csrf)
    assert renamed.status == 303
    assert (await post(backend, f"/panel/admin/departments/{radiology.id}/deactivate", {}, csrf)).status == 303
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).json()
    assert "Imaging" not in json.dumps(config) and "Radiology" not in json.dumps(config)
    actions = [e.action for e in await audit(backend)]
    assert {"department.created", "department.renamed", "department.deactivated"} <= set(actions)


@pytest.mark.parametrize("path", ["/panel/admin/staff", "/panel/admin/site"])
async def test_non_admins_get_403(backend: Backend, path: str):
    await sign_in(backend)  # reception
    page = await backend.client.get("/panel/")
    csrf = csrf_of(await page.text())
    assert (await backend.client.get(path, allow_redirects=False)).status == 403
    counts = await backend.row_counts()
    refused = await post(backend, path, {"login": "x", "display_name": "X", "roles": "admin", "name": "X"}, csrf)
    assert refused.status == 403
    assert await backend.row_counts() == counts


async def test_posts_without_the_csrf_token_change_nothing(backend: Backend):
    await as_admin(backend)
    counts = await backend.row_counts()
    member = backend.world.staff_ids["billing"]
    for path, data in [("/panel/admin/staff", {"login": "x1", "display_name": "X", "roles": "admin"}),
                       (f"/panel/admin/staff/{member}/deactivate", {}),
                       (f"/panel/admin/staff/{member}/password", {"password": NEW_PASSWORD}),
                       ("/panel/admin/departments", {"name_fr": "A", "name_en": "B"}),
                       ("/panel/admin/site", {"name": "Evil"})]:
        response = await post(backend, path, data, None)
        assert response.status == 403, path
    assert await backend.row_counts() == counts


async def test_no_password_ever_reaches_the_audit_log(backend: Backend):
    csrf = await as_admin(backend)
    await post(backend, "/panel/admin/staff", {"login": "zoe", "display_name": "Zoé", "password": NEW_PASSWORD,
                                               "roles": "clerk"}, csrf)
    await post(backend, f"/panel/admin/staff/{backend.world.staff_ids['clerk']}/password",
               {"password": NEW_PASSWORD + "!"}, csrf)
    events = await audit(backend)
    assert {"staff.created", "staff.password_set"} <= {e.action for e in events}
    dumped = json.dumps([e.details for e in events])
    assert NEW_PASSWORD not in dumped and PASSWORD not in dumped and "argon2" not in dumped


# In Chromium


class TestInChromium:
    """Only on SQLite: the HTTP tests above cover both databases."""

    @pytest.fixture
    def db_kind(self) -> str:
        return "sqlite"


    @pytest.fixture
    async def page(self):
        async with chromium_page("en-CA") as page:
            yield page


    async def test_an_admin_creates_a_staff_member_in_chromium(self, backend: Backend, page):
        await give_password(backend, "admin")
        base = str(backend.client.make_url("")).rstrip("/")
        await page.goto(f"{base}/panel/language/en?next=/panel/sign-in")
        await page.locator("input[name=login]").fill("admin")
        await page.locator("input[name=password]").fill(PASSWORD)
        await page.locator("form button[type=submit]").last.click()
        await page.goto(f"{base}/panel/admin/staff")
        await expect(page.get_by_role("heading", name="Staff, roles and departments")).to_be_visible()
        form = page.locator("form[action='/panel/admin/staff']")
        await form.get_by_label("Login").fill("lea")
        await form.get_by_label("Name shown").fill("Léa Tremblay")
        await form.get_by_label("Password").fill(NEW_PASSWORD)
        await form.get_by_label("Department staff").check()
        await form.get_by_label("Billing").check()
        await form.get_by_role("button", name="Create the staff member").click()
        await expect(page.get_by_role("status")).to_have_text("The staff member was created.")
        row = page.locator("table.history tr", has_text="Léa Tremblay")
        await expect(row).to_contain_text("Department staff")
        await expect(row).to_contain_text("Billing")
        await shot(page, "panel-admin-staff")
