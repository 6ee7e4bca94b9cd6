"""The check-in flow: whom the visitor is visiting, who they are, their answers, and what happened next."""
from __future__ import annotations

import logging
import unicodedata

from kivy.event import EventDispatcher
from kivy.properties import DictProperty, ListProperty, NumericProperty, ObjectProperty, OptionProperty, StringProperty

from kiosk.client import BackendClient, BackendRefused
from kiosk.viewmodels.questions import (
    VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE, Question, check_answer, questions_for, shown_answer,
)
from shared.enums import Language
from shared.i18n import N_
from shared.api import CheckInRequest, KioskConfig, StaffDirectoryEntry, VisitEvent, VisitOut

log = logging.getLogger(__name__)


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class CheckInFlow(EventDispatcher):
    config: KioskConfig | None = ObjectProperty(None, allownone=True)
    language = OptionProperty("fr", options=["fr", "en"])
    department_id = ObjectProperty(None, allownone=True)
    host_id = ObjectProperty(None, allownone=True)
    visitor_type_id = ObjectProperty(None, allownone=True)
    questions: list[Question] = ListProperty([])
    index = NumericProperty(0)
    answers = DictProperty({})  # question key -> what the visitor entered
    errors = DictProperty({})  # question key -> message id, shown once the visitor tried to go on
    person_query = StringProperty("")
    people: list[StaffDirectoryEntry] = ListProperty([])
    # none → sending → sent (the backend has it) | queued (in the outbox) | refused (fix and retry)
    outcome = OptionProperty("none", options=["none", "sending", "sent", "queued", "refused"])
    visit: VisitOut | None = ObjectProperty(None, allownone=True)
    visit_state = StringProperty("")
    problem = StringProperty("")
    # A returning client who identified: their visit is linked to their file, and what the file says is not
    # asked again (the keys of those questions, answered from the file).
    client_token = StringProperty("")
    known = ListProperty([])

    # --- whom ----------------------------------------------------------------------------------
    def department_name(self, department_id: int | None = None) -> str:
        department_id = department_id if department_id is not None else self.department_id
        for department in self.config.departments if self.config else []:
            if department.id == department_id:
                return getattr(department.name, self.language)
        return ""

    def choose_department(self, department_id: int) -> None:
        self.department_id = department_id
        self.host_id = None

    def search_people(self, query: str) -> None:
        self.person_query = query
        words = folded(query).split()
        directory = self.config.staff if self.config else []
        self.people = [p for p in directory if words and all(w in folded(p.display_name) for w in words)][:8]

    def choose_person(self, person: StaffDirectoryEntry) -> None:
        self.host_id = person.id
        self.department_id = person.department_ids[0]

    @property
    def host_name(self) -> str:
        return next((p.display_name for p in (self.config.staff if self.config else []) if p.id == self.host_id), "")

    # --- visitor type and questions --------------------------------------------------------------
    @property
    def needs_visitor_type_choice(self) -> bool:
        return self.config is not None and len(self.config.visitor_types) > 1

    def choose_visitor_type(self, visitor_type_id: int) -> None:
        visitor_type = next(t for t in self.config.visitor_types if t.id == visitor_type_id)
        self.visitor_type_id = visitor_type_id
        self.questions = questions_for(visitor_type)
        self.answers = {key: value for key, value in self.answers.items()
                        if key in {q.key for q in self.questions}}
        self.errors = {}
        self.index = self._asked_from(0, 1)

    def use_client_file(self, answers: dict[str, object], client_token: str) -> None:
        """Answers from a returning client's file, not asked again; the check-in will carry their token. Those an
        earlier file gave are taken back first: with no answers and no token, the file is forgotten."""
        for key in self.known:
            self.answers.pop(key, None)
        self.client_token = client_token
        self.known = [key for key, value in answers.items() if value not in (None, "")]
        self.answers.update({key: answers[key] for key in self.known})
        self.index = self._asked_from(0, 1)

    def _asked_from(self, index: int, step: int) -> int:
        """The first question from `index` on (or back) that is asked: one the file answered is passed over."""
        while 0 <= index < len(self.questions) and self.questions[index].key in self.known:
            index += step
        return index

    def visitor_type_name(self) -> str:
        for visitor_type in self.config.visitor_types if self.config else []:
            if visitor_type.id == self.visitor_type_id:
                return getattr(visitor_type.name, self.language)
        return ""

    @property
    def question(self) -> Question | None:
        return self.questions[self.index] if 0 <= self.index < len(self.questions) else None

    def answer(self, key: str, raw: object) -> None:
        """Record what was typed; an error already shown is re-checked as the visitor types."""
        self.answers[key] = raw
        if key in self.errors:
            self._check(key)

    def _check(self, key: str) -> object:
        question = next(q for q in self.questions if q.key == key)
        value, error = check_answer(question, self.answers.get(key), self._region)
        if error:
            self.errors[key] = error
        else:
            self.errors.pop(key, None)
        return value

    @property
    def _region(self) -> str:
        return self.config.site.country if self.config else "CA"

    def next_question(self) -> bool:
        """Move on if the current answer is valid; False (and an error shown) otherwise."""
        question = self.question
        if question is not None:
            self._check(question.key)
            if question.key in self.errors:
                return False
        self.index = self._asked_from(self.index + 1, 1)
        return True

    def previous_question(self) -> bool:
        """Go back one question; False when already at the first asked."""
        previous = self._asked_from(self.index - 1, -1)
        if previous < 0:
            return False
        self.index = previous
        return True

    @property
    def finished_questions(self) -> bool:
        return self.index >= len(self.questions)

    def edit(self, key: str) -> None:
        self.index = next(i for i, q in enumerate(self.questions) if q.key == key)

    def summary(self) -> list[tuple[str, str, str]]:
        """(key, question label, answer as shown) for the review screen."""
        rows = []
        for question in self.questions:
            value = self._check(question.key)
            if value is None or value == "":
                continue
            rows.append((question.key, question.title(self.language), shown_answer(question, value, self.language)))
        return rows

    def request(self) -> CheckInRequest:
        values = {q.key: self._check(q.key) for q in self.questions}
        return CheckInRequest(
            visitor_name=values[VISITOR_NAME] or "",
            visitor_phone=values.get(VISITOR_PHONE),
            visitor_email=values.get(VISITOR_EMAIL),
            visitor_type_id=self.visitor_type_id,
            department_id=self.department_id,
            host_id=self.host_id,
            custom_fields={q.key: values[q.key] for q in self.questions if q.custom and values[q.key] is not None},
            language=Language(self.language),
            client_token=self.client_token or None,
        )

    # --- sending -----------------------------------------------------------------------------------
    async def submit(self, client: BackendClient) -> None:
        """Send the check-in; offline, it waits in the outbox and the visitor is told what to do."""
        if self.outcome == "sending":
            return  # a double tap sends once
        self.outcome = "sending"
        self.problem = ""
        try:
            result = await client.check_in(self.request())
        except BackendRefused as refused:
            log.info("check-in refused: %s", [e.field for e in refused.problem.errors])
            keys = {q.key for q in self.questions}
            for error in refused.problem.errors:
                key = error.field.removeprefix("custom_fields.")
                if key in keys:
                    self.errors[key] = error.detail
            # What else the backend can refuse (a department closed meanwhile) is not the visitor's to fix.
            self.problem = (N_("Please correct the answers marked in red.") if self.errors else
                            N_("This check-in cannot be completed here. Please see the front desk."))
            self.outcome = "refused"
            return
        self.visit = result.visit
        self.visit_state = result.visit.state if result.visit else ""
        self.outcome = "queued" if result.queued else "sent"

    def on_visit_event(self, event: VisitEvent) -> None:
        if self.visit is not None and event.visit.id == self.visit.id:
            self.visit = event.visit
            self.visit_state = event.visit.state

    def first_name(self) -> str:
        name = str(self.answers.get(VISITOR_NAME, "")).split()
        return name[0] if name else ""

    def reset(self) -> None:
        """Forget everything the visitor entered."""
        self.department_id = self.host_id = self.visitor_type_id = None
        self.questions = []
        self.index = 0
        self.answers = {}
        self.errors = {}
        self.person_query = ""
        self.people = []
        self.outcome = "none"
        self.visit = None
        self.visit_state = ""
        self.problem = ""
        self.client_token = ""
        self.known = []
