"""Importing clients from the panel, in Chromium, in French: a CSV as French Excel saves it (BOM, ';', day-first
dates) with bad rows → the mapping → a preview that lists them, nothing stored; the corrected file → applied → the
progress bar → the report → the clients on file. And a 5,000-row file, whose progress bar is seen moving."""
from __future__ import annotations

import asyncio
import csv
import io
import threading

import pytest
from aiohttp import FormData
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from backend.appkeys import SETTINGS
from backend.clients.import_job_model import ClientImport, ImportState
from backend.clients.import_jobs import IMPORT_STEPS
from backend.clients.import_uploads import KeptUploads
from backend.clients.models import Client
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium_page, serious_violations, shot
from tests.panel.signing import give_password, sign_in

pytestmark = pytest.mark.parametrize("db_kind", ["sqlite"])  # the browser adds nothing on PostgreSQL

HEADER = ["Nom", "Prénom", "Date de naissance", "Téléphone", "Courriel", "No de dossier", "Ville"]
GOOD = [
    ["Côté", "Hélène", "12/04/1961", "514 555 0123", "helene@exemple.ca", "P-1042", "Montréal"],
    ["Bélanger", "François", "03/11/1975", "418 555 0199", "", "P-1043", "Québec"],
    ["Lévesque", "Ève", "29/02/1988", "", "eve@exemple.ca", "P-1044", "Lévis"],
    ["Gagnon-Tremblay", "Jérôme", "", "819 555 0142", "", "P-1045", "Trois-Rivières"],
]
# Row 3: a phone that is not one; row 5: 31 February; row 6: no name at all.
BAD = {1: ("Téléphone", "12"), 3: ("Date de naissance", "31/02/1990"), 4: ("Nom", "")}


