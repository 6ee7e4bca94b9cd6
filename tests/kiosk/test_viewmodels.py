"""The kiosk's view-models, without a window, against the real backend: the check-in flow and its questions,
validation messages in both languages, the language switch, idle reset, the offline outbox, live updates,
check-out, and the configuration cached for a start without the backend."""
from __future__ import annotations

import os
import tempfile

# Before anything imports kivy: no argument parsing, no console log, and a throwaway home (no ~/.kivy).
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-home-")

import asyncio  # noqa: E402
import socket  # noqa: E402
from collections.abc import AsyncIterator, Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from backend.visits.models import Visit  # noqa: E402
from kiosk.client import BackendClient  # noqa: E402
from kiosk.outbox import Outbox  # noqa: E402
from kiosk.store import KioskStore  # noqa: E402
from kiosk.viewmodels.checkin import CheckInFlow  # noqa: E402
from kiosk.viewmodels.checkout import CheckOutFlow  # noqa: E402
from kiosk.viewmodels.idle import IdleWatch  # noqa: E402
from kiosk.viewmodels.questions import (  # noqa: E402
    VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE, Question, check_answer, date_from_digits, format_date_digits,
)
from kiosk.viewmodels.status import KioskStatus  # noqa: E402
from shared.api import KioskConfig  # noqa: E402
from shared.enums import Language, VisitState  # noqa: E402
from shared.i18n import translate  # noqa: E402
from tests.backend.conftest import Backend  # noqa: E402

REQUIRED = "This field is required."
EMAIL_INVALID = "This is not a valid email address."
PHONE_INVALID = "This is not a valid phone number."
NOT_A_PHONE = "This is not a phone number."
DATE_IMPOSSIBLE = "This date does not exist."
DATE_INCOMPLETE = "Enter the date as day, month and year."

PATIENT_QUESTIONS = [VISITOR_NAME, VISITOR_PHONE, VISITOR_EMAIL,
                     "date_of_birth", "phone", "email", "first_visit", "reason", "note"]


# --- helpers -------------------------------------------------------------------------------------

def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def visits_in_db(backend: Backend) -> list[Visit]:
    async with backend.database.read() as session:
        return list(await session.scalars(select(Visit).order_by(Visit.id)))


async def visit_count(backend: Backend) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(func.count()).select_from(Visit))


def backend_url(backend: Backend) -> str:
    return str(backend.client.make_url(""))


@pytest.fixture
async def offline_client(tmp_path: Path, backend: Backend) -> AsyncIterator[BackendClient]:
    """kiosk_a's client, but the backend's address is a closed port; its own outbox in tmp_path."""
    box = Outbox(tmp_path / "offline" / "outbox.sqlite3")
    await box.open()
    client = BackendClient(f"http://127.0.0.1:{closed_port()}", backend.world.tokens["kiosk_a"], box, timeout=1)
    await client.start()
    yield client
    await client.close()
    await box.close()


def answer_and_next(flow: CheckInFlow, key: str, raw: object) -> None:
    assert flow.question is not None and flow.question.key == key
    flow.answer(key, raw)
    assert flow.next_question(), (key, dict(flow.errors))


def fill_patient(flow: CheckInFlow, backend: Backend, name: str = "Hélène Côté") -> None:
    """Billing, patient, every required answer and a few optional ones; ends past the last question."""
    flow.choose_department(backend.world.departments["billing"])
    flow.choose_visitor_type(backend.world.visitor_types["patient"])
    answer_and_next(flow, VISITOR_NAME, name)
    answer_and_next(flow, VISITOR_PHONE, "514 555 0123")
    answer_and_next(flow, VISITOR_EMAIL, "")
    answer_and_next(flow, "date_of_birth", "12041961")
    answer_and_next(flow, "phone", "")
    answer_and_next(flow, "email", "")
    answer_and_next(flow, "first_visit", True)
    answer_and_next(flow, "reason", "appointment")
    answer_and_next(flow, "note", "")
    assert flow.finished_questions


def shown_label(question: Question, language: str) -> str:
    """The label the review shows: a short title where the question has one, else the question itself."""
    title = getattr(question, "title", None)
    return title(language) if callable(title) else question.label[language]


