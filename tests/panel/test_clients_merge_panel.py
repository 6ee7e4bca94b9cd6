"""Duplicates in the panel, in Chromium, in French: the likely pair is listed, compared side by side (what differs
marked, the kept record swapped), merged after a confirmation; the surviving record holds both histories and both
documents. Over HTTP: refused merges say why on the page and change nothing."""
from __future__ import annotations

import pytest
from aiohttp import FormData
from playwright.async_api import expect

from backend.clients.models import Client
from shared.enums import ClientStatus
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium_page, serious_violations, shot
from tests.panel.signing import give_password, sign_in


async def create(backend: Backend, **fields) -> int:
    response = await backend.client.post("/api/clients", headers=backend.auth("clerk"), json=fields)
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


async def file(backend: Backend, client_id: int, title: str) -> None:
    form = FormData(quote_fields=False, default_to_multipart=True)
    form.add_field("file", b"%PDF-1.4\n" + title.encode() + b"\n%%EOF\n", filename="scan.pdf",
                   content_type="application/pdf")
    form.add_field("category", "report")
    form.add_field("title", title)
    response = await backend.client.post(f"/api/clients/{client_id}/documents", data=form,
                                         headers=backend.auth("clerk"))
    assert response.status == 201, await response.text()


async def twins(backend: Backend) -> tuple[int, int]:
    """The same woman entered twice: once at the desk, once from an old spreadsheet without accents."""
    first = await create(backend, given_name="Hélène", family_name="Côté", date_of_birth="1961-04-12",
                         phone="514 555 0123", number="P-1042", city="Montréal")
    second = await create(backend, given_name="Helene", family_name="Cote", date_of_birth="1961-04-12",
                          phone="(514) 555-0123", email="helene@exemple.ca", city="Laval",
                          notes="Préfère être appelée le matin.")
    patched = await backend.client.patch(f"/api/clients/{second}", headers=backend.auth("clerk"),
                                         json={"address": "12, rue des Érables"})
    assert patched.status == 200
    await file(backend, first, "Rapport 2024")
    await file(backend, second, "Carte d’assurance")
    return first, second


