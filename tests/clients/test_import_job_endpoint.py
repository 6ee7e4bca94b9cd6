"""GET /api/clients/imports/{id}: following an import started in the panel — who may, what a bad request gets
(and that it changes nothing), and what becomes of imports a stopped server left behind."""
from __future__ import annotations

import asyncio
import datetime as dt
import json

from aiohttp import FormData
from sqlalchemy import func, select

from backend.app import create_app
from backend.appkeys import DATABASE, SETTINGS, utc_now
from backend.clients import import_jobs
from backend.clients.import_job_model import ClientImport, ImportState
from backend.clients.import_uploads import KeptUploads
from backend.clients.models import Client
from backend.organisation.models import Site
from tests.backend.conftest import Backend, FakeClock
from tests.panel.signing import sign_in

SHEET = ("\ufeffNom;Prénom;Date de naissance;Téléphone;No de dossier\r\n"
         "Côté;Hélène;12/04/1961;514 555 0123;P-1\r\n"
         "Tremblay;Éric;01/02/1980;438 555 0101;P-2\r\n").encode("utf-8")


async def upload(backend: Backend, csrf: str, data: bytes = SHEET, name: str = "clients.csv") -> int:
    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("file", data, filename=name, content_type="text/csv")
    response = await backend.client.post("/panel/clients/import", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def preview(backend: Backend, csrf: str, job_id: int, mapping: dict[str, str] | None = None) -> None:
    form = {"csrf_token": csrf, "skip_duplicates": "1", **(mapping or {
        "column-0": "family_name", "column-1": "given_name", "column-2": "date_of_birth", "column-3": "phone",
        "column-4": "number"})}
    response = await backend.client.post(f"/panel/clients/import/{job_id}/mapping", data=form,
                                         allow_redirects=False)
    assert response.status == 303, await response.text()


async def follow(backend: Backend, job_id: int, who: str = "clerk") -> dict:
    for _ in range(200):
        response = await backend.client.get(f"/api/clients/imports/{job_id}", headers=backend.auth(who))
        job = await response.json()
        if job["state"] != "running":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def clients(backend: Backend) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(func.count()).select_from(Client))