SUMMARY = {  # the answers fill_patient gives, as the review shows them, by language
    "fr": {"date_of_birth": "Date de naissance", "first_visit": "Première visite ?", "reason": "Motif",
           "yes": "Oui", "choice": "Rendez-vous"},
    "en": {"date_of_birth": "Date of birth", "first_visit": "First visit?", "reason": "Reason",
           "yes": "Yes", "choice": "Appointment"},
}


def check_summary(flow: CheckInFlow, language: str) -> list[tuple[str, str, str]]:
    """The review of fill_patient's answers: what was answered, labelled and shown in `language`."""
    rows = flow.summary()
    by_key = {q.key: q for q in flow.questions}
    assert [key for key, _label, _shown in rows] == [
        VISITOR_NAME, VISITOR_PHONE, "date_of_birth", "first_visit", "reason"]
    for key, label, _shown in rows:
        assert label == shown_label(by_key[key], language), key
    words = SUMMARY[language]
    shown = {key: text for key, _label, text in rows}
    labels = {key: label for key, label, _text in rows}
    assert labels["date_of_birth"] == words["date_of_birth"]
    assert labels["first_visit"] == words["first_visit"]
    assert labels["reason"] == words["reason"]
    assert labels[VISITOR_NAME] in {translate(language, "What is your name?"), translate(language, "Name")}
    assert shown[VISITOR_NAME] == "Hélène Côté"
    assert "".join(ch for ch in shown[VISITOR_PHONE] if ch.isdigit()).endswith("5145550123")
    assert "1961" in shown["date_of_birth"] and "12" in shown["date_of_birth"]
    assert shown["first_visit"] == words["yes"]
    assert shown["reason"] == words["choice"]
    return rows


# --- (1) the flow --------------------------------------------------------------------------------

