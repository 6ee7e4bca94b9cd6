"""Importing a run's cheques from the payroll company's file: one row per cheque with the employee number, the
employee's name, the cheque number, the amount and the pay date.

Files come as payroll software exports them: UTF-8 with or without a BOM or Windows-1252, ';' or ',' separated
(backend.clients.sheets reads them, and XLSX too), amounts written "1 234,56" or "1,234.56". Every row is checked
before anything is stored; one bad row and nothing is. Unknown employee numbers become new employees (without
email or PIN: the desk completes them).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.service import record
from backend.cheques.employees import display_name, new_employee
from backend.cheques.models import Cheque, Employee, PayrollRun
from backend.cheques.schemas import ChequeImportProblem, ChequeImportReport, ChequeImportRow, ChequeImportRowWithAmount
from backend.cheques.service import new_cheque, note, require_keeper, shows_amounts
from backend.cheques.states import ChequeStatus, RunState
from backend.clients.sheets import SheetError, read_sheet
from backend.core.errors import Conflict, InvalidInput
from backend.core.identity import StaffIdentity
from shared.api import FieldProblem
from shared.fields import folded
from shared.money import minor_units

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_AMOUNT = 100_000_000
PREVIEW_ROWS = 50
# Header names as payroll exports write them, in English and French, once folded (no accents, no punctuation).
COLUMNS: dict[str, frozenset[str]] = {
    "employee_number": frozenset({"employee number", "employee no", "employee", "employee id", "emp no", "matricule",
                                  "numero d employe", "numero employe", "no employe", "no d employe", "n employe",
                                  "n d employe"}),
    "name": frozenset({"name", "employee name", "full name", "nom", "nom complet", "nom de l employe",
                       "nom employe"}),
    "cheque_number": frozenset({"cheque number", "cheque no", "cheque", "check number", "check no", "check",
                                "numero de cheque", "numero cheque", "no de cheque", "no cheque", "n de cheque",
                                "n cheque"}),
    "amount": frozenset({"amount", "net", "net pay", "net amount", "montant", "montant net", "net a payer"}),
    "pay_date": frozenset({"pay date", "payment date", "date", "date de paie", "date de paiement", "date paie"}),
}
LABELS = {"employee_number": "employee number", "name": "name", "cheque_number": "cheque number",
          "amount": "amount", "pay_date": "pay date"}


@dataclass
class _Checked:
    rows: list[dict] = field(default_factory=list)
    problems: list[ChequeImportProblem] = field(default_factory=list)
    encoding: str = ""
    separator: str = ""


def _key(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded(header)).split())


def parse_amount(text: str, currency: str) -> int:
    """'1 234,56 $', '1,234.56', '1234.5' → minor units; ValueError for anything else (or not positive)."""
    digits = minor_units(currency)
    cleaned = re.sub(r"[\s\u00a0\u202f$€£]|[A-Za-z]{3}$", "", text.strip())
    if not re.fullmatch(r"[0-9][0-9.,']*", cleaned):
        raise ValueError("not an amount")
    cleaned = cleaned.replace("'", "")
    last = max(cleaned.rfind(","), cleaned.rfind("."))
    if last >= 0 and 0 < len(cleaned) - last - 1 <= digits and digits > 0:
        whole, decimals = cleaned[:last], cleaned[last + 1:]
    else:
        whole, decimals = cleaned, ""
    whole = whole.replace(",", "").replace(".", "")
    try:
        value = Decimal(f"{whole}.{decimals or '0'}").scaleb(digits)
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if value != value.to_integral_value() or not 0 < value <= MAX_AMOUNT:
        raise ValueError("out of range")
    return int(value)


def pay_date_matches(text: str, expected: dt.date) -> bool | None:
    """Whether the row's date is the run's pay date, read as ISO, or day/month or month/day (whichever gives the
    expected date: comparing with a known date removes the ambiguity). None: not a date at all."""
    parts = re.split(r"[-/.]", text.strip())
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    candidates = []
    orders = [(0, 1, 2)] if len(parts[0]) == 4 else [(2, 1, 0), (2, 0, 1)]
    for year, month, day in orders:
        try:
            candidates.append(dt.date(numbers[year], numbers[month], numbers[day]))
        except ValueError:
            continue
    if not candidates:
        return None
    return expected in candidates


def split_name(text: str) -> tuple[str, str]:
    """'Côté, Marie-Ève' or 'Marie-Ève Côté' → ('Marie-Ève', 'Côté')."""
    text = " ".join(text.split())
    if "," in text:
        family, _, given = text.partition(",")
        return given.strip(), family.strip()
    given, _, family = text.rpartition(" ")
    return (given, family) if given else (family, "")


async def _check(session: AsyncSession, run: PayrollRun, raw: bytes) -> _Checked:
    checked = _Checked()

    def problem(row: int, column: str, code: str, detail: str) -> None:
        checked.problems.append(ChequeImportProblem(row=row, column=column, code=code, detail=detail))

    if len(raw) > MAX_FILE_BYTES:
        problem(0, "", "file_too_large", "The file may be at most 2 MB.")
        return checked
    try:
        sheet = read_sheet(raw)
    except SheetError as error:
        problem(0, "", "file_unreadable", str(error))
        return checked
    checked.encoding, checked.separator = sheet.encoding, sheet.separator
    index: dict[str, int] = {}
    for position, header in enumerate(sheet.columns):
        for name, aliases in COLUMNS.items():
            if _key(header) in aliases and name not in index:
                index[name] = position
    for name in COLUMNS:
        if name not in index:
            problem(sheet.header_row, LABELS[name], "column_missing",
                    f"The file has no “{LABELS[name]}” column.")
    if checked.problems:
        return checked
    if not sheet.rows:
        problem(0, "", "file_empty", "The file has no cheques.")
        return checked
    known = {row.number: row for row in await session.scalars(select(Employee).where(Employee.site_id == run.site_id))}
    taken = set(await session.scalars(select(Cheque.number).where(Cheque.run_id == run.id)))
    for number, cells in sheet.rows:
        value = {name: (cells[i].strip() if i < len(cells) else "") for name, i in index.items()}
        bad = len(checked.problems)
        employee_number, cheque_number = value["employee_number"], value["cheque_number"]
        if not employee_number:
            problem(number, LABELS["employee_number"], "required", "The employee number is empty.")
        elif len(employee_number) > 40:
            problem(number, LABELS["employee_number"], "too_long", "The employee number is too long.")
        employee = known.get(employee_number)
        if employee is None and not value["name"]:
            problem(number, LABELS["name"], "required", "A new employee needs a name.")
        if len(value["name"]) > 400:
            problem(number, LABELS["name"], "too_long", "The name is too long.")
        if not cheque_number:
            problem(number, LABELS["cheque_number"], "required", "The cheque number is empty.")
        elif len(cheque_number) > 40:
            problem(number, LABELS["cheque_number"], "too_long", "The cheque number is too long.")
        elif cheque_number in taken:
            problem(number, LABELS["cheque_number"], "number_taken",
                    "This cheque number is already in the run, or twice in the file.")
        amount = None
        try:
            amount = parse_amount(value["amount"], run.currency)
        except ValueError:
            problem(number, LABELS["amount"], "amount_invalid",
                    "Expected a positive amount, such as 1234.56 or 1 234,56.")
        matches = pay_date_matches(value["pay_date"], run.pay_date)
        if matches is None:
            problem(number, LABELS["pay_date"], "date_invalid", "Expected a date, such as 2026-12-04.")
        elif not matches:
            problem(number, LABELS["pay_date"], "pay_date_mismatch",
                    f"This is not the run's pay date ({run.pay_date.isoformat()}).")
        if cheque_number:
            taken.add(cheque_number)
        if len(checked.problems) == bad:
            checked.rows.append({"row": number, "employee_number": employee_number, "name": value["name"],
                                 "employee": employee, "cheque_number": cheque_number, "amount": amount})
    return checked


async def import_cheques(session: AsyncSession, who: StaffIdentity, run: PayrollRun, raw: bytes, at: dt.datetime, *,
                         apply: bool) -> ChequeImportReport:
    """Check the file (preview), or store every row (apply): with any problem, applying stores nothing and
    answers 422 with every problem."""
    require_keeper(who)
    if run.state != RunState.AWAITING_PICKUP:
        raise Conflict("This payroll run has already been collected: add late cheques one by one.")
    checked = await _check(session, run, raw)
    if apply and checked.problems:
        raise InvalidInput(f"The file has {len(checked.problems)} problem(s); nothing was imported.", [
            FieldProblem(field=f"rows.{p.row}.{p.column.replace(' ', '_')}" if p.column else f"rows.{p.row}",
                         code=p.code, detail=p.detail) for p in checked.problems])
    new_numbers = {row["employee_number"] for row in checked.rows if row["employee"] is None}
    report = ChequeImportReport(
        applied=apply, encoding=checked.encoding, separator=checked.separator,
        total_rows=len(checked.rows) + len({p.row for p in checked.problems if p.row}),
        new_employees=len(new_numbers), problems=checked.problems,
        rows=[_preview_row(row, shows_amounts(who)) for row in checked.rows[:PREVIEW_ROWS]])
    if apply:
        await _store(session, who, run, checked.rows, at)
    return report


def _preview_row(row: dict, with_amount: bool) -> ChequeImportRow:
    fields = dict(row=row["row"], employee_number=row["employee_number"],
                  employee_name=row["name"] or display_name(row["employee"]), new_employee=row["employee"] is None,
                  cheque_number=row["cheque_number"])
    return ChequeImportRowWithAmount(**fields, amount=row["amount"]) if with_amount else ChequeImportRow(**fields)


async def _store(session: AsyncSession, who: StaffIdentity, run: PayrollRun, rows: list[dict], at: dt.datetime) -> None:
    created: dict[str, Employee] = {}
    for row in rows:
        employee = row["employee"] or created.get(row["employee_number"])
        if employee is None:
            given, family = split_name(row["name"])
            employee = new_employee(run.site_id, row["employee_number"], given[:200], family[:200], at)
            session.add(employee)
            await session.flush()
            created[row["employee_number"]] = employee
        cheque = new_cheque(run, employee, row["cheque_number"], row["amount"], ChequeStatus.EXPECTED, at)
        session.add(cheque)
        await session.flush()
        note(session, cheque, "imported", at, who=who)
    record(session, who.audit_actor, "payroll_run.imported", "payroll_run", run.id, at, cheques=len(rows),
           new_employees=len(created))
