"""Card on the reader and pay-by-phone, end to end: the real stripe library against the emulator, its signed
webhooks into the real backend, and the sweep on a clock the test moves."""
from __future__ import annotations

import re

import aiohttp
from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.payments.models import Payment
from backend.payments.service import check_value
from backend.receipts.models import ReceiptRecord
from tests.backend.conftest import next_event
from tests.payments.conftest import Till


async def _count(till: Till, model) -> int:
    async with till.database.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _request_state(till: Till, request_id: int) -> str:
    response = await till.client.get(f"/api/payment-requests/{request_id}", headers=till.auth("reception"))
    return (await response.json())["state"]


async def test_a_card_approved_on_the_reader_pays_the_request_with_a_receipt(till: Till):
    request = await till.request(("Consultation", 1, 5000), ("Copie de dossier", 2, 1000))
    # Québec: TPS 5 % and TVQ 9.975 % on the subtotal of 70.00 $.
    assert (request["subtotal"], [t["amount"] for t in request["taxes"]], request["total"]) == (7000, [350, 698], 8048)
    live = await till.live("kiosk_a")
    payment = await till.start(request["id"])
    assert payment["state"] == "waiting" and payment["method"] == "card_present" and payment["amount"] == 8048
    assert (await next_event(live))["payment"]["state"] == "waiting"
    await till.tap(payment["id"], "approved")
    event = await next_event(live)
    assert event["type"] == "payment.updated" and event["payment"]["state"] == "succeeded"
    paid = await till.payment(payment["id"])
    assert (paid["card_brand"], paid["card_last4"]) == ("Visa", "4242")
    assert paid["receipt_number"] == f"R-{payment['id']:06d}" and paid["receipt_url"].startswith("http")
    assert await _request_state(till, request["id"]) == "paid"
    # The intent Stripe holds says the same.
    intent = await till.cashier.gateway.intent((await _payment(till, payment["id"])).payment_intent_id)
    assert intent["status"] == "succeeded" and intent["amount_received"] == 8048
    # Paying again is refused: a request is paid once.
    again = await till.client.post(f"/api/kiosk/payment-requests/{request['id']}/card-payments",
                                   headers=till.auth("kiosk_a"))
    assert again.status == 409


async def _payment(till: Till, payment_id: int) -> Payment:
    async with till.database.read() as session:
        return await session.get(Payment, payment_id)