async def test_a_patient_checks_in_through_the_flow(backend: Backend, kiosk: BackendClient, flow: CheckInFlow):
    world = backend.world
    assert flow.needs_visitor_type_choice
    flow.choose_department(world.departments["billing"])
    assert flow.department_id == world.departments["billing"]
    assert flow.department_name() == "Facturation"
    assert flow.host_id is None

    flow.choose_visitor_type(world.visitor_types["patient"])
    assert flow.visitor_type_name() == "Patient·e"
    assert [q.key for q in flow.questions] == PATIENT_QUESTIONS
    assert [q.custom for q in flow.questions] == [False] * 3 + [True] * 6
    assert {q.key for q in flow.questions if q.required} == {VISITOR_NAME, "date_of_birth"}
    assert flow.index == 0 and flow.question.key == VISITOR_NAME
    reason = next(q for q in flow.questions if q.key == "reason")
    assert [value for value, _label in reason.choices] == ["appointment", "walk_in"]

    # Name: required. Going on without it shows the error; typing it clears the error at once.
    assert not flow.next_question()
    assert flow.errors == {VISITOR_NAME: REQUIRED}
    assert flow.index == 0
    flow.answer(VISITOR_NAME, "   ")
    assert flow.errors == {VISITOR_NAME: REQUIRED}
    flow.answer(VISITOR_NAME, "  Hélène   Côté ")
    assert VISITOR_NAME not in flow.errors
    assert flow.next_question()
    assert flow.index == 1

    # Phone (optional, but checked when given).
    flow.answer(VISITOR_PHONE, "123")
    assert VISITOR_PHONE not in flow.errors  # not shown before the visitor tries to go on
    assert not flow.next_question()
    assert flow.errors[VISITOR_PHONE] == PHONE_INVALID
    flow.answer(VISITOR_PHONE, "12ab")
    assert flow.errors[VISITOR_PHONE] == NOT_A_PHONE
    flow.answer(VISITOR_PHONE, "514 555 0123")
    assert VISITOR_PHONE not in flow.errors
    assert flow.next_question()

    # Email: a wrong one is refused; the optional field may then be left empty.
    flow.answer(VISITOR_EMAIL, "helene@")
    assert not flow.next_question()
    assert flow.errors[VISITOR_EMAIL] == EMAIL_INVALID
    flow.answer(VISITOR_EMAIL, "")
    assert VISITOR_EMAIL not in flow.errors
    assert flow.next_question()

    # Date of birth, typed DDMMYYYY on the keypad: required, complete, and possible.
    assert flow.question.key == "date_of_birth"
    assert not flow.next_question()
    assert flow.errors["date_of_birth"] == REQUIRED
    flow.answer("date_of_birth", "1204")
    assert flow.errors["date_of_birth"] == DATE_INCOMPLETE
    assert not flow.next_question()
    flow.answer("date_of_birth", "31021961")
    assert flow.errors["date_of_birth"] == DATE_IMPOSSIBLE
    assert not flow.next_question()
    flow.answer("date_of_birth", "12041961")
    assert "date_of_birth" not in flow.errors
    assert flow.next_question()

    # The type's optional fields: skipped (phone, email), answered (first visit, reason), skipped (note).
    assert flow.question.key == "phone" and not flow.question.required
    assert flow.next_question()  # never answered at all
    assert flow.question.key == "email"
    flow.answer("email", "")
    assert flow.next_question()
    flow.answer("first_visit", True)
    assert flow.next_question()
    flow.answer("reason", "appointment")
    assert flow.next_question()
    assert flow.question.key == "note"
    assert flow.next_question()
    assert flow.finished_questions and flow.question is None
    assert flow.errors == {}

    # Back one question, and to a question picked on the review screen.
    assert flow.previous_question()
    assert flow.question.key == "note"
    flow.edit(VISITOR_NAME)
    assert flow.index == 0
    flow.index = len(flow.questions)

    check_summary(flow, "fr")

    await flow.submit(kiosk)
    assert flow.outcome == "sent", flow.problem
    assert flow.problem == ""
    assert flow.visit is not None
    assert flow.visit_state == VisitState.CHECKED_IN
    assert flow.first_name() == "Hélène"

    [stored] = await visits_in_db(backend)
    assert stored.id == flow.visit.id
    assert stored.visitor_name == "Hélène Côté"
    assert stored.visitor_phone == "+15145550123"
    assert stored.visitor_email is None
    assert stored.visitor_type_id == world.visitor_types["patient"]
    assert stored.department_id == world.departments["billing"]
    assert stored.host_id is None
    assert stored.custom_fields == {"date_of_birth": "1961-04-12", "first_visit": True, "reason": "appointment"}
    assert stored.language == Language.FR
    assert stored.kiosk_id == world.kiosk_ids["kiosk_a"]


async def test_a_double_tap_sends_once(backend: Backend, kiosk: BackendClient, flow: CheckInFlow):
    fill_patient(flow, backend)
    await asyncio.gather(flow.submit(kiosk), flow.submit(kiosk))
    assert flow.outcome == "sent"
    assert await visit_count(backend) == 1


async def test_a_check_in_the_backend_refuses_shows_what_to_fix(
        backend: Backend, kiosk: BackendClient, flow: CheckInFlow, outbox: Outbox):
    flow.choose_department(backend.world.departments["billing"])
    flow.choose_visitor_type(backend.world.visitor_types["patient"])
    flow.answer(VISITOR_NAME, "Hélène Côté")  # the required date of birth was never asked (a stale screen)
    flow.index = len(flow.questions)
    await flow.submit(kiosk)
    assert flow.outcome == "refused"
    assert flow.errors["date_of_birth"] == REQUIRED
    assert flow.problem == "Please correct the answers marked in red."
    assert translate("fr", flow.problem) == "Veuillez corriger les réponses en rouge."
    assert flow.visit is None
    assert await visit_count(backend) == 0
    assert await outbox.count() == 0 and await outbox.rejected() == []  # a refusal is not queued

    flow.answer("date_of_birth", "12041961")
    assert "date_of_birth" not in flow.errors
    await flow.submit(kiosk)
    assert flow.outcome == "sent" and flow.problem == ""
    assert await visit_count(backend) == 1


