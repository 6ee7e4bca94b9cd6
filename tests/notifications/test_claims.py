"""Claims and outcomes under the row lock: a delivered notification never changes again, and a dispatcher that
reports after its lease ran out (another took the delivery since) cannot undo the later attempt."""
from __future__ import annotations

from backend.notifications import service
from backend.notifications.channels import DELIVERED, Outcome
from shared.enums import DeliveryChannel, DeliveryStatus
from tests.notifications.conftest import RETRY_SECONDS, Post

DOWN = Outcome(delivered=False, retry=True, error="HTTP 503: boom")


async def _claim(post: Post):
    async with post.database.write() as session:
        return await service.claim_due(session, post.clock())


async def _report(post: Post, job, outcome: Outcome):
    async with post.database.write() as session:
        return await service.record_outcome(session, job, outcome, post.clock(), RETRY_SECONDS)


async def test_once_delivered_nothing_changes_it(post: Post):
    delivery_id = await post.enqueue(DeliveryChannel.SLACK, post.hooks.url("x"))
    [job] = await _claim(post)
    assert (await _report(post, job, DELIVERED)).status == DeliveryStatus.DELIVERED
    assert await _report(post, job, DOWN) is None
    assert await _report(post, job, DELIVERED) is None
    delivery = await post.delivery(delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 1, "")
    post.clock.advance(days=1)
    assert await _claim(post) == []


async def test_a_report_after_the_lease_ran_out_does_not_undo_the_later_attempt(post: Post):
    delivery_id = await post.enqueue(DeliveryChannel.SLACK, post.hooks.url("x"))
    [late] = await _claim(post)
    assert await _claim(post) == []  # in flight: nobody else takes it
    post.clock.advance(seconds=service.IN_FLIGHT_LEASE.total_seconds())
    [again] = await _claim(post)
    assert (late.attempt, again.attempt) == (1, 2)
    # The first dispatcher's failure comes in late: attempt 2 is under way, so it counts for nothing.
    assert await _report(post, late, DOWN) is None
    delivery = await post.delivery(delivery_id)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, "")
    # Its success would still count: the message did go out.
    assert (await _report(post, late, DELIVERED)).status == DeliveryStatus.DELIVERED
    assert await _report(post, again, DOWN) is None


async def test_sends_queued_to_one_target_get_longer_leases(post: Post):
    ids = [await post.enqueue(DeliveryChannel.SLACK, post.hooks.url("x")) for _ in range(3)]
    ids.append(await post.enqueue(DeliveryChannel.SLACK, post.hooks.url("y")))
    at = post.clock.now
    await _claim(post)
    leases = [(await post.delivery(i)).next_attempt_at - at for i in ids]
    lease = service.IN_FLIGHT_LEASE
    assert leases == [lease, lease * 2, lease * 3, lease]


def test_backoff_follows_the_schedule_then_stops():
    assert [service.next_wait(n, DOWN, RETRY_SECONDS) for n in (1, 2, 3, 4)] == [10, 30, 120, None]
    assert service.next_wait(1, Outcome(delivered=False, error="HTTP 400"), RETRY_SECONDS) is None
    asked = Outcome(delivered=False, retry=True, retry_after=7200)
    assert service.next_wait(1, asked, RETRY_SECONDS) == service.MAX_RETRY_AFTER
    assert service.next_wait(3, Outcome(delivered=False, retry=True, retry_after=5), RETRY_SECONDS) == 120
