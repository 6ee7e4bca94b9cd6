"""A returning client at the kiosk, through the view-model without a window, against the real backend: finding
one's file by number or phone and birth date, what goes wrong (not found, locked out, offline, bad input), checking
and proposing contact details a clerk reviews, the check-in that follows, and forgetting it all."""
from __future__ import annotations

import os
import tempfile

# Before anything imports kivy: no argument parsing, no console log, and a throwaway home (no ~/.kivy).
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-home-")

import datetime as dt  # noqa: E402
import socket  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import select  # noqa: E402

from backend.visits.models import Visit  # noqa: E402
from kiosk.client import BackendClient, BackendRefused  # noqa: E402
from kiosk.outbox import Outbox  # noqa: E402
from kiosk.viewmodels.checkin import CheckInFlow  # noqa: E402
from kiosk.viewmodels.questions import VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE  # noqa: E402
from kiosk.viewmodels.returning_client import ReturningClient  # noqa: E402
from shared.api_clients import ContactUpdateRequest  # noqa: E402
from shared.i18n import translate  # noqa: E402
from tests.backend.conftest import Backend  # noqa: E402
from tests.kiosk.returning import MARC, client_record, contact_changes, seed_client  # noqa: E402

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def returning() -> ReturningClient:
    return ReturningClient(region="CA")


