"""Another phone system's signed call events: each applied once, a missed call or a voicemail opening a message
slip, and nothing changed for a request that is unsigned, stale, or not a call event."""
from __future__ import annotations

import json

from backend.calls.models import Call, CallEvent
from backend.notifications.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from backend.organisation.models import Department
from backend.routing.models import Escalation, Notification
from shared.enums import CallOutcome, CallSource, MessageState
from tests.calls.conftest import SECRET, Phone, start_phone
from tests.notifications.conftest import StartPost


def ringing(**overrides) -> dict:
    return {"call_id": "pbx-4711", "event": "ringing", "from": "514 555 0123", "caller_name": "Zoé Tremblay",
            **overrides}


async def assert_nothing_recorded(phone: Phone) -> None:
    assert (await phone.count(Call), await phone.count(CallEvent), await phone.count(Notification)) == (0, 0, 0)


async def test_a_signed_event_is_recorded_and_the_dialled_number_finds_the_department(phone: Phone):
    response = await phone.event(ringing(to="(514) 555-0122"))  # Paediatrics' number, written otherwise

    assert response.status == 200
    out = await response.json()
    paediatrics = phone.post.world.departments["paediatrics"]
    assert (out["source"], out["outcome"], out["department_id"]) == ("phone_system", "ringing", paediatrics)
    assert (out["caller_number"], out["caller_name"], out["message_state"]) == ("+15145550123", "Zoé Tremblay",
                                                                                  "none")
    call = await phone.only_call()
    assert (call.id, call.source, call.external_id) == (out["id"], CallSource.PHONE_SYSTEM, "pbx-4711")

    response = await phone.event({"call_id": "pbx-4711", "event": "answered", "from": "514 555 0123"})
    assert response.status == 200
    call = await phone.only_call()
    assert (call.outcome, call.department_id, call.ended_at) == (CallOutcome.ANSWERED, paediatrics,
                                                                 phone.post.clock())
    assert await phone.events(call.id) == ["ringing", "answered"]
    assert {staff_id for _, staff_id in await phone.notified(call.id)} == phone.ids("paeds")


async def test_a_number_no_department_has_leaves_the_call_to_the_front_desk(phone: Phone):
    response = await phone.event(ringing(to="201"))  # an extension
    assert response.status == 200
    assert (await response.json())["department_id"] is None


async def test_a_wrong_or_missing_signature_is_refused_with_401(phone: Phone):
    body = json.dumps(ringing()).encode()
    at = int(phone.post.clock().timestamp())
    responses = [
        await phone.event(body, secret="not-the-secret"),
        await phone.event(body, headers={}),
        await phone.event(body, headers={TIMESTAMP_HEADER: str(at)}),
        await phone.event(body, headers={SIGNATURE_HEADER: signature(SECRET, at, body)}),
        # Signed for one timestamp, sent with another: the timestamp is part of what is signed.
        await phone.event(body, headers={TIMESTAMP_HEADER: str(at + 1), SIGNATURE_HEADER: signature(SECRET, at, body)}),
        await phone.event(body, headers={TIMESTAMP_HEADER: str(at), SIGNATURE_HEADER: "v1=" + "0" * 64}),
    ]
    # A body changed after signing.
    tampered = await phone.post.client.post("/hooks/call-events", data=json.dumps(ringing(event="missed")), headers={
        "Content-Type": "application/json", TIMESTAMP_HEADER: str(at), SIGNATURE_HEADER: signature(SECRET, at, body)})
    responses.append(tampered)
    assert [r.status for r in responses] == [401] * 7
    assert all(r.content_type == "application/problem+json" for r in responses)
    await assert_nothing_recorded(phone)