async def test_a_declined_card_says_why_and_another_card_can_then_pay(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    first = await till.start(request["id"])
    await till.tap(first["id"], "insufficient_funds")
    failed = await till.payment(first["id"])
    assert (failed["state"], failed["problem"]) == ("failed", "insufficient_funds")
    assert "insufficient funds" in failed["problem_detail"].lower()
    second = await till.start(request["id"])
    await till.tap(second["id"], "declined")
    assert (await till.payment(second["id"]))["problem"] == "declined"
    assert await _request_state(till, request["id"]) == "open"
    third = await till.start(request["id"])
    await till.tap(third["id"], "approved")
    assert (await till.payment(third["id"]))["state"] == "succeeded"
    assert await _count(till, ReceiptRecord) == 1


async def test_the_reader_times_out_and_the_visitor_can_cancel(till: Till):
    request = await till.request(("Stationnement", 1, 300))
    waiting = await till.start(request["id"])
    till.clock.advance(seconds=60)
    await till.cashier.sweep()
    assert (await till.payment(waiting["id"]))["state"] == "waiting"
    till.clock.advance(seconds=31)  # past the 90 s the reader waits
    await till.cashier.sweep()
    timed_out = await till.payment(waiting["id"])
    assert (timed_out["state"], timed_out["problem"]) == ("timed_out", "timed_out")
    reader = await till.cashier.gateway.v1.terminal.readers.retrieve_async(
        (await _payment(till, waiting["id"])).reader_id)
    assert reader.action is None  # the reader stopped asking for a card
    again = await till.start(request["id"])
    cancelled = await till.client.post(f"/api/kiosk/payments/{again['id']}/cancel", headers=till.auth("kiosk_a"))
    assert (await cancelled.json())["state"] == "cancelled"
    # A card tapped after the cancel takes nothing.
    tap = await till.client.post(f"/api/kiosk/payments/{again['id']}/test-card", json={"outcome": "approved"},
                                 headers=till.auth("kiosk_a"))
    assert tap.status == 409
    assert await _request_state(till, request["id"]) == "open"


async def _pay_on_phone(checkout_url: str, card: str = "4242 4242 4242 4242") -> str:
    async with aiohttp.ClientSession() as phone:
        page = await (await phone.get(checkout_url)).text()
        action = re.search(r'<form[^>]*action="([^"]+)"', page)
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
        card_field = re.search(r'<input[^>]*name="([^"]+)"[^>]*autocomplete="cc-number"', page) or \
            re.search(r'<input[^>]*name="(card[^"]*)"', page)
        fields[card_field.group(1)] = card
        target = aiohttp.client.URL(checkout_url).join(aiohttp.client.URL(action.group(1) if action else ""))
        return await (await phone.post(target, data=fields)).text()


async def test_paying_by_phone_completes_and_leads_to_the_receipt(till: Till):
    request = await till.request(("Copie de dossier", 1, 1500))
    live = await till.live("kiosk_a")
    payment = await till.start(request["id"], "phone")
    assert payment["state"] == "waiting" and payment["checkout_url"].startswith(till.emulator.base_url)
    await next_event(live)
    await _pay_on_phone(payment["checkout_url"])
    await till.emulator.settle()
    assert (await next_event(live))["payment"]["state"] == "succeeded"
    paid = await till.payment(payment["id"])
    assert paid["card_last4"] == "4242" and paid["receipt_url"]
    stored = await _payment(till, payment["id"])
    # The session id alone (it is in the QR code anyone could photograph) leads nowhere.
    guessed = await till.client.get(f"/pay/complete?session_id={stored.checkout_session_id}", allow_redirects=False)
    assert guessed.status == 404
    landing = await till.client.get(f"/pay/complete?session_id={stored.checkout_session_id}"
                                    f"&check={check_value(stored)}", allow_redirects=False)
    assert landing.status == 303 and paid["receipt_url"].endswith(landing.headers["Location"])
    copy = await till.client.get(landing.headers["Location"])
    assert copy.status == 200 and "Copie de dossier" in await copy.text()


async def test_the_qr_code_expires_and_a_checkout_expired_at_stripe_settles_too(till: Till):
    request = await till.request(("Copie de dossier", 1, 1500))
    payment = await till.start(request["id"], "phone")
    till.clock.advance(minutes=6)  # past the kiosk's 5 minutes
    await till.cashier.sweep()
    expired = await till.payment(payment["id"])
    assert (expired["state"], expired["problem"]) == ("expired", "expired")
    session = await till.cashier.gateway.session((await _payment(till, payment["id"])).checkout_session_id)
    assert session["status"] == "expired"  # a phone that scanned it can no longer pay
    # Expired at Stripe's end (its own clock): the webhook settles it.
    second = await till.start(request["id"], "phone")
    await till.cashier.gateway.expire_session((await _payment(till, second["id"])).checkout_session_id)
    await till.emulator.settle()
    assert (await till.payment(second["id"]))["state"] == "expired"


async def test_partial_then_full_refunds_and_no_more(till: Till):
    request = await till.request(("Consultation", 1, 10000))
    payment = await till.start(request["id"])
    await till.tap(payment["id"])
    total = (await till.payment(payment["id"]))["amount"]
    url = f"/api/payments/{payment['id']}/refunds"
    first = await till.client.post(url, json={"amount": 2500, "reason": "Copie non requise"},
                                   headers=till.auth("reception"))
    assert first.status == 201 and (await first.json())["state"] == "succeeded"
    too_much = await till.client.post(url, json={"amount": total, "reason": "Erreur"}, headers=till.auth("reception"))
    assert too_much.status == 422 and (await too_much.json())["errors"][0]["field"] == "amount"
    rest = await till.client.post(url, json={"amount": total - 2500, "reason": "Annulation du rendez-vous"},
                                  headers=till.auth("reception"))
    assert rest.status == 201
    assert (await till.payment(payment["id"]))["refunded"] == total
    intent = await till.cashier.gateway.intent((await _payment(till, payment["id"])).payment_intent_id)
    assert intent["latest_charge"]["amount_refunded"] == total
    billing = await till.client.post(url, json={"amount": 1, "reason": "Essai"}, headers=till.auth("billing"))
    assert billing.status == 403
    async with till.database.read() as session:
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "payment")))
    assert actions.count("payment.refunded") == 2 and actions.count("payment.refund_requested") == 2