async def test_a_check_in_the_visitor_cannot_fix_sends_them_to_the_front_desk(
        backend: Backend, kiosk: BackendClient, flow: CheckInFlow):
    flow.choose_department(999_999)  # closed or deleted since the configuration was cached
    flow.choose_visitor_type(backend.world.visitor_types["visitor"])
    answer_and_next(flow, VISITOR_NAME, "Jean Tremblay")
    await flow.submit(kiosk)
    assert flow.outcome == "refused"
    assert flow.errors == {}
    assert flow.problem == "This check-in cannot be completed here. Please see the front desk."
    assert translate("fr", flow.problem) != flow.problem
    assert await visit_count(backend) == 0


async def test_the_visitor_type_without_fields_asks_only_the_contact_questions(
        backend: Backend, kiosk: BackendClient, flow: CheckInFlow):
    flow.choose_department(backend.world.departments["paediatrics"])
    flow.choose_visitor_type(backend.world.visitor_types["visitor"])
    assert [q.key for q in flow.questions] == [VISITOR_NAME, VISITOR_PHONE, VISITOR_EMAIL]
    answer_and_next(flow, VISITOR_NAME, "Jean Tremblay")
    assert flow.next_question() and flow.next_question()  # both optional, skipped
    assert flow.finished_questions
    await flow.submit(kiosk)
    assert flow.outcome == "sent"
    [stored] = await visits_in_db(backend)
    assert (stored.visitor_name, stored.visitor_phone, stored.visitor_email, stored.custom_fields) == (
        "Jean Tremblay", None, None, {})


async def test_changing_the_visitor_type_keeps_the_contact_answers_only(backend: Backend, flow: CheckInFlow):
    flow.choose_visitor_type(backend.world.visitor_types["patient"])
    flow.answer(VISITOR_NAME, "Hélène Côté")
    flow.answer("date_of_birth", "12041961")
    flow.index = 3
    flow.choose_visitor_type(backend.world.visitor_types["visitor"])
    assert dict(flow.answers) == {VISITOR_NAME: "Hélène Côté"}
    assert flow.index == 0 and flow.errors == {}


async def test_choosing_a_person_found_by_name(backend: Backend, kiosk: BackendClient, flow: CheckInFlow):
    world = backend.world
    # Only staff listed at the kiosk, whatever the case and accents typed.
    flow.search_people("BÍLL")
    assert [p.display_name for p in flow.people] == ["Billing", "Billing2"]
    assert flow.person_query == "BÍLL"
    flow.search_people("paéd")
    assert [p.display_name for p in flow.people] == ["Paeds"]
    flow.search_people("bill 2")
    assert [p.display_name for p in flow.people] == ["Billing2"]
    flow.search_people("recep")  # not listed at the kiosk
    assert flow.people == []
    flow.search_people("   ")
    assert flow.people == []

    flow.choose_department(world.departments["billing"])
    flow.search_people("paeds")
    [paeds] = flow.people
    flow.choose_person(paeds)
    assert flow.host_id == world.staff_ids["paeds"]
    assert flow.department_id == world.departments["paediatrics"]
    assert flow.host_name == "Paeds"
    assert flow.department_name() == "Pédiatrie"

    flow.choose_visitor_type(world.visitor_types["visitor"])
    answer_and_next(flow, VISITOR_NAME, "Jean Tremblay")
    await flow.submit(kiosk)
    assert flow.outcome == "sent"
    [stored] = await visits_in_db(backend)
    assert (stored.host_id, stored.department_id) == (world.staff_ids["paeds"], world.departments["paediatrics"])

    # Choosing a department afterwards forgets the person.
    flow.choose_department(world.departments["billing"])
    assert flow.host_id is None


def test_dates_typed_on_the_keypad():
    assert date_from_digits("12041961") == "1961-04-12"
    assert date_from_digits("29022024") == "2024-02-29"
    assert date_from_digits("29022023") is None
    assert date_from_digits("1204") is None
    assert date_from_digits("12/04/61") is None
    assert format_date_digits("1204") == "12 / 04 / ____"
    assert format_date_digits("12041961") == "12 / 04 / 1961"


# --- (2) validation messages ---------------------------------------------------------------------