async def test_the_one_who_started_it_follows_it_to_the_end(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients/import")
    job_id = await upload(backend, csrf)
    waiting = await (await backend.client.get(f"/api/clients/imports/{job_id}", headers=backend.auth("clerk"))).json()
    assert (waiting["state"], waiting["percent"], waiting["filename"]) == ("waiting", 0, "clients.csv")
    assert waiting["page_url"] == f"/panel/clients/import/{job_id}"

    await preview(backend, csrf, job_id)
    applied = await backend.client.post(f"/panel/clients/import/{job_id}/apply", data={"csrf_token": csrf},
                                        allow_redirects=False)
    assert applied.status == 303
    done = await follow(backend, job_id)

    assert (done["state"], done["percent"], done["created"], done["problem_rows"]) == ("done", 100, 2, 0)
    assert (done["rows_done"], done["rows_total"]) == (2, 2)
    assert await clients(backend) == 2
    # The kept file went with the import.
    assert KeptUploads.of(backend.client.app[SETTINGS]).stale(-1) == []
    again = await backend.client.post(f"/panel/clients/import/{job_id}/apply", data={"csrf_token": csrf})
    assert again.status == 409 and "already been applied" in await again.text()
    assert await clients(backend) == 2


async def test_bad_requests_are_refused_and_change_nothing(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients/import")
    job_id = await upload(backend, csrf)
    before = await backend.row_counts()
    cases = [
        (f"/api/clients/imports/{job_id}", {}, 401),
        (f"/api/clients/imports/{job_id}", backend.auth("kiosk_a"), 403),
        (f"/api/clients/imports/{job_id}", backend.auth("billing"), 403),  # may read records, not import them
        (f"/api/clients/imports/{job_id}", backend.auth("reception"), 404),  # somebody else's import
        ("/api/clients/imports/999999", backend.auth("clerk"), 404),
        ("/api/clients/imports/x", backend.auth("clerk"), 404),
        ("/api/clients/imports/99999999999999999999", backend.auth("clerk"), 404),
    ]
    for path, headers, status in cases:
        backend.client.session.cookie_jar.clear()
        response = await backend.client.get(path, headers=headers)
        assert response.status == status, (path, headers, await response.text())
        assert response.content_type == "application/problem+json"
    admin = await backend.client.get(f"/api/clients/imports/{job_id}", headers=backend.auth("admin"))
    assert admin.status == 200 and (await admin.json())["state"] == "waiting"
    assert await backend.row_counts() == before


async def test_an_import_of_another_site_is_not_shown(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients/import")
    job_id = await upload(backend, csrf)
    async with backend.database.write() as session:
        other = Site(name="Autre clinique", address="", time_zone="America/Toronto", locale="fr_CA", country="CA",
                     currency="CAD")
        session.add(other)
        await session.flush()
        (await session.get(ClientImport, job_id)).site_id = other.id
    before = await backend.row_counts()
    response = await backend.client.get(f"/api/clients/imports/{job_id}", headers=backend.auth("clerk"))
    # With two sites, no import belongs to "the" site: the answer says so, and shows nothing of the import.
    assert response.status == 409
    problem = await response.json()
    assert "several sites" in problem["detail"] and "clients.csv" not in json.dumps(problem)
    assert await backend.row_counts() == before


async def test_rows_added_between_the_preview_and_the_import_refuse_it_whole(backend: Backend):
    csrf = await sign_in(backend, "clerk", page="/panel/clients/import")
    job_id = await upload(backend, csrf)
    await preview(backend, csrf, job_id)
    made = await backend.client.post("/api/clients", headers=backend.auth("reception"), json={
        "given_name": "Zoé", "family_name": "Roy", "number": "P-2"})
    assert made.status == 201

    await backend.client.post(f"/panel/clients/import/{job_id}/apply", data={"csrf_token": csrf})
    done = await follow(backend, job_id)

    assert (done["state"], done["created"], done["problem_rows"]) == ("refused", 0, 1)
    assert await clients(backend) == 1
    report = await (await backend.client.get(f"/panel/clients/import/{job_id}")).text()
    assert "A client on file already has this file number." in report and ">3</th>" in report


async def test_a_restart_fails_what_was_running_and_drops_stale_uploads(settings, aiohttp_client):
    clock = FakeClock()
    first = await aiohttp_client(create_app(settings, clock=clock))
    database = first.app[DATABASE]
    async with database.write() as session:
        site = Site(name="Clinique", address="", time_zone="America/Toronto", locale="fr_CA", country="CA",
                    currency="CAD")
        session.add(site)
        await session.flush()
        site_id = site.id
    uploads = KeptUploads.of(settings)
    running, waiting = await uploads.keep(SHEET), await uploads.keep(SHEET)
    # Silent for five minutes: on PostgreSQL, where other instances may run imports, that is what tells a dead one.
    at = utc_now() - dt.timedelta(minutes=5)
    async with database.write() as session:
        for token, state in ((running, ImportState.RUNNING), (waiting, ImportState.WAITING)):
            session.add(ClientImport(site_id=site_id, started_by_id=None, filename="a.csv", upload=token,
                                     state=state, mapping="{}", skip_duplicates=True, phase="storing",
                                     rows_done=1, rows_total=2, report="", error="", created_at=at, updated_at=at,
                                     finished_at=None))
    await first.close()

    second = await aiohttp_client(create_app(settings, clock=clock))  # starting up: the sweep runs
    database = second.app[DATABASE]
    async with database.read() as session:
        jobs = {job.upload or job.filename: job for job in await session.scalars(select(ClientImport))}
    failed = [job for job in jobs.values() if job.state == ImportState.FAILED]
    assert len(failed) == 1 and failed[0].error == import_jobs.STOPPED and failed[0].upload == ""
    assert await uploads.read(running) is None and await uploads.read(waiting) == SHEET

    clock.advance(hours=7)  # nobody went on with the other upload
    await import_jobs.sweep(second.app)
    async with database.read() as session:
        states = sorted(job.state for job in await session.scalars(select(ClientImport)))
        assert await session.scalar(select(func.count()).select_from(Client)) == 0
    assert states == [ImportState.ABANDONED, ImportState.FAILED]
    assert await uploads.read(waiting) is None
