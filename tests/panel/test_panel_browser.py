"""The staff panel in Debian's Chromium, driven by Playwright: what a receptionist sees and does."""
from __future__ import annotations

import time

import pytest
from playwright.async_api import expect

from tests.backend.conftest import PASSWORD, Backend, next_event
from tests.panel import browser
from tests.panel.browser import chromium_page, serious_violations



@pytest.fixture
def db_kind() -> str:
    return "sqlite"


@pytest.fixture
async def page():
    async with chromium_page("fr-CA") as page:
        yield page


async def shot(page, name: str) -> None:
    await browser.shot(page, f"panel-{name}")


async def test_receptionist_sees_an_arrival_live_and_the_kiosk_hears_the_answer(backend: Backend, page):
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/")
    await expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    await shot(page, "01-sign-in-fr")
    await page.get_by_label("Identifiant").fill("reception")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await expect(page.get_by_role("heading", name="Salle d’attente")).to_be_visible()
    await expect(page.locator("#live-status")).to_have_text("En direct")
    await shot(page, "02-lobby-empty-fr")

    kiosk = await backend.live("kiosk_a")
    started = time.monotonic()
    visit = await (await backend.check_in(visitor_name="Hélène Côté")).json()
    card = page.locator(f'[data-visit="{visit["id"]}"]')
    await expect(card).to_be_visible(timeout=1000)
    assert time.monotonic() - started < 1.0
    await expect(card).to_contain_text("Hélène Côté")
    await expect(card).to_contain_text("En attente")
    await shot(page, "03-lobby-arrival-fr")

    await card.get_by_role("button", name="J’arrive").click()
    await expect(page.locator(f'[data-visit="{visit["id"]}"]')).to_contain_text("Quelqu’un arrive")
    event = await next_event(kiosk, timeout=2)
    assert event["visit"]["state"] == "acknowledged"
    await shot(page, "04-lobby-acknowledged-fr")

    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Lobby")).to_be_visible()
    await shot(page, "05-lobby-en")


async def test_department_staff_cannot_open_another_departments_visit(backend: Backend, page):
    visit = await (await backend.check_in()).json()  # for Billing
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in")
    # Only the reception account has a password in the test world: give paeds one through the API's own hashing.
    from backend.staff.service import _hasher
    from backend.staff.models import StaffMember
    async with backend.database.write() as session:
        member = await session.get(StaffMember, backend.world.staff_ids["paeds"])
        member.password_hash = _hasher.hash(PASSWORD)
    await page.get_by_label("Identifiant").fill("paeds")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await expect(page.get_by_text("Personne n’attend.")).to_be_visible()
    response = await page.goto(f"{base}/api/visits/{visit['id']}")
    assert response.status == 403




async def test_main_pages_have_no_serious_accessibility_violation(backend: Backend, page):
    await backend.check_in(visitor_name="Hélène Côté")
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in")
    assert await serious_violations(page) == []
    await page.get_by_label("Identifiant").fill("reception")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await expect(page.locator("#live-status")).to_have_text("En direct")
    assert await serious_violations(page) == []


async def test_five_wrong_passwords_lock_the_account_for_a_while(backend: Backend, page):
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in")
    for _ in range(5):
        await page.get_by_label("Identifiant").fill("reception")
        await page.get_by_label("Mot de passe").fill("wrong password")
        await page.get_by_role("button", name="Connexion").click()
        await expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    await page.get_by_label("Identifiant").fill("reception")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await expect(page.get_by_role("alert")).to_contain_text("ce compte est bloqué")
    await shot(page, "06-sign-in-locked-fr")


async def test_history_and_administration_pages_have_no_serious_accessibility_violation(backend: Backend, page):
    from backend.staff.models import StaffMember
    from backend.staff.service import _hasher

    async with backend.database.write() as session:
        (await session.get(StaffMember, backend.world.staff_ids["admin"])).password_hash = _hasher.hash(PASSWORD)
    await backend.check_in(visitor_name="Hélène Côté")
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in")
    await page.get_by_label("Identifiant").fill("admin")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await expect(page.get_by_role("heading", name="Salle d’attente")).to_be_visible()
    for path in ("/panel/history", "/panel/audit", "/panel/admin", "/panel/admin/visitor-types",
                 "/panel/admin/kiosks", "/panel/admin/staff", "/panel/admin/site"):
        await page.goto(f"{base}{path}")
        assert await serious_violations(page) == [], path
    await shot(page, "07-admin-site-fr")
