"""The queue of contact changes from the kiosk in the panel: a change made through the kiosk API shows up (live),
a clerk approves it and the record and its history change, or rejects it and nothing does — in Chromium, in
French — and the forms' bad input and second reviews over HTTP."""
from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from backend.clients.kiosk_models import ContactChangeRequest
from backend.clients.models import Client, ClientChange
from backend.payments.models import PaymentRequest
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium_page, serious_violations, shot
from tests.panel.signing import give_password, sign_in
from tests.payments.conftest import Till

HELENE = {"given_name": "Hélène", "family_name": "Côté", "number": "P-1042", "date_of_birth": "1961-04-12",
          "phone": "514 555 0123", "email": "helene@example.org", "address": "12 rue des Érables",
          "city": "Montréal", "postal_code": "H2X 1Y4"}


async def file_client(backend: Backend, **fields) -> int:
    response = await backend.client.post("/api/clients", json={**HELENE, **fields}, headers=backend.auth("clerk"))
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


async def ask_at_kiosk(backend: Backend, number: str = "P-1042", **changes) -> int:
    identified = await backend.client.post("/api/kiosk/clients/identify", headers=backend.auth("kiosk_a"),
                                           json={"number": number, "birth_date": "1961-04-12"})
    assert identified.status == 200, await identified.text()
    token = (await identified.json())["client_token"]
    proposed = await backend.client.post("/api/kiosk/clients/contact-changes", json={"client_token": token, **changes},
                                         headers={**backend.auth("kiosk_a"), "Idempotency-Key": str(uuid.uuid4())})
    assert proposed.status == 201, await proposed.text()
    return (await proposed.json())["id"]


async def record_of(backend: Backend, client_id: int) -> Client:
    async with backend.database.read() as session:
        return await session.get(Client, client_id)


async def kiosk_lines(backend: Backend, client_id: int) -> list[tuple[str, str, str, int | None]]:
    async with backend.database.read() as session:
        rows = await session.scalars(select(ClientChange).where(ClientChange.client_id == client_id,
                                                                ClientChange.source == "kiosk"))
        return sorted((r.field, r.old_value, r.new_value, r.by_staff_id) for r in rows)


@pytest.mark.parametrize("db_kind", ["sqlite"])  # the browser adds nothing on PostgreSQL
async def test_a_clerk_sees_a_change_arrive_and_approves_it_in_chromium(backend: Backend):
    await give_password(backend, "clerk")
    client_id = await file_client(backend)
    first = await ask_at_kiosk(backend, phone="438 555 0199", city="Laval")
    # The record changes after the client looked: the queue warns.
    await backend.client.patch(f"/api/clients/{client_id}", json={"city": "Longueuil"}, headers=backend.auth("clerk"))
    base = str(backend.client.make_url("")).rstrip("/")
    async with chromium_page("fr-CA") as page:
        await page.goto(f"{base}/panel/sign-in?next=/panel/clients")
        await page.get_by_label("Identifiant").fill("clerk")
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Connexion").click()
        link = page.get_by_role("link", name="Changements demandés à la borne 1 en attente")
        await expect(link).to_be_visible()
        await shot(page, "panel-clients-changes-link-fr")
        await link.click()

        card = page.locator(f"#change-{first}")
        await expect(card.get_by_role("link", name="Hélène Côté")).to_be_visible()
        await expect(card).to_contain_text("438 555-0199")
        await expect(card).to_contain_text("kiosk_a")
        await expect(card).to_contain_text("Modifié depuis que la personne l’a consulté : elle voyait « Montréal ».")
        await expect(page.locator("#live-status")).to_have_class("live online")

        # Another client asks at the kiosk while the page is open: it arrives without a reload.
        await page.evaluate("window.notReloaded = true")
        other = await file_client(backend, given_name="Marc-André", family_name="Roy", number="P-2001",
                                  phone="438 555 0101", email="marc@example.org")
        second = await ask_at_kiosk(backend, "P-2001", email="marc.roy@example.org", address="")
        await expect(page.locator(f"#change-{second}")).to_contain_text("marc.roy@example.org")
        assert await page.evaluate("window.notReloaded") is True
        assert await serious_violations(page) == []
        await shot(page, "panel-clients-changes-fr")

        # An empty reason is refused on the page, and nothing changes.
        await page.locator(f"#change-{second}").get_by_role("button", name="Refuser").click()
        await expect(page.get_by_role("alert")).to_contain_text("Dites pourquoi vous refusez ce changement.")
        await expect(page.locator(f"#change-{second}").get_by_label("Motif du refus")).to_have_attribute(
            "aria-invalid", "true")
        assert await serious_violations(page) == []
        await shot(page, "panel-clients-changes-reason-missing-fr")

        # The record shows the waiting change.
        await page.goto(f"{base}/panel/clients/{client_id}")
        await expect(page.get_by_role("heading", name="Changement de coordonnées à examiner")).to_be_visible()
        assert await serious_violations(page) == []
        await shot(page, "panel-client-record-pending-change-fr")
        await page.get_by_role("link", name="L’examiner").click()

        await page.locator(f"#change-{first}").get_by_role("button", name="Approuver").click()
        status = page.get_by_role("status")
        await expect(status).to_contain_text("Approuvé : le dossier est à jour (Hélène Côté).")
        await expect(page.locator(f"#change-{first}")).to_have_count(0)
        await shot(page, "panel-clients-changes-approved-fr")

        await page.locator(f"#change-{second}").get_by_label("Motif du refus").fill("Pas pu confirmer par téléphone")
        await page.locator(f"#change-{second}").get_by_role("button", name="Refuser").click()
        await expect(status).to_contain_text("Refusé : le dossier reste tel quel (Marc-André Roy).")
        await expect(page.get_by_text("Aucun changement en attente.")).to_be_visible()

        await status.get_by_role("link").click()  # "Open the record", as the catalog words it
        await expect(page.get_by_role("heading", name="Marc-André Roy")).to_be_visible()
        await page.goto(f"{base}/panel/clients/{client_id}")
        await expect(page.get_by_role("heading", name="Hélène Côté")).to_be_visible()
        await expect(page.locator("table.history").filter(has_text="Laval")).not_to_have_count(0)
        assert await serious_violations(page) == []
        await shot(page, "panel-client-record-after-kiosk-change-fr")

    after = await record_of(backend, client_id)
    assert (after.phone, after.city) == ("+14385550199", "Laval")
    clerk = backend.world.staff_ids["clerk"]
    assert await kiosk_lines(backend, client_id) == [("city", "Longueuil", "Laval", clerk),
                                                     ("phone", "+15145550123", "+14385550199", clerk)]
    untouched = await record_of(backend, other)
    assert (untouched.email, untouched.address) == ("marc@example.org", "12 rue des Érables")
    assert await kiosk_lines(backend, other) == []


