"""Importing clients from what spreadsheets really produce: every bad row reported and nothing stored, or every row
stored in one transaction; CSV from French Excel (BOM, ';', Windows-1252, dd/mm/yyyy), XLSX, mapping, preview."""
from __future__ import annotations

import csv
import datetime as dt
import io
import time

import openpyxl
import pytest
from aiohttp import FormData
from sqlalchemy import func, select

from backend.appkeys import utc_now
from backend.audit.models import AuditEvent
from backend.clients import importing
from backend.clients import service as clients
from backend.clients import sheets, transfer_routes
from backend.clients.models import Client, ClientChange, ClientTag
from backend.organisation.models import Site
from tests.backend.conftest import Backend

HEADER = ["Nom", "Prénom", "Date de naissance", "Téléphone", "Courriel", "No de dossier", "Notes"]
FAMILIES = ["Côté", "Tremblay", "Gagnon", "Bélanger", "Lévesque", "Bouchard", "Gauthier", "Ouellet"]
GIVEN = ["Hélène", "Éric", "Ève", "François", "Zoë", "Noël", "Cœur", "Jérôme"]
# Cells a spreadsheet would run as formulas: data like any other, stored as text, neutralised on export.
FORMULAS = ['=HYPERLINK("http://exemple.test";"clic")', "+33 1 23 45", "-5 kg", "@SOMME(A1:A2)", "=1+1"]
XLSX_TYPE = sheets.XLSX_TYPE


def person(i: int) -> list[str]:
    """A good row: names with accents, a French date, a phone, an email, a number, sometimes a formula."""
    notes = FORMULAS[i % len(FORMULAS)] if i % 7 == 0 else ("ligne 1\r\nligne 2 ; € Œ" if i % 11 == 0 else "")
    given = FORMULAS[3] if i % 997 == 0 else GIVEN[i % len(GIVEN)]
    return [f"{FAMILIES[i % len(FAMILIES)]} {i}", given, f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1940 + i % 60}",
            f"514 555 {i % 10_000:04d}", f"client{i}@exemple.ca", f"D{i:06d}", notes]


# What makes row i bad (for i >= 37, every 37 rows), and the code reported for it.
BAD = {
    0: ("31/02/1980", "date_invalid"), 1: ("12/25/1980", "date_invalid"), 2: ("01/01/1850", "date_out_of_range"),
    3: ("demain", "date_invalid"), 4: ("=1+1", "phone_invalid"), 5: ("pas-une-adresse", "email_invalid"),
    6: ("", "required"), 7: ("", "duplicate_row"), 8: ("", "number_repeated"), 9: ("", "duplicate_row"),
    10: ("1980-13-01", "date_invalid"), 11: ("", "cells_outside_columns"),
}


def bad(i: int) -> list[str]:
    row = person(i)
    code = i % 37
    if code in (0, 1, 2, 3, 10):
        row[2] = BAD[code][0]
    elif code == 4:
        row[3] = BAD[code][0]
    elif code == 5:
        row[4] = BAD[code][0]
    elif code == 6:
        row[0] = row[1] = ""
    elif code == 7:  # the person of row i-10 again, under another number
        row[:3] = person(i - 10)[:3]
    elif code == 8:
        row[5] = person(i - 20)[5]
    elif code == 9:  # an exact copy
        row = person(i - 30)
    elif code == 11:
        row = row + ["une cellule de trop"]
    return row