async def test_a_stale_or_future_timestamp_is_refused_as_a_replay(phone: Phone):
    at = int(phone.post.clock().timestamp())
    for timestamp in (at - 301, at + 301, 0):
        response = await phone.event(ringing(), timestamp=timestamp)
        assert response.status == 401
        assert "300 seconds" in (await response.json())["detail"]
    await assert_nothing_recorded(phone)
    assert (await phone.event(ringing(), timestamp=at - 299)).status == 200


async def test_the_same_event_told_twice_is_applied_once(phone: Phone):
    missed = {"call_id": "pbx-9", "event": "missed", "from": "+15145550123",
              "department_id": phone.post.world.departments["billing"]}
    first = await phone.event(missed)
    phone.post.clock.advance(seconds=30)
    again = await phone.event(missed)

    assert (first.status, again.status) == (200, 200)
    assert (await again.json())["id"] == (await first.json())["id"]
    call = await phone.only_call()
    assert await phone.events(call.id) == ["ringing", "missed"]
    assert sorted(staff_id for _, staff_id in await phone.notified(call.id)) == sorted(
        phone.ids("billing", "billing2"))
    assert await phone.count(Escalation) == 1
    # A late "ringing" for a call already told of is a repeat too.
    assert (await phone.event({**missed, "event": "ringing"})).status == 200
    assert await phone.events(call.id) == ["ringing", "missed"]


async def test_a_missed_call_opens_a_message_slip_that_escalates(phone: Phone):
    response = await phone.event(ringing(event="missed", department_id=phone.post.world.departments["billing"]))

    assert response.status == 200
    out = await response.json()
    assert (out["outcome"], out["message_state"]) == ("missed", "open")
    call = await phone.only_call()
    assert (call.message_state, call.ended_at) == (MessageState.OPEN, phone.post.clock())
    assert {kind for kind, _ in await phone.notified(call.id)} == {"call.message"}
    async with phone.post.database.read() as session:
        escalation = await session.get(Escalation, 1)
        assert (escalation.call_id, escalation.next_at is not None) == (call.id, True)


async def test_a_voicemail_keeps_its_recording(phone: Phone):
    response = await phone.event(ringing(event="voicemail", recording_url="https://pbx.example/rec/1.wav"))
    assert response.status == 200
    out = await response.json()
    assert (out["outcome"], out["message_state"], out["has_recording"]) == ("voicemail", "open", True)
    assert (await phone.only_call()).recording_url == "https://pbx.example/rec/1.wav"


async def test_an_invalid_event_is_refused_with_every_field_named_and_nothing_recorded(phone: Phone):
    response = await phone.event({"call_id": "", "event": "hung_up", "from": "+15145550123", "extra": 1,
                                  "recording_url": "ftp://pbx.example/rec.wav", "department_id": "1"})
    assert response.status == 422
    problems = {e["field"]: e["code"] for e in (await response.json())["errors"]}
    assert problems == {"call_id": "string_too_short", "event": "literal_error", "extra": "field_unknown",
                        "recording_url": "url_invalid", "department_id": "int_type"}

    response = await phone.event({"call_id": "pbx-1", "event": "ringing"})
    assert response.status == 422
    assert [e["field"] for e in (await response.json())["errors"]] == ["from"]

    billing = phone.post.world.departments["billing"]
    async with phone.post.database.write() as session:
        (await session.get(Department, billing)).active = False
    for department_id in (999, billing):  # none, and one no longer active
        response = await phone.event(ringing(event="missed", department_id=department_id))
        assert response.status == 422
        assert [(e["field"], e["code"]) for e in (await response.json())["errors"]] == [
            ("department_id", "department_unknown")]

    response = await phone.event(b"{not json")
    assert response.status == 400
    await assert_nothing_recorded(phone)


async def test_without_a_shared_secret_call_events_answer_503(start_post: StartPost):
    phone = await start_phone(start_post, call_events_secret=None)
    response = await phone.event(ringing())
    assert response.status == 503
    assert "ACCUEIL_CALL_EVENTS_SECRET" in (await response.json())["detail"]
    await assert_nothing_recorded(phone)