async def test_the_record_page_shows_the_pending_change_and_the_clients_visits(backend: Backend):
    client_id = await file_client(backend)
    change = await ask_at_kiosk(backend, city="Laval")
    await sign_in(backend, "clerk", page="/panel/clients")

    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "Contact change waiting for review" in page and f'href="/panel/clients/changes#change-{change}"' in page
    assert "Identified at the kiosk" in page and "Kiosk “kiosk_a”" in page

    identified = await backend.client.post("/api/kiosk/clients/identify", headers=backend.auth("kiosk_a"),
                                           json={"number": "P-1042", "birth_date": "1961-04-12"})
    visit = await backend.check_in(client_token=(await identified.json())["client_token"])
    assert visit.status == 201
    await sign_in(backend, "reception", page="/panel/clients")
    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "Visits" in page and "Billing" in page and "Waiting" in page
    assert "Payment requests" in page and 'href="/panel/payment-requests/new?client_number=P-1042"' in page
    await sign_in(backend, "paeds", page="/panel/clients")  # Paediatrics does not see Billing's visit
    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "No visit linked to this record yet." in page and "Contact change waiting" not in page
    await sign_in(backend, "clerk", page="/panel/clients")  # clerks do not work the lobby: no visits shown
    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "Contact change waiting" in page and "<h2>Visits</h2>" not in page


async def test_reviewing_twice_or_with_bad_input_changes_nothing(backend: Backend):
    client_id = await file_client(backend)
    change = await ask_at_kiosk(backend, city="Laval")
    csrf = await sign_in(backend, "clerk", page="/panel/clients/changes")

    blank = await backend.client.post(f"/panel/clients/changes/{change}/reject", data={"csrf_token": csrf,
                                                                                      "reason": "  "})
    assert blank.status == 422 and "Say why you reject this change." in await blank.text()
    too_long = await backend.client.post(f"/panel/clients/changes/{change}/reject", data={"csrf_token": csrf,
                                                                                         "reason": "x" * 501})
    assert too_long.status == 422 and "Use at most 500 characters." in await too_long.text()
    forged = await backend.client.post(f"/panel/clients/changes/{change}/approve", data={"csrf_token": "nope"})
    assert forged.status == 403
    async with backend.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(ContactChangeRequest).where(
            ContactChangeRequest.state == "pending")) == 1

    approved = await backend.client.post(f"/panel/clients/changes/{change}/approve", data={"csrf_token": csrf},
                                         allow_redirects=False)
    assert approved.status == 303
    again = await backend.client.post(f"/panel/clients/changes/{change}/reject",
                                      data={"csrf_token": csrf, "reason": "Trop tard"})
    assert again.status == 409 and "Someone already reviewed this change" in await again.text()
    missing = await backend.client.post("/panel/clients/changes/99999/approve", data={"csrf_token": csrf})
    assert missing.status == 404 and "This change no longer exists" in await missing.text()
    assert (await record_of(backend, client_id)).city == "Laval"
    assert len(await kiosk_lines(backend, client_id)) == 1

    await sign_in(backend, "billing", page="/panel/clients")
    assert (await backend.client.get("/panel/clients/changes", allow_redirects=False)).status == 403
    listing = await (await backend.client.get("/panel/clients")).text()
    assert "/panel/clients/changes" not in listing


async def test_a_payment_request_names_a_client_by_number(till: Till):
    await file_client(till)
    csrf = await sign_in(till, "reception", page="/panel/payment-requests/new")
    form = await (await till.client.get("/panel/payment-requests/new?client_number=P-1042")).text()
    assert 'name="client_number" maxlength="50" value="P-1042"' in form
    line = {"lines-0-description": "Copie", "lines-0-quantity": "1", "lines-0-unit_price": "5"}

    unknown = await till.client.post("/panel/payment-requests", data={"csrf_token": csrf, "client_number": "P-404",
                                                                      **line})
    assert unknown.status == 422
    assert "No client has this file number. Check it in the client records." in await unknown.text()
    async with till.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentRequest)) == 0

    made = await till.client.post("/panel/payment-requests", data={"csrf_token": csrf, "client_number": "p-1042 ",
                                                                   **line}, allow_redirects=False)
    assert made.status == 303, await made.text()
    async with till.database.read() as session:
        request = await session.scalar(select(PaymentRequest))
        assert (request.client_id, request.payer_name) == (await _only_client(till), "Hélène Côté")
    page = await (await till.client.get(f"/panel/clients/{await _only_client(till)}")).text()
    assert f'href="/panel/payment-requests/{request.id}"' in page and request.code in page


async def _only_client(backend: Backend) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(Client.id))
