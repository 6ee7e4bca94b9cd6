"""Administering visitor types and their questions in the panel, over real HTTP and in Chromium."""
from __future__ import annotations

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.visits.models import VisitorField, VisitorType
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium_page, shot
from tests.panel.test_panel_http import csrf_of, sign_in
from tests.panel.signing import give_password

PAGE = "/panel/admin/visitor-types"
EMAIL_FIELD = {"key": "work_email", "kind": "email", "required": "1", "label_fr": "Courriel au travail",
               "label_en": "Work email", "choices": ""}


async def as_admin(backend: Backend) -> str:
    """Signs the admin in (in English, the catalogs may lag) and returns the page's CSRF token."""
    await give_password(backend, "admin")
    assert (await sign_in(backend, "admin")).status == 303
    backend.client.session.cookie_jar.update_cookies({"accueil_lang": "en"})
    page = await backend.client.get(PAGE)
    assert page.status == 200
    return csrf_of(await page.text())


async def kiosk_patient_fields(backend: Backend) -> dict[str, dict]:
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).json()
    patient = next(t for t in config["visitor_types"] if t["key"] == "patient")
    return {f["key"]: f for f in patient["fields"]}


async def audit_actions(backend: Backend) -> list[str]:
    async with backend.database.read() as session:
        return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


async def post(backend: Backend, path: str, data: dict):
    return await backend.client.post(path, data=data, allow_redirects=False)


async def test_an_added_question_reaches_the_kiosk_at_once_and_is_audited(backend: Backend):
    csrf = await as_admin(backend)
    patient = backend.world.visitor_types["patient"]
    assert "work_email" not in await kiosk_patient_fields(backend)

    response = await post(backend, f"{PAGE}/{patient}/fields", {**EMAIL_FIELD, "csrf_token": csrf})
    assert response.status == 303 and response.headers["Location"].startswith(PAGE)

    added = (await kiosk_patient_fields(backend))["work_email"]
    assert added == {"key": "work_email", "kind": "email", "required": True,
                     "label": {"fr": "Courriel au travail", "en": "Work email"}, "choices": []}
    assert list(await kiosk_patient_fields(backend))[-1] == "work_email"  # asked last
    assert (await audit_actions(backend))[-1] == "visitor_field.added"
    assert "Work email" in await (await backend.client.get(PAGE)).text()


async def test_a_choice_question_is_edited_moved_and_removed_with_an_audit_event_each(backend: Backend):
    csrf = await as_admin(backend)
    patient = backend.world.visitor_types["patient"]
    choice = {"key": "floor", "kind": "choice", "label_fr": "Étage", "label_en": "Floor", "csrf_token": csrf,
              "choices": "ground | Rez-de-chaussée | Ground floor\n\nfirst | Premier | First floor"}
    assert (await post(backend, f"{PAGE}/{patient}/fields", choice)).status == 303
    fields = await kiosk_patient_fields(backend)
    assert fields["floor"]["required"] is False
    assert fields["floor"]["choices"] == [
        {"value": "ground", "label": {"fr": "Rez-de-chaussée", "en": "Ground floor"}},
        {"value": "first", "label": {"fr": "Premier", "en": "First floor"}}]
    async with backend.database.read() as session:
        floor_id = await session.scalar(select(VisitorField.id).where(VisitorField.key == "floor"))

    edited = {**choice, "label_en": "Which floor", "required": "1"}
    assert (await post(backend, f"/panel/admin/visitor-fields/{floor_id}", edited)).status == 303
    assert (await kiosk_patient_fields(backend))["floor"]["label"]["en"] == "Which floor"
    assert (await kiosk_patient_fields(backend))["floor"]["required"] is True

    before = list(await kiosk_patient_fields(backend))
    move = await post(backend, f"/panel/admin/visitor-fields/{floor_id}/move", {"step": "up", "csrf_token": csrf})
    assert move.status == 303
    after = list(await kiosk_patient_fields(backend))
    assert after == before[:-2] + ["floor", before[-2]]

    assert (await post(backend, f"/panel/admin/visitor-fields/{floor_id}/remove", {"csrf_token": csrf})).status == 303
    assert "floor" not in await kiosk_patient_fields(backend)
    assert (await audit_actions(backend))[-4:] == [
        "visitor_field.added", "visitor_field.edited", "visitor_field.moved", "visitor_field.removed"]