@pytest.mark.parametrize("message, french", [
    (REQUIRED, "Cette réponse est obligatoire."),
    (EMAIL_INVALID, "Cette adresse courriel n’est pas valide."),
    (PHONE_INVALID, "Ce numéro de téléphone n’est pas valide."),
    (NOT_A_PHONE, "Ce n’est pas un numéro de téléphone."),
    (DATE_IMPOSSIBLE, "Cette date n’existe pas."),
    (DATE_INCOMPLETE, "Entrez la date : jour, mois et année."),
])
def test_validation_messages_are_in_french(message: str, french: str):
    assert translate("fr", message) == french
    assert translate(Language.FR, message) == french
    assert translate("en", message) == message


async def test_every_error_the_flow_shows_has_a_french_translation(backend: Backend, flow: CheckInFlow):
    flow.choose_visitor_type(backend.world.visitor_types["patient"])
    by_key = {q.key: q for q in flow.questions}
    tries = [(VISITOR_NAME, ""), (VISITOR_PHONE, "123"), (VISITOR_PHONE, "12ab"), (VISITOR_EMAIL, "a@"),
             ("date_of_birth", ""), ("date_of_birth", "1204"), ("date_of_birth", "31021961"),
             ("email", "not an email"), ("phone", "0"), ("reason", "other"), ("note", "x" * 501),
             ("first_visit", "maybe")]
    messages = set()
    for key, raw in tries:
        _value, message = check_answer(by_key[key], raw, "CA")
        assert message, (key, raw)
        messages.add(message)
    assert {REQUIRED, EMAIL_INVALID, PHONE_INVALID, NOT_A_PHONE, DATE_IMPOSSIBLE, DATE_INCOMPLETE} <= messages
    for message in messages:
        french = translate("fr", message)
        assert french and french != message, message


# --- (3) language switch -------------------------------------------------------------------------

async def test_switching_to_english_changes_labels_and_the_request(
        backend: Backend, kiosk: BackendClient, flow: CheckInFlow):
    fill_patient(flow, backend)
    name_question = flow.questions[0]
    assert name_question.label == {"fr": "Quel est votre nom ?", "en": "What is your name?"}
    french = check_summary(flow, "fr")
    assert flow.request().language == Language.FR

    flow.language = "en"
    assert flow.department_name() == "Billing"
    assert flow.visitor_type_name() == "Patient"
    english = check_summary(flow, "en")
    assert [row[0] for row in english] == [row[0] for row in french]
    for (_key, label_fr, _shown_fr), (_key, label_en, _shown_en) in zip(french, english, strict=True):
        assert label_fr != label_en, label_fr
    assert flow.request().language == Language.EN

    await flow.submit(kiosk)
    assert flow.outcome == "sent"
    [stored] = await visits_in_db(backend)
    assert stored.language == Language.EN

    with pytest.raises(ValueError):
        flow.language = "de"


# --- (4) idle ------------------------------------------------------------------------------------

def test_idle_warns_then_times_out_once():
    idle = IdleWatch(idle_seconds=30, warning_seconds=5)
    timeouts: list[bool] = []
    idle.bind(on_timeout=lambda *_: timeouts.append(True))

    idle.tick(1000.0)  # not watching yet: nothing happens
    assert not idle.warning and timeouts == []

    idle.start(0.0)
    assert idle.watching
    for now in (1.0, 10.0, 29.0, 29.9):
        idle.tick(now)
        assert not idle.warning, now
    idle.tick(30.0)
    assert idle.warning
    assert idle.remaining == 5
    idle.tick(31.0)
    assert idle.remaining == 4
    idle.tick(33.5)
    assert idle.remaining == 2

    idle.touch(34.0)  # the visitor is still there
    assert not idle.warning
    idle.tick(35.0)
    idle.tick(63.9)
    assert not idle.warning and timeouts == []
    idle.tick(64.0)
    assert idle.warning and idle.remaining == 5
    idle.tick(68.0)
    assert idle.remaining == 1 and timeouts == []

    idle.tick(69.0)  # 35 s without a touch
    assert timeouts == [True]
    assert not idle.watching and not idle.warning
    idle.tick(70.0)
    idle.tick(500.0)
    assert timeouts == [True]  # once only


