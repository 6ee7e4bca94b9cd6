"""Routing and escalation end to end, on the test's clock: a check-in and a logged call reach the member on duty by
the panel and by email; outside opening hours the fallback department answers; nobody answering, the next person,
then reception, then the department's address are told after the configured delay — once, across a restart and
with two backends."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from backend.notifications.models import Delivery
from backend.organisation.models import Department
from backend.routing.escalator import run_escalations
from backend.routing.models import ContactChannel, DutySlot, Escalation, Notification, OpeningHours
from backend.staff.models import StaffMember
from shared.enums import DeliveryChannel, DeliveryStatus, EscalationState
from tests.notifications.conftest import Post, StartPost

TORONTO = ZoneInfo("America/Toronto")
WEDNESDAY = 2
DELAY = 60
ADDRESSES = {"billing": "billing@clinique.example", "billing2": "billing2@clinique.example",
             "paeds": "paeds@clinique.example", "reception": "reception@clinique.example"}


def at_local(hour: int, minute: int = 0) -> dt.datetime:
    """Wednesday 2 December 2026 at this time in the clinic's zone."""
    return dt.datetime(2026, 12, 2, hour, minute, tzinfo=TORONTO).astimezone(dt.UTC)


async def clinic(post: Post, *, rota: list[str] = (), hours: tuple[int, int] | None = None,
                 fallback: str | None = None, department_email: str = "facturation@clinique.example") -> None:
    """Billing's routing rules: on-duty members in order (9:00–17:00 on Wednesdays), opening hours on Wednesdays,
    a fallback department; every member is told by email too."""
    world = post.world
    async with post.database.write() as session:
        billing = await session.get(Department, world.departments["billing"])
        billing.escalate_after_seconds = DELAY
        billing.email = department_email
        billing.fallback_department_id = world.departments[fallback] if fallback else None
        for rank, login in enumerate(rota, start=1):
            session.add(DutySlot(department_id=billing.id, staff_member_id=world.staff_ids[login], weekday=WEDNESDAY,
                                 starts=dt.time(9), ends=dt.time(17), rank=rank))
        if hours is not None:
            session.add(OpeningHours(department_id=billing.id, weekday=WEDNESDAY, opens=dt.time(hours[0]),
                                     closes=dt.time(hours[1])))
        for login, address in ADDRESSES.items():
            (await session.get(StaffMember, world.staff_ids[login])).email = address
            session.add(ContactChannel(staff_member_id=world.staff_ids[login], channel=DeliveryChannel.EMAIL,
                                       target=address))


async def live(post: Post, who: str):
    ws = await post.client.ws_connect("/api/ws", headers=post.auth(who))
    assert (await ws.receive_json(timeout=2)) == {"type": "ready"}
    return ws


async def next_of(ws, kind: str) -> dict:
    """The next live event of this type (deliveries' own updates come and go meanwhile)."""
    while (event := await ws.receive_json(timeout=2))["type"] != kind:
        pass
    return event


async def check_in(post: Post, **overrides) -> dict:
    body = {"visitor_name": "Hélène Côté", "visitor_type_id": post.world.visitor_types["visitor"],
            "department_id": post.world.departments["billing"], "language": "fr", **overrides}
    response = await post.client.post("/api/kiosk/check-ins", json=body, headers={
        **post.auth("kiosk_a"), "Idempotency-Key": str(uuid.uuid4())})
    assert response.status == 201, await response.text()
    return await response.json()


async def log_call(post: Post, outcome: str, **fields) -> dict:
    """A call the front desk took for Billing."""
    response = await post.client.post("/api/calls", headers=post.auth("reception"), json={
        "caller_name": "Jean Tremblay", "department_id": post.world.departments["billing"], "outcome": outcome,
        **fields})
    assert response.status == 201, await response.text()
    return await response.json()


async def told(post: Post, about: str) -> list[str]:
    """Who has been told on the panel, in order (logins)."""
    logins = {staff_id: login for login, staff_id in post.world.staff_ids.items()}
    column = Notification.visit_id if about.startswith("visit:") else Notification.call_id
    async with post.database.read() as session:
        rows = await session.scalars(select(Notification.recipient_id).where(
            column == int(about.split(":")[1])).order_by(Notification.id))
        return [logins[staff_id] for staff_id in rows]


async def mailed(post: Post) -> list[str]:
    """Where email went, once the due deliveries are sent."""
    await post.run()
    return [message["To"] for message in post.mailbox.messages]


