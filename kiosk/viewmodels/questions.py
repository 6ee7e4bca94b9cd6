"""The questions a visitor answers, one per screen: their details, then their visitor type's custom fields."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import phonenumbers
from babel.dates import format_date

from shared.api import VisitorTypeOut
from shared.enums import FieldKind, Language
from shared.fields import FieldError, FieldSpec, check_value
from shared.i18n import N_, translate

LOCALES = {"fr": "fr_CA", "en": "en_CA"}
# Where an answer goes in the check-in request; anything else is a custom field.
VISITOR_NAME, VISITOR_PHONE, VISITOR_EMAIL = "visitor_name", "visitor_phone", "visitor_email"


@dataclass(frozen=True)
class Question:
    key: str
    kind: FieldKind
    required: bool
    label: dict[str, str]  # by language
    choices: tuple[tuple[str, dict[str, str]], ...] = ()  # (value, label by language)
    custom: bool = True
    hint: dict[str, str] = field(default_factory=dict)
    short: dict[str, str] = field(default_factory=dict)  # for the review; the label when empty

    def title(self, language: str) -> str:
        return self.short.get(language) or self.label[language]

    @property
    def spec(self) -> FieldSpec:
        return FieldSpec(self.key, self.kind, self.required, tuple(value for value, _label in self.choices))


def _both(message: str) -> dict[str, str]:
    return {language.value: translate(language, message) for language in Language}


def contact_questions() -> list[Question]:
    return [
        Question(VISITOR_NAME, FieldKind.TEXT, True, _both("What is your name?"), custom=False,
                 hint=_both("First and last name"), short=_both("Name")),
        Question(VISITOR_PHONE, FieldKind.PHONE, False, _both("Your phone number"), custom=False,
                 hint=_both("Optional"), short=_both("Phone")),
        Question(VISITOR_EMAIL, FieldKind.EMAIL, False, _both("Your email address"), custom=False,
                 hint=_both("Optional"), short=_both("Email")),
    ]


def questions_for(visitor_type: VisitorTypeOut) -> list[Question]:
    custom = [
        Question(f.key, f.kind, f.required, {"fr": f.label.fr, "en": f.label.en},
                 tuple((c.value, {"fr": c.label.fr, "en": c.label.en}) for c in f.choices),
                 hint={} if f.required else _both("Optional"))
        for f in visitor_type.fields
    ]
    return contact_questions() + custom


def date_from_digits(digits: str) -> str | None:
    """DDMMYYYY as typed on the keypad, to an ISO date; None while incomplete or impossible."""
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return dt.date(int(digits[4:]), int(digits[2:4]), int(digits[:2])).isoformat()
    except ValueError:
        return None


def format_date_digits(digits: str) -> str:
    """What the visitor sees while typing a date: 12 / 04 / 19__."""
    padded = digits.ljust(8, "_")
    return f"{padded[:2]} / {padded[2:4]} / {padded[4:]}"


def shown_answer(question: Question, value: object, language: str) -> str:
    """A checked answer as a visitor reads it: "12 avril 1961", "514 555-0123", "Oui"."""
    if isinstance(value, bool):
        return translate(language, N_("Yes") if value else N_("No"))
    if question.choices:
        return next(label[language] for choice, label in question.choices if choice == value)
    if question.kind is FieldKind.DATE:
        return format_date(dt.date.fromisoformat(str(value)), format="long", locale=LOCALES[language])
    if question.kind is FieldKind.PHONE:
        number = phonenumbers.parse(str(value))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return str(value)


def check_answer(question: Question, raw: object, region: str) -> tuple[object, str]:
    """The value to send and the error message (an English msgid, '' when valid)."""
    value = raw
    if question.kind is FieldKind.DATE and isinstance(raw, str) and raw:
        value = date_from_digits(raw)
        if value is None:
            if len(raw) < 8:
                return None, N_("Enter the date as day, month and year.")
            return None, N_("This date does not exist.")
    try:
        return check_value(question.spec, value, region), ""
    except FieldError as error:
        return None, error.message