def test_idle_times_out_at_exactly_idle_plus_warning():
    idle = IdleWatch(idle_seconds=30, warning_seconds=5)
    timeouts: list[bool] = []
    idle.bind(on_timeout=lambda *_: timeouts.append(True))
    idle.start(100.0)
    idle.tick(129.0)
    assert not idle.warning
    idle.tick(130.0)
    assert idle.warning and idle.remaining == 5
    idle.tick(135.0)
    assert timeouts == [True] and not idle.watching
    idle.tick(136.0)
    assert timeouts == [True]
    # A new visitor's session watches again.
    idle.start(200.0)
    idle.tick(235.0)
    assert timeouts == [True, True]


async def test_reset_wipes_what_the_visitor_entered(backend: Backend, kiosk: BackendClient, flow: CheckInFlow):
    fill_patient(flow, backend)
    flow.search_people("bill")
    flow.errors["note"] = REQUIRED
    await flow.submit(kiosk)
    assert flow.visit is not None and flow.answers

    idle = IdleWatch(idle_seconds=30, warning_seconds=5)
    idle.bind(on_timeout=lambda *_: flow.reset())
    idle.start(0.0)
    idle.tick(35.0)

    assert flow.answers == {}
    assert flow.errors == {}
    assert flow.visit is None
    assert flow.visit_state == ""
    assert flow.outcome == "none"
    assert flow.problem == ""
    assert flow.questions == [] and flow.index == 0
    assert (flow.department_id, flow.host_id, flow.visitor_type_id) == (None, None, None)
    assert flow.person_query == "" and flow.people == []
    assert flow.first_name() == ""
    assert flow.config is not None  # the kiosk's configuration is not the visitor's


# --- (5) the outbox, through the flow ------------------------------------------------------------

async def test_a_check_in_made_offline_is_queued_then_sent_once(
        backend: Backend, config: KioskConfig, offline_client: BackendClient):
    flow = CheckInFlow()
    flow.config = config  # cached from an earlier start
    fill_patient(flow, backend, name="Marie Offline")
    await flow.submit(offline_client)
    assert flow.outcome == "queued"
    assert flow.visit is None and flow.visit_state == ""
    assert not offline_client.online
    [item] = await offline_client.outbox.pending()
    assert item.body["visitor_name"] == "Marie Offline"
    assert item.body["visitor_phone"] == "+15145550123"
    assert item.body["custom_fields"] == {"date_of_birth": "1961-04-12", "first_visit": True,
                                         "reason": "appointment"}
    assert await visit_count(backend) == 0
    path = offline_client.outbox.path

    # The kiosk restarts, the backend answers again: the same outbox file, a client on the real backend.
    await offline_client.outbox.close()
    box = Outbox(path)
    await box.open()
    online = BackendClient(backend_url(backend), backend.world.tokens["kiosk_a"], box, timeout=10.0)
    await online.start()
    try:
        assert await box.count() == 1
        assert await online.flush_outbox() == 1
        assert await box.count() == 0 and await box.rejected() == []
        assert await online.flush_outbox() == 0
        [stored] = await visits_in_db(backend)
        assert stored.visitor_name == "Marie Offline"
        assert stored.visitor_phone == "+15145550123"
        assert stored.custom_fields["date_of_birth"] == "1961-04-12"
        assert stored.department_id == backend.world.departments["billing"]
    finally:
        await online.close()
        await box.close()
    assert await visit_count(backend) == 1


async def test_a_later_check_in_online_sends_the_queued_one_first(
        backend: Backend, config: KioskConfig, offline_client: BackendClient, outbox: Outbox):
    flow = CheckInFlow()
    flow.config = config
    fill_patient(flow, backend, name="First Arrival")
    await flow.submit(offline_client)
    assert flow.outcome == "queued"
    item = (await offline_client.outbox.pending())[0]
    await outbox.add(item.key, item.body)  # the same item, in the outbox of a client on the real backend

    client = BackendClient(backend_url(backend), backend.world.tokens["kiosk_a"], outbox, timeout=10.0)
    await client.start()
    try:
        flow.reset()
        fill_patient(flow, backend, name="Second Arrival")
        await flow.submit(client)
        assert flow.outcome == "sent"
    finally:
        await client.close()
    assert [v.visitor_name for v in await visits_in_db(backend)] == ["First Arrival", "Second Arrival"]
    assert await outbox.count() == 0