@pytest.fixture
async def offline_client(tmp_path: Path, backend: Backend) -> AsyncIterator[BackendClient]:
    """kiosk_a's client, but the backend's address is a closed port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Outbox(tmp_path / "offline" / "outbox.sqlite3")
    await box.open()
    client = BackendClient(f"http://127.0.0.1:{port}", backend.world.tokens["kiosk_a"], box, timeout=1)
    await client.start()
    yield client
    await client.close()
    await box.close()


def type_number(returning: ReturningClient, number: str, birth: str) -> None:
    returning.choose_mode("number")
    returning.type_key(number)
    returning.type_birth(birth)


def type_phone(returning: ReturningClient, phone: str, birth: str) -> None:
    returning.choose_mode("phone")
    returning.type_key(phone)
    returning.type_birth(birth)


# --- identifying -----------------------------------------------------------------------------------

async def test_found_by_file_number_and_birth_date(backend: Backend, kiosk: BackendClient,
                                                   returning: ReturningClient):
    await seed_client(backend)
    type_number(returning, "p-1042", "12041961")  # typed in lower case: the keyboard's letters are capitals anyway
    assert returning.number == "P-1042" and returning.ready

    await returning.identify(kiosk, TODAY)

    assert returning.outcome == "found" and returning.message == "" and returning.errors == {}
    found = returning.identified
    assert (found.given_name, found.family_name, found.change_pending) == ("Hélène", "Côté", False)
    assert returning.rows() == [
        ("phone", "Phone", "514 555-0123", False), ("email", "Email", "helene.cote@example.org", False),
        ("address", "Street address", "1234 rue Saint-Denis", False), ("city", "City", "Montréal", False),
        ("postal_code", "Postal code", "H2X 3K8", False)]
    assert returning.address_lines() == "1234 rue Saint-Denis\nMontréal H2X 3K8"
    assert kiosk.online


async def test_found_by_phone_typed_as_people_do(backend: Backend, kiosk: BackendClient,
                                                 returning: ReturningClient):
    await seed_client(backend)
    type_phone(returning, "514 555 0123", "12041961")
    await returning.identify(kiosk, TODAY)
    assert returning.outcome == "found"
    assert returning.identified.phone == "+15145550123"


async def test_a_wrong_birth_date_reads_as_not_found_and_correcting_it_clears_the_message(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient):
    await seed_client(backend)
    type_number(returning, "P-1042", "13041961")
    await returning.identify(kiosk, TODAY)
    assert returning.outcome == "not_found" and returning.identified is None
    assert translate("fr", returning.message).startswith("Nous n’avons pas trouvé de dossier")

    returning.type_birth("1204196")  # the visitor corrects it: the message goes as they type
    assert returning.outcome == "none" and returning.message == "" and not returning.ready
    returning.type_birth("12041961")
    await returning.identify(kiosk, TODAY)
    assert returning.outcome == "found"


async def test_an_unknown_number_is_not_found_either(backend: Backend, kiosk: BackendClient,
                                                      returning: ReturningClient):
    await seed_client(backend)
    type_number(returning, "P-9999", "12041961")
    await returning.identify(kiosk, TODAY)
    assert returning.outcome == "not_found"


@pytest.mark.parametrize(("mode", "key", "birth", "errors"), [
    ("number", "", "12041961", {"key": "Enter your file number."}),
    ("phone", "", "12041961", {"key": "Enter your phone number."}),
    ("phone", "12", "12041961", {"key": "This is not a valid phone number."}),
    ("number", "P-1042", "1204", {"birth": "Enter the date as day, month and year."}),
    ("number", "P-1042", "31021961", {"birth": "This date does not exist."}),
    ("number", "P-1042", "01012030", {"birth": "Check the year of your date of birth."}),
    ("number", "P-1042", "01011850", {"birth": "Check the year of your date of birth."}),
])
async def test_what_cannot_be_right_is_said_before_asking_the_backend(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient, mode: str, key: str, birth: str,
        errors: dict[str, str]):
    await seed_client(backend)
    counts = await backend.row_counts()
    returning.choose_mode(mode)
    returning.type_key(key)
    returning.type_birth(birth)
    await returning.identify(kiosk, TODAY)
    assert returning.outcome == "invalid" and dict(returning.errors) == errors
    assert await backend.row_counts() == counts  # not even a failed attempt counted against the kiosk
    for message in errors.values():
        assert translate("fr", message) != message


async def test_after_five_failures_the_kiosk_sends_visitors_to_the_front_desk_and_stays_online(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient):
    await seed_client(backend)
    for _ in range(5):
        type_number(returning, "P-1042", "01011970")
        await returning.identify(kiosk, TODAY)
        assert returning.outcome == "not_found"
    type_number(returning, "P-1042", "12041961")  # even the right details now
    await returning.identify(kiosk, TODAY)
    assert returning.outcome == "locked" and returning.identified is None
    assert "réception" in translate("fr", returning.message)
    assert kiosk.online  # a refusal about the visitor, not a backend gone away

    returning.type_birth("1204196")
    assert returning.outcome == "locked"  # typing does not lift it


async def test_offline_says_to_check_in_as_usual(backend: Backend, offline_client: BackendClient,
                                                 returning: ReturningClient):
    type_number(returning, "P-1042", "12041961")
    await returning.identify(offline_client, TODAY)
    assert returning.outcome == "offline"
    assert translate("en", returning.message) == "Your file cannot be looked up right now. You can check in as usual."


async def test_the_client_call_refuses_a_number_and_a_phone_together(backend: Backend, kiosk: BackendClient):
    with pytest.raises(BackendRefused) as refused:
        await kiosk.identify_client(birth_date=dt.date(1961, 4, 12), number="P-1042", phone="514 555 0123")
    assert refused.value.problem.status == 422
    assert {e.field for e in refused.value.problem.errors} == {"phone"}


# --- contact details -------------------------------------------------------------------------------

async def identified(backend: Backend, kiosk: BackendClient, returning: ReturningClient, **fields) -> int:
    client_id = await seed_client(backend, **fields)
    details = fields or {"number": "P-1042", "date_of_birth": "1961-04-12"}
    born = dt.date.fromisoformat(details["date_of_birth"])
    type_number(returning, details["number"], born.strftime("%d%m%Y"))
    await returning.identify(kiosk, TODAY)
    assert returning.outcome == "found"
    return client_id


async def test_an_updated_email_waits_for_a_clerk_and_the_record_is_unchanged(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient):
    client_id = await identified(backend, kiosk, returning)
    returning.start_updating()
    returning.edit("email")
    assert returning.draft == "helene.cote@example.org"
    returning.type_draft("helene@nouveau.example")
    assert returning.finish_edit()
    assert dict(returning.changes) == {"email": "helene@nouveau.example"}
    assert ("email", "Email", "helene@nouveau.example", True) in returning.rows()

    await returning.send_changes(kiosk)
    await returning.send_changes(kiosk)  # a double tap proposes once

    assert returning.proposal == "sent" and returning.proposal_message == ""
    [change] = await contact_changes(backend, client_id)
    assert change.state == "pending"
    assert change.fields == {"email": {"seen": "helene.cote@example.org", "proposed": "helene@nouveau.example"}}
    assert (await client_record(backend, client_id)).email == "helene.cote@example.org"


async def test_edits_are_checked_as_typed_and_a_value_as_on_file_is_no_change(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient):
    await identified(backend, kiosk, returning)
    returning.start_updating()
    returning.edit("phone")
    assert returning.draft == "514 555-0123"  # as the visitor reads it
    returning.type_draft("12")
    assert not returning.finish_edit()
    assert returning.draft_error == "This is not a valid phone number." and returning.editing == "phone"
    returning.type_draft("(514) 555-0123")  # the same number, written otherwise
    assert returning.finish_edit() and dict(returning.changes) == {}

    returning.edit("email")
    returning.type_draft("pas une adresse")
    assert not returning.finish_edit()
    assert returning.draft_error == "This is not a valid email address."
    returning.cancel_edit()
    assert returning.editing == "" and dict(returning.changes) == {}

    returning.edit("postal_code")
    returning.type_draft("h2x 1y4")
    assert returning.draft == "H2X 1Y4"
    assert returning.finish_edit()
    returning.edit("address")
    returning.type_draft("")  # emptied: removed from the file, once a clerk agrees
    assert returning.finish_edit()
    assert dict(returning.changes) == {"postal_code": "H2X 1Y4", "address": ""}
    assert returning.address_lines() == "Montréal H2X 1Y4"

    returning.stop_updating()  # "Cancel my changes"
    assert dict(returning.changes) == {} and returning.address_lines().startswith("1234 rue Saint-Denis")


async def test_nothing_is_sent_without_a_change(backend: Backend, kiosk: BackendClient, returning: ReturningClient):
    client_id = await identified(backend, kiosk, returning)
    returning.start_updating()
    await returning.send_changes(kiosk)
    assert returning.proposal == "none"
    assert await contact_changes(backend, client_id) == []


async def test_a_token_the_backend_no_longer_accepts_says_to_tell_the_front_desk(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient):
    client_id = await identified(backend, kiosk, returning)
    returning.identified = returning.identified.model_copy(update={"client_token": "acp_forged"})
    returning.start_updating()
    returning.edit("city")
    returning.type_draft("Longueuil")
    assert returning.finish_edit()
    await returning.send_changes(kiosk)
    assert returning.proposal == "expired"
    assert "réception" in translate("fr", returning.proposal_message)
    assert await contact_changes(backend, client_id) == []


async def test_a_change_that_could_not_be_sent_is_sent_once_on_retry(
        backend: Backend, kiosk: BackendClient, offline_client: BackendClient, returning: ReturningClient):
    client_id = await identified(backend, kiosk, returning)
    returning.start_updating()
    returning.edit("city")
    returning.type_draft("Longueuil")
    assert returning.finish_edit()
    await returning.send_changes(offline_client)
    assert returning.proposal == "offline"
    await returning.send_changes(kiosk)
    await returning.send_changes(kiosk)
    assert returning.proposal == "sent"
    assert len(await contact_changes(backend, client_id)) == 1


async def test_the_backend_refuses_a_bad_value_field_by_field(backend: Backend, kiosk: BackendClient,
                                                              returning: ReturningClient):
    """What the view-model would have caught, sent anyway: the backend's answer is shown in the visitor's words."""
    client_id = await identified(backend, kiosk, returning)
    with pytest.raises(BackendRefused) as refused:
        await kiosk.propose_contact_change(ContactUpdateRequest(
            client_token=returning.identified.client_token, phone="12", email="pas une adresse"))
    assert refused.value.problem.status == 422
    assert {e.field: e.code for e in refused.value.problem.errors} == {
        "phone": "phone_invalid", "email": "email_invalid"}
    assert await contact_changes(backend, client_id) == []


# --- into the check-in -----------------------------------------------------------------------------

async def test_the_check_in_skips_what_the_file_says_and_links_the_visit(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient, flow: CheckInFlow):
    client_id = await identified(backend, kiosk, returning)
    flow.choose_department(backend.world.departments["billing"])
    flow.choose_visitor_type(backend.world.visitor_types["patient"])
    flow.use_client_file(returning.known_answers(flow.questions), returning.identified.client_token)

    assert set(flow.known) == {VISITOR_NAME, VISITOR_PHONE, VISITOR_EMAIL, "date_of_birth", "first_visit"}
    assert flow.question.key == "phone"  # the patient type's own questions only
    assert not flow.previous_question()  # nothing asked before it: the app goes back to the file
    for key, raw in (("phone", ""), ("email", ""), ("reason", "appointment"), ("note", "")):
        assert flow.question.key == key
        flow.answer(key, raw)
        assert flow.next_question()
    assert flow.finished_questions
    assert flow.previous_question() and flow.question.key == "note"
    flow.index = len(flow.questions)
    assert [key for key, _label, _value in flow.summary()][:3] == [VISITOR_NAME, VISITOR_PHONE, VISITOR_EMAIL]

    await flow.submit(kiosk)
    assert flow.outcome == "sent"
    async with backend.database.read() as session:
        visit = await session.get(Visit, flow.visit.id)
    assert (visit.client_id, visit.visitor_name) == (client_id, "Hélène Côté")
    assert (visit.visitor_phone, visit.visitor_email) == ("+15145550123", "helene.cote@example.org")
    assert visit.custom_fields["date_of_birth"] == "1961-04-12"
    assert visit.custom_fields["first_visit"] is False  # they have a file: not asked


async def test_the_visit_has_the_details_the_visitor_just_gave(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient, flow: CheckInFlow):
    client_id = await identified(backend, kiosk, returning, **MARC)  # no email on file
    returning.start_updating()
    returning.edit("phone")
    returning.type_draft("514 555 0177")
    assert returning.finish_edit()
    await returning.send_changes(kiosk)
    flow.choose_department(backend.world.departments["billing"])
    flow.choose_visitor_type(backend.world.visitor_types["visitor"])
    flow.use_client_file(returning.known_answers(flow.questions), returning.identified.client_token)
    assert flow.question.key == VISITOR_EMAIL  # not on file: asked, optional as for anyone
    assert flow.next_question() and flow.finished_questions
    await flow.submit(kiosk)
    async with backend.database.read() as session:
        visit = (await session.scalars(select(Visit))).one()
    assert (visit.client_id, visit.visitor_name, visit.visitor_phone) == (
        client_id, "Marc-André Bélanger", "+15145550177")
    assert (await client_record(backend, client_id)).phone == "+14385550199"  # the file waits for the clerk


async def test_forgetting_the_file_takes_its_answers_back(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient, flow: CheckInFlow):
    await identified(backend, kiosk, returning)
    flow.choose_department(backend.world.departments["billing"])
    flow.choose_visitor_type(backend.world.visitor_types["visitor"])
    flow.use_client_file(returning.known_answers(flow.questions), returning.identified.client_token)
    assert flow.finished_questions  # name, phone and email all on file: straight to the review
    flow.use_client_file({}, "")  # "not me": back to identifying
    assert flow.answers == {} and flow.known == [] and flow.client_token == ""
    assert flow.question.key == VISITOR_NAME
    flow.answer(VISITOR_NAME, "Quelqu'un d'autre")
    assert flow.request().client_token is None


async def test_reset_forgets_everything_about_the_visitor(
        backend: Backend, kiosk: BackendClient, returning: ReturningClient, flow: CheckInFlow):
    await identified(backend, kiosk, returning)
    returning.asked = True
    returning.start_updating()
    returning.edit("city")
    returning.type_draft("Longueuil")
    returning.finish_edit()
    flow.choose_department(backend.world.departments["billing"])
    flow.choose_visitor_type(backend.world.visitor_types["visitor"])
    flow.use_client_file(returning.known_answers(flow.questions), returning.identified.client_token)

    returning.reset()
    flow.reset()

    assert returning.identified is None and returning.number == returning.phone == returning.birth_digits == ""
    assert dict(returning.changes) == {} and returning.draft == "" and not returning.updating
    assert returning.outcome == "none" and returning.proposal == "none" and not returning.asked
    assert returning.rows()[0] == ("phone", "Phone", "", False)
    assert flow.answers == {} and flow.client_token == "" and flow.known == []
