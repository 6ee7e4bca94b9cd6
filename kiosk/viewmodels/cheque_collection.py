"""Collecting one's pay cheque at the kiosk: the employee number and PIN, the cheques ready at the desk, a signature
drawn on screen, and the desk told to hand them over. The PIN and the collection token live only as long as this
employee's session: reset (Done, idle) forgets them."""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

from babel.dates import format_date
from kivy.event import EventDispatcher
from kivy.properties import AliasProperty, BooleanProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty

from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from kiosk.client_cheques import TooManyTries
from kiosk.viewmodels.payment_words import display_locale
from kiosk.viewmodels.signature_strokes import SignatureStrokes
from shared.api import Problem
from shared.api_cheques import ChequeToCollect
from shared.i18n import N_, translate

log = logging.getLogger(__name__)

NUMBER_LIMIT = 40
PIN_MIN, PIN_MAX = 4, 8

# What the employee is told: msgids, translated where shown.
WRONG = N_("The employee number or PIN is wrong. Attempts are limited: after 3 wrong PINs, collecting at the "
           "kiosk is locked.")
MALFORMED = N_("Check your employee number, and your PIN: 4 to 8 digits.")
LOCKED = N_("Collecting your cheque at the kiosk is locked after too many wrong PINs. Please see the front desk.")
TOO_MANY = N_("Too many attempts at this kiosk. Please wait a few minutes, or see the front desk.")
OFFLINE = N_("Collecting a cheque needs the connection to the front office system, which cannot be reached right "
             "now. Please see the front desk.")
EXPIRED = N_("Your session has expired. Please start again.")
TAKEN = N_("A cheque was already requested or handed out. Please see the front desk.")
REFUSED = N_("This cannot be done at the kiosk. Please see the front desk.")
BLANK = N_("Please sign in the box with your finger first.")

# Problems after which nothing more can be done here: the screen offers only a way back.
BLOCKING = {"locked", "too_many", "offline", "expired", "taken", "refused"}
PROBLEMS = ["none", "wrong", "malformed", "locked", "too_many", "offline", "expired", "taken", "refused", "blank"]
MESSAGES = {"wrong": WRONG, "malformed": MALFORMED, "locked": LOCKED, "too_many": TOO_MANY, "offline": OFFLINE,
            "expired": EXPIRED, "taken": TAKEN, "refused": REFUSED, "blank": BLANK, "none": ""}


def identify_problem(problem: Problem) -> str:
    """What a refused identification means for the employee."""
    return {401: "wrong", 422: "malformed", 423: "locked", 429: "too_many"}.get(problem.status, "refused")


def collect_problem(problem: Problem) -> str:
    """What a refused collection means: a token gone stale, a blank signature, a cheque taken meanwhile."""
    if problem.status == 409:
        return "taken"
    if problem.status == 422:
        fields = {error.field.split(".")[0] for error in problem.errors}
        if "signature_png" in fields:
            return "blank"
        if "collection_token" in fields or not fields:
            return "expired"
    return "refused"