# --- (6) live update -----------------------------------------------------------------------------

async def test_the_confirmation_updates_when_staff_acknowledge(
        backend: Backend, config: KioskConfig, outbox: Outbox):
    client = BackendClient(backend_url(backend), backend.world.tokens["kiosk_a"], outbox,
                           timeout=10.0, retry_seconds=0.05)
    flow = CheckInFlow()
    flow.config = config
    client.on_visit_event.append(flow.on_visit_event)
    await client.start(background=True)
    try:
        await wait_until(lambda: client.online)  # the live channel is registered: nothing will be missed
        fill_patient(flow, backend)
        await flow.submit(client)
        assert flow.outcome == "sent"
        assert flow.visit_state == VisitState.CHECKED_IN

        # Another visit's event changes nothing here.
        other = await backend.check_in(visitor_name="Someone Else")
        assert other.status == 201, await other.text()
        other_id = (await other.json())["id"]
        response = await backend.client.post(f"/api/visits/{other_id}/acknowledge", headers=backend.auth("billing"))
        assert response.status == 200, await response.text()

        response = await backend.client.post(f"/api/visits/{flow.visit.id}/acknowledge",
                                             headers=backend.auth("billing"))
        assert response.status == 200, await response.text()
        await wait_until(lambda: flow.visit_state == VisitState.ACKNOWLEDGED, timeout=3)
        assert flow.visit_state == "acknowledged"
        assert flow.visit.state == VisitState.ACKNOWLEDGED
        assert flow.visit.visitor_name == "Hélène Côté"
    finally:
        await client.close()


# --- (7) check-out -------------------------------------------------------------------------------

async def checked_in(backend: Backend, kiosk: BackendClient, config: KioskConfig, name: str):
    flow = CheckInFlow()
    flow.config = config
    fill_patient(flow, backend, name=name)
    await flow.submit(kiosk)
    assert flow.outcome == "sent"
    return flow.visit


async def test_check_out_by_code(backend: Backend, kiosk: BackendClient, config: KioskConfig):
    visit = await checked_in(backend, kiosk, config, "Hélène Côté")
    checkout = CheckOutFlow()
    checkout.type_code(f" {visit.code[:3].lower()}-{visit.code[3:]}!! extra")
    assert checkout.code == (visit.code + "EXTRA")[:6]
    checkout.type_code(visit.code.lower())
    assert checkout.code == visit.code
    await checkout.check_out_by_code(kiosk)
    assert checkout.outcome == "done"
    assert checkout.visitor == "Hélène"
    [stored] = await visits_in_db(backend)
    assert stored.state == VisitState.CHECKED_OUT

    checkout.reset()
    assert (checkout.code, checkout.visitor, checkout.outcome, checkout.mode) == ("", "", "none", "code")


async def test_an_unknown_code_is_not_found(backend: Backend, kiosk: BackendClient, config: KioskConfig):
    await checked_in(backend, kiosk, config, "Hélène Côté")
    checkout = CheckOutFlow()
    checkout.type_code("ZZZZZZ")
    await checkout.check_out_by_code(kiosk)
    assert checkout.outcome == "not_found"
    assert checkout.visitor == ""
    [stored] = await visits_in_db(backend)
    assert stored.state == VisitState.CHECKED_IN
    checkout.type_code("ZZZZZ")  # typing again clears the outcome
    assert checkout.outcome == "none"


