"""Exporting client records to CSV or XLSX, safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with = + - or @ as a formula: a name typed at the kiosk as
=HYPERLINK("http://evil", "click") would become a live link, or worse, in the clerk's Excel. In CSV such a cell
gets a leading apostrophe (OWASP's advice; our import takes it off again); in XLSX it is written as text, marked
so that Excel keeps it text, and no cell is ever a formula.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients.models import Client, ClientTag
from backend.core.spreadsheets import FORMULA_STARTS, neutralised
from shared.enums import ClientStatus

# The columns, named as the import reads them back (the field names).
COLUMNS = ("id", "number", "kind", "given_name", "family_name", "organisation_name", "date_of_birth", "phone",
           "phone_alt", "email", "address", "city", "region", "postal_code", "country", "tags", "status", "notes",
           "retain_until", "created_at", "updated_at")
SEPARATORS = {";": ";", ",": ",", "tab": "\t", "\t": "\t"}
MAX_IDS = 10_000
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


async def client_rows(session: AsyncSession, site_id: int, ids: Sequence[int] | None = None) -> list[list[str]]:
    """The site's active and inactive clients (or those of `ids` among them), by id, as text cells. Merged and
    erased records are not exported: one was folded into another, the other holds nothing of the person."""
    query = select(*(getattr(Client, name) for name in COLUMNS if name != "tags")).where(
        Client.site_id == site_id, Client.status.in_((ClientStatus.ACTIVE, ClientStatus.INACTIVE))).order_by(Client.id)
    if ids is not None:
        query = query.where(Client.id.in_(ids))
    records = (await session.execute(query)).mappings().all()
    tags: dict[int, list[str]] = defaultdict(list)
    wanted = select(Client.id).where(Client.site_id == site_id)
    if ids is not None:
        wanted = wanted.where(Client.id.in_(ids))
    for client_id, tag in await session.execute(select(ClientTag.client_id, ClientTag.tag)
                                                .where(ClientTag.client_id.in_(wanted)).order_by(ClientTag.tag)):
        tags[client_id].append(tag)
    return [[_text(tags.get(record["id"], []) if name == "tags" else record[name]) for name in COLUMNS]
            for record in records]


def to_csv(rows: Iterable[list[str]], separator: str = ";") -> bytes:
    """UTF-8 with a BOM (without one Excel reads UTF-8 as Windows-1252), ';' by default as French Excel expects,
    every cell quoted and neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralised(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Iterable[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Clients")

    def cell(text: str) -> WriteOnlyCell:
        # Control characters are not allowed in the XML of a sheet; they carry nothing a person typed on purpose.
        item = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
        # Every cell is text, whatever it starts with (openpyxl would make "=…" a formula); quotePrefix keeps
        # Excel from reading it as one when the cell is edited.
        item.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            item.quotePrefix = True
        return item

    sheet.append([cell(name) for name in COLUMNS])
    for row in rows:
        sheet.append([cell(text) for text in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
