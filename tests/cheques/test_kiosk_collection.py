"""The kiosk's "Collect my cheque", per the contract: identify with number and PIN, sign, the desk is told; the
PIN lock after three wrong PINs, the limit per kiosk, and every bad request refused without changing anything."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from backend.routing.models import Notification
from tests.cheques.conftest import Payroll, b64, signature_png
from tests.cheques.helpers import collected_run

IDENTIFY = "/api/kiosk/cheques/identify"
WRONG = "The employee number or PIN is wrong."


async def test_three_wrong_pins_lock_kiosk_collection_until_the_desk_unlocks(payroll: Payroll):
    desk = await collected_run(payroll, pins={"E200": "2468", "E201": "1357"})
    # A right PIN resets the count: two wrong, one right, two wrong again is not yet a lock.
    for pin in ("1111", "2222", "2468", "3333", "4444"):
        await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": pin},
                           200 if pin == "2468" else 401)
    locked = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "5555"}, 423)
    assert "locked" in locked["detail"]
    # Locked: even the right PIN is refused, at any kiosk.
    await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "2468"}, 423)
    await payroll.post(IDENTIFY, "kiosk_b", {"employee_number": "E200", "pin": "2468"}, 423)
    employee = await payroll.get("/api/cheques/employees?q=E200", "reception")
    assert employee["items"][0]["kiosk_locked"] is True
    # Others are not affected.
    await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E201", "pin": "1357"})
    # The desk unlocks: the right PIN works again.
    unlocked = await payroll.post(f"/api/cheques/employees/{desk.employees['E200']}/unlock", "reception")
    assert unlocked["kiosk_locked"] is False and unlocked["pin_failures"] == 0
    found = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "2468"})
    assert [c["cheque_number"] for c in found["cheques"]] == ["70001"]


async def test_an_unknown_number_and_a_wrong_pin_get_the_same_answer(payroll: Payroll):
    await collected_run(payroll, pins={"E200": "2468"})
    unknown = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E999", "pin": "2468"}, 401)
    wrong = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "8642"}, 401)
    no_pin = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E201", "pin": "8642"}, 401)
    assert unknown["detail"] == wrong["detail"] == no_pin["detail"] == WRONG


async def test_malformed_identifications_get_field_errors_and_change_nothing(payroll: Payroll):
    await collected_run(payroll, pins={"E200": "2468"})
    counts = await payroll.row_counts()
    for body, field in (({"employee_number": "E200", "pin": "12a4"}, "pin"),
                        ({"employee_number": "E200", "pin": "123"}, "pin"),
                        ({"employee_number": "E200", "pin": "123456789"}, "pin"),
                        ({"employee_number": "E200", "pin": 2468}, "pin"),
                        ({"employee_number": "", "pin": "2468"}, "employee_number"),
                        ({"pin": "2468"}, "employee_number"),
                        ({"employee_number": "E200", "pin": "2468", "amount": 1}, "amount")):
        problem = await payroll.post(IDENTIFY, "kiosk_a", body, 422)
        assert [e["field"] for e in problem["errors"]] == [field], body
    assert await payroll.row_counts() == counts


async def test_ten_failures_from_one_kiosk_are_slowed_down(payroll: Payroll):
    await collected_run(payroll, pins={"E200": "2468"})
    for number in range(10):
        await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": f"X{number}", "pin": "0000"}, 401)
    await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "2468"}, 429)
    await payroll.post(IDENTIFY, "kiosk_b", {"employee_number": "E200", "pin": "2468"}, 200)  # another kiosk
    payroll.clock.advance(minutes=11)
    await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "2468"}, 200)


async def test_collecting_tells_the_desk_and_a_retry_changes_nothing(payroll: Payroll):
    desk = await collected_run(payroll, pins={"E200": "2468", "E201": "1357"})
    live = await payroll.live("reception")
    found = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "2468"})
    body = {"collection_token": found["collection_token"], "cheque_ids": [desk.cheques["70001"]],
            "signature_png": b64(signature_png(2, transparent=True))}
    key = str(uuid.uuid4())
    out = await payroll.collect("kiosk_a", body, key=key)
    assert out == {"cheque_ids": [desk.cheques["70001"]], "desk_notified": True}
    counts = await payroll.row_counts()
    again = await payroll.client.post("/api/kiosk/cheques/collect", json=body,
                                      headers={**payroll.auth("kiosk_a"), "Idempotency-Key": key})
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true" and await again.json() == out
    assert await payroll.row_counts() == counts
    events = [await live.receive_json(timeout=2) for _ in range(2)]
    assert {e["type"] for e in events} == {"cheque.requested", "cheque.desk_call"}
    assert all("amount" not in str(e) for e in events)
    async with payroll.database.read() as session:
        told = set(await session.scalars(select(Notification.recipient_id).where(
            Notification.kind == "cheque.requested")))
    assert told == {payroll.world.staff_ids["reception"]}
    # The same cheque again, with a new identification: already asked for.
    found = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "2468"})
    assert found["cheques"] == []  # nothing more to collect
    body["collection_token"] = found["collection_token"]
    problem = await payroll.collect("kiosk_a", body, 409)
    assert "already been asked for" in problem["detail"]
    # Confirmed at the desk, then asked again: already handed out.
    await payroll.post(f"/api/cheques/{desk.cheques['70001']}/confirm-kiosk", "reception")
    await payroll.collect("kiosk_a", body, 409)
    await live.close()


async def test_bad_collections_are_refused_and_change_nothing(payroll: Payroll):
    desk = await collected_run(payroll, pins={"E200": "2468", "E201": "1357"})
    found = await payroll.post(IDENTIFY, "kiosk_a", {"employee_number": "E200", "pin": "2468"})
    token, mine, theirs = found["collection_token"], desk.cheques["70001"], desk.cheques["70002"]
    good = b64(signature_png())
    counts = await payroll.row_counts()
    cases = [
        ({"collection_token": "not-a-token", "cheque_ids": [mine], "signature_png": good}, "kiosk_a",
         "collection_token", "token_invalid"),
        ({"collection_token": token, "cheque_ids": [mine], "signature_png": good}, "kiosk_b",
         "collection_token", "token_invalid"),  # the token is this kiosk's only
        ({"collection_token": token, "cheque_ids": [theirs], "signature_png": good}, "kiosk_a",
         "cheque_ids.0", "cheque_not_yours"),
        ({"collection_token": token, "cheque_ids": [987654], "signature_png": good}, "kiosk_a",
         "cheque_ids.0", "cheque_not_yours"),
        ({"collection_token": token, "cheque_ids": [], "signature_png": good}, "kiosk_a", "cheque_ids", "too_short"),
        ({"collection_token": token, "cheque_ids": [mine], "signature_png": b64(b"GIF89a" + b"\0" * 64)},
         "kiosk_a", "signature_png", "signature_not_png"),
        ({"collection_token": token, "cheque_ids": [mine], "signature_png": b64(signature_png(ink=False))},
         "kiosk_a", "signature_png", "signature_blank"),
        ({"collection_token": token, "cheque_ids": [mine], "signature_png": "not base64!"}, "kiosk_a",
         "signature_png", "base64_invalid"),
        ({"collection_token": token, "cheque_ids": [mine]}, "kiosk_a", "signature_png", "required"),
    ]
    for body, kiosk, field, code in cases:
        problem = await payroll.collect(kiosk, body, 422)
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)], (body.keys(), problem)
    missing_key = await payroll.client.post("/api/kiosk/cheques/collect", headers=payroll.auth("kiosk_a"), json={
        "collection_token": token, "cheque_ids": [mine], "signature_png": good})
    assert missing_key.status == 400
    assert await payroll.row_counts() == counts
    # Ten minutes later the token has expired.
    payroll.clock.advance(minutes=10, seconds=1)
    problem = await payroll.collect("kiosk_a", {"collection_token": token, "cheque_ids": [mine],
                                                "signature_png": good}, 422)
    assert problem["errors"][0]["code"] == "token_invalid"
    assert await payroll.row_counts() == counts
    async with payroll.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == 0