async def test_a_type_is_created_deactivated_and_reactivated(backend: Backend):
    csrf = await as_admin(backend)
    created = await post(backend, PAGE, {"key": "courier", "name_fr": "Livreur", "name_en": "Courier",
                                         "csrf_token": csrf})
    assert created.status == 303
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).json()
    courier = next(t for t in config["visitor_types"] if t["key"] == "courier")
    assert courier["name"] == {"fr": "Livreur", "en": "Courier"} and courier["fields"] == []

    assert (await post(backend, f"{PAGE}/{courier['id']}/active", {"active": "0", "csrf_token": csrf})).status == 303
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).json()
    assert "courier" not in [t["key"] for t in config["visitor_types"]]
    page = await (await backend.client.get(PAGE)).text()
    assert "Courier" in page and "Inactive: hidden at the kiosk" in page  # still listed for the admin

    assert (await post(backend, f"{PAGE}/{courier['id']}/active", {"active": "1", "csrf_token": csrf})).status == 303
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).json()
    assert "courier" in [t["key"] for t in config["visitor_types"]]
    assert (await audit_actions(backend))[-3:] == [
        "visitor_type.created", "visitor_type.deactivated", "visitor_type.reactivated"]


@pytest.mark.parametrize("change, field, message", [
    ({"label_fr": "", "label_en": " "}, "label_fr", "This field is required."),
    ({"key": "Work-Email"}, "key", "Use only lowercase letters a to z, digits and _ (at most 50)."),
    ({"key": ""}, "key", "This field is required."),
    ({"key": "email"}, "key", "This key is already in use."),
    ({"kind": "choice"}, "choices", "A list to choose from needs at least one choice."),
    ({"kind": "choice", "choices": "yes | Oui"}, "choices", "Write one choice per line"),
    ({"kind": "signature"}, "kind", "Choose a kind of answer from the list."),
], ids=["empty labels", "bad key", "no key", "duplicate key", "choice without choices", "half a choice",
        "unknown kind"])
async def test_invalid_input_shows_the_page_again_with_the_error_and_stores_nothing(
        backend: Backend, change: dict, field: str, message: str):
    csrf = await as_admin(backend)
    patient = backend.world.visitor_types["patient"]
    counts, kiosk_before, audit_before = (await backend.row_counts(), await kiosk_patient_fields(backend),
                                          await audit_actions(backend))

    response = await post(backend, f"{PAGE}/{patient}/fields", {**EMAIL_FIELD, **change, "csrf_token": csrf})
    assert response.status == 422
    html = await response.text()
    assert message in html
    assert f'id="add-field-{patient}-{field}-error"' in html  # next to its field
    assert "Nothing was saved" in html
    if change.get("label_fr") is None:
        assert 'value="Courriel au travail"' in html  # what was typed is kept
    assert await backend.row_counts() == counts
    assert await kiosk_patient_fields(backend) == kiosk_before
    assert await audit_actions(backend) == audit_before


async def test_an_edit_cannot_take_another_fields_key_nor_a_type_a_taken_key(backend: Backend):
    csrf = await as_admin(backend)
    async with backend.database.read() as session:
        note_id = await session.scalar(select(VisitorField.id).where(VisitorField.key == "note"))
    counts = await backend.row_counts()
    taken = await post(backend, f"/panel/admin/visitor-fields/{note_id}",
                       {**EMAIL_FIELD, "key": "phone", "kind": "text", "csrf_token": csrf})
    assert taken.status == 422
    html = await taken.text()
    assert f'id="field-{note_id}-key-error"' in html and "This key is already in use." in html
    duplicate_type = await post(backend, PAGE, {"key": "patient", "name_fr": "", "name_en": "X", "csrf_token": csrf})
    assert duplicate_type.status == 422
    html = await duplicate_type.text()
    assert 'id="new-type-key-error"' in html and 'id="new-type-name_fr-error"' in html
    assert await backend.row_counts() == counts
    async with backend.database.read() as session:
        assert await session.scalar(select(VisitorField.key).where(VisitorField.id == note_id)) == "note"


