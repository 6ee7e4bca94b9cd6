"""The payroll pages' forms: read (a signature or a CSV can be larger than request.post() takes), and the cheques
services' refusals put in words the catalogs carry.

The services speak English. Their fixed messages are marked here, so translate() finds them; a message made up
on the spot (a count, a number) is replaced by the panel's own wording of the same problem, by its code.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ValidationError

from backend.cheques.states import PAYROLL_KEEPERS
from backend.core.api import field_problems
from backend.core.errors import ApiError, InvalidInput, PayloadTooLarge
from backend.core.identity import StaffIdentity
from backend.panel.routes import staff_with_role
from backend.web import check_csrf
from shared.api import FieldProblem
from shared.enums import Role
from shared.i18n import N_, translate

M = TypeVar("M", bound=BaseModel)

FIELD_BYTES = 4096
CHUNK_BYTES = 64 * 1024
PNG_DATA_URL = "data:image/png;base64,"
# A signature's data URL (the service refuses more than 300 KB of PNG), a payroll CSV, a scanned letter.
SIGNATURE_CHARS = 420 * 1024
CSV_BYTES = 2 * 1024 * 1024
LETTER_BYTES = 2 * 1024 * 1024

# The services' fixed messages, which the pages show translated.
KNOWN = [
    N_("This cheque has already been handed out."),
    N_("This cheque has not been collected from the payroll company yet."),
    N_("This cheque was missing from the envelope: mark it arrived first."),
    N_("This cheque was voided; hand out its replacement."),
    N_("This cheque was returned to the payroll company."),
    N_("This cheque cannot be handed out now."),
    N_("Nobody asked for this cheque at the kiosk."),
    N_("Too many wrong PINs: unlock this employee's PIN first, or have them sign."),
    N_("This payroll run has already been collected."),
    N_("This payroll run has already been collected: add late cheques one by one."),
    N_("This payroll run is closed: every cheque in it has been dealt with."),
    N_("Only a cheque marked missing can arrive later."),
    N_("There is no such cheque."), N_("There is no such payroll run."), N_("There is no such employee."),
    N_("Give either the employee's signature or their PIN (one of the two)."),
    N_("This is not the employee's PIN."), N_("A PIN is 4 to 8 digits."),
    N_("Give the employee number."), N_("Another employee already has this number."),
    N_("Give the employee's name."), N_("There is no such staff member."),
    N_("This staff member is already linked to another employee."),
    N_("The follow-up date cannot be in the past."), N_("Name the person taking it."),
    N_("Say how the employee authorised it."), N_("Say why the cheque is voided."),
    N_("Give the replacement cheque's number."), N_("This run already has a cheque with this number."),
    N_("Say why it goes back."), N_("Choose an active front-office member (receptionist or administrator)."),
    N_("The pick-up day cannot be in the past."), N_("This run has no cheques yet: import or enter them first."),
    N_("Name the payroll company."), N_("Give the cheque number."),
    N_("The signature image may be at most 300 KB."), N_("The signature must be a PNG image."),
    N_("The signature image is too large."), N_("The signature image cannot be read as a PNG."),
    N_("The signature is blank: sign in the box first."),
    N_("The authorisation must be a PDF, PNG or JPEG file."), N_("Send the file as base64."),
]
# Problems whose service message carries values: the panel's words, by code.
BY_CODE = {
    "cheque_unknown": N_("One of these cheque numbers is not in this run."),
    "count_mismatch": N_("The count does not match: the run’s cheques less the missing ones should have come. "
                         "Count again, or name the missing ones."),
    "string_too_long": N_("This is too long."), "too_long": N_("This is too long."),
    "required": N_("This field is required."), "string_too_short": N_("This field is required."),
    # The pages' date fields send 2026-12-04 or nothing: a date that is not one was not chosen.
    "date_from_datetime_parsing": N_("Choose a date."), "date_parsing": N_("Choose a date."),
    "date_type": N_("Choose a date."), "int_parsing": N_("Give a whole number."),
    "int_type": N_("Give a whole number."),
    "greater_than_equal": N_("Give a larger number."), "less_than_equal": N_("Give a smaller number."),
    "string_pattern_mismatch": N_("A PIN is 4 to 8 digits."),
}
OTHERWISE = N_("This cannot be done now: reload the page to see where things stand.")
CHECK_FIELD = N_("Check this field.")
TOO_LARGE = N_("This file is too large.")
KNOWN_SET = frozenset(KNOWN)
PANEL_CODE = "panel"
# The services' body fields that the forms call otherwise.
FORM_NAMES = {"missing_cheque_numbers": "missing", "signature_png": "signature"}


def panel_problem(field_name: str, message: str) -> FieldProblem:
    """A problem the panel found itself (before calling a service), in the page's language."""
    return FieldProblem(field=field_name, code=PANEL_CODE, detail=message)