@pytest.mark.parametrize("db_kind", ["sqlite"])  # the browser adds nothing on PostgreSQL
async def test_the_pair_is_listed_compared_and_merged_into_the_chosen_record(backend: Backend):
    first, second = await twins(backend)
    await give_password(backend, "clerk")
    base = str(backend.client.make_url("")).rstrip("/")
    async with chromium_page("fr-CA") as page:
        await page.goto(f"{base}/panel/sign-in?next=/panel/clients/{second}")
        await page.get_by_label("Identifiant").fill("clerk")
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Connexion").click()
        # The record itself says it has a likely twin.
        note = page.get_by_role("note")
        await expect(note).to_contain_text("Cette fiche ressemble à celle d’une autre personne au dossier.")
        await expect(note).to_contain_text("même téléphone")
        await shot(page, "panel-client-twin-note-fr")

        await page.get_by_role("link", name="Clients", exact=True).click()
        await page.get_by_role("link", name="Doublons probables").click()
        rows = page.locator(".duplicates-table tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows).to_contain_text("Hélène Côté")
        await expect(rows).to_contain_text("Helene Cote")
        await expect(rows).to_contain_text("même téléphone, même date de naissance, nom semblable")
        assert await serious_violations(page) == []
        await shot(page, "panel-clients-duplicates-fr")

        await rows.get_by_role("link", name="Comparer et fusionner").click()
        await expect(page.get_by_role("heading", name="Fusionner deux fiches")).to_be_visible()
        table = page.locator(".merge-table")
        await expect(table.locator("thead")).to_contain_text("Gardée : Hélène Côté")
        # What differs is marked; what is the same is not.
        city = table.locator("tr", has_text="Ville")
        await expect(city).to_have_class("differs")
        await expect(city.locator("td.after")).to_have_text("Montréal")
        await expect(table.locator("tr", has_text="Date de naissance")).not_to_have_class("differs")
        await expect(table.locator("tr", has_text="Courriel").locator("td.after")).to_have_text("helene@exemple.ca")
        assert await serious_violations(page) == []
        await shot(page, "panel-clients-merge-fr")

        await page.get_by_role("link", name="Garder plutôt l’autre fiche").click()
        await expect(table.locator("thead")).to_contain_text("Gardée : Helene Cote")
        await expect(table.locator("tr", has_text="Ville").locator("td.after")).to_have_text("Laval")
        await page.get_by_role("link", name="Garder plutôt l’autre fiche").click()
        await expect(table.locator("thead")).to_contain_text("Gardée : Hélène Côté")

        page.on("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="Fusionner dans « Hélène Côté »").click()

        await expect(page).to_have_url(f"{base}/panel/clients/{first}?merged={second}")
        await expect(page.get_by_role("status")).to_have_text(
            f"La fiche {second} a été fusionnée dans celle-ci : son historique et ses documents se trouvent "
            "maintenant ici.")
        documents = page.locator("#documents ~ table").first
        await expect(documents).to_contain_text("Rapport 2024")
        await expect(documents).to_contain_text("Carte d’assurance")
        history = page.locator("table.history", has_text="Avant")
        await expect(history).to_contain_text("12, rue des Érables")  # the absorbed record's own change
        await expect(history).to_contain_text("P-1042")
        await expect(page.get_by_role("note")).to_have_count(0)  # no twin left
        assert await serious_violations(page) == []
        await shot(page, "panel-clients-merged-fr")

        await page.goto(f"{base}/panel/clients/duplicates")
        await expect(page.get_by_text("Aucun doublon probable parmi les fiches au dossier.")).to_be_visible()
    async with backend.database.read() as session:
        absorbed = await session.get(Client, second)
        assert (absorbed.status, absorbed.merged_into_id) == (ClientStatus.MERGED, first)


async def test_refused_merges_are_explained_and_change_nothing(backend: Backend):
    first, second = await twins(backend)
    csrf = await sign_in(backend, "clerk", page="/panel/clients/duplicates")
    before = await backend.row_counts()
    cases = [
        ({"keep": first, "other": first}, 422, "A record cannot be merged into itself"),
        ({"keep": first, "other": 999999}, 404, "Not found"),
        ({"keep": "x", "other": second}, 422, "One of these records does not exist any more."),
        ({}, 422, "One of these records does not exist any more."),
    ]
    for fields, status, message in cases:
        response = await backend.client.post("/panel/clients/merge", data={"csrf_token": csrf, **fields})
        assert response.status == status, (fields, await response.text())
        assert message in await response.text(), fields
        shown = await backend.client.get("/panel/clients/merge", params={k: str(v) for k, v in fields.items()})
        assert shown.status == status, fields
    assert (await backend.client.post("/panel/clients/merge", data={
        "csrf_token": "forged", "keep": first, "other": second})).status == 403
    after = await backend.row_counts()
    # Showing the pair is a view of both records (audited); nothing else changed.
    assert {k: v for k, v in after.items() if k != "audit_event"} == {k: v for k, v in before.items()
                                                                        if k != "audit_event"}

    merged = await backend.client.post("/panel/clients/merge", data={
        "csrf_token": csrf, "keep": first, "other": second}, allow_redirects=False)
    assert merged.status == 303
    again = await backend.client.post("/panel/clients/merge", data={
        "csrf_token": csrf, "keep": first, "other": second})
    assert again.status == 409
    assert "already merged or erased" in await again.text() and 'class="merge-form"' not in await again.text()
    csrf = await sign_in(backend, "billing", page="/panel/clients")
    for path in ("/panel/clients/duplicates", f"/panel/clients/merge?keep={first}&other={second}"):
        assert (await backend.client.get(path)).status == 403