class ChequeCollection(EventDispatcher):
    step = OptionProperty("identify", options=["identify", "cheques", "sign", "done"])
    stage = OptionProperty("number", options=["number", "pin"])  # while identifying
    number = StringProperty("")
    pin = StringProperty("")
    busy = BooleanProperty(False)  # a request to the backend is under way: buttons wait
    problem = OptionProperty("none", options=PROBLEMS)
    given_name = StringProperty("")
    cheques: list[ChequeToCollect] = ListProperty([])
    chosen: list[int] = ListProperty([])  # the ids of the cheques the employee is collecting now
    desk_notified = BooleanProperty(False)
    signature: SignatureStrokes = ObjectProperty(None)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.signature = SignatureStrokes()
        self._token = ""  # never a property: nothing on screen binds to it, nothing keeps it
        self._key: tuple[str, str] | None = None  # (fingerprint of a collect request, its Idempotency-Key)
        self._generation = 0  # bumped by reset: answers for an earlier employee are dropped

    def _message(self) -> str:
        return MESSAGES[self.problem]

    def _blocked(self) -> bool:
        return self.problem in BLOCKING

    message = AliasProperty(_message, bind=["problem"])  # the msgid for the current problem
    blocked = AliasProperty(_blocked, bind=["problem"])  # nothing more to do here but go back

    # --- identifying -------------------------------------------------------------------------------------

    def type_number(self, text: str) -> None:
        if not self.blocked:
            # As the pay stub prints it (E-1042): letters, digits and dashes; spaces are slips of the finger.
            self.number = "".join(ch for ch in text.upper() if ch.isalnum() or ch == "-")[:NUMBER_LIMIT]
            self.problem = "none"

    def confirm_number(self) -> None:
        if self.number and not self.blocked:
            self.stage, self.problem = "pin", "none"

    def change_number(self) -> None:
        self.pin, self.stage, self.problem = "", "number", "none"

    def retry(self) -> None:
        """After the connection failed: type the PIN again (it was not kept) and send it once more."""
        if self.problem == "offline":
            self.pin, self.problem = "", "none"

    def type_pin(self, text: str) -> None:
        if not self.blocked:
            self.pin = "".join(ch for ch in text if ch.isdigit())[:PIN_MAX]
            self.problem = "none"

    @property
    def pin_complete(self) -> bool:
        return PIN_MIN <= len(self.pin) <= PIN_MAX

    async def identify(self, client: BackendClient) -> None:
        """Check the number and PIN; on success the cheques ready, and the PIN is forgotten at once."""
        if not self.number or self.blocked:
            return
        if not self.pin_complete:
            self.problem = "malformed"
            return
        pin, self.pin = self.pin, ""  # whatever the answer, the PIN is not kept on screen or in memory
        found = await self._call(client.identify_employee(self.number, pin), identify_problem)
        if found is None:
            return
        self._token = found.collection_token
        self.given_name = found.given_name
        self.cheques = list(found.cheques)
        self.chosen = [cheque.id for cheque in found.cheques]
        self.step = "cheques"

    # --- the cheques ---------------------------------------------------------------------------------------

    def cheque_rows(self, language: str, site_locale: str) -> list[tuple[int, str, str]]:
        """(id, payroll company, pay date and cheque number) for each cheque, in the employee's language."""
        locale = display_locale(site_locale, language)
        words = translate(language, "Pay date {date} · cheque no. {number}")
        return [(c.id, c.payroll_company, words.format(
            date=format_date(c.pay_date, format="long", locale=locale), number=c.cheque_number))
            for c in self.cheques]

    def toggle(self, cheque_id: int) -> None:
        self.chosen = ([i for i in self.chosen if i != cheque_id] if cheque_id in self.chosen
                       else [c.id for c in self.cheques if c.id in self.chosen or c.id == cheque_id])

    def to_signature(self) -> None:
        if self.chosen:
            self.signature.clear()
            self.problem = "none"
            self.step = "sign"

    def back_to_cheques(self) -> None:
        self.problem = "none"
        self.step = "cheques"

    # --- signing -------------------------------------------------------------------------------------------

    async def collect(self, client: BackendClient) -> None:
        """Send the signature; the desk is told to hand the chosen cheques over."""
        if self.busy or self.step != "sign" or not self.chosen:
            return
        if not self.signature.inked:
            self.problem = "blank"
            return
        png = self.signature.png()
        key = self._idempotency_key(png)
        done = await self._call(client.collect_cheques(self._token, list(self.chosen), png, key), collect_problem)
        if done is None:
            return
        self._token = ""
        self.desk_notified = done.desk_notified
        self.step = "done"

    def _idempotency_key(self, png: bytes) -> str:
        """The same request sent again (after a timeout) keeps its key; a new signature or choice gets a new one."""
        fingerprint = hashlib.sha256(repr((self._token, list(self.chosen))).encode() + png).hexdigest()
        if self._key is None or self._key[0] != fingerprint:
            self._key = (fingerprint, str(uuid.uuid4()))
        return self._key[1]

    # --- plumbing ------------------------------------------------------------------------------------------

    async def _call(self, call: Coroutine[Any, Any, Any], problem_of) -> Any:
        """One backend call behind the busy flag; a refusal or an outage becomes the problem shown. None on failure,
        and None when the employee left meanwhile."""
        if self.busy:
            call.close()
            return None
        generation = self._generation
        self.busy, self.problem = True, "none"
        try:
            result, problem = await call, "none"
        except (BackendRefused, TooManyTries) as error:
            log.info("cheque collection refused: %s", error.problem.status)
            result, problem = None, problem_of(error.problem)
        except BackendUnavailable:
            result, problem = None, "offline"
        if generation != self._generation:
            return None
        self.busy, self.problem = False, problem
        return result

    def reset(self) -> None:
        """Forget this employee: number, PIN, token, cheques, signature."""
        self._generation += 1
        self._token = ""
        self._key = None
        self.number = self.pin = self.given_name = ""
        self.cheques, self.chosen = [], []
        self.signature.clear()
        self.busy, self.desk_notified = False, False
        self.problem, self.stage, self.step = "none", "number", "identify"
