"""Validation of visitor details, identical at the kiosk (as the visitor types) and at the backend.

Each check returns the normalised value or raises FieldError with a stable code; the kiosk turns the
code into a message in the visitor's language, the backend into an English problem detail.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from shared.enums import FieldKind

TEXT_MAX_LENGTH = 500


class FieldError(ValueError):
    """A value that does not fit its field: `code` is stable, `message` is English."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FieldSpec:
    """What the validator needs of a custom field; built from the API's VisitorFieldOut or the table."""

    key: str
    kind: FieldKind
    required: bool
    choices: tuple[str, ...] = ()


def normalise_phone(value: str, region: str) -> str:
    """A phone number in E.164 (+15145550123), read in the site's country when it has no prefix."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise FieldError("phone_invalid", "This is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise FieldError("phone_invalid", "This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown_number(number: str, country: str) -> str:
    """+15145550123 as a person reads it in the site's country (514 555-0123), another country's with its prefix;
    anything else (a telephone system's "anonymous") as it came."""
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    if phonenumbers.region_code_for_number(parsed) != country:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    # North America's "(514) 555-0123" as Québec writes it: 514 555-0123.
    return re.sub(r"^\((\d+)\) ", r"\1 ", phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))


def normalise_email(value: str) -> str:
    """A syntactically valid address, domain lower-cased; deliverability is not checked (no network)."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise FieldError("email_invalid", "This is not a valid email address.") from None


def folded(text: str) -> str:
    """Case and accents set aside: 'Hélène Côté' and 'helene cote' compare equal."""
    # œ and æ are letters of their own to Unicode, but "oe" and "ae" to anyone typing (Jolicœur, jolicoeur).
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe").replace("æ", "ae"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_text(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > TEXT_MAX_LENGTH:
        raise FieldError("text_too_long", "This text is too long.")
    return text


def check_value(spec: FieldSpec, value: object, region: str) -> str | bool | None:
    """The normalised value of one custom field, or None when it was left empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if spec.required:
            raise FieldError("required", "This field is required.")
        return None
    if spec.kind is FieldKind.YES_NO:
        if not isinstance(value, bool):
            raise FieldError("yes_no_invalid", "Answer yes (true) or no (false).")
        return value
    if not isinstance(value, str):
        raise FieldError("type_invalid", "Expected text.")
    value = value.strip()
    match spec.kind:
        case FieldKind.TEXT:
            return normalise_text(value)
        case FieldKind.CHOICE:
            if value not in spec.choices:
                raise FieldError("choice_invalid", "Pick one of the listed choices.")
            return value
        case FieldKind.PHONE:
            return normalise_phone(value, region)
        case FieldKind.EMAIL:
            return normalise_email(value)
        case FieldKind.DATE:
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise FieldError("date_invalid", "Expected a date as YYYY-MM-DD.") from None
    raise FieldError("kind_unknown", "This field cannot be filled in here.")  # pragma: no cover


def check_values(
    specs: list[FieldSpec], values: dict[str, object], region: str
) -> tuple[dict[str, str | bool], dict[str, FieldError]]:
    """Normalised values of every field, and the errors by field key (unknown keys included)."""
    known = {spec.key for spec in specs}
    errors: dict[str, FieldError] = {
        key: FieldError("field_unknown", "This visitor type has no such field.")
        for key in values if key not in known
    }
    clean: dict[str, str | bool] = {}
    for spec in specs:
        try:
            normalised = check_value(spec, values.get(spec.key), region)
        except FieldError as error:
            errors[spec.key] = error
        else:
            if normalised is not None:
                clean[spec.key] = normalised
    return clean, errors