async def test_check_out_by_name(backend: Backend, kiosk: BackendClient, config: KioskConfig):
    visit = await checked_in(backend, kiosk, config, "Hélène Côté")
    await checked_in(backend, kiosk, config, "Jean Tremblay")
    checkout = CheckOutFlow()
    checkout.mode = "name"

    checkout.type_name("h")
    await checkout.search(kiosk)  # too short to search
    assert checkout.matches == [] and checkout.outcome == "none"
    checkout.type_name("nobody")
    await checkout.search(kiosk)
    assert checkout.matches == [] and checkout.outcome == "not_found"
    checkout.type_name("helene")
    await checkout.search(kiosk)
    assert checkout.outcome == "none"
    [match] = checkout.matches
    assert match.id == visit.id and match.display_name == "Hélène C."

    await checkout.choose(kiosk, match)
    assert checkout.outcome == "done"
    assert checkout.visitor.startswith("Hélène")
    stored = {v.visitor_name: v.state for v in await visits_in_db(backend)}
    assert stored == {"Hélène Côté": VisitState.CHECKED_OUT, "Jean Tremblay": VisitState.CHECKED_IN}
    checkout.type_name("helene")
    await checkout.search(kiosk)
    assert checkout.matches == []


async def test_check_out_by_name_says_goodbye_with_the_first_name(
        backend: Backend, kiosk: BackendClient, config: KioskConfig):
    await checked_in(backend, kiosk, config, "Hélène Côté")
    checkout = CheckOutFlow()
    checkout.type_name("helene")
    await checkout.search(kiosk)
    [match] = checkout.matches
    await checkout.choose(kiosk, match)
    assert checkout.outcome == "done"
    assert checkout.visitor == "Hélène"


async def test_check_out_while_the_backend_is_unreachable(offline_client: BackendClient):
    checkout = CheckOutFlow()
    checkout.type_code("ABC123")
    await checkout.check_out_by_code(offline_client)
    assert checkout.outcome == "offline"
    checkout.reset()
    checkout.type_name("helene")
    await checkout.search(offline_client)
    assert checkout.outcome == "offline"
    assert checkout.matches == []


# --- (8) configuration cached for a start without the backend -----------------------------------

async def test_the_configuration_is_cached_for_a_start_without_the_backend(
        backend: Backend, kiosk: BackendClient, offline_client: BackendClient, tmp_path: Path):
    store = KioskStore(tmp_path / "kiosk-data")
    status = KioskStatus(store)
    assert status.config is None  # never started before

    status.watch(kiosk)
    assert status.backend_url == kiosk.base_url
    assert await status.refresh_config(kiosk)
    assert status.config is not None
    assert status.config.kiosk.id == backend.world.kiosk_ids["kiosk_a"]
    assert status.kiosk_name == "kiosk_a"
    assert store.cached_config() == status.config

    # The next start, with the backend down: the configuration is there, and a check-in can be made with it.
    again = KioskStatus(KioskStore(tmp_path / "kiosk-data"))
    assert again.config == status.config
    assert not await again.refresh_config(offline_client)
    assert again.config == status.config
    flow = CheckInFlow()
    flow.config = again.config
    flow.choose_department(backend.world.departments["paediatrics"])
    assert flow.department_name() == "Pédiatrie"
    assert {t.key for t in again.config.visitor_types} == {"patient", "visitor"}


async def test_the_kiosk_name_is_known_on_a_start_without_the_backend(
        kiosk: BackendClient, offline_client: BackendClient, tmp_path: Path):
    status = KioskStatus(KioskStore(tmp_path / "kiosk-data"))
    assert await status.refresh_config(kiosk)
    assert status.kiosk_name == "kiosk_a"
    again = KioskStatus(KioskStore(tmp_path / "kiosk-data"))
    assert not await again.refresh_config(offline_client)
    assert again.kiosk_name == "kiosk_a"


async def test_status_follows_the_client(backend: Backend, outbox: Outbox, offline_client: BackendClient,
                                         tmp_path: Path):
    status = KioskStatus(KioskStore(tmp_path / "kiosk-data"))
    status.watch(offline_client)
    assert not status.online
    await offline_client.outbox.add("k1", backend.check_in_body())
    await status.count_outbox(offline_client)
    assert (status.pending, status.rejected) == (1, 0)

    client = BackendClient(backend_url(backend), backend.world.tokens["kiosk_a"], outbox, timeout=10.0)
    status.watch(client)
    await client.start()
    try:
        await outbox.add("k2", backend.check_in_body())
        await client.config()
        assert status.online
        assert await client.flush_outbox() == 1
        assert status.pending == 0
    finally:
        await client.close()