async def test_a_check_in_reaches_the_member_on_duty_by_the_panel_and_by_email(post: Post):
    await clinic(post, rota=["billing2", "billing"])
    post.clock.now = at_local(10)
    panel = await live(post, "billing2")
    other = await live(post, "billing")

    visit = await check_in(post)

    event = await next_of(panel, "visit.checked_in")
    assert event["visit"]["id"] == visit["id"]
    assert await told(post, f"visit:{visit['id']}") == ["billing2"]
    assert await mailed(post) == [ADDRESSES["billing2"]]
    [message] = post.mailbox.messages
    assert message["Subject"] == "Visiteur pour Facturation : Hélène C."
    assert "Côté" not in message.get_content()  # a last name stays off email and chat
    async with post.database.read() as session:
        [note] = await session.scalars(select(Notification).where(Notification.visit_id == visit["id"]))
        assert note.delivered_at is not None  # the panel channel reached billing2's open page
    await other.close()


async def test_a_logged_call_reaches_the_member_on_duty_by_the_panel_and_by_email(post: Post):
    await clinic(post, rota=["billing"])
    post.clock.now = at_local(11)
    panel = await live(post, "billing")

    response = await post.client.post("/api/calls", headers=post.auth("reception"), json={
        "caller_name": "Hélène Côté", "caller_number": "514 555 0123", "client_name": "Hélène Côté",
        "department_id": post.world.departments["billing"], "reason": "Question sur une facture",
        "outcome": "callback_requested"})
    assert response.status == 201, await response.text()
    call = await response.json()
    assert (call["caller_number"], call["message_state"]) == ("+15145550123", "open")

    event = await next_of(panel, "call.logged")
    assert event["call"]["id"] == call["id"]
    assert await told(post, f"call:{call['id']}") == ["billing"]
    assert await mailed(post) == [ADDRESSES["billing"]]
    message = post.mailbox.messages[0]
    assert message["Subject"] == "Rappel demandé, pour Facturation : Hélène C."
    assert "+15145550123" in message.get_content()
    assert "facture" not in message.get_content()  # the reason stays in the panel


async def test_outside_opening_hours_the_fallback_department_answers(post: Post):
    await clinic(post, rota=["billing"], hours=(9, 17), fallback="paediatrics")
    post.clock.now = at_local(18, 30)

    visit = await check_in(post)

    assert await told(post, f"visit:{visit['id']}") == ["paeds"]
    assert await mailed(post) == [ADDRESSES["paeds"]]
    # Paediatrics may now open the Billing visit it stands in for.
    response = await post.client.get(f"/api/visits/{visit['id']}", headers=post.auth("paeds"))
    assert response.status == 200

    call = await log_call(post, "message_taken")
    assert await told(post, f"call:{call['id']}") == ["paeds"]

    post.clock.now = at_local(12)
    in_hours = await check_in(post)
    assert await told(post, f"visit:{in_hours['id']}") == ["billing"]


async def test_with_no_department_open_reception_answers(post: Post):
    await clinic(post, rota=["billing"], hours=(9, 17))
    post.clock.now = at_local(7)

    visit = await check_in(post)

    assert await told(post, f"visit:{visit['id']}") == ["reception"]


async def test_unacknowledged_it_escalates_after_the_delays_then_stops(post: Post):
    await clinic(post, rota=["billing", "billing2"])
    post.clock.now = at_local(10)
    visit = await check_in(post)
    about = f"visit:{visit['id']}"
    reception = await live(post, "reception")
    assert await told(post, about) == ["billing"]

    post.clock.advance(seconds=DELAY - 1)
    assert await run_escalations(post.app) == 0
    assert await told(post, about) == ["billing"]

    post.clock.advance(seconds=1)
    assert await run_escalations(post.app) == 1
    assert await told(post, about) == ["billing", "billing2"]
    event = await next_of(reception, "visit.escalated")
    assert event["visit"]["id"] == visit["id"]

    post.clock.advance(seconds=DELAY)
    assert await run_escalations(post.app) == 1
    assert await told(post, about) == ["billing", "billing2", "reception"]

    post.clock.advance(seconds=DELAY)
    assert await run_escalations(post.app) == 1
    assert await told(post, about) == ["billing", "billing2", "reception"]  # email only now
    assert sorted(await mailed(post)) == sorted([ADDRESSES["billing"], ADDRESSES["billing2"],
                                                 ADDRESSES["reception"], "facturation@clinique.example"])

    post.clock.advance(hours=2)
    assert await run_escalations(post.app) == 0
    assert len(await mailed(post)) == 4
    async with post.database.read() as session:
        escalation = await session.scalar(select(Escalation).where(Escalation.about == about))
        assert (escalation.state, escalation.next_at) == (EscalationState.EXHAUSTED, None)