def french_excel(rows: list[list[str]]) -> bytes:
    """What Excel in French saves as "CSV UTF-8": a BOM, semicolons, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def with_bad_rows() -> list[list[str]]:
    rows = [list(row) for row in GOOD] + [["Roy", "Zoé", "", "", "", "P-1046", "Laval"],
                                          ["", "", "", "438 555 0100", "", "P-1047", ""]]
    rows[1][3] = "12"
    rows[3][2] = "31/02/1990"
    return rows


async def stored(backend: Backend) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(func.count()).select_from(Client))


async def signed_in_page(page: Page, backend: Backend, path: str) -> None:
    await give_password(backend, "clerk")
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in?next={path}")
    await page.get_by_label("Identifiant").fill("clerk")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()


async def choose_file(page: Page, name: str, data: bytes) -> None:
    await page.get_by_label("Fichier (CSV ou .xlsx, 20 Mo au plus)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data})
    await page.get_by_role("button", name="Lire le fichier").click()


async def test_bad_rows_are_shown_then_the_corrected_file_is_imported(backend: Backend, tmp_path):
    async with chromium_page("fr-CA") as page:
        await signed_in_page(page, backend, "/panel/clients")
        await page.get_by_role("link", name="Importer un chiffrier").click()
        await expect(page.get_by_role("heading", name="Importer des dossiers")).to_be_visible()
        assert await serious_violations(page) == []
        await shot(page, "panel-import-upload-fr")

        await page.get_by_role("button", name="Lire le fichier").click()  # no file chosen
        await expect(page.get_by_role("alert")).to_have_text("Choisissez un fichier CSV ou Excel (.xlsx).")

        await choose_file(page, "clients-élèves.csv", french_excel(with_bad_rows()))
        # The columns, guessed as the API guesses them, each with its sample.
        await expect(page.get_by_label("Nom", exact=True)).to_have_value("family_name")
        await expect(page.get_by_label("Prénom")).to_have_value("given_name")
        await expect(page.get_by_label("Date de naissance")).to_have_value("date_of_birth")
        await expect(page.get_by_label("No de dossier")).to_have_value("number")
        await expect(page.locator(".mapping-table")).to_contain_text("Hélène")
        await expect(page.locator(".lead")).to_contain_text("clients-élèves.csv : 6 lignes à lire.")
        assert await serious_violations(page) == []
        await shot(page, "panel-import-mapping-fr")

        await page.get_by_role("button", name="Voir l’aperçu").click()
        problems = page.locator(".problems-table")
        await expect(problems).to_contain_text("Ce numéro de téléphone n’est pas valide.")
        await expect(problems).to_contain_text("Indiquez une date comme 1961-04-12 ou 12/04/1961.")
        await expect(problems).to_contain_text("Aucun nom : inscrivez un prénom ou un nom de famille.")
        assert sorted(await problems.locator("tbody th").all_inner_texts()) == ["3", "5", "7"]
        await expect(page.locator(".import-counts")).to_contain_text("Lignes à problèmes")
        await expect(page.get_by_role("button", name="Importer 3 dossiers")).to_have_count(0)
        assert await serious_violations(page) == []
        await shot(page, "panel-import-preview-problems-fr")
        assert await stored(backend) == 0

        await page.get_by_role("link", name="Téléverser un fichier corrigé").click()
        await choose_file(page, "clients-élèves-corrigé.csv", french_excel([*GOOD, ["Roy", "Zoé", "", "", "", "P-1046",
                                                                                       "Laval"]]))
        await page.get_by_role("button", name="Voir l’aperçu").click()
        await expect(page.get_by_role("status")).to_contain_text("Toutes les lignes peuvent être importées.")
        await expect(page.locator(".sample-table")).to_contain_text("Trois-Rivières")
        assert await serious_violations(page) == []
        await shot(page, "panel-import-preview-ready-fr")
        await page.get_by_role("button", name="Importer 5 dossiers").click()

        await expect(page.get_by_role("heading", name="Rapport d’importation")).to_be_visible()
        await expect(page.get_by_role("status")).to_have_text("L’importation est terminée : 5 dossiers ont été créés.")
        assert await serious_violations(page) == []
        await shot(page, "panel-import-report-fr")
        await page.get_by_role("link", name="Voir les dossiers").click()
        await page.locator("#client-query").fill("gagnon jérôme")
        await expect(page.locator("#client-results").get_by_role("link", name="Jérôme Gagnon-Tremblay")).to_be_visible()
    assert await stored(backend) == 5
    async with backend.database.read() as session:
        states = sorted(job.state for job in await session.scalars(select(ClientImport)))
    # The first upload was left for the corrected one; both files are gone once the import is done.
    assert states == [ImportState.DONE, ImportState.WAITING]
    folder = KeptUploads.of(backend.client.app[SETTINGS]).root
    assert len(list(folder.iterdir())) == 1  # the waiting one's, until the sweep abandons it


async def test_a_large_file_shows_its_progress_moving(backend: Backend):
    rows = [[f"Famille{i}", "Hélène", f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1940 + i % 60}",
             f"514 {500 + i // 10_000 % 100:03d} {i % 10_000:04d}", f"client{i}@exemple.ca", f"D{i:06d}", "Montréal"]
            for i in range(5000)]
    # The check is held once past a third of the file, until the bar has shown it: how fast this machine checks
    # 5,000 rows then decides nothing.
    held, seen_midway = threading.Event(), threading.Event()

    def hold_at_a_third(phase: str, done: int, total: int) -> None:
        if phase == "checking" and total and done >= total / 3 and not held.is_set():
            held.set()
            seen_midway.wait(60)

    backend.client.app[IMPORT_STEPS].append(hold_at_a_third)
    async with chromium_page("fr-CA") as page:
        await signed_in_page(page, backend, "/panel/clients/import")
        await choose_file(page, "grand-fichier.csv", french_excel(rows))
        await page.get_by_role("button", name="Voir l’aperçu").click()
        await page.get_by_role("button", name="Importer 5 000 dossiers").click()
        bar = page.locator("#import-progress")
        seen: list[float] = []
        try:
            while "Rapport" not in await page.title():
                try:
                    value = float(await bar.get_attribute("value", timeout=200))
                except Exception:  # the page moved on to the report meanwhile
                    await asyncio.sleep(0.02)
                    continue
                seen.append(value)
                if 0 < value < 100 and not seen_midway.is_set():
                    await shot(page, "panel-import-progress-fr")
                    assert await serious_violations(page) == []
                    seen_midway.set()
                await asyncio.sleep(0.02)
        finally:
            seen_midway.set()  # never leave the import's thread waiting
        await expect(page.get_by_role("status")).to_have_text(
            "L’importation est terminée : 5\u00a0000 dossiers ont été créés.")
    assert held.is_set()
    moving = sorted({value for value in seen if 0 < value < 100})
    assert moving, f"the bar never moved between 0 and 100: {seen}"
    assert seen == sorted(seen), "the bar went backwards"
    assert await stored(backend) == 5000


async def test_forms_refuse_bad_input_and_change_nothing(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients/import")
    before = await backend.row_counts()
    for data, name, message, status in [
        (b"", "vide.csv", "Choose a CSV or Excel (.xlsx) file.", 422),
        (b"Nom;Pr\xc3\xa9nom\r\n", "entete.csv", "This file holds no client", 422),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "ancien.xls", "This is an old Excel file (.xls)", 422),
        (b"PK\x03\x04 not really a zip", "faux.xlsx", "This file cannot be read as a spreadsheet", 422),
    ]:
        form = FormData()
        form.add_field("csrf_token", csrf)
        form.add_field("file", data, filename=name, content_type="text/csv")
        response = await backend.client.post("/panel/clients/import", data=form)
        assert response.status == status, name
        assert message in await response.text(), name
    forged = FormData()
    forged.add_field("csrf_token", "forged")
    forged.add_field("file", french_excel(GOOD), filename="a.csv", content_type="text/csv")
    assert (await backend.client.post("/panel/clients/import", data=forged)).status == 403
    assert await backend.row_counts() == before
    assert not KeptUploads.of(backend.client.app[SETTINGS]).root.exists()

    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("file", french_excel(GOOD), filename="a.csv", content_type="text/csv")
    job = (await backend.client.post("/panel/clients/import", data=form, allow_redirects=False)).headers["Location"]
    twice = await backend.client.post(f"{job}/mapping", data={"csrf_token": csrf, "column-0": "family_name",
                                                                "column-1": "family_name"})
    assert twice.status == 422
    assert "Several columns fill the same field: Family name." in await twice.text()
    unknown = await backend.client.post(f"{job}/mapping", data={"csrf_token": csrf, "column-0": "password"})
    assert unknown.status == 422 and "Choose a field from the list." in await unknown.text()
    both = await backend.client.post(f"{job}/mapping", data={"csrf_token": csrf, "column-0": "full_name",
                                                               "column-1": "given_name"})
    assert both.status == 422 and "not both" in await both.text()
    assert (await backend.client.get(f"{job}/preview", allow_redirects=False)).status == 303  # no preview yet
    assert (await backend.client.get("/panel/clients/import/999999")).status == 404
    cancelled = await backend.client.post(f"{job}/cancel", data={"csrf_token": csrf}, allow_redirects=False)
    assert cancelled.status == 303 and cancelled.headers["Location"] == "/panel/clients/import?cancelled=1"
    assert list(KeptUploads.of(backend.client.app[SETTINGS]).root.iterdir()) == []
    assert (await backend.client.post(f"{job}/apply", data={"csrf_token": csrf})).status == 409
    assert await stored(backend) == 0


async def test_thousands_of_bad_rows_are_listed_by_pages(backend: Backend):
    rows = [[f"Famille{i}", "Zoé", "", "555", "", f"B{i:05d}", "Sherbrooke"] for i in range(1200)]
    async with chromium_page("fr-CA") as page:
        await signed_in_page(page, backend, "/panel/clients/import")
        await choose_file(page, "mauvais-téléphones.csv", french_excel(rows))
        await page.get_by_role("button", name="Voir l’aperçu").click()
        await expect(page.locator(".import-counts .bad dd").first).to_have_text("1\u00a0200")
        pages = page.get_by_role("navigation", name="Pages des lignes à problèmes")
        await expect(pages).to_contain_text("Page 1 sur 12")
        await expect(page.locator(".problems-table tbody tr")).to_have_count(100)
        await pages.get_by_role("link", name="Page suivante").click()
        await expect(pages).to_contain_text("Page 2 sur 12")
        first_row = page.locator(".problems-table tbody th").first
        await expect(first_row).to_have_text("102")  # the header is row 1: row 102 is the 101st bad row
        assert await serious_violations(page) == []
        await shot(page, "panel-import-preview-page-2-fr")
    assert await stored(backend) == 0