async def test_a_duplicate_webhook_changes_nothing(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    payment = await till.start(request["id"])
    await till.tap(payment["id"])
    before = await till.row_counts()
    succeeded = [e for e in till.emulator.events if e["type"] == "payment_intent.succeeded"]
    await till.emulator.resend(succeeded[-1]["id"])
    await till.emulator.settle()
    assert till.emulator.deliveries[-1][1] == 200
    after = await till.row_counts()
    assert after == before


async def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    payment = await till.start(request["id"])
    before = await till.row_counts()
    body = ('{"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {"id": "%s"}}}'
            % (await _payment(till, payment["id"])).payment_intent_id)
    for signature in ("t=1,v1=" + "0" * 64, "", "garbage"):
        response = await till.client.post("/hooks/stripe", data=body, headers={
            "Stripe-Signature": signature, "Content-Type": "application/json"})
        assert response.status == 400
    assert await till.row_counts() == before
    assert (await till.payment(payment["id"]))["state"] == "waiting"


async def test_a_crash_after_stripe_took_the_money_is_reconciled_once(till: Till, monkeypatch):
    """Our commit fails after Stripe succeeded: the webhook answers 500, Stripe sends it again, it settles once."""
    from backend.receipts import service as receipts

    issue = receipts.issue
    crashes = []

    def crash_once(session, payment, at):
        if not crashes:
            crashes.append(payment.id)
            raise RuntimeError("injected crash before commit")
        return issue(session, payment, at)

    monkeypatch.setattr(receipts, "issue", crash_once)
    request = await till.request(("Consultation", 1, 5000))
    payment = await till.start(request["id"])
    await till.tap(payment["id"])
    assert crashes == [payment["id"]]
    assert any(status == 500 for _event, status, _attempt in till.emulator.deliveries)
    assert (await till.payment(payment["id"]))["state"] == "succeeded"
    assert await _count(till, ReceiptRecord) == 1
    async with till.database.read() as session:
        succeeded = await session.scalar(select(func.count()).select_from(AuditEvent)
                                         .where(AuditEvent.action == "payment.succeeded"))
    assert succeeded == 1


async def test_lost_webhooks_are_made_good_by_asking_stripe(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    payment = await till.start(request["id"])
    till.emulator.webhook_url = "http://127.0.0.1:9/nowhere"  # every webhook from now on is lost
    await till.tap(payment["id"])
    assert (await till.payment(payment["id"]))["state"] == "waiting"
    till.clock.advance(seconds=61)
    await till.cashier.sweep()
    assert (await till.payment(payment["id"]))["state"] == "succeeded"
    await till.cashier.sweep()
    assert await _count(till, ReceiptRecord) == 1


async def test_an_answer_lost_between_stripe_and_our_database_is_found_again(till: Till, monkeypatch):
    """The intent is created at Stripe, then we crash before recording it: the sweep asks again with the same
    idempotency key, finds that very intent (not a second one) and calls it off."""
    from backend.payments.service import Cashier

    record = Cashier._record
    lost = []

    async def crash(self, payment_id, **values):
        lost.append(values["payment_intent_id"])
        raise RuntimeError("injected crash after Stripe answered")

    monkeypatch.setattr(Cashier, "_record", crash)
    request = await till.request(("Consultation", 1, 5000))
    response = await till.client.post(f"/api/kiosk/payment-requests/{request['id']}/card-payments",
                                      headers=till.auth("kiosk_a"))
    assert response.status == 500 and len(lost) == 1
    monkeypatch.setattr(Cashier, "_record", record)
    till.clock.advance(seconds=31)
    await till.cashier.sweep()
    async with till.database.read() as session:
        payment = await session.scalar(select(Payment))
    assert payment.state == "cancelled" and payment.payment_intent_id == lost[0]
    assert (await till.cashier.gateway.intent(lost[0]))["status"] == "canceled"
    # The visitor tries again and pays.
    again = await till.start(request["id"])
    await till.tap(again["id"])
    assert (await till.payment(again["id"]))["state"] == "succeeded"
