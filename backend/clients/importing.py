"""Importing client records from a spreadsheet: map its columns to fields, check every row, then store all of
them in one transaction, or none.

Each row goes through the same check as a record entered by hand (service.checked_values). What a row-by-row
check cannot see is checked across the file: a number given twice, the same person twice, or someone already on
file. The check never writes; `store` is only called on a file without a single problem.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from backend.audit.service import record
from backend.clients import service as clients
from backend.clients.columns import FIELDS, cells_given, client_fields, guess_mapping, resolve_mapping
from backend.clients.models import Client, ClientChange, ClientTag
from backend.clients.schemas import ClientIn
from backend.clients.sheets import Sheet, SheetError, read_sheet
from backend.core.api import field_problems
from backend.core.errors import Conflict, InvalidInput
from backend.organisation.models import Site
from shared.api import FieldProblem, Response
from shared.enums import ClientKind, ClientStatus
from shared.fields import folded

__all__ = ["FIELDS", "Checked", "Sheet", "SheetError", "check", "guess_mapping", "preview", "read_sheet", "report",
           "resolve_mapping", "store"]

Progress = Callable[[str, int, int], None]  # (phase: checking or storing, rows done, rows in all)
PROGRESS_EVERY = 250
BATCH = 500  # rows per INSERT when storing
PREVIEW_ROWS = 20


class RowProblem(Response):
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str  # the file's column, or "" when the problem is the row's as a whole
    field: str
    code: str
    detail: str


class PreviewRow(Response):
    row: int
    ok: bool
    values: dict[str, str]  # as stored when ok; as read otherwise


class ImportReport(Response):
    applied: bool
    format: str
    encoding: str
    separator: str
    columns: list[str]
    mapping: dict[str, str | None]
    total_rows: int  # rows with something in them
    blank_rows: int  # skipped
    created: int
    problem_rows: int
    problems: list[RowProblem]


class ImportPreview(ImportReport):
    guessed: dict[str, str | None]
    fields: list[str]
    rows: list[PreviewRow]


@dataclass
class Checked:
    sheet: Sheet
    mapping: dict[str, str | None]
    values: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # rows without problems
    read: dict[int, dict[str, str]] = field(default_factory=dict)  # rows with problems, as read
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.problems})


def _keys(values: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """What makes two rows the same client: the folded name with a date of birth, phone or email."""
    if values.get("kind") == ClientKind.ORGANISATION:
        name = values.get("organisation_name", "")
    else:
        name = " ".join(part for part in (values.get("given_name"), values.get("family_name")) if part)
    name = " ".join(folded(name).split())
    keys = [(label, (name, values[item])) for label, item in (
        ("date of birth", "date_of_birth"), ("phone", "phone"), ("email", "email")) if values.get(item)]
    return keys


async def _existing(session: AsyncSession, site: Site) -> tuple[set[str], dict[tuple[str, tuple], int]]:
    """Numbers already used on this site (merged and erased records keep theirs) and the keys of clients on file:
    one query each rather than one per row."""
    numbers = set(await session.scalars(select(Client.number).where(Client.site_id == site.id,
                                                                     Client.number.is_not(None))))
    known: dict[tuple[str, tuple], int] = {}
    rows = await session.execute(select(
        Client.id, Client.kind, Client.given_name, Client.family_name, Client.organisation_name,
        Client.date_of_birth, Client.phone, Client.email).where(
        Client.site_id == site.id, Client.status.in_((ClientStatus.ACTIVE, ClientStatus.INACTIVE))))
    for row in rows:
        values = {"kind": row.kind, "given_name": row.given_name, "family_name": row.family_name,
                  "organisation_name": row.organisation_name, "date_of_birth": row.date_of_birth,
                  "phone": row.phone, "email": row.email}
        for key in _keys(values):
            known.setdefault(key, row.id)
    return numbers, known


async def check(session: AsyncSession, site: Site, sheet: Sheet, mapping: dict[str, str | None],
                today: dt.date, *, progress: Progress | None = None) -> Checked:
    """Every row checked; the problems of each, and the values to store for the others. Writes nothing."""
    checked = Checked(sheet=sheet, mapping=mapping)
    column_of = {target: column for column, target in mapping.items() if target}
    for name in ("given_name", "family_name"):
        column_of.setdefault(name, column_of.get("full_name", ""))
    taken, known = await _existing(session, site)
    numbers: dict[str, int] = {}
    seen: dict[tuple[str, tuple], int] = {}
    copies: dict[tuple, int] = {}
    total = len(sheet.rows)
    for done, (row, cells) in enumerate(sheet.rows, start=1):
        problems: list[FieldProblem] = []
        given = cells_given(cells, mapping, sheet.columns)
        if len(cells) > len(sheet.columns) and any(cell.strip() for cell in cells[len(sheet.columns):]):
            problems.append(FieldProblem(field="", code="cells_outside_columns",
                                         detail="This row has cells beyond the header's columns."))
        data = client_fields(given, problems)
        number = " ".join(data.pop("number", "").split())
        values: dict[str, Any] | None = None
        try:
            ClientIn.model_validate({**data, "number": number or None})
        except ValidationError as error:
            # Set aside what is malformed (too long, too many tags) so the rest of the row is still checked.
            malformed = field_problems(error)
            problems += malformed
            for problem in malformed:
                data.pop(problem.field.split(".")[0], None)
        try:
            # The number is left out: it is checked below against the numbers loaded once, not a query per row.
            values = await clients.checked_values(session, site, ClientIn.model_validate(data), today)
        except InvalidInput as error:
            named = {problem.field for problem in problems}
            problems += [problem for problem in error.errors
                         if not (problem.code == "required" and named & {"given_name", "family_name",
                                                                         "organisation_name"})]
        copy = tuple(sorted(given.items()))
        if copy in copies:
            problems.append(FieldProblem(field="", code="duplicate_row",
                                         detail=f"Row {copies[copy]} has exactly the same cells."))
        copies.setdefault(copy, row)
        if number and not any(problem.field == "number" for problem in problems):
            if number in taken:
                problems.append(FieldProblem(field="number", code="number_taken",
                                             detail="A client on file already has this number."))
            elif number in numbers:
                problems.append(FieldProblem(field="number", code="number_repeated",
                                             detail=f"Row {numbers[number]} has the same number."))
            numbers.setdefault(number, row)
        if values is not None and not problems:
            if number:
                values["number"] = number
            for label, key in _keys({"kind": ClientKind.PERSON, **values}):
                if key in known:
                    problems.append(FieldProblem(field="", code="already_on_file", detail=(
                        f"Client {known[key]} already has this name and {label}.")))
                    break
                if key in seen:
                    problems.append(FieldProblem(field="", code="duplicate_row", detail=(
                        f"Row {seen[key]} is the same client (same name and {label}).")))
                    break
            for _, key in _keys({"kind": ClientKind.PERSON, **values}):
                seen.setdefault(key, row)
        if problems:
            checked.read[row] = given
            checked.problems += [RowProblem(row=row, column=column_of.get(problem.field.split(".")[0], ""),
                                            field=problem.field, code=problem.code, detail=problem.detail)
                                 for problem in problems]
        else:
            checked.values.append((row, values))
        if done % PROGRESS_EVERY == 0 or done == total:
            if progress is not None:
                progress("checking", done, total)
            await asyncio.sleep(0)  # a large file must not hold the server's other requests
    return checked


def _record(blank: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """A new client's columns and its first history lines, exactly as service.create_client makes them (a blank
    client, then apply), without the round trips per row that create_client costs."""
    columns = dict(blank)
    values = {"kind": ClientKind.PERSON, **values}
    changes = []
    for name in clients.TRACKED:
        if name not in values:
            continue
        old = [] if name == "tags" else columns[name]
        if clients._shown(old) == clients._shown(values[name]):
            continue
        changes.append((name, clients._shown(old), clients._shown(values[name])))
        if name != "tags":
            columns[name] = values[name]
    if changes:
        columns["search_text"] = clients.search_text(SimpleNamespace(**columns), values.get("tags", []))
    return columns, changes


async def _new_ids(session: AsyncSession, count: int) -> list[int] | None:
    """On SQLite, the ids the next rows get: there, RETURNING in the order of the rows costs a statement per row.
    Safe because a writing session holds SQLite's write lock from its start (BEGIN IMMEDIATE): nobody else
    inserts in between. None elsewhere: PostgreSQL returns ids in order from one statement."""
    if (await session.connection()).dialect.name != "sqlite":
        return None
    last = await session.scalar(select(func.max(Client.id)))
    return list(range((last or 0) + 1, (last or 0) + 1 + count))


async def store(session: AsyncSession, site: Site, checked: Checked, actor: tuple[str, int | None],
                at: dt.datetime, *, progress: Progress | None = None) -> int:
    """Every row created, in the caller's transaction; only for a file that checked without a problem.

    Rows go in by batches (one INSERT of many rows per table) rather than through create_client one by one:
    10,000 rows take seconds instead of minutes. What is stored is the same (a test holds them to it). Call it
    in a writing session (Database.write)."""
    if checked.problems:
        raise InvalidInput(f"{checked.bad_rows} rows have problems: nothing was imported.")
    by_staff_id = actor[1] if actor[0] == "staff" else None
    connection = await session.connection()
    template = clients.blank_client(site, at)
    blank = {column.key: getattr(template, column.key) for column in Client.__table__.columns if column.key != "id"}
    total = len(checked.values)
    try:
        await _insert(session, connection, blank, checked, by_staff_id, at, progress)
    except IntegrityError:
        # Only a record added by someone else since the check can cause this (a number taken meanwhile, on
        # PostgreSQL; SQLite holds other writers off). The caller's transaction is rolled back whole.
        raise Conflict("A client was added meanwhile with one of these numbers; nothing was imported. "
                       "Try again.") from None
    record(session, actor, "clients.imported", "site", site.id, at, count=total, format=checked.sheet.format)
    await session.flush()
    return total


async def _insert(session: AsyncSession, connection: AsyncConnection, blank: dict[str, Any], checked: Checked,
                  by_staff_id: int | None, at: dt.datetime, progress: Progress | None) -> None:
    total = len(checked.values)
    for start in range(0, total, BATCH):
        rows = checked.values[start:start + BATCH]
        batch = [_record(blank, values) for _, values in rows]
        ids = await _new_ids(session, len(batch))
        if ids is None:
            ids = list(await connection.scalars(
                Client.__table__.insert().returning(Client.id, sort_by_parameter_order=True),
                [columns for columns, _ in batch]))
        else:
            await connection.execute(Client.__table__.insert(),
                                     [{**columns, "id": client_id} for client_id, (columns, _) in zip(ids, batch)])
        changes = [{"client_id": client_id, "at": at, "by_staff_id": by_staff_id, "source": "import",
                    "field": name, "old_value": old, "new_value": new}
                   for client_id, (_, lines) in zip(ids, batch, strict=True) for name, old, new in lines]
        tags = [{"client_id": client_id, "tag": tag}
                for client_id, (_, values) in zip(ids, rows, strict=True) for tag in values.get("tags", [])]
        await connection.execute(ClientChange.__table__.insert(), changes)
        if tags:
            await connection.execute(ClientTag.__table__.insert(), tags)
        if progress is not None:
            progress("storing", start + len(rows), total)
        await asyncio.sleep(0)


def report(checked: Checked, created: int, *, applied: bool) -> ImportReport:
    sheet = checked.sheet
    return ImportReport(
        applied=applied, format=sheet.format, encoding=sheet.encoding,
        separator=sheet.separator, columns=sheet.columns, mapping=checked.mapping, total_rows=len(sheet.rows),
        blank_rows=sheet.blank_rows, created=created, problem_rows=checked.bad_rows, problems=checked.problems)


def preview(checked: Checked, site: Site, guessed: dict[str, str | None], rows: int = PREVIEW_ROWS) -> ImportPreview:
    """The first rows as they would be stored (defaults filled in), with every row's problems."""
    base = report(checked, 0, applied=False).model_dump()
    defaults = {"kind": ClientKind.PERSON.value, "status": ClientStatus.ACTIVE.value, "country": site.country}
    good = dict(checked.values)
    shown: list[PreviewRow] = []
    for row, _ in checked.sheet.rows[:rows]:
        if row in good:
            values = {**defaults, **{name: clients._shown(value) for name, value in good[row].items()}}
            shown.append(PreviewRow(row=row, ok=True, values=values))
        else:
            shown.append(PreviewRow(row=row, ok=False, values=checked.read.get(row, {})))
    return ImportPreview(**base, guessed=guessed, fields=list(FIELDS), rows=shown)
