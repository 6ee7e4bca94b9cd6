"""Client records in the panel: search while typing, creating (warned of a likely duplicate), changing, and the
record's history and trail of who viewed it — over HTTP, and in Chromium."""
from __future__ import annotations

import pytest
from aiohttp import FormData
from playwright.async_api import expect
from sqlalchemy import func, select

from backend.clients.models import Client
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium_page, serious_violations, shot
from tests.panel.signing import sign_in

HELENE = {"kind": "person", "given_name": "Hélène", "family_name": "Côté", "number": "P-1042",
          "date_of_birth": "12/04/1961", "phone": "514 555 0123", "email": "helene@example.org", "city": "Montréal"}


async def create(backend: Backend, csrf: str, **fields) -> int:
    response = await backend.client.post("/panel/clients", data={"csrf_token": csrf, **HELENE, **fields},
                                         allow_redirects=False)
    assert response.status == 303, await response.text()
    return int(response.headers["Location"].split("/")[-1].split("?")[0])


async def clients(backend: Backend) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(func.count()).select_from(Client))


async def test_a_clerk_creates_finds_and_changes_a_record(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients")
    client_id = await create(backend, csrf)

    found = await (await backend.client.get("/panel/clients/results", params={"q": "helene cote"})).text()
    assert f'href="/panel/clients/{client_id}"' in found and "Hélène Côté" in found
    changed = await backend.client.post(f"/panel/clients/{client_id}", data={
        "csrf_token": csrf, **HELENE, "date_of_birth": "1961-04-12", "city": "Laval"}, allow_redirects=False)
    assert changed.status == 303
    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "History of changes" in page and "Montréal" in page and "Laval" in page
    assert "Who viewed or handled this record" in page and "Viewed" in page


async def test_bad_input_is_shown_by_field_and_nothing_is_stored(backend: Backend):
    csrf = await sign_in(backend, "reception", page="/panel/clients")
    response = await backend.client.post("/panel/clients", data={
        "csrf_token": csrf, "kind": "person", "given_name": "", "family_name": "", "phone": "12",
        "date_of_birth": "31/02/1990"})

    assert response.status == 422
    page = await response.text()
    assert 'id="family_name-error"' in page and "This is not a valid phone number." in page
    assert "Give a date like 1961-04-12 or 12/04/1961." in page
    assert await clients(backend) == 0


async def test_a_likely_duplicate_is_pointed_out_before_anything_is_stored(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients")
    first = await create(backend, csrf)

    again = await backend.client.post("/panel/clients", data={
        "csrf_token": csrf, **HELENE, "given_name": "Helene", "family_name": "Cote", "number": "",
        "phone": "(514) 555-0123", "date_of_birth": "1961-04-12"})
    assert again.status == 409
    page = await again.text()
    assert f'href="/panel/clients/{first}"' in page and "This looks like a client already on file" in page
    assert await clients(backend) == 1

    await create(backend, csrf, given_name="Helene", family_name="Cote", number="", different="1")
    assert await clients(backend) == 2


async def test_department_staff_read_records_but_neither_change_them_nor_see_the_trail(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients")
    client_id = await create(backend, csrf)
    csrf = await sign_in(backend, "billing", page="/panel/clients")

    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "Hélène Côté" in page and "Change the record" not in page and "Who viewed" not in page
    refused = await backend.client.post(f"/panel/clients/{client_id}", data={"csrf_token": csrf, **HELENE},
                                        allow_redirects=False)
    assert refused.status == 403
    assert (await backend.client.get("/panel/clients/new", allow_redirects=False)).status == 403


@pytest.mark.parametrize("db_kind", ["sqlite"])  # the browser adds nothing on PostgreSQL
async def test_results_come_while_typing_in_chromium(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients")
    client_id = await create(backend, csrf)
    await create(backend, csrf, given_name="Marc-André", family_name="Roy", number="P-2001", phone="438 555 0101",
                 email="marc@example.org", date_of_birth="1980-01-02")
    base = str(backend.client.make_url("")).rstrip("/")
    async with chromium_page("fr-CA") as page:
        await page.goto(f"{base}/panel/sign-in?next=/panel/clients")
        await page.get_by_label("Identifiant").fill("clerk")
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Connexion").click()
        await page.evaluate("window.notReloaded = true")
        await page.locator("#client-query").press_sequentially("côté hél", delay=30)
        row = page.locator("#client-results").get_by_role("link", name="Hélène Côté")
        await expect(row).to_be_visible()
        await expect(page.locator("#client-results")).not_to_contain_text("Roy")
        assert await page.evaluate("window.notReloaded") is True
        assert await serious_violations(page) == []
        await shot(page, "panel-clients-search-fr")
        await row.click()
        await expect(page.get_by_role("heading", name="Hélène Côté")).to_be_visible()
        assert await serious_violations(page) == []
        await shot(page, "panel-clients-record-fr")
    assert client_id


async def test_the_record_lists_its_documents_with_a_preview_for_a_pdf(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients")
    client_id = await create(backend, csrf)
    form = FormData(quote_fields=False, default_to_multipart=True)
    form.add_field("file", b"%PDF-1.4\n%%EOF\n", filename="carte-assurance.pdf", content_type="application/pdf")
    form.add_field("category", "insurance")
    form.add_field("title", "Carte d’assurance maladie")
    filed = await backend.client.post(f"/api/clients/{client_id}/documents", data=form, headers=backend.auth("clerk"))
    assert filed.status == 201, await filed.text()
    document = await filed.json()

    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()

    assert "Carte d’assurance maladie" in page and "Insurance" in page
    assert f'href="/api/documents/{document["id"]}/content?preview=1"' in page
    opened = await backend.client.get(f"/api/documents/{document['id']}/content?preview=1")
    assert opened.status == 200 and await opened.read() == b"%PDF-1.4\n%%EOF\n"
    trail = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "Opened a document" in trail and "Filed a document" in trail
