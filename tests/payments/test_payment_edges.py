"""The edges where money is lost or doubled: a webhook in pieces, paying what staff cancelled, two kiosks at once,
amounts beyond what a payment may be."""
from __future__ import annotations

import asyncio
import json

import stripe
import yarl
from sqlalchemy import select

from backend.kiosks.models import KioskDevice
from backend.payments.models import PaymentRequest, Refund
from tests.payments.conftest import WEBHOOK_SECRET, Till
from tests.payments.test_payment_flows import _pay_on_phone


async def test_a_webhook_arriving_in_pieces_is_read_whole(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    payment = await till.start(request["id"])
    till.emulator.webhook_url = "http://127.0.0.1:9/nowhere"  # we deliver this one by hand
    await till.tap(payment["id"])
    event = next(e for e in reversed(till.emulator.events) if e["type"] == "payment_intent.succeeded")
    body = json.dumps({**event, "padding": "x" * 3000}).encode()
    signature = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
    url = yarl.URL(str(till.client.make_url("/hooks/stripe")))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    head = (f"POST /hooks/stripe HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: application/json\r\n"
            f"Stripe-Signature: {signature}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    writer.write(head + body[:1500])
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.write(body[1500:])
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert (await till.payment(payment["id"]))["state"] == "succeeded"


async def test_money_taken_for_a_cancelled_request_is_given_back(till: Till):
    request = await till.request(("Copie de dossier", 1, 1500))
    payment = await till.start(request["id"], "phone")
    # While the visitor is paying, staff cannot cancel the request...
    refused = await till.client.post(f"/api/payment-requests/{request['id']}/cancel", headers=till.auth("reception"))
    assert refused.status == 409
    # ...but if it was cancelled anyway (the phone paid after), the money goes back by itself.
    async with till.database.write() as session:
        (await session.get(PaymentRequest, request["id"])).state = "cancelled"
    await _pay_on_phone(payment["checkout_url"])
    await till.emulator.settle()
    paid = await till.payment(payment["id"])
    assert paid["state"] == "succeeded" and paid["refunded"] == paid["amount"]
    async with till.database.read() as session:
        refund = (await session.execute(select(Refund))).scalar_one()
    assert refund.state == "succeeded" and "cancelled" in refund.reason


async def test_one_kiosk_cannot_call_off_another_kiosks_payment(till: Till):
    async with till.database.write() as session:
        (await session.get(KioskDevice, till.world.kiosk_ids["kiosk_b"])).stripe_reader_id = \
            await till.cashier.gateway.register_simulated_reader("Lecteur B")
    request = await till.request(("Consultation", 1, 5000))
    first = await till.start(request["id"], "card", kiosk="kiosk_a")
    other = await till.client.post(f"/api/kiosk/payment-requests/{request['id']}/card-payments",
                                   headers=till.auth("kiosk_b"))
    assert other.status == 409 and "another kiosk" in (await other.json())["detail"]
    assert (await till.payment(first["id"]))["state"] == "waiting"
    # The same kiosk starting again replaces its own attempt.
    again = await till.start(request["id"], "phone", kiosk="kiosk_a")
    assert (await till.payment(first["id"]))["state"] == "cancelled" and again["state"] == "waiting"


async def test_a_total_beyond_what_a_payment_may_be_is_refused(till: Till):
    response = await till.client.post("/api/payment-requests", headers=till.auth("reception"), json={
        "payer_name": "Hélène Côté", "lines": [{"description": "Immeuble", "quantity": 1000,
                                                 "unit_amount": 100_000_000}]})
    problem = await response.json()
    assert response.status == 422 and problem["errors"][0]["code"] == "total_too_large"


async def test_a_refund_reason_of_spaces_is_refused(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    payment = await till.start(request["id"])
    await till.tap(payment["id"])
    response = await till.client.post(f"/api/payments/{payment['id']}/refunds", json={"amount": 100, "reason": "   "},
                                      headers=till.auth("reception"))
    assert response.status == 422 and (await response.json())["errors"][0]["field"] == "reason"
    assert (await till.payment(payment["id"]))["refunded"] == 0