async def test_an_unacknowledged_message_escalates_like_a_visit(post: Post):
    await clinic(post, rota=["billing", "billing2"])
    post.clock.now = at_local(10)
    desk = await live(post, "reception")
    call = await log_call(post, "callback_requested", caller_number="514 555 0123")
    about = f"call:{call['id']}"

    for expected in (["billing"], ["billing", "billing2"], ["billing", "billing2", "reception"]):
        assert await told(post, about) == expected
        post.clock.advance(seconds=DELAY)
        assert await run_escalations(post.app) == 1
    assert (await next_of(desk, "call.escalated"))["call"]["id"] == call["id"]
    assert sorted(await mailed(post)) == sorted([*(ADDRESSES[who] for who in ("billing", "billing2", "reception")),
                                                 "facturation@clinique.example"])
    # A transferred call tells the department once, and never escalates.
    transferred = await log_call(post, "transferred")
    post.clock.advance(hours=1)
    assert await run_escalations(post.app) == 0
    assert await told(post, f"call:{transferred['id']}") == ["billing"]


async def test_an_acknowledgement_stops_the_escalation(post: Post):
    await clinic(post, rota=["billing", "billing2"])
    post.clock.now = at_local(10)
    visit = await check_in(post)
    call = await log_call(post, "message_taken")

    post.clock.advance(seconds=DELAY - 5)
    assert (await post.client.post(f"/api/visits/{visit['id']}/acknowledge", headers=post.auth("billing"))).status \
        == 200
    response = await post.client.post(f"/api/calls/{call['id']}/acknowledge", headers=post.auth("billing"))
    assert (await response.json())["message_state"] == "acknowledged"

    post.clock.advance(hours=1)
    assert await run_escalations(post.app) == 0
    assert await told(post, f"visit:{visit['id']}") == ["billing"]
    assert await told(post, f"call:{call['id']}") == ["billing"]
    # Still open until marked done, then gone from the open messages.
    open_ones = await (await post.client.get("/api/calls?open=true", headers=post.auth("billing"))).json()
    assert [c["id"] for c in open_ones["items"]] == [call["id"]]
    assert (await post.client.post(f"/api/calls/{call['id']}/done", headers=post.auth("billing"))).status == 200
    open_ones = await (await post.client.get("/api/calls?open=true", headers=post.auth("billing"))).json()
    assert open_ones["items"] == []


async def test_a_chat_webhook_failing_three_times_then_succeeding_gets_the_check_in_exactly_once(post: Post):
    await clinic(post, rota=["billing"])
    async with post.database.write() as session:
        session.add(ContactChannel(staff_member_id=post.world.staff_ids["billing"], channel=DeliveryChannel.SLACK,
                                   target=post.hooks.url("billing")))
    post.hooks.script["billing"] = [500, 500, 500]
    post.clock.now = at_local(10)

    await check_in(post)
    for wait in (0, 10, 30, 120, 600, 3600):
        post.clock.advance(seconds=wait)
        await post.run()

    assert len(post.hooks.received["billing"]) == 4
    [received] = post.hooks.delivered("billing")
    assert "Hélène C." in received.json["text"]
    async with post.database.read() as session:
        statuses = list(await session.scalars(select(Delivery.status).where(
            Delivery.channel == DeliveryChannel.SLACK)))
    assert statuses == [DeliveryStatus.DELIVERED]


async def test_a_restart_in_the_middle_of_an_escalation_window_still_escalates_once(post: Post,
                                                                                   start_post: StartPost):
    await clinic(post, rota=["billing", "billing2"])
    post.clock.now = at_local(10)
    visit = await check_in(post)
    about = f"visit:{visit['id']}"
    assert await mailed(post) == [ADDRESSES["billing"]]
    post.clock.advance(seconds=DELAY / 2)
    await post.client.close()  # the backend stops half-way through the window

    post.clock.advance(seconds=DELAY)
    restarted = await start_post(world=post.world)
    assert await run_escalations(restarted.app) == 1
    assert await run_escalations(restarted.app) == 0
    assert await told(restarted, about) == ["billing", "billing2"]
    assert await mailed(restarted) == [ADDRESSES["billing"], ADDRESSES["billing2"]]


async def test_two_backends_take_each_step_once(post: Post, start_post: StartPost, settings):
    await clinic(post, rota=["billing", "billing2"])
    post.clock.now = at_local(10)
    second = await start_post(world=post.world)
    visits = [await check_in(post) for _ in range(5)]

    post.clock.advance(seconds=DELAY)
    steps = await asyncio.gather(run_escalations(post.app), run_escalations(second.app))

    assert sum(steps) == 5
    for visit in visits:
        assert await told(post, f"visit:{visit['id']}") == ["billing", "billing2"]
    async with post.database.read() as session:
        emails = await session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.target == ADDRESSES["billing2"]))
    assert emails == 5
