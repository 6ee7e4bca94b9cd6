"""What the import screens say of columns, rows and their problems, in words the catalogs carry.

The importer reports problems by code with an English detail that may name another row or a client on file; the
number is read back from the detail so the sentence can be said in the clerk's language.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from backend.clients import import_jobs
from backend.clients.importing import RowProblem
from backend.panel.clients import FIELD_LABELS
from shared.i18n import N_, translate

# The fields a column may fill (backend.clients.columns.FIELDS), in the order the select lists them.
IMPORT_FIELDS = {**{name: FIELD_LABELS[name] for name in ("given_name", "family_name")},
                 "full_name": N_("Whole name (split into given and family names)"),
                 **{name: FIELD_LABELS[name] for name in (
                     "organisation_name", "kind", "number", "date_of_birth", "phone", "phone_alt", "email",
                     "address", "city", "region", "postal_code", "country", "notes", "tags", "status",
                     "retain_until")}}
KEYS = ("date of birth", "phone", "email")
SAME_ROW = {"date of birth": N_("Row {row} is the same client: same name and date of birth."),
            "phone": N_("Row {row} is the same client: same name and phone."),
            "email": N_("Row {row} is the same client: same name and email.")}
ON_FILE = {"date of birth": N_("A client on file (record {client}) has the same name and date of birth."),
           "phone": N_("A client on file (record {client}) has the same name and phone."),
           "email": N_("A client on file (record {client}) has the same name and email.")}
PROBLEMS = {
    "phone_invalid": N_("This is not a valid phone number."),
    "email_invalid": N_("This is not a valid email address."),
    "date_invalid": N_("Give a date like 1961-04-12 or 12/04/1961."),
    "date_out_of_range": N_("Give a date of birth between 1880 and today."),
    "country_invalid": N_("Give a two-letter country code, like CA."),
    "number_taken": N_("A client on file already has this file number."),
    "number_repeated": N_("Row {row} has the same file number."),
    "cells_outside_columns": N_("This row has cells beyond the header’s columns."),
    "kind_invalid": N_("Write person or organisation."),
    "status_invalid": N_("Write active or inactive."),
    "tag_too_long": N_("A tag has at most 60 characters."),
    "string_too_long": N_("This is too long."),
    "too_long": N_("Too many tags: at most 20."),
}
NO_NAME = N_("No name: fill in a given name or a family name.")
NO_ORGANISATION = N_("Give the organisation’s name.")
SAME_CELLS = N_("Row {row} has exactly the same cells.")
ELSE = N_("Check this cell.")
JOB_ERRORS = {
    import_jobs.GONE: N_("The file of this import is no longer on the server: upload it again."),
    import_jobs.UNREADABLE: N_("The file could not be read any more: upload it again."),
    import_jobs.CHANGED: N_("A client was added meanwhile with one of these numbers; nothing was imported. "
                            "Start again."),
    import_jobs.STOPPED: N_("The server stopped during the import: nothing was imported. Start it again."),
    import_jobs.BROKEN: N_("An unexpected error stopped the import: nothing was imported. Try again, or ask for "
                           "help."),
}
NUMBER = re.compile(r"(?:Row|Client) (\d+)")


@dataclass
class ShownProblem:
    column: str  # the file's column, or "" for the whole row
    field: str  # the client field, in words
    reason: str
    client_id: int | None  # a client on file it is a copy of


@dataclass
class ShownRow:
    row: int
    problems: list[ShownProblem]


def _reason(problem: RowProblem, language: str) -> tuple[str, int | None]:
    found = NUMBER.search(problem.detail)
    number = found.group(1) if found else ""
    key = next((key for key in KEYS if problem.detail.rstrip(").").endswith(key)), "")
    if problem.code == "already_on_file" and key and number:
        return translate(language, ON_FILE[key]).replace("{client}", number), int(number)
    if problem.code == "duplicate_row" and number:
        message = SAME_ROW[key] if key else SAME_CELLS
        return translate(language, message).replace("{row}", number), None
    if problem.code == "required":
        return translate(language, NO_ORGANISATION if problem.field == "organisation_name" else NO_NAME), None
    message = PROBLEMS.get(problem.code)
    if message is None:
        return f"{translate(language, ELSE)} ({problem.detail})", None
    return translate(language, message).replace("{row}", number), None


def shown_rows(problems: list[RowProblem], language: str) -> list[ShownRow]:
    """The problems by row, in the file's order, each said in the clerk's language."""
    rows: dict[int, ShownRow] = {}
    for problem in problems:
        reason, client_id = _reason(problem, language)
        name = problem.field.split(".")[0]
        label = translate(language, IMPORT_FIELDS[name]) if name in IMPORT_FIELDS else ""
        rows.setdefault(problem.row, ShownRow(row=problem.row, problems=[])).problems.append(
            ShownProblem(column=problem.column, field=label, reason=reason, client_id=client_id))
    return sorted(rows.values(), key=lambda shown: shown.row)


def job_error(error: str, language: str) -> str:
    if not error:
        return ""
    return translate(language, JOB_ERRORS.get(error, JOB_ERRORS[import_jobs.BROKEN]))
