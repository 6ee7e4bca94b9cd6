"""Twilio's auto-attendant: the menu read from the departments, each choice put through or to voicemail, the
voicemail's message slip told to whoever is on duty, and nothing recorded for a request Twilio did not sign."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator

from backend.calls.models import Call, CallEvent
from backend.organisation.models import Department
from shared.enums import CallOutcome, CallSource, MessageState
from tests.calls.conftest import BILLING_EMAIL, BILLING_PHONE, CALL, PUBLIC, TOKEN, Phone, start_phone
from tests.notifications.conftest import StartPost, eventually

NINE, FIVE = dt.time(9, 0), dt.time(17, 0)
WORKING_WEEK = [(day, NINE, FIVE) for day in range(5)]
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/ACx/Recordings/RE0123"


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def says(element: ET.Element) -> list[tuple[str, str]]:
    return [(say.get("language"), say.text or "") for say in element.iter("Say")]


def assert_offers_voicemail(root: ET.Element) -> None:
    record = root.find("Record")
    assert record is not None, ET.tostring(root)
    assert record.get("action") == f"{PUBLIC}/hooks/voice/voicemail"
    assert (record.get("maxLength"), record.get("playBeep"), record.get("method")) == ("120", "true", "POST")
    # A caller who says nothing (no action then) still leaves a missed call.
    assert verbs(root)[-2:] == ["Record", "Redirect"]
    assert root.find("Redirect").text == f"{PUBLIC}/hooks/voice/voicemail"


async def test_the_menu_lists_active_departments_with_a_phone_in_french_then_english(phone: Phone):
    async with phone.post.database.write() as session:
        session.add_all([
            Department(site_id=phone.post.world.site_id, name_fr="Radiologie", name_en="Radiology",
                       phone="+15145550133", active=False),
            Department(site_id=phone.post.world.site_id, name_fr="Archives", name_en="Records", phone="")])

    root = await phone.twiml("/hooks/voice")

    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert {k: gather.get(k) for k in ("numDigits", "action", "method", "timeout")} == {
        "numDigits": "1", "action": f"{PUBLIC}/hooks/voice/menu", "method": "POST", "timeout": "6"}
    (french_language, french), (english_language, english) = says(gather)
    assert (french_language, english_language) == ("fr-CA", "en-CA")
    assert french.startswith("Bonjour, vous avez joint Clinique Test.")
    assert "Pour Facturation, faites le 1. Pour Pédiatrie, faites le 2." in french
    assert english.startswith("Hello, you have reached Clinique Test.")
    assert "For Billing, press 1. For Paediatrics, press 2." in english
    for absent in ("Radiologie", "Radiology", "Archives", "Records", "3"):
        assert absent not in french + english
    # No digit pressed: on to the menu's handler without one, which puts the caller through to the front desk.
    assert root.find("Redirect").text == f"{PUBLIC}/hooks/voice/menu"

    call = await phone.only_call()
    assert (call.source, call.external_id, call.outcome) == (CallSource.TWILIO, CALL["CallSid"], CallOutcome.RINGING)
    assert (call.caller_number, call.caller_name, call.department_id) == ("+15145550123", "Hélène Côté", None)
    assert await phone.events(call.id) == ["ringing"]

    await phone.twiml("/hooks/voice")  # Twilio asking again for the same call: still one call
    assert (await phone.only_call()).id == call.id


async def test_a_request_twilio_did_not_sign_is_refused_and_records_nothing(phone: Phone):
    refusals = [
        await phone.twilio("/hooks/voice", CALL, signature_header=""),
        await phone.twilio("/hooks/voice", CALL, signature_header="bm90IGEgc2lnbmF0dXJl"),
        await phone.twilio("/hooks/voice", CALL, token="somebody-elses-token"),
        # Signed for another address: a request replayed from another site's webhook.
        await phone.twilio("/hooks/voice", CALL, signed_url="http://elsewhere.example/hooks/voice"),
        await phone.twilio("/hooks/voice/voicemail", {**CALL, "RecordingUrl": RECORDING},
                           signed_url=f"{PUBLIC}/hooks/voice/menu"),
    ]
    assert [response.status for response in refusals] == [403] * 5
    assert all(response.content_type == "application/problem+json" for response in refusals)

    # A signed form with one value changed afterwards.
    forged = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/hooks/voice", CALL)
    response = await phone.twilio("/hooks/voice", {**CALL, "From": "+15145559999"}, signature_header=forged)
    assert response.status == 403

    assert await phone.count(Call) == 0
    assert await phone.count(CallEvent) == 0


async def test_without_an_auth_token_the_voice_webhooks_answer_503(start_post: StartPost):
    phone = await start_phone(start_post, twilio_auth_token=None)
    for path in ("/hooks/voice", "/hooks/voice/menu", "/hooks/voice/dialled", "/hooks/voice/voicemail"):
        response = await phone.twilio(path, CALL)
        assert response.status == 503
        assert "ACCUEIL_TWILIO_AUTH_TOKEN" in (await response.json())["detail"]
    assert await phone.count(Call) == 0


async def test_a_signed_form_that_is_not_a_call_is_refused_with_the_field_named(phone: Phone):
    response = await phone.twilio("/hooks/voice", {"From": "+15145550123"})
    assert response.status == 422
    assert [e["field"] for e in (await response.json())["errors"]] == ["CallSid"]
    response = await phone.twilio("/hooks/voice/voicemail", {**CALL, "RecordingUrl": "javascript:alert(1)"})
    assert response.status == 422
    assert [e["field"] for e in (await response.json())["errors"]] == ["RecordingUrl"]
    assert await phone.count(Call) == 0


async def test_an_open_department_is_dialled_and_told_of_the_call(phone: Phone):
    await phone.set_hours("billing", *WORKING_WEEK)
    await phone.twiml("/hooks/voice")

    root = await phone.twiml("/hooks/voice/menu", Digits="1")

    assert verbs(root) == ["Say", "Say", "Dial"]
    dial = root.find("Dial")
    assert dial.text == BILLING_PHONE
    assert (dial.get("action"), dial.get("timeout")) == (f"{PUBLIC}/hooks/voice/dialled", "20")
    call = await phone.only_call()
    assert (call.outcome, call.department_id) == (CallOutcome.TRANSFERRED, phone.post.world.departments["billing"])
    assert (call.message_state, call.ended_at) == (MessageState.NONE, None)
    # Billing has no rota: both its members are told together, once, and nothing escalates.
    assert sorted(await phone.notified(call.id)) == sorted(
        ("call.routed", staff_id) for staff_id in phone.ids("billing", "billing2"))

    root = await phone.twiml("/hooks/voice/dialled", DialCallStatus="completed")
    assert verbs(root) == ["Hangup"]
    call = await phone.only_call()
    assert (call.outcome, call.ended_at) == (CallOutcome.ANSWERED, phone.post.clock())
    assert await phone.events(call.id) == ["ringing", "transferred", "answered"]
    assert len(await phone.notified(call.id)) == 2  # answered is no news to those already told


async def test_a_closed_department_takes_a_voicemail_instead(phone: Phone):
    await phone.set_hours("billing", *WORKING_WEEK)
    phone.post.clock.now = dt.datetime(2025, 3, 12, 23, 30, tzinfo=dt.UTC)  # 19:30 in Toronto
    await phone.twiml("/hooks/voice")

    root = await phone.twiml("/hooks/voice/menu", Digits="1")

    assert root.find("Dial") is None
    (_, french), (_, english) = says(root)
    assert "Facturation" in french and "fermés" in french
    assert "Billing is closed" in english
    assert_offers_voicemail(root)
    call = await phone.only_call()
    assert (call.outcome, call.department_id) == (CallOutcome.RINGING, phone.post.world.departments["billing"])
    assert await phone.events(call.id) == ["ringing", "closed"]
    assert await phone.notified(call.id) == []  # nobody is told before there is a message


async def test_a_wrong_digit_says_so_and_reads_the_menu_again_for_the_same_call(phone: Phone):
    await phone.twiml("/hooks/voice")
    root = await phone.twiml("/hooks/voice/menu", Digits="7")
    assert verbs(root) == ["Say", "Say", "Redirect"]
    assert [language for language, _ in says(root)] == ["fr-CA", "en-CA"]
    assert root.find("Redirect").text == f"{PUBLIC}/hooks/voice"
    await phone.twiml("/hooks/voice")
    call = await phone.only_call()
    assert (call.outcome, call.department_id) == (CallOutcome.RINGING, None)
    assert await phone.events(call.id) == ["ringing"]


async def test_no_choice_goes_to_the_front_desk_or_its_voicemail(phone: Phone):
    await phone.twiml("/hooks/voice")
    root = await phone.twiml("/hooks/voice/menu")  # the Gather's timeout: no Digits at all
    assert_offers_voicemail(root)

    await phone.set_site_phone("514 555-0100")
    second = {"CallSid": "CA" + "9" * 32}
    await phone.twiml("/hooks/voice", **second)
    root = await phone.twiml("/hooks/voice/menu", **second)
    assert root.find("Dial").text == "+15145550100"
    first, then = await phone.calls()
    assert (first.outcome, first.department_id) == (CallOutcome.RINGING, None)
    assert (then.outcome, then.department_id) == (CallOutcome.TRANSFERRED, None)
    # The front desk is told of the call it is put through.
    assert {kind for kind, _ in await phone.notified(then.id)} == {"call.routed"}
    assert {staff_id for _, staff_id in await phone.notified(then.id)} == phone.ids("reception")


async def test_nobody_answering_leads_to_a_voicemail_that_the_on_duty_member_is_told_of(phone: Phone):
    await phone.twiml("/hooks/voice")
    await phone.twiml("/hooks/voice/menu", Digits="1")
    root = await phone.twiml("/hooks/voice/dialled", DialCallStatus="no-answer")
    assert [language for language, _ in says(root)] == ["fr-CA", "en-CA"]
    assert_offers_voicemail(root)

    root = await phone.twiml("/hooks/voice/voicemail", RecordingUrl=RECORDING, RecordingDuration="14")

    assert verbs(root) == ["Say", "Say", "Hangup"]
    call = await phone.only_call()
    assert (call.outcome, call.message_state, call.recording_url) == (
        CallOutcome.VOICEMAIL, MessageState.OPEN, RECORDING)
    slips = [(kind, staff_id) for kind, staff_id in await phone.notified(call.id) if kind == "call.message"]
    assert sorted(staff_id for _, staff_id in slips) == sorted(phone.ids("billing", "billing2"))

    # Twilio telling of the same voicemail again: still one slip, told once.
    told = await phone.notified(call.id)
    await phone.twiml("/hooks/voice/voicemail", RecordingUrl=RECORDING, RecordingDuration="14")
    assert await phone.notified(call.id) == told
    assert (await phone.events(call.id)).count("voicemail") == 1

    await phone.post.run()

    def voicemail_mail():
        return [m for m in phone.post.mailbox.messages
                if m["To"] == BILLING_EMAIL and m["Subject"].startswith("Message vocal pour Facturation")]

    async def arrived():
        return voicemail_mail()

    (message,) = await eventually(arrived)
    assert message["Subject"] == "Message vocal pour Facturation : Hélène C."
    assert f"/panel/calls#call-{call.id}" in message.get_content()


async def test_a_caller_who_leaves_no_recording_leaves_a_missed_call_slip(phone: Phone):
    await phone.twiml("/hooks/voice")
    await phone.twiml("/hooks/voice/menu", Digits="2")
    root = await phone.twiml("/hooks/voice/voicemail")  # the Redirect after a silent Record
    assert verbs(root) == ["Say", "Say", "Hangup"]
    call = await phone.only_call()
    assert (call.outcome, call.message_state, call.recording_url) == (CallOutcome.MISSED, MessageState.OPEN, "")
    assert {staff_id for kind, staff_id in await phone.notified(call.id) if kind == "call.message"} == \
        phone.ids("paeds")
