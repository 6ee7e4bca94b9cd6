"""Filing documents from a client's record page, in Chromium, in French: a PDF is filed and listed with its preview;
a program renamed .pdf is refused with a message on the page and nothing kept; a document is removed after a
confirmation. Over HTTP: every refusal (no file, too large, bad fields, wrong role, forged form) changes nothing."""
from __future__ import annotations

import pytest
from aiohttp import FormData
from playwright.async_api import expect
from sqlalchemy import func, select

from backend.appkeys import SETTINGS
from backend.documents.models import ClientDocument
from backend.documents.storage import DocumentStore
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium_page, serious_violations, shot
from tests.panel.signing import give_password, sign_in

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
# The start of a Windows program: what an "invoice.pdf" from a phishing email really is.
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


async def a_client(backend: Backend) -> int:
    response = await backend.client.post("/api/clients", headers=backend.auth("clerk"), json={
        "given_name": "Hélène", "family_name": "Côté", "date_of_birth": "1961-04-12"})
    assert response.status == 201
    return (await response.json())["id"]


async def kept(backend: Backend) -> tuple[int, int]:
    """Document rows, and files on disk."""
    async with backend.database.read() as session:
        rows = await session.scalar(select(func.count()).select_from(ClientDocument))
    return rows, len(list(DocumentStore.of(backend.client.app[SETTINGS]).stored()))


@pytest.mark.parametrize("db_kind", ["sqlite"])  # the browser adds nothing on PostgreSQL
async def test_a_clerk_files_a_pdf_is_refused_a_program_and_removes_a_document(backend: Backend):
    client_id = await a_client(backend)
    await give_password(backend, "clerk")
    base = str(backend.client.make_url("")).rstrip("/")
    async with chromium_page("fr-CA") as page:
        await page.goto(f"{base}/panel/sign-in?next=/panel/clients/{client_id}")
        await page.get_by_label("Identifiant").fill("clerk")
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Connexion").click()
        await expect(page.get_by_role("heading", name="Hélène Côté")).to_be_visible()

        await page.get_by_text("Classer un document").click()
        await page.get_by_label("Fichier (PDF, image, document bureautique ou texte)").set_input_files(
            {"name": "carte-assurance.pdf", "mimeType": "application/pdf", "buffer": PDF})
        await page.get_by_label("Catégorie").select_option(label="Assurance")
        await page.get_by_label("Titre (facultatif)").fill("Carte d’assurance maladie — Hélène")
        await page.get_by_label("Date du document").fill("2026-03-15")
        await page.get_by_label("Conserver").select_option(label="5 ans")
        assert await serious_violations(page) == []
        await shot(page, "panel-client-document-form-fr")
        await page.get_by_role("button", name="Classer le document").click()

        await expect(page.get_by_role("status")).to_have_text("Le document a été classé.")
        documents = page.locator("#documents ~ table").first
        await expect(documents).to_contain_text("Carte d’assurance maladie — Hélène")
        await expect(documents).to_contain_text("Assurance")
        preview = documents.get_by_role("link", name="Aperçu")
        href = await preview.get_attribute("href")
        assert href.endswith("/content?preview=1")
        opened = await page.request.get(f"{base}{href}")
        assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
        assert await serious_violations(page) == []
        await shot(page, "panel-client-document-filed-fr")
        assert await kept(backend) == (1, 1)

        await page.get_by_text("Classer un document").click()
        await page.get_by_label("Fichier (PDF, image, document bureautique ou texte)").set_input_files(
            {"name": "facture.pdf", "mimeType": "application/pdf", "buffer": PROGRAM})
        await page.get_by_label("Catégorie").select_option(label="Correspondance")
        await page.get_by_role("button", name="Classer le document").click()
        await expect(page.locator("#file-error")).to_contain_text("Ce type de fichier n’est pas accepté")
        await expect(page.get_by_role("alert")).to_have_text(
            "Rien n’a été classé : vérifiez les champs signalés ci-dessous.")
        await expect(page.get_by_label("Catégorie")).to_have_value("correspondence")  # what was chosen stays
        assert await serious_violations(page) == []
        await shot(page, "panel-client-document-refused-fr")
        assert await kept(backend) == (1, 1)

        dialogs: list[str] = []

        async def answer(dialog) -> None:
            dialogs.append(dialog.message)
            await (dialog.dismiss() if len(dialogs) == 1 else dialog.accept())

        page.on("dialog", answer)
        remove = page.get_by_role("button", name="Retirer Carte d’assurance maladie — Hélène")
        await remove.click()  # dismissed: nothing happens
        assert await kept(backend) == (1, 1)
        await remove.click()
        await expect(page.get_by_role("status")).to_have_text("Le document a été retiré.")
        assert dialogs[0] == ("Retirer « Carte d’assurance maladie — Hélène » de ce dossier? Cette opération est "
                              "irréversible.")
        await expect(page.get_by_text("Aucun document dans ce dossier pour l’instant.")).to_be_visible()
    assert await kept(backend) == (0, 0)