async def test_the_last_active_type_cannot_be_deactivated(backend: Backend):
    csrf = await as_admin(backend)
    visitor = backend.world.visitor_types["visitor"]
    patient = backend.world.visitor_types["patient"]
    assert (await post(backend, f"{PAGE}/{visitor}/active", {"active": "0", "csrf_token": csrf})).status == 303
    counts = await backend.row_counts()
    refused = await post(backend, f"{PAGE}/{patient}/active", {"active": "0", "csrf_token": csrf})
    assert refused.status == 422
    assert "The kiosk needs at least one active visitor type." in await refused.text()
    assert await backend.row_counts() == counts
    async with backend.database.read() as session:
        assert (await session.get(VisitorType, patient)).active is True


async def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(backend: Backend):
    await as_admin(backend)
    patient = backend.world.visitor_types["patient"]
    counts = await backend.row_counts()
    for path, data in [(f"{PAGE}/{patient}/fields", EMAIL_FIELD),
                       (f"{PAGE}/{patient}/fields", {**EMAIL_FIELD, "csrf_token": "forged"}),
                       (PAGE, {"key": "courier", "name_fr": "Livreur", "name_en": "Courier"}),
                       (f"{PAGE}/{patient}/active", {"active": "0"})]:
        assert (await post(backend, path, data)).status == 403, path
    assert await backend.row_counts() == counts


async def test_only_an_administrator_may_see_or_change_visitor_types(backend: Backend):
    patient = backend.world.visitor_types["patient"]
    anonymous = await backend.client.get(PAGE, allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"].startswith("/panel/sign-in")
    await sign_in(backend, "reception")
    lobby = await (await backend.client.get("/panel/")).text()
    counts = await backend.row_counts()
    assert (await backend.client.get(PAGE)).status == 403
    for path in (f"{PAGE}/{patient}/fields", PAGE, f"{PAGE}/{patient}/active"):
        response = await post(backend, path, {**EMAIL_FIELD, "name_fr": "A", "name_en": "B", "active": "0",
                                              "csrf_token": csrf_of(lobby)})
        assert response.status == 403, path
    assert await backend.row_counts() == counts
    async with backend.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(VisitorField)
                                    .where(VisitorField.key == "work_email")) == 0


# --- in Chromium -----------------------------------------------------------------------------------

@pytest.fixture
async def page():
    async with chromium_page("en-CA") as page:
        yield page


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_admin_adds_a_question_in_the_browser_and_the_kiosk_config_has_it(backend: Backend, page):
    await give_password(backend, "admin")
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/language/en?next=/panel/sign-in")
    await page.get_by_label("Login").fill("admin")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{base}{PAGE}")
    await expect(page.get_by_role("heading", name="Visitor types and their questions")).to_be_visible()

    patient = page.locator(f"#type-{backend.world.visitor_types['patient']}")
    add = patient.locator("form").filter(has=page.get_by_role("button", name="Add the question"))
    await add.get_by_label("Key").fill("work_email")
    await add.get_by_label("Question in French").fill("Courriel au travail")
    await add.get_by_label("Question in English").fill("Work email")
    await add.get_by_label("Kind of answer").select_option("email")
    await add.get_by_label("Required").check()
    await add.get_by_role("button", name="Add the question").click()
    row = patient.locator('tr[data-field="work_email"]')
    await expect(row).to_contain_text("Work email")
    await expect(row).to_contain_text("Email address")

    fields = await kiosk_patient_fields(backend)
    assert fields["work_email"]["kind"] == "email" and fields["work_email"]["required"] is True
    assert fields["work_email"]["label"] == {"fr": "Courriel au travail", "en": "Work email"}
    await shot(page, "panel-admin-visitor-types")
