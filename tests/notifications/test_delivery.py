"""Outgoing notifications end to end: recorded with their cause, sent by email and to chat webhooks, retried with
backoff on the test's clock, never sent twice — across a restart and with two backend instances."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac

import pytest
from sqlalchemy import func, select

from backend.core.errors import InvalidInput
from backend.notifications import service
from backend.notifications.dispatcher import run_due, wake
from backend.notifications.models import Delivery
from shared.enums import DeliveryChannel, DeliveryStatus
from tests.notifications.conftest import SECRET, Post, StartPost, eventually

EMAIL, SLACK, TEAMS = DeliveryChannel.EMAIL, DeliveryChannel.SLACK, DeliveryChannel.TEAMS


async def test_an_email_arrives_and_is_marked_delivered(post: Post):
    delivery_id = await post.enqueue(EMAIL, "billing@example.org", subject="Une visite vous attend",
                                     body="Hélène Côté est à l'accueil.",
                                     payload={"link": {"url": "http://127.0.0.1/panel/", "label": "Ouvrir"}})

    assert await post.run() == 1

    [message] = post.mailbox.messages
    assert message["To"] == "billing@example.org"
    assert message["Subject"] == "Une visite vous attend"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "Hélène Côté est à l'accueil." in message.get_content()
    assert "Ouvrir: http://127.0.0.1/panel/" in message.get_content()
    delivery = await post.delivery(delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 1, "")
    assert delivery.delivered_at == post.clock.now and delivery.next_attempt_at is None

    post.clock.advance(days=1)
    assert await post.run() == 0
    assert len(post.mailbox.messages) == 1


async def test_a_chat_webhook_failing_three_times_then_succeeding_gets_the_message_exactly_once(post: Post):
    post.hooks.script["billing"] = [500, 500, 500]
    live = await post.client.ws_connect("/api/ws", headers=post.auth("reception"))
    assert (await live.receive_json(timeout=2)) == {"type": "ready"}
    delivery_id = await post.enqueue(SLACK, post.hooks.url("billing"))
    started = post.clock.now

    assert await post.run() == 1
    for attempt, wait in enumerate([10, 30, 120], start=1):
        delivery = await post.delivery(delivery_id)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, attempt)
        assert delivery.last_error == "HTTP 500: boom"
        assert delivery.next_attempt_at == post.clock.now + dt.timedelta(seconds=wait)
        event = await live.receive_json(timeout=2)
        assert event["type"] == "delivery.updated"
        assert (event["delivery"]["id"], event["delivery"]["status"]) == (delivery_id, "retrying")
        # Backoff: a second short of the wait, nothing is sent.
        post.clock.advance(seconds=wait - 1)
        assert await post.run() == 0
        assert len(post.hooks.received["billing"]) == attempt
        post.clock.advance(seconds=1)
        assert await post.run() == 1

    assert [r.answered for r in post.hooks.received["billing"]] == [500, 500, 500, 200]
    assert len(post.hooks.delivered("billing")) == 1
    delivery = await post.delivery(delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 4, "")
    assert delivery.delivered_at == started + dt.timedelta(seconds=10 + 30 + 120)
    assert (await live.receive_json(timeout=2))["delivery"]["status"] == "delivered"
    post.clock.advance(days=1)
    assert await post.run() == 0
    assert len(post.hooks.received["billing"]) == 4
    await live.close()


async def test_teams_gets_an_adaptive_card_with_a_signature_it_can_check(post: Post):
    await post.enqueue(TEAMS, post.hooks.url("teams"), subject="Appel manqué", body="Rappeler M. Roy.",
                       payload={"fields": [{"title": "Numéro", "value": "514 555 0123"}],
                                "link": {"url": "http://127.0.0.1/panel/", "label": "Ouvrir"}}, about="call:3")
    assert await post.run() == 1

    [got] = post.hooks.received["teams"]
    assert got.headers["Content-Type"].startswith("application/json")
    message = got.json
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert [b["type"] for b in card["body"]] == ["TextBlock", "TextBlock", "FactSet"]
    assert (card["body"][0]["text"], card["body"][1]["text"]) == ("Appel manqué", "Rappeler M. Roy.")
    assert card["body"][2]["facts"] == [{"title": "Numéro", "value": "514 555 0123"}]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Ouvrir", "url": "http://127.0.0.1/panel/"}]
    # The receiver's check: HMAC-SHA256 over "<timestamp>.<raw body>", with the shared secret.
    timestamp = got.headers["X-Accueil-Timestamp"]
    assert int(timestamp) == int(post.clock.now.timestamp())
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + got.raw, hashlib.sha256).hexdigest()
    assert got.headers["X-Accueil-Signature"] == f"v1={expected}"
    forged = hmac.new(b"another secret", timestamp.encode() + b"." + got.raw, hashlib.sha256).hexdigest()
    assert got.headers["X-Accueil-Signature"] != f"v1={forged}"


async def test_slack_gets_text_and_blocks_with_the_visitor_s_words_escaped(post: Post):
    await post.enqueue(SLACK, post.hooks.url("slack"), subject="Visite", body="<!channel> & Cie",
                       payload={"fields": [{"title": "Service", "value": "Facturation"}]})
    assert await post.run() == 1
    message = post.hooks.received["slack"][0].json
    assert message["text"] == "Visite\n&lt;!channel&gt; &amp; Cie"
    assert message["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Visite"}}
    assert message["blocks"][1]["text"] == {"type": "mrkdwn", "text": "&lt;!channel&gt; &amp; Cie"}
    assert message["blocks"][2]["fields"] == [{"type": "mrkdwn", "text": "*Service*\nFacturation"}]


async def test_a_permanent_refusal_fails_at_once(post: Post):
    post.hooks.script["gone"] = [400]
    delivery_id = await post.enqueue(SLACK, post.hooks.url("gone"))
    assert await post.run() == 1
    delivery = await post.delivery(delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.FAILED, 1, "HTTP 400: boom")
    assert delivery.next_attempt_at is None
    post.clock.advance(days=1)
    assert await post.run() == 0
    assert len(post.hooks.received["gone"]) == 1


async def test_failed_after_the_last_attempt(post: Post):
    post.hooks.script["down"] = [503, 408, 503, 502, 200]
    delivery_id = await post.enqueue(TEAMS, post.hooks.url("down"))
    for wait in (0, 10, 30, 120):
        post.clock.advance(seconds=wait)
        assert await post.run() == 1
    delivery = await post.delivery(delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.FAILED, 4, "HTTP 502: boom")
    post.clock.advance(days=1)
    assert await post.run() == 0
    assert len(post.hooks.received["down"]) == 4 and post.hooks.delivered("down") == []


async def test_rate_limited_waits_as_long_as_asked(post: Post):
    post.hooks.script["busy"] = [429]
    delivery_id = await post.enqueue(SLACK, post.hooks.url("busy"))
    assert await post.run() == 1
    delivery = await post.delivery(delivery_id)
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.next_attempt_at == post.clock.now + dt.timedelta(seconds=60)  # Retry-After, not 10 s
    post.clock.advance(seconds=59)
    assert await post.run() == 0
    post.clock.advance(seconds=1)
    assert await post.run() == 1
    assert (await post.delivery(delivery_id)).status == DeliveryStatus.DELIVERED


async def test_a_hanging_webhook_does_not_delay_an_email_of_the_same_round(post: Post):
    post.hooks.script["stuck"] = ["hang"]
    hook_id = await post.enqueue(SLACK, post.hooks.url("stuck"))  # older: claimed first
    email_id = await post.enqueue(EMAIL, "reception@example.org")

    round_ = asyncio.create_task(post.run())
    # The email is sent and recorded while the webhook still has not answered.
    await eventually(lambda: _status_is(post, email_id, DeliveryStatus.DELIVERED))
    assert len(post.mailbox.messages) == 1
    assert len(post.hooks.received["stuck"]) == 1 and not round_.done()
    hook = await post.delivery(hook_id)
    assert (hook.status, hook.attempts) == (DeliveryStatus.PENDING, 1)  # in flight

    post.hooks.release.set()
    assert await round_ == 2
    assert (await post.delivery(hook_id)).status == DeliveryStatus.DELIVERED


async def _status_is(post: Post, delivery_id: int, status: DeliveryStatus) -> bool:
    return (await post.delivery(delivery_id)).status == status


async def test_a_delivery_survives_a_restart_and_is_sent_once(start_post: StartPost):
    first = await start_post()
    async with first.database.write() as session:
        queued = await service.enqueue(session, EMAIL, "billing@example.org", "Appel", "Rappeler", None, "call:1",
                                       first.world.staff_ids["billing"], first.clock())
        in_flight = await service.enqueue(session, SLACK, first.hooks.url("billing"), "Appel", "Rappeler", None,
                                          "call:1", None, first.clock())
        queued_id, in_flight_id = queued.id, in_flight.id
    # The first backend takes both for sending (in two rounds), then stops before it could send them.
    async with first.database.write() as session:
        claimed = await service.claim_due(session, first.clock(), limit=1)
    assert [job.id for job in claimed] == [queued_id]
    async with first.database.write() as session:
        claimed = await service.claim_due(session, first.clock(), limit=1)
    assert [job.id for job in claimed] == [in_flight_id]
    await first.client.close()

    second = await start_post(world=first.world)
    assert await second.run() == 0  # both are someone's in flight: left alone until their lease runs out
    second.clock.advance(minutes=2)
    assert await second.run() == 2
    assert len(second.mailbox.messages) == 1 and len(second.hooks.delivered("billing")) == 1
    for delivery_id in (queued_id, in_flight_id):
        delivery = await second.delivery(delivery_id)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    second.clock.advance(days=1)
    assert await second.run() == 0
    assert len(second.mailbox.messages) == 1 and len(second.hooks.received["billing"]) == 1


async def test_a_delivery_enqueued_then_restarted_goes_out_from_the_new_backend(start_post: StartPost):
    first = await start_post()
    delivery_id = await first.enqueue(TEAMS, first.hooks.url("teams"))
    await first.client.close()
    second = await start_post(world=first.world)
    assert await second.run() == 1
    assert await second.run() == 0
    assert len(second.hooks.received["teams"]) == 1
    assert (await second.delivery(delivery_id)).status == DeliveryStatus.DELIVERED


async def test_two_backend_instances_never_send_one_delivery_twice(start_post: StartPost):
    one = await start_post()
    two = await start_post(world=one.world)
    targets = [one.hooks.url(f"room{n}") for n in range(4)]
    for n in range(24):
        if n % 3 == 0:
            await one.enqueue(EMAIL, f"person{n}@example.org", subject=f"Message {n}")
        else:
            await one.enqueue(SLACK, targets[n % 4], subject=f"Message {n}")

    tried = await asyncio.gather(run_due(one.app), run_due(two.app), run_due(one.app), run_due(two.app))

    assert sum(tried) == 24
    assert sorted(m["Subject"] for m in one.mailbox.messages) == sorted(f"Message {n}" for n in range(0, 24, 3))
    sent = [r.json["blocks"][0]["text"]["text"] for name in one.hooks.received for r in one.hooks.received[name]]
    assert sorted(sent) == sorted(f"Message {n}" for n in range(24) if n % 3)
    async with one.database.read() as session:
        assert await session.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.DELIVERED)) == 24
        assert await session.scalar(select(func.max(Delivery.attempts))) == 1


async def test_the_loop_sends_when_woken(start_post: StartPost):
    post = await start_post()  # polls hourly: only the wake-up can send this at once
    delivery_id = await post.enqueue(EMAIL, "billing@example.org")
    wake(post.app)
    await eventually(lambda: _status_is(post, delivery_id, DeliveryStatus.DELIVERED))
    assert len(post.mailbox.messages) == 1


async def test_the_loop_polls_by_itself(start_post: StartPost):
    post = await start_post(delivery_poll_seconds=0.02)
    delivery_id = await post.enqueue(SLACK, post.hooks.url("polled"))
    await eventually(lambda: _status_is(post, delivery_id, DeliveryStatus.DELIVERED))
    assert len(post.hooks.received["polled"]) == 1


async def test_a_notification_is_recorded_only_with_the_change_that_caused_it(post: Post):
    class ChangeFailed(Exception):
        pass

    with pytest.raises(ChangeFailed):
        async with post.database.write() as session:
            await service.enqueue(session, EMAIL, "billing@example.org", "Visite", "", None, "visit:1", None,
                                  post.clock())
            raise ChangeFailed
    for channel, target in ((EMAIL, "not an address"), (SLACK, "ftp://example.org/hook"), (TEAMS, "hooks")):
        with pytest.raises(InvalidInput) as refused:
            async with post.database.write() as session:
                await service.enqueue(session, channel, target, "Visite", "", None, "visit:1", None, post.clock())
        assert refused.value.errors[0].field == "target"
    async with post.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert await post.run() == 0


async def test_email_without_a_mail_server_fails_and_says_why(start_post: StartPost):
    post = await start_post(smtp_host=None)
    delivery_id = await post.enqueue(EMAIL, "billing@example.org")
    assert await post.run() == 1
    delivery = await post.delivery(delivery_id)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "Email is not set up on this server (ACCUEIL_SMTP_HOST)."