async def post(backend: Backend, path: str, csrf: str, data: bytes | None, **fields: str):
    form = FormData()
    form.add_field("csrf_token", csrf)
    for name, value in fields.items():
        form.add_field(name, value)
    if data is not None:
        form.add_field("file", data, filename=fields.pop("filename", "scan.pdf"), content_type="application/pdf")
    return await backend.client.post(path, data=form, allow_redirects=False)


async def test_every_refusal_is_said_on_the_page_and_keeps_nothing(backend: Backend):
    client_id = await a_client(backend)
    csrf = await sign_in(backend, "clerk", page=f"/panel/clients/{client_id}")
    path = f"/panel/clients/{client_id}/documents"
    backend.client.app[SETTINGS].document_max_bytes = 4096
    before = await backend.row_counts()
    cases = [
        (None, {"category": "report"}, 422, "Choose the file to file."),
        (b"", {"category": "report"}, 422, "This file is empty."),
        (PDF + b"%" * 5000, {"category": "report"}, 413, "This file is too large: at most 4 KB."),
        (PDF, {}, 422, "Choose a category."),
        (PDF, {"category": "secret"}, 422, "Choose a category from the list."),
        (PDF, {"category": "report", "title": "T" * 201}, 422, "The title has at most 200 characters."),
        (PDF, {"category": "report", "document_date": "31/02/2026"}, 422, "Give a date like 2026-03-15"),
        (PDF, {"category": "report", "retain_for": "99"}, 422, "Choose how long to keep it from the list."),
        (PROGRAM, {"category": "report"}, 422, "This kind of file is not accepted"),
    ]
    for data, fields, status, message in cases:
        response = await post(backend, path, csrf, data, **fields)
        assert response.status == status, (fields, await response.text())
        assert message in await response.text(), fields
    # Without a file chosen, a browser may send the form plainly: the same message.
    plain = await backend.client.post(path, data={"csrf_token": csrf, "category": "report"})
    assert plain.status == 422 and "Choose the file to file." in await plain.text()
    assert (await post(backend, path, "forged", PDF, category="report")).status == 403
    assert (await post(backend, "/panel/clients/999999/documents", csrf, PDF, category="report")).status == 404
    missing = await backend.client.post("/panel/clients/documents/999999/delete", data={"csrf_token": csrf})
    assert missing.status == 404
    assert await backend.row_counts() == before
    csrf_billing = await sign_in(backend, "billing", page=f"/panel/clients/{client_id}")
    before = await backend.row_counts()
    assert (await post(backend, path, csrf_billing, PDF, category="report")).status == 403
    assert await backend.row_counts() == before
    assert await kept(backend) == (0, 0)

    csrf = await sign_in(backend, "clerk", page=f"/panel/clients/{client_id}")
    filed = await post(backend, path, csrf, PDF, category="report", retain_for="7", document_date="2026-03-15")
    assert filed.status == 303 and filed.headers["Location"] == f"/panel/clients/{client_id}?filed=1#documents"
    async with backend.database.read() as session:
        document = await session.scalar(select(ClientDocument))
    assert document.document_date.isoformat() == "2026-03-15" and document.retain_until.year >= 2033
    csrf_billing = await sign_in(backend, "billing", page=f"/panel/clients/{client_id}")
    page = await (await backend.client.get(f"/panel/clients/{client_id}")).text()
    assert "Remove" not in page and "File a document" not in page  # department staff read, they do not file
    refused = await backend.client.post(f"/panel/clients/documents/{document.id}/delete",
                                        data={"csrf_token": csrf_billing})
    assert refused.status == 403 and await kept(backend) == (1, 1)
