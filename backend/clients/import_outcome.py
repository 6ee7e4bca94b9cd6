"""What an import would do or did, as the panel shows it: rows created, rows skipped (blank, or copies of a client
already on file or of an earlier row, when asked to skip those) and every row refused, with why.

Skipping reuses importing.check as it is: the file is checked, the rows whose only problems say "this is a copy"
are set aside, and what is left is checked again. Nothing here decides what a good row is.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients import importing
from backend.clients.importing import Checked, PreviewRow, RowProblem, Sheet
from backend.organisation.models import Site
from shared.api import Response

# The problems that only say a row is somebody already known: the rest of the row is fine.
DUPLICATE_CODES = frozenset({"already_on_file", "duplicate_row"})


class ImportOutcome(Response):
    applied: bool
    format: str
    columns: list[str]
    mapping: dict[str, str | None]
    skip_duplicates: bool
    total_rows: int  # rows with something in them
    blank_rows: int
    created: int  # stored (0 until applied)
    ready_rows: int  # would be stored as the file is now
    skipped: list[RowProblem]  # why each row left out was left out
    skipped_rows: int
    problems: list[RowProblem]  # every problem of every refused row
    problem_rows: int
    sample: list[PreviewRow]  # the first rows, as they would be stored (the preview only)


def duplicate_rows(checked: Checked) -> set[int]:
    """Rows whose every problem says they are a copy."""
    codes: dict[int, set[str]] = {}
    for problem in checked.problems:
        codes.setdefault(problem.row, set()).add(problem.code)
    return {row for row, found in codes.items() if found <= DUPLICATE_CODES}


async def check_skipping(session: AsyncSession, site: Site, sheet: Sheet, mapping: dict[str, str | None],
                         today: dt.date, *, skip_duplicates: bool,
                         progress: importing.Progress | None = None) -> tuple[Checked, list[RowProblem]]:
    """The file checked, without the copies when they are to be skipped; and the copies left out."""
    checked = await importing.check(session, site, sheet, mapping, today, progress=progress)
    copies = duplicate_rows(checked) if skip_duplicates else set()
    if not copies:
        return checked, []
    skipped = [problem for problem in checked.problems if problem.row in copies]
    rest = Sheet(format=sheet.format, columns=sheet.columns, rows=[r for r in sheet.rows if r[0] not in copies],
                 blank_rows=sheet.blank_rows, encoding=sheet.encoding, separator=sheet.separator,
                 header_row=sheet.header_row)
    # Leaving rows out cannot make another row a copy: what was fine stays fine, the rest is told again.
    return await importing.check(session, site, rest, mapping, today, progress=progress), skipped


def outcome(checked: Checked, sheet: Sheet, skipped: list[RowProblem], *, skip_duplicates: bool, created: int,
            applied: bool, site: Site | None = None) -> ImportOutcome:
    """The outcome of a check (with the first rows as they would be stored, given the site) or of an import."""
    sample = importing.preview(checked, site, {}).rows if site is not None else []
    return ImportOutcome(
        applied=applied, format=sheet.format, columns=sheet.columns, mapping=checked.mapping,
        skip_duplicates=skip_duplicates, total_rows=len(sheet.rows), blank_rows=sheet.blank_rows, created=created,
        ready_rows=len(checked.values), skipped=skipped, skipped_rows=len({p.row for p in skipped}),
        problems=checked.problems, problem_rows=checked.bad_rows, sample=sample)
