"""A returning client at the kiosk: saying who they are (their file number or phone, and their date of birth),
checking the contact details on file, and proposing changes that a clerk reviews before they apply.

Everything here is about one visitor and is forgotten on `reset`: the next visitor must never see it.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, OptionProperty, StringProperty

from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from kiosk.viewmodels.questions import VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE, Question, date_from_digits
from shared.api_clients import ClientIdentified, ContactUpdateRequest
from shared.enums import FieldKind
from shared.fields import FieldError, normalise_email, normalise_phone, shown_number
from shared.i18n import N_

log = logging.getLogger(__name__)

KEY_LIMITS = {"number": 20, "phone": 20}
BIRTH_DIGITS = 8
# Contact details a client may change at the kiosk, in the order they are shown, with their labels.
CONTACT_FIELDS = ("phone", "email", "address", "city", "postal_code")
LABELS = {"phone": N_("Phone"), "email": N_("Email"), "address": N_("Street address"), "city": N_("City"),
          "postal_code": N_("Postal code")}
EDIT_LIMITS = {"phone": 20, "email": 254, "address": 120, "city": 60, "postal_code": 10}
# The site's own questions a client found on file has answered, by key, with the kind they must have: their date
# of birth, and whether this is their first visit (it is not: they have a file).
BIRTH_DATE_KEY, FIRST_VISIT_KEY = "date_of_birth", "first_visit"
ANSWERED_KINDS = {BIRTH_DATE_KEY: FieldKind.DATE, FIRST_VISIT_KEY: FieldKind.YES_NO}

NOT_FOUND = N_("We could not find a file with these details. Check them and try again, or continue without "
               "your file.")
LOCKED = N_("Too many tries. Please see the front desk: they will find your file with you.")
OFFLINE = N_("Your file cannot be looked up right now. You can check in as usual.")
KEY_MISSING = {"number": N_("Enter your file number."), "phone": N_("Enter your phone number.")}
BIRTH_INCOMPLETE = N_("Enter the date as day, month and year.")
BIRTH_IMPOSSIBLE = N_("This date does not exist.")
BIRTH_OUT_OF_RANGE = N_("Check the year of your date of birth.")
OLDEST_BIRTH = dt.date(1880, 1, 1)
PROPOSAL_OFFLINE = N_("Your change could not be sent. Please tell the front desk about it.")
PROPOSAL_EXPIRED = N_("Too much time has passed to send this change. Please tell the front desk about it.")
PROPOSAL_REFUSED = N_("This change cannot be sent from here. Please tell the front desk about it.")
FIELD_MESSAGES = {"phone_invalid": N_("This is not a valid phone number."),
                  "email_invalid": N_("This is not a valid email address.")}


class ReturningClient(EventDispatcher):
    region = StringProperty("CA")  # the site's country, to read phone numbers
    asked = BooleanProperty(False)  # the visitor was asked whether they came before (Back returns there)
    # --- identifying -----------------------------------------------------------------------------
    mode = OptionProperty("number", options=["number", "phone"])
    number = StringProperty("")
    phone = StringProperty("")
    birth_digits = StringProperty("")  # DDMMYYYY as typed on the keypad
    focus = OptionProperty("key", options=["key", "birth"])  # which of the two the keyboard types into
    ready = BooleanProperty(False)  # both are complete enough to look the file up
    # none → working → found | not_found | locked | offline | invalid (errors says what to fix)
    outcome = OptionProperty("none", options=["none", "working", "found", "not_found", "locked", "offline",
                                              "invalid"])
    message = StringProperty("")  # message id of what went wrong
    errors = DictProperty({})  # "key" / "birth" -> message id
    identified: ClientIdentified | None = ObjectProperty(None, allownone=True)
    # --- contact details -------------------------------------------------------------------------
    updating = BooleanProperty(False)  # the visitor chose to update their details
    changes = DictProperty({})  # field -> the new value (normalised), only fields that differ from the file
    editing = StringProperty("")  # the field being typed
    draft = StringProperty("")
    draft_error = StringProperty("")  # message id
    # none → sending → sent | refused | expired | offline
    proposal = OptionProperty("none", options=["none", "sending", "sent", "refused", "expired", "offline"])
    proposal_message = StringProperty("")  # message id

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._proposal_key = ""

    # --- identifying -----------------------------------------------------------------------------
    def choose_mode(self, mode: str) -> None:
        """File number or phone: the other one is forgotten, the keyboard goes to it."""
        self.mode = mode
        self.number = self.phone = ""
        self.focus = "key"
        self._typed()

    @property
    def key(self) -> str:
        return self.number if self.mode == "number" else self.phone

    def type_key(self, text: str) -> None:
        """The file number or phone as it now reads, after a key press."""
        text = text[:KEY_LIMITS[self.mode]]
        if self.mode == "number":
            self.number = text.upper()
        else:
            self.phone = "".join(ch for ch in text if ch.isdigit() or ch in "+ ")
        self._typed("key")

    def type_birth(self, text: str) -> None:
        self.birth_digits = "".join(ch for ch in text if ch.isdigit())[:BIRTH_DIGITS]
        self._typed("birth")

    def _typed(self, what: str | None = None) -> None:
        self.ready = bool(self.key.strip()) and len(self.birth_digits) == BIRTH_DIGITS
        if what is not None and what in self.errors:
            self.errors.pop(what)
        if self.outcome in ("not_found", "invalid", "offline"):
            self.outcome, self.message = "none", ""  # what was wrong is being corrected

    def _checked(self, today: dt.date) -> dict[str, str]:
        errors = {}
        if not self.key.strip():
            errors["key"] = KEY_MISSING[self.mode]
        elif self.mode == "phone":
            try:
                normalise_phone(self.phone, self.region)
            except FieldError as error:
                errors["key"] = error.message
        born = date_from_digits(self.birth_digits)
        if born is None:
            errors["birth"] = BIRTH_INCOMPLETE if len(self.birth_digits) < BIRTH_DIGITS else BIRTH_IMPOSSIBLE
        elif not OLDEST_BIRTH <= dt.date.fromisoformat(born) <= today:
            errors["birth"] = BIRTH_OUT_OF_RANGE
        return errors

    async def identify(self, client: BackendClient, today: dt.date | None = None) -> None:
        """Look the file up; a wrong detail, too many tries or no connection each says what to do next."""
        if self.outcome == "working":
            return  # a double tap looks up once
        self.errors = self._checked(today or dt.date.today())
        if self.errors:
            self.outcome, self.message = "invalid", ""
            return
        self.outcome, self.message = "working", ""
        born = dt.date.fromisoformat(date_from_digits(self.birth_digits))
        key = self.key.strip()
        try:
            found = await client.identify_client(birth_date=born, number=key if self.mode == "number" else None,
                                                 phone=key if self.mode == "phone" else None)
        except BackendUnavailable:
            self.outcome, self.message = "offline", OFFLINE
            return
        except BackendRefused as refused:
            status = refused.problem.status
            log.info("identification refused: %d", status)  # never what was typed: it is personal
            if status == 429:
                self.outcome, self.message = "locked", LOCKED
            elif status == 404:
                self.outcome, self.message = "not_found", NOT_FOUND
            elif status == 422:
                self.errors = {("birth" if e.field == "birth_date" else "key"):
                               BIRTH_OUT_OF_RANGE if e.field == "birth_date" else
                               FIELD_MESSAGES.get(e.code, KEY_MISSING[self.mode]) for e in refused.problem.errors}
                self.outcome, self.message = "invalid", "" if self.errors else NOT_FOUND
            else:  # the kiosk's own token refused: not the visitor's to fix
                self.outcome, self.message = "offline", OFFLINE
            return
        self.identified = found
        self.outcome = "found"

    # --- contact details -------------------------------------------------------------------------
    def on_file(self, field: str) -> str:
        """A contact detail as the file has it."""
        return getattr(self.identified, field) if self.identified is not None else ""

    def current(self, field: str) -> str:
        """A contact detail as the visitor last said: changed, or as on file."""
        return self.changes.get(field, self.on_file(field))

    def shown(self, field: str) -> str:
        value = self.current(field)
        if field == "phone" and value:
            return shown_number(value, self.region)
        return value

    def rows(self) -> list[tuple[str, str, str, bool]]:
        """(field, label message id, value as shown, changed) for the contact screen."""
        return [(field, LABELS[field], self.shown(field), field in self.changes) for field in CONTACT_FIELDS]

    def address_lines(self) -> str:
        """The street address over the city and postal code, as on an envelope."""
        town = " ".join(part for part in (self.current("city"), self.current("postal_code")) if part)
        return "\n".join(part for part in (self.current("address"), town) if part)

    def start_updating(self) -> None:
        self.updating = True
        self.proposal, self.proposal_message = "none", ""

    def stop_updating(self) -> None:
        """Back to the details as on file, the changes dropped."""
        self.updating = False
        self.changes = {}
        self._proposal_key = ""

    def edit(self, field: str) -> None:
        self.editing = field
        self.draft = self.shown(field) if field == "phone" else self.current(field)
        self.draft_error = ""

    def type_draft(self, text: str) -> None:
        text = text[:EDIT_LIMITS[self.editing]]
        if self.editing == "phone":
            text = "".join(ch for ch in text if ch.isdigit() or ch in "+ -")
        elif self.editing == "postal_code":
            text = text.upper()
        self.draft = text
        self.draft_error = ""

    def finish_edit(self) -> bool:
        """Keep what was typed if it is valid (empty clears the detail); False with an error otherwise."""
        field, raw = self.editing, " ".join(self.draft.split())
        try:
            value = (normalise_phone(raw, self.region) if field == "phone" and raw else
                     normalise_email(raw) if field == "email" and raw else raw)
        except FieldError as error:
            self.draft_error = FIELD_MESSAGES.get(error.code, error.message)
            return False
        if value == self.on_file(field):
            self.changes.pop(field, None)
        else:
            self.changes[field] = value
        self._proposal_key = ""  # a different proposal from the one perhaps tried before
        self.editing, self.draft = "", ""
        return True

    def cancel_edit(self) -> None:
        self.editing, self.draft, self.draft_error = "", "", ""

    async def send_changes(self, client: BackendClient) -> None:
        """Propose the changes for a clerk to review; on the file nothing changes until they approve."""
        if self.proposal == "sending" or not self.changes or self.identified is None:
            return
        self.proposal, self.proposal_message = "sending", ""
        self._proposal_key = self._proposal_key or str(uuid.uuid4())
        change = ContactUpdateRequest(client_token=self.identified.client_token, **dict(self.changes))
        try:
            await client.propose_contact_change(change, key=self._proposal_key)
        except BackendUnavailable:
            self.proposal, self.proposal_message = "offline", PROPOSAL_OFFLINE
            return
        except BackendRefused as refused:
            fields = {e.field: e.code for e in refused.problem.errors}
            log.info("contact change refused: %s", sorted(fields))
            if "client_token" in fields:
                self.proposal, self.proposal_message = "expired", PROPOSAL_EXPIRED
            elif set(fields) & set(self.changes) and all(code in FIELD_MESSAGES for code in fields.values()):
                field = next(f for f in CONTACT_FIELDS if f in fields)
                self.proposal, self.proposal_message = "refused", FIELD_MESSAGES[fields[field]]
            else:
                self.proposal, self.proposal_message = "refused", PROPOSAL_REFUSED
            return
        self.proposal = "sent"

    # --- into the check-in -----------------------------------------------------------------------
    def known_answers(self, questions: list[Question]) -> dict[str, object]:
        """The check-in's answers the file (and what the visitor just said) gives, by question key."""
        if self.identified is None:
            return {}
        given = self.identified
        answers: dict[str, object] = {
            VISITOR_NAME: " ".join(part for part in (given.given_name, given.family_name) if part),
            VISITOR_PHONE: self.current("phone"),
            VISITOR_EMAIL: self.current("email"),
            BIRTH_DATE_KEY: self.birth_digits,
            FIRST_VISIT_KEY: False,
        }
        asked = {q.key: q for q in questions}
        return {key: value for key, value in answers.items() if key in asked and (value or value is False)
                and asked[key].kind is ANSWERED_KINDS.get(key, asked[key].kind)}

    def forget(self) -> None:
        """Everything about the visitor: what they typed, their file, their changes."""
        self.mode, self.focus = "number", "key"
        self.number = self.phone = self.birth_digits = ""
        self.ready = False
        self.outcome, self.message = "none", ""
        self.errors = {}
        self.identified = None
        self.updating = False
        self.changes = {}
        self.editing = self.draft = self.draft_error = ""
        self.proposal, self.proposal_message = "none", ""
        self._proposal_key = ""

    def reset(self) -> None:
        """A new visitor: nothing of the previous one is kept."""
        self.forget()
        self.asked = False