def say(language: str, message: str) -> str:
    """A service's message in the page's language; one made up on the spot gets the panel's general words
    (in English the service's own words are as good)."""
    if message in KNOWN_SET or language == "en":
        return translate(language, message)
    return translate(language, OTHERWISE)


def field_errors(error: ApiError, language: str) -> dict[str, str]:
    """The service's field problems, by form field ("missing_cheque_numbers.2" is the field's own)."""
    errors: dict[str, str] = {}
    for problem in error.errors:
        name = problem.field.split(".")[0]
        name = FORM_NAMES.get(name, name)
        if problem.code == PANEL_CODE:  # the panel's own finding, already in the page's language
            errors.setdefault(name, problem.detail)
            continue
        message = problem.detail if problem.detail in KNOWN_SET else BY_CODE.get(problem.code, CHECK_FIELD)
        errors.setdefault(name, translate(language, message))
    return errors


@dataclass
class PostedForm:
    fields: dict[str, str] = field(default_factory=dict)
    file: bytes | None = None  # None when no file was chosen
    filename: str = ""
    too_large: set[str] = field(default_factory=set)  # the parts cut off at their limit

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


async def keeper_form(request: web.Request, names: tuple[str, ...], *, large: dict[str, int] | None = None,
                      file_limit: int = 0, roles: frozenset[Role] = PAYROLL_KEEPERS
                      ) -> tuple[StaffIdentity, PostedForm]:
    """A payroll keeper and the form they posted: small fields in `names`, `large` ones up to their limit, and
    the part named 'file'. Multipart is read as a stream; the CSRF token (first in every form) is checked before
    anything large is read, so a forged post never has its signature or file read."""
    who = await staff_with_role(request, roles)
    large = large or {}
    posted = PostedForm()
    if not request.content_type.startswith("multipart/"):
        form = await request.post()
        check_csrf(request, str(form.get("csrf_token", "")))
        for name in (*names, *large):
            posted.fields[name] = str(form.get(name, ""))[:large.get(name, FIELD_BYTES)]
        return who, posted
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file" and file_limit:
                check_csrf(request, posted.fields.get("csrf_token"))
                data, cut = await _read(part, file_limit)
                posted.filename = part.filename or ""
                if cut:
                    posted.too_large.add("file")
                elif data or posted.filename:
                    posted.file = data
            elif part.name in large:
                check_csrf(request, posted.fields.get("csrf_token"))
                data, cut = await _read(part, large[part.name])
                if cut:
                    posted.too_large.add(part.name)
                posted.fields[part.name] = "" if cut else data.decode("utf-8", errors="replace")
            elif part.name in (*names, "csrf_token"):
                data, _cut = await _read(part, FIELD_BYTES)
                posted.fields[part.name] = data.decode("utf-8", errors="replace")
            else:
                await part.release()
    except ValueError:
        posted.fields.pop("csrf_token", None)  # a malformed form counts as unsigned
    check_csrf(request, posted.fields.get("csrf_token"))
    return who, posted


async def _read(part: BodyPartReader, limit: int) -> tuple[bytes, bool]:
    """The part up to `limit` bytes, and whether it went past it (then it is drained, to a point)."""
    data, size = bytearray(), 0
    while chunk := await part.read_chunk(CHUNK_BYTES):
        size += len(chunk)
        if size > limit * 4 + CHUNK_BYTES:
            raise PayloadTooLarge("The form is far too large.")
        if size <= limit:
            data += chunk
    return bytes(data), size > limit


def signature_base64(data_url: str) -> str | None:
    """The base64 of the PNG drawn on the page's canvas, or None when nothing was sent."""
    data_url = data_url.strip()
    if not data_url:
        return None
    return data_url[len(PNG_DATA_URL):] if data_url.startswith(PNG_DATA_URL) else data_url


def day_of(text: str) -> dt.date | None:
    """A date as the date field sends it (2026-12-04); None for anything else."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def number_of(text: str) -> int | None:
    """A whole number as typed (an id from a list, a count); None for anything else."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def build(model: type[M], **values: object) -> M:
    """The service's body from the form's values; what pydantic refuses becomes the service's kind of problem."""
    try:
        return model(**values)
    except ValidationError as error:
        raise InvalidInput("Some fields are not valid.", field_problems(error)) from None
