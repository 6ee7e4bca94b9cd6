"""Reading a spreadsheet as people really save them: CSV from Excel (French or not) or LibreOffice, or XLSX.

The format is told by the content, never by the file's name or declared type. What comes out is text only: the
header row's column names and each row's cells, with the row number the spreadsheet itself shows.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 100_000
# An XLSX is a zip: 20 MB of it may hold gigabytes of XML. Refuse before anything is inflated.
MAX_XLSX_INFLATED = 400 * 1024 * 1024
SEPARATORS = (";", ",", "\t")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetError(ValueError):
    """The file cannot be read as a spreadsheet at all (as opposed to a row that is wrong)."""


@dataclass
class Sheet:
    format: str  # csv or xlsx
    columns: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as the spreadsheet shows it, cells)
    blank_rows: int = 0
    encoding: str = ""
    separator: str = ""
    header_row: int = 1


def read_sheet(raw: bytes) -> Sheet:
    if len(raw) > MAX_FILE_BYTES:
        raise SheetError(f"The file is too large: at most {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if not raw.strip():
        raise SheetError("The file is empty.")
    if raw.startswith(b"PK\x03\x04"):
        return _xlsx(raw)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetError("This is an old Excel file (.xls): save it as .xlsx or CSV, then import it.")
    return _csv(raw)


def _decoded(raw: bytes) -> tuple[str, str]:
    """The text and the encoding it was in. UTF-8 first and strictly, since Windows-1252 accepts almost any byte
    sequence: a file that is valid UTF-8 is nearly always meant as UTF-8."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise SheetError("The file says it is UTF-16 but is not.") from None
    bom = raw.startswith(codecs.BOM_UTF8)
    if bom:
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined: Latin-1 reads every byte
        return raw.decode("latin-1"), "latin-1"


def _separator(text: str) -> str:
    """The separator that splits the first lines into the same number of columns most often (csv.Sniffer
    guesses wrong on short files and on commas inside French decimal numbers)."""
    sample = "\n".join(text[:64 * 1024].splitlines()[:50])
    best, best_score = ",", (-1, -1)
    for separator in SEPARATORS:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=separator) if any(row)]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        score = (sum(1 for row in rows if len(row) == width) if width > 1 else 0, width)
        if score > best_score:
            best, best_score = separator, score
    return best


def _csv(raw: bytes) -> Sheet:
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SheetError("This is not a CSV or XLSX file.")
    text, encoding = _decoded(raw)
    separator = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        sheet = _table(reader, "csv")
    except csv.Error as error:
        raise SheetError(f"The CSV file cannot be read near row {reader.line_num}: {error}.") from None
    sheet.encoding, sheet.separator = encoding, separator
    return sheet


def _cell(value: Any) -> str:
    """A cell as text: dates ISO (as the date check reads them), whole numbers without a '.0'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _xlsx(raw: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_XLSX_INFLATED:
                raise SheetError("The XLSX file holds too much data once unpacked.")
            if "xl/workbook.xml" not in archive.namelist():
                raise SheetError("This zip file is not an XLSX workbook (save it from the spreadsheet as .xlsx).")
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except SheetError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged file; all mean the same here
        raise SheetError(f"The XLSX file cannot be read ({type(error).__name__}).") from None
    try:
        # The first sheet: that is what the person sees on opening the file.
        worksheet = workbook.worksheets[0]
        rows = ([_cell(value) for value in row]
                for row in worksheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True))
        return _table(rows, "xlsx")
    finally:
        workbook.close()


def _table(rows: Iterable[list[str]], kind: str) -> Sheet:
    """The header (the first row with anything in it) and the rows under it; blank rows counted, not kept."""
    columns: list[str] | None = None
    sheet = Sheet(format=kind, columns=[], rows=[])
    for number, cells in enumerate(rows, start=1):
        if len(cells) > MAX_COLUMNS and any(cell.strip() for cell in cells[MAX_COLUMNS:]):
            raise SheetError(f"Row {number} has more than {MAX_COLUMNS} columns.")
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            raise SheetError(f"Row {number} has a cell longer than {MAX_CELL_CHARS:,} characters.")
        if not any(cell.strip() for cell in cells):
            if columns is not None:
                sheet.blank_rows += 1
            continue
        if columns is None:
            columns = _column_names(cells)
            sheet.header_row = number
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetError(f"The file has more than {MAX_ROWS:,} rows: split it into several imports.")
        sheet.rows.append((number, cells[:MAX_COLUMNS]))
    if columns is None:
        raise SheetError("The file is empty.")
    sheet.columns = columns
    return sheet


def _column_names(cells: list[str]) -> list[str]:
    """The header's names, trimmed and made distinct (a mapping names columns by them)."""
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    names: list[str] = []
    for index, cell in enumerate(cells[:MAX_COLUMNS], start=1):
        name = " ".join(cell.split()) or f"Column {index}"
        candidate, copy = name, 2
        while candidate in names:
            candidate, copy = f"{name} ({copy})", copy + 1
        names.append(candidate)
    return names