def spreadsheet(count: int, *, hostile: bool, encoding: str = "cp1252", bom: bool = True,
                separator: str = ";") -> tuple[bytes, set[int]]:
    """A CSV as French Excel saves it, with blank rows here and there; and the row numbers (as the spreadsheet
    numbers them: the header is row 1) of the rows that must be refused."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(HEADER)
    row_number, wrong = 1, set()
    for i in range(count):
        if i % 1000 == 500:
            writer.writerow([""] * len(HEADER))
            writer.writerow([])
            row_number += 2
        row_number += 1
        if hostile and i >= 37 and i % 37 in BAD:
            writer.writerow(bad(i))
            wrong.add(row_number)
        else:
            writer.writerow(person(i))
    raw = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + raw if bom else raw), wrong


async def count(backend: Backend, model) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def post(backend: Backend, path: str, raw: bytes, who: str = "clerk", content_type: str = "text/csv",
               **query: str):
    return await backend.client.post(path, data=raw, params=query,
                                      headers={**backend.auth(who), "Content-Type": content_type})


async def test_a_hostile_french_excel_file_reports_every_bad_row_and_stores_nothing(backend: Backend):
    await backend.client.post("/api/clients", headers=backend.auth("clerk"), json={
        "given_name": "Déjà", "family_name": "Là", "number": "D000100"})  # row 102's number is taken
    raw, wrong = spreadsheet(10_000, hostile=True)
    wrong.add(102)
    before = await backend.row_counts()

    response = await post(backend, "/api/clients/imports", raw)

    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    refused = await response.json()
    report = refused["report"]
    assert {problem["row"] for problem in report["problems"]} == wrong
    assert report["problem_rows"] == len(wrong) > 3000 and not report["applied"]
    assert (report["total_rows"], report["blank_rows"], report["created"]) == (10_000, 20, 0)
    assert (report["encoding"], report["separator"]) == ("cp1252", ";")
    assert len(refused["errors"]) == len(report["problems"])
    assert await backend.row_counts() == before  # nothing partial: not a client, not a history line

    by_row = {}
    for problem in report["problems"]:
        by_row.setdefault(problem["row"], []).append(problem)
    first = min(row for row in wrong if row != 102)  # row 39: i = 37, a date that does not exist
    assert by_row[first][0] == {"row": first, "column": "Date de naissance", "field": "date_of_birth",
                                "code": "date_invalid", "detail": "Expected YYYY-MM-DD or DD/MM/YYYY."}
    assert by_row[102][0]["code"] == "number_taken" and by_row[102][0]["column"] == "No de dossier"
    codes = {problem["code"] for problem in report["problems"]}
    assert {code for _, code in BAD.values()} <= codes
    duplicate = next(p for p in report["problems"] if p["code"] == "duplicate_row")
    assert duplicate["detail"].startswith("Row ")


async def test_a_clean_10000_row_file_is_imported_whole_in_seconds(backend: Backend):
    raw, _ = spreadsheet(10_000, hostile=False)
    started = time.monotonic()

    response = await post(backend, "/api/clients/imports", raw, who="reception")

    elapsed = time.monotonic() - started
    assert response.status == 201, (await response.text())[:2000]
    report = await response.json()
    assert (report["applied"], report["created"], report["blank_rows"], report["problems"]) == (True, 10_000, 20, [])
    assert await count(backend, Client) == 10_000
    assert elapsed < 90, f"10,000 rows took {elapsed:.1f} s"
    async with backend.database.read() as session:
        seventh = await session.scalar(select(Client).where(Client.number == "D000007"))
        assert (seventh.family_name, seventh.given_name) == ("Ouellet 7", "Jérôme")
        assert (seventh.date_of_birth, seventh.phone, seventh.email) == (
            dt.date(1940 + 7, 8, 8), "+15145550007", "client7@exemple.ca")
        assert seventh.notes == FORMULAS[7 % len(FORMULAS)]  # a formula is kept as the text it was
        assert (await session.scalar(select(Client.notes).where(Client.number == "D000011"))) == \
            "ligne 1\nligne 2 ; € Œ"
        history = list(await session.scalars(select(ClientChange).where(ClientChange.client_id == seventh.id)))
        assert {change.source for change in history} == {"import"}
        assert {change.by_staff_id for change in history} == {backend.world.staff_ids["reception"]}
        audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "clients.imported"))
        assert audit.details == {"count": 10_000, "format": "csv"}
        assert (audit.actor_type, audit.actor_id) == ("staff", backend.world.staff_ids["reception"])


async def test_an_imported_record_is_the_same_as_one_entered_by_hand(backend: Backend):
    row = {"given_name": "Hélène", "family_name": "Côté", "date_of_birth": "12/04/1961", "phone": "514 555 0123",
           "email": "Helene.Cote@Example.ORG", "city": "Montréal", "tags": ["Diabète", "vip"], "notes": "=1+1"}
    csv_text = "Prénom;Nom;DDN;Tél.;Courriel;Ville;Étiquettes;Notes;No\r\n" + ";".join(
        [row["given_name"], row["family_name"], row["date_of_birth"], row["phone"], row["email"], row["city"],
         '"Diabète, vip"', row["notes"], "A-1"]) + "\r\n"
    at = utc_now()
    async with backend.database.write() as session:
        site = await session.get(Site, backend.world.site_id)
        sheet = importing.read_sheet(csv_text.encode())
        mapping, _ = importing.resolve_mapping(sheet.columns, None)
        checked = await importing.check(session, site, sheet, mapping, at.date())
        assert checked.problems == []
        await importing.store(session, site, checked, ("staff", backend.world.staff_ids["clerk"]), at)
        values = await clients.checked_values(session, site, clients.ClientIn(**row, number="B-1"), at.date())
        await clients.create_client(session, site, values, backend.world.staff_ids["clerk"], "import", at)

    async with backend.database.read() as session:
        imported, entered = list(await session.scalars(select(Client).order_by(Client.id)))
        skip = {"id", "number", "search_text"}
        columns = [column.key for column in Client.__table__.columns if column.key not in skip]
        assert {c: getattr(imported, c) for c in columns} == {c: getattr(entered, c) for c in columns}
        assert imported.search_text == entered.search_text.replace("b-1", "a-1")

        async def history(client_id: int) -> list[tuple]:
            rows = await session.execute(select(ClientChange.field, ClientChange.old_value, ClientChange.new_value,
                                                ClientChange.source, ClientChange.by_staff_id, ClientChange.at)
                                         .where(ClientChange.client_id == client_id).order_by(ClientChange.field))
            return [tuple(r) for r in rows if r.field != "number"]

        assert await history(imported.id) == await history(entered.id)
        assert await clients.tags_of(session, imported.id) == await clients.tags_of(session, entered.id) == [
            "diabète", "vip"]


async def test_a_failure_while_storing_leaves_nothing(backend: Backend, monkeypatch: pytest.MonkeyPatch):
    raw, _ = spreadsheet(60, hostile=False)
    monkeypatch.setattr(importing, "BATCH", 10)
    real = importing._record
    calls = []

    def failing(blank, values):
        calls.append(1)
        if len(calls) == 35:  # in the fourth batch: three are already in the database
            raise RuntimeError("disk full")
        return real(blank, values)

    monkeypatch.setattr(importing, "_record", failing)
    at = utc_now()
    with pytest.raises(RuntimeError):
        async with backend.database.write() as session:
            site = await session.get(Site, backend.world.site_id)
            sheet = importing.read_sheet(raw)
            checked = await importing.check(session, site, sheet, importing.resolve_mapping(sheet.columns, None)[0],
                                            at.date())
            await importing.store(session, site, checked, ("system", None), at)
    assert await count(backend, Client) == 0 and await count(backend, ClientChange) == 0


async def test_windows_1252_accents_are_read_right(backend: Backend):
    raw = "Prénom;Nom;Courriel\r\nHélène;Côté;helene@exemple.ca\r\nŒdipe;Bœuf;oedipe@exemple.ca\r\n".encode("cp1252")
    assert raw.decode("latin-1") != raw.decode("cp1252")  # Œ and œ are where Latin-1 has control characters

    response = await post(backend, "/api/clients/imports", raw)

    assert response.status == 201, await response.text()
    assert (await response.json())["encoding"] == "cp1252"
    async with backend.database.read() as session:
        names = list(await session.execute(select(Client.given_name, Client.family_name).order_by(Client.id)))
    assert [tuple(name) for name in names] == [("Hélène", "Côté"), ("Œdipe", "Bœuf")]


@pytest.mark.parametrize("encoding, bom, separator", [("utf-8", True, ";"), ("utf-8", False, ","),
                                                      ("utf-16", False, "\t"), ("cp1252", False, ";")])
def test_what_spreadsheets_save_is_read_alike(encoding: str, bom: bool, separator: str):
    raw, _ = spreadsheet(30, hostile=False, encoding=encoding, bom=bom, separator=separator)
    sheet = importing.read_sheet(raw)
    assert (sheet.columns, sheet.separator, len(sheet.rows)) == (HEADER, separator, 30)
    assert sheet.rows[0] == (2, person(0))
    assert sheet.rows[11][1][6] == "ligne 1\r\nligne 2 ; € Œ"  # quoted, with the separator and a line break


async def test_an_xlsx_file_is_imported(backend: Backend):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Last name", "First name", "DOB", "Phone", "E-mail", "Client number", "Status"])
    sheet.append(["Côté", "Hélène", dt.datetime(1961, 4, 12), 5145550123, "helene@exemple.ca", 1042, "inactif"])
    sheet.append([])
    sheet.append(["Tremblay", "Éric", "03/05/1970", "514-555-0199", None, "A-7", "active"])
    out = io.BytesIO()
    workbook.save(out)

    preview = await post(backend, "/api/clients/imports/preview", out.getvalue(), content_type=XLSX_TYPE)
    assert preview.status == 200, await preview.text()
    shown = await preview.json()
    assert shown["format"] == "xlsx" and shown["blank_rows"] == 1 and shown["problems"] == []
    assert shown["mapping"] == {"Last name": "family_name", "First name": "given_name", "DOB": "date_of_birth",
                                "Phone": "phone", "E-mail": "email", "Client number": "number", "Status": "status"}
    assert [row["row"] for row in shown["rows"]] == [2, 4]
    assert shown["rows"][0]["values"]["date_of_birth"] == "1961-04-12"
    assert shown["rows"][0]["values"]["phone"] == "+15145550123"
    assert (shown["rows"][0]["values"]["number"], shown["rows"][0]["values"]["status"]) == ("1042", "inactive")
    assert await count(backend, Client) == 0  # a preview stores nothing

    form = FormData()
    form.add_field("file", out.getvalue(), filename="clients.xlsx", content_type=XLSX_TYPE)
    response = await backend.client.post("/api/clients/imports", data=form, headers=backend.auth("admin"))
    assert response.status == 201, await response.text()
    async with backend.database.read() as session:
        found = list(await session.execute(select(Client.number, Client.date_of_birth, Client.status)
                                           .order_by(Client.id)))
    assert [tuple(row) for row in found] == [("1042", dt.date(1961, 4, 12), "inactive"),
                                             ("A-7", dt.date(1970, 5, 3), "active")]


def test_french_and_english_headers_are_mapped_by_guess():
    guessed = importing.guess_mapping([
        "Nom", "Prénom", "Nom de famille du conjoint", "Date de naissance", "Téléphone (maison)", "Cellulaire",
        "Courriel", "N° de dossier", "Adresse", "Ville", "Province", "Code postal", "Pays", "Remarques", "Âge"])
    assert guessed == {
        "Nom": "family_name", "Prénom": "given_name", "Nom de famille du conjoint": None,
        "Date de naissance": "date_of_birth", "Téléphone (maison)": "phone", "Cellulaire": "phone_alt",
        "Courriel": "email", "N° de dossier": "number", "Adresse": "address", "Ville": "city", "Province": "region",
        "Code postal": "postal_code", "Pays": "country", "Remarques": "notes", "Âge": None}
    assert importing.guess_mapping(["Name", "Email", "Phone", "DOB", "No de dossier"]) == {
        "Name": "full_name", "Email": "email", "Phone": "phone", "DOB": "date_of_birth", "No de dossier": "number"}
    assert importing.guess_mapping(["Nom", "Prénom", "Client"])["Client"] is None


async def test_the_mapping_can_be_changed_and_is_checked(backend: Backend):
    raw = "Nom complet;Employeur;Courriel\r\nCôté, Hélène;Clinique;h@exemple.ca\r\n".encode()
    guessed = await (await post(backend, "/api/clients/imports/preview", raw)).json()
    assert guessed["mapping"] == {"Nom complet": "full_name", "Employeur": "organisation_name", "Courriel": "email"}
    assert guessed["rows"][0]["values"]["given_name"] == "Hélène"

    changed = await post(backend, "/api/clients/imports/preview", raw,
                         mapping='{"Employeur": null, "Courriel": "notes"}')
    body = await changed.json()
    assert body["mapping"] == {"Nom complet": "full_name", "Employeur": None, "Courriel": "notes"}
    assert body["guessed"]["Courriel"] == "email" and body["rows"][0]["values"]["notes"] == "h@exemple.ca"

    form = FormData()
    form.add_field("file", raw, filename="clients.csv", content_type="text/csv")
    form.add_field("mapping", '{"Âge": "number"}')
    unknown = await backend.client.post("/api/clients/imports/preview", data=form, headers=backend.auth("clerk"))
    assert unknown.status == 422 and (await unknown.json())["errors"][0]["field"] == "mapping"
    twice = await post(backend, "/api/clients/imports", raw, mapping='{"Employeur": "email", "Courriel": "email"}')
    assert twice.status == 422 and "email" in (await twice.json())["detail"]
    bad_json = await post(backend, "/api/clients/imports", raw, mapping="{nope")
    assert bad_json.status == 422
    assert await count(backend, Client) == 0


async def test_blank_rows_are_skipped_and_counted(backend: Backend):
    raw = "\r\n;;\r\nNom;Prénom;Ville\r\n;;\r\nCôté;Hélène;Montréal\r\n\r\n  ;\t;\r\nTremblay;Éric;Laval\r\n;;\r\n"
    response = await post(backend, "/api/clients/imports", raw.encode())
    assert response.status == 201, await response.text()
    report = await response.json()
    assert (report["created"], report["blank_rows"], report["total_rows"]) == (2, 4, 2)
    assert await count(backend, Client) == 2


async def test_unreadable_files_and_limits_are_refused_clearly(backend: Backend, monkeypatch: pytest.MonkeyPatch):
    for raw, words in ((b"", "empty"), (b"\xd0\xcf\x11\xe0" + b"\0" * 600, ".xls"), (b"PK\x03\x04garbage", "XLSX"),
                       (b"\x7fELF\x02\x01\x01" + b"\0" * 100, "not a CSV")):
        response = await post(backend, "/api/clients/imports", raw, content_type="application/octet-stream")
        assert response.status == 422, raw[:8]
        assert words in (await response.json())["detail"]
    with pytest.raises(sheets.SheetError, match="too large"):
        importing.read_sheet(b"a" * (sheets.MAX_FILE_BYTES + 1))
    monkeypatch.setattr(sheets, "MAX_ROWS", 5)
    with pytest.raises(sheets.SheetError, match="more than 5 rows"):
        importing.read_sheet(spreadsheet(6, hostile=False)[0])
    wrong_type = await post(backend, "/api/clients/imports", b"Nom\r\nX\r\n", content_type="application/json")
    assert wrong_type.status == 400
    assert await count(backend, Client) == 0 and await count(backend, ClientTag) == 0


async def test_a_file_over_the_size_limit_is_refused_as_too_large(backend: Backend,
                                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(transfer_routes, "MAX_FILE_BYTES", 2_000)
    raw, _ = spreadsheet(40, hostile=False)
    assert len(raw) > 2_000
    assert (await post(backend, "/api/clients/imports", raw)).status == 413
    form = FormData()
    form.add_field("file", raw, filename="clients.csv", content_type="text/csv")
    response = await backend.client.post("/api/clients/imports/preview", data=form, headers=backend.auth("clerk"))
    assert response.status == 413 and "at most" in (await response.json())["detail"]
    assert await count(backend, Client) == 0


@pytest.mark.parametrize("who, status", [("clerk", 201), ("admin", 201), ("reception", 201), ("billing", 403),
                                         ("paeds", 403), ("kiosk_a", 403), (None, 401)])
async def test_who_may_import(backend: Backend, who: str | None, status: int):
    raw = "Nom;Prénom\r\nCôté;Hélène\r\n".encode()
    headers = {"Content-Type": "text/csv", **(backend.auth(who) if who else {})}
    preview = await backend.client.post("/api/clients/imports/preview", data=raw, headers=headers)
    assert preview.status == (200 if status == 201 else status)
    response = await backend.client.post("/api/clients/imports", data=raw, headers=headers)
    assert response.status == status
    assert await count(backend, Client) == (1 if status == 201 else 0)
