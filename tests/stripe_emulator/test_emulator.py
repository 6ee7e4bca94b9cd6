"""The Stripe emulator through the official stripe library: what the product sees must be what Stripe sends."""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import stripe
from aiohttp import web

from backend.stripe_emulator import StripeEmulator, app as emulator_app, running_emulator
from tests.stripe_emulator.conftest import KEY, SECRET, Clock, stripe_client

DECLINES = [
    # number, code, decline_code, message
    ("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
    ("4000000000009995", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ("4000000000009987", "card_declined", "lost_card", "Your card was declined."),
    ("4000000000009979", "card_declined", "stolen_card", "Your card was declined."),
    ("4000000000000069", "expired_card", "expired_card", "Your card has expired."),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    ("4000000000000119", "processing_error", "processing_error",
     "An error occurred while processing your card. Try again in a little bit."),
]


async def _terminal_intent(client: stripe.StripeClient, amount: int = 2500, **extra) -> stripe.PaymentIntent:
    # stripe 16 pins API 2026-10-28.endive, where Terminal intents name card_present this way.
    return await client.v1.payment_intents.create_async(
        {"amount": amount, "currency": "eur", "allowed_payment_method_types": ["card_present"], **extra})


async def _reader(client: stripe.StripeClient) -> stripe.terminal.Reader:
    return await client.v1.terminal.readers.create_async({"registration_code": "simulated-wpe", "label": "Accueil"})


async def _tap(client: stripe.StripeClient, emulator: StripeEmulator, reader_id: str, intent_id: str,
               number: str | None = None) -> stripe.terminal.Reader:
    await client.v1.terminal.readers.process_payment_intent_async(reader_id, {"payment_intent": intent_id})
    params = {"type": "card_present", "card_present": {"number": number}} if number else {}
    tapped = await client.v1.test_helpers.terminal.readers.present_payment_method_async(reader_id, params)
    await emulator.settle()
    return tapped


# PaymentIntents


async def test_a_payment_intent_is_created_retrieved_and_cancelled(client, emulator, receiver):
    created = await _terminal_intent(client, description="Consultation", metadata={"visit": "v-42"})
    assert created.id.startswith("pi_") and created.object == "payment_intent"
    assert (created.status, created.amount, created.currency) == ("requires_payment_method", 2500, "eur")
    assert created.payment_method_types == ["card_present"] and created.livemode is False
    assert created.metadata.to_dict() == {"visit": "v-42"} and created.description == "Consultation"
    assert created.latest_charge is None and created.created == int(emulator.state.now())

    fetched = await client.v1.payment_intents.retrieve_async(created.id)
    assert fetched.to_dict() == created.to_dict()

    cancelled = await client.v1.payment_intents.cancel_async(created.id, {"cancellation_reason": "abandoned"})
    assert (cancelled.status, cancelled.cancellation_reason) == ("canceled", "abandoned")
    assert cancelled.canceled_at is not None
    await emulator.settle()
    assert receiver.types() == ["payment_intent.created", "payment_intent.canceled"]


async def test_a_succeeded_payment_intent_cannot_be_cancelled(client, emulator):
    reader = await _reader(client)
    intent = await _terminal_intent(client)
    await _tap(client, emulator, reader.id, intent.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.payment_intents.cancel_async(intent.id)
    assert raised.value.http_status == 400 and raised.value.code == "payment_intent_unexpected_state"
    assert "status of succeeded" in raised.value.user_message


async def test_unknown_ids_are_404_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.payment_intents.retrieve_async("pi_x")
    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"
    assert raised.value.user_message == "No such payment_intent: 'pi_x'"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.terminal.readers.retrieve_async("tmr_x")
    assert raised.value.user_message == "No such terminal.reader: 'tmr_x'"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.refunds.create_async({"payment_intent": "pi_nope"})
    assert (raised.value.http_status, raised.value.param) == (404, "payment_intent")


async def test_parameters_are_checked_as_stripe_does(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.payment_intents.create_async({"currency": "eur"})
    assert (raised.value.code, raised.value.param) == ("parameter_missing", "amount")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.payment_intents.create_async({"amount": 100, "currency": "eur", "colour": "blue"})
    assert (raised.value.code, raised.value.param) == ("parameter_unknown", "colour")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.payment_intents.create_async({"amount": 10, "currency": "eur"})
    assert raised.value.code == "amount_too_small"
    assert raised.value.user_message == "Amount must be at least €0.50 eur"


async def test_server_side_confirmation_declines_raise_card_error(client):
    intent = await client.v1.payment_intents.create_async({"amount": 1000, "currency": "eur"})
    with pytest.raises(stripe.CardError) as raised:
        await client.v1.payment_intents.confirm_async(
            intent.id, {"payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds"})
    assert raised.value.http_status == 402
    assert (raised.value.code, raised.value.error.decline_code) == ("card_declined", "insufficient_funds")
    assert raised.value.error.payment_intent.status == "requires_payment_method"
    paid = await client.v1.payment_intents.confirm_async(intent.id, {"payment_method": "pm_card_visa"})
    assert (paid.status, paid.amount_received) == ("succeeded", 1000)


async def test_payment_method_types_follows_the_requested_api_version(client):
    # stripe 16 pins 2026-10-28.endive, where Stripe refuses payment_method_types on PaymentIntents.
    params = {"amount": 900, "currency": "eur", "payment_method_types": ["card_present"]}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.payment_intents.create_async(params)
    assert (raised.value.code, raised.value.param) == (
        "payment_method_types_no_longer_supported", "payment_method_types")
    older = await client.v1.payment_intents.create_async(params, {"stripe_version": "2025-03-31.basil"})
    assert older.payment_method_types == ["card_present"] and older.allowed_payment_method_types is None
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.payment_intents.create_async(
            {"amount": 900, "currency": "eur", "allowed_payment_method_types": ["card_present"]},
            {"stripe_version": "2025-03-31.basil"})
    assert raised.value.code == "parameter_unknown"
    current = await _terminal_intent(client)
    assert current.payment_method_types == current.allowed_payment_method_types == ["card_present"]


# Terminal


async def test_readers_register_list_and_retrieve(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.terminal.readers.create_async({"registration_code": "puppies-plug-could"})
    assert raised.value.param == "registration_code"
    reader = await _reader(client)
    assert reader.id.startswith("tmr_") and reader.object == "terminal.reader"
    assert (reader.label, reader.device_type, reader.status, reader.action) == (
        "Accueil", "simulated_wisepos_e", "online", None)
    listed = await client.v1.terminal.readers.list_async()
    assert listed.object == "list" and [item.id for item in listed.data] == [reader.id]
    assert (await client.v1.terminal.readers.retrieve_async(reader.id)).to_dict() == reader.to_dict()


@pytest.mark.parametrize(("number", "brand", "last4", "country"), [
    (None, "visa", "4242", "US"),
    ("5555555555554444", "mastercard", "4444", "US"),
    ("378282246310005", "amex", "0005", "US"),
    ("4000001240000000", "visa", "0000", "CA"),
])
async def test_an_approved_card_tapped_on_a_reader_pays(client, emulator, receiver, number, brand, last4, country):
    reader = await _reader(client)
    intent = await _terminal_intent(client, metadata={"visit": "v-1"})
    processing = await client.v1.terminal.readers.process_payment_intent_async(
        reader.id, {"payment_intent": intent.id})
    assert processing.action.to_dict() == {
        "type": "process_payment_intent", "status": "in_progress",
        "process_payment_intent": {"payment_intent": intent.id}, "failure_code": None, "failure_message": None}
    assert (await client.v1.payment_intents.retrieve_async(intent.id)).status == "requires_payment_method"

    params = {"type": "card_present", "card_present": {"number": number}} if number else {}
    tapped = await client.v1.test_helpers.terminal.readers.present_payment_method_async(reader.id, params)
    assert tapped.action.status == "in_progress"  # the outcome comes afterwards, as with Stripe
    await emulator.settle()

    paid = await client.v1.payment_intents.retrieve_async(intent.id, {"expand": ["latest_charge"]})
    assert (paid.status, paid.amount_received) == ("succeeded", 2500)
    charge = paid.latest_charge
    assert charge.id.startswith("ch_") and charge.object == "charge" and charge.status == "succeeded"
    assert charge.amount_refunded == 0 and charge.payment_intent == intent.id
    details = charge.payment_method_details
    assert details.type == "card_present"
    assert (details.card_present.brand, details.card_present.last4, details.card_present.country) == (
        brand, last4, country)
    assert (await client.v1.terminal.readers.retrieve_async(reader.id)).action.status == "succeeded"

    [succeeded] = receiver.of_type("payment_intent.succeeded")
    assert succeeded["data"]["object"]["id"] == intent.id and succeeded["data"]["object"]["status"] == "succeeded"
    assert succeeded["data"]["object"]["metadata"] == {"visit": "v-1"}
    [action] = receiver.of_type("terminal.reader.action_succeeded")
    assert action["data"]["object"]["action"]["process_payment_intent"]["payment_intent"] == intent.id
    assert action["livemode"] is False and action["api_version"] == stripe.api_version
    assert action["request"] == {"id": None, "idempotency_key": None}


@pytest.mark.parametrize(("number", "code", "decline_code", "message"), DECLINES)
async def test_a_declined_card_fails_the_reader_action(client, emulator, receiver, number, code, decline_code,
                                                       message):
    reader = await _reader(client)
    intent = await _terminal_intent(client)
    await _tap(client, emulator, reader.id, intent.id, number)

    failed = await client.v1.payment_intents.retrieve_async(intent.id)
    assert failed.status == "requires_payment_method"
    error = failed.last_payment_error
    assert (error.type, error.code, error.decline_code, error.message) == ("card_error", code, decline_code, message)
    action = (await client.v1.terminal.readers.retrieve_async(reader.id)).action
    assert (action.status, action.failure_code, action.failure_message) == ("failed", code, message)
    assert len(receiver.of_type("payment_intent.payment_failed")) == 1
    [event] = receiver.of_type("terminal.reader.action_failed")
    assert event["data"]["object"]["action"]["failure_code"] == code
    assert receiver.of_type("payment_intent.succeeded") == []

    # The customer tries another card on the same PaymentIntent.
    await _tap(client, emulator, reader.id, intent.id, "4242424242424242")
    assert (await client.v1.payment_intents.retrieve_async(intent.id)).status == "succeeded"


async def test_a_busy_reader_refuses_another_payment_and_cancel_action_frees_it(client, emulator, receiver):
    reader = await _reader(client)
    first, second = await _terminal_intent(client), await _terminal_intent(client)
    await client.v1.terminal.readers.process_payment_intent_async(reader.id, {"payment_intent": first.id})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.terminal.readers.process_payment_intent_async(reader.id, {"payment_intent": second.id})
    assert (raised.value.http_status, raised.value.code) == (400, "terminal_reader_busy")

    await emulator.settle()
    delivered = len(receiver.events)
    cancelled = await client.v1.terminal.readers.cancel_action_async(reader.id)
    assert cancelled.action is None
    await emulator.settle()
    assert len(receiver.events) == delivered  # cancel_action sends no webhook
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.test_helpers.terminal.readers.present_payment_method_async(reader.id)
    assert (await client.v1.payment_intents.retrieve_async(first.id)).status == "requires_payment_method"

    await _tap(client, emulator, reader.id, second.id)
    assert (await client.v1.payment_intents.retrieve_async(second.id)).status == "succeeded"


async def test_a_manual_capture_payment_waits_for_capture(client, emulator, receiver):
    reader = await _reader(client)
    intent = await _terminal_intent(client, amount=3000, capture_method="manual")
    await _tap(client, emulator, reader.id, intent.id)
    held = await client.v1.payment_intents.retrieve_async(intent.id)
    assert (held.status, held.amount_capturable, held.amount_received) == ("requires_capture", 3000, 0)
    captured = await client.v1.payment_intents.capture_async(intent.id, {"amount_to_capture": 2000})
    assert (captured.status, captured.amount_received) == ("succeeded", 2000)
    await emulator.settle()
    assert receiver.types().count("payment_intent.succeeded") == 1
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.refunds.create_async({"payment_intent": intent.id, "amount": 2001})
    assert raised.value.user_message.endswith("unrefunded amount on charge (€20.00)")


# Checkout


def _session_params(clock: Clock, **extra) -> dict:
    return {
        "mode": "payment", "success_url": "https://accueil.example/merci?session={CHECKOUT_SESSION_ID}",
        "line_items": [
            {"price_data": {"currency": "eur", "unit_amount": 1000, "product_data": {"name": "Séance d’accueil"}},
             "quantity": 1},
            {"price_data": {"currency": "eur", "unit_amount": 125, "product_data": {"name": "Café"}}, "quantity": 2},
        ],
        "expires_at": int(clock().timestamp()) + 3600, "client_reference_id": "visit-7",
        "metadata": {"visit": "v-7"}, "payment_intent_data": {"metadata": {"visit": "v-7"}}, **extra,
    }


@pytest.mark.parametrize(("minutes", "message"), [
    (10, "must be at least 30 minutes"), (25 * 60, "must be less than 24 hours")])
async def test_a_checkout_session_needs_expires_at_within_30_minutes_and_24_hours(client, clock, minutes, message):
    params = _session_params(clock, expires_at=int(clock().timestamp()) + minutes * 60)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.checkout.sessions.create_async(params)
    assert raised.value.param == "expires_at" and message in raised.value.user_message


async def test_a_checkout_session_is_created_open_and_unpaid(client, emulator, clock):
    session = await client.v1.checkout.sessions.create_async(_session_params(clock))
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert (session.amount_total, session.currency, session.client_reference_id) == (1250, "eur", "visit-7")
    assert session.url == f"{emulator.base_url}/pay/{session.id}"
    assert session.expires_at == int(clock().timestamp()) + 3600 and session.metadata.to_dict() == {"visit": "v-7"}
    expanded = await client.v1.checkout.sessions.retrieve_async(session.id, {"expand": ["line_items"]})
    assert [(item.description, item.quantity) for item in expanded.line_items.data] == [
        ("Séance d’accueil", 1), ("Café", 2)]


async def test_paying_on_the_checkout_page_completes_the_session(client, emulator, receiver, clock, http):
    session = await client.v1.checkout.sessions.create_async(_session_params(clock, locale="fr"))
    async with http.get(session.url) as page:
        html = await page.text()
    assert page.status == 200 and page.charset == "utf-8"
    assert "Séance d’accueil" in html and "Café" in html and "12,50\xa0€" in html
    assert 'value="4242 4242 4242 4242"' in html and 'lang="fr"' in html and "Payer 12,50\xa0€" in html

    async with http.post(session.url, data={"card_number": "4242 4242 4242 4242"}) as paid_page:
        html = await paid_page.text()
    assert paid_page.status == 200 and "Paiement accepté" in html
    assert f"https://accueil.example/merci?session={session.id}" in html
    await emulator.settle()

    paid = await client.v1.checkout.sessions.retrieve_async(
        session.id, {"expand": ["payment_intent", "payment_intent.latest_charge"]})
    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    intent = paid.payment_intent
    assert intent.id.startswith("pi_") and (intent.status, intent.amount_received) == ("succeeded", 1250)
    assert intent.metadata.to_dict() == {"visit": "v-7"}
    details = intent.latest_charge.payment_method_details
    assert (details.type, details.card.brand, details.card.last4) == ("card", "visa", "4242")
    [completed] = receiver.of_type("checkout.session.completed")
    assert completed["data"]["object"]["payment_intent"] == intent.id
    assert completed["data"]["object"]["client_reference_id"] == "visit-7"
    assert [event["data"]["object"]["id"] for event in receiver.of_type("payment_intent.succeeded")] == [intent.id]

    async with http.post(session.url, data={"card_number": "4242424242424242"}) as again:
        assert again.status == 409 and "Paiement accepté" in await again.text()


@pytest.mark.parametrize(("locale", "message"), [
    ("en", "Your card has insufficient funds."), ("fr", "Votre carte ne dispose pas de fonds suffisants.")])
async def test_a_declined_card_on_the_checkout_page_shows_the_decline(client, emulator, receiver, clock, http,
                                                                      locale, message):
    session = await client.v1.checkout.sessions.create_async(_session_params(clock, locale=locale))
    async with http.post(session.url, data={"card_number": "4000 0000 0000 9995"}) as page:
        html = await page.text()
    assert page.status == 402 and message in html and 'role="alert"' in html
    await emulator.settle()
    still = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert (still.status, still.payment_status, still.payment_intent) == ("open", "unpaid", None)
    assert receiver.of_type("checkout.session.completed") == []


async def test_the_expire_endpoint_expires_an_open_session_once(client, emulator, receiver, clock, http):
    session = await client.v1.checkout.sessions.create_async(_session_params(clock))
    expired = await client.v1.checkout.sessions.expire_async(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.checkout.sessions.expire_async(session.id)
    assert raised.value.http_status == 400
    async with http.get(session.url) as page:
        assert "expiré" in await page.text()
    async with http.post(session.url, data={"card_number": "4242424242424242"}) as paid:
        assert paid.status == 409
    await emulator.settle()
    [event] = receiver.of_type("checkout.session.expired")
    assert event["data"]["object"]["id"] == session.id and event["request"]["id"] is not None


async def test_sessions_expire_when_the_clock_passes_expires_at(client, emulator, receiver, clock):
    session = await client.v1.checkout.sessions.create_async(_session_params(clock))
    clock.advance(minutes=59)
    assert emulator.expire_due_sessions() == []
    clock.advance(minutes=1)
    fetched = await client.v1.checkout.sessions.retrieve_async(session.id)  # any request applies the clock
    assert fetched.status == "expired"
    assert emulator.expire_due_sessions() == []
    await client.v1.checkout.sessions.retrieve_async(session.id)
    await emulator.settle()
    [event] = receiver.of_type("checkout.session.expired")
    assert event["request"] == {"id": None, "idempotency_key": None}


async def test_the_background_task_expires_sessions_without_requests(receiver, clock, monkeypatch):
    monkeypatch.setattr(emulator_app, "EXPIRY_INTERVAL", 0.01)
    async with running_emulator(webhook_url=receiver.url, webhook_secret=SECRET, clock=clock) as emulator:
        async with stripe_client(emulator) as client:
            session = await client.v1.checkout.sessions.create_async(_session_params(clock))
        clock.advance(hours=2)
        for _ in range(200):
            if emulator.events:
                break
            await asyncio.sleep(0.01)
        [event] = emulator.events
        assert (event["type"], event["data"]["object"]["id"]) == ("checkout.session.expired", session.id)
        assert emulator.state.objects[session.id]["status"] == "expired"
        await emulator.settle()
    assert len(receiver.of_type("checkout.session.expired")) == 1


# Refunds


async def test_refunds_partial_then_the_rest_then_nothing_left(client, emulator, receiver):
    reader = await _reader(client)
    intent = await _terminal_intent(client, amount=5000)
    await _tap(client, emulator, reader.id, intent.id)

    first = await client.v1.refunds.create_async(
        {"payment_intent": intent.id, "amount": 2000, "reason": "requested_by_customer", "metadata": {"by": "ana"}})
    assert first.id.startswith("re_") and (first.status, first.amount, first.reason) == (
        "succeeded", 2000, "requested_by_customer")
    charge = (await client.v1.payment_intents.retrieve_async(intent.id, {"expand": ["latest_charge"]})).latest_charge
    assert (first.charge, charge.amount_refunded, charge.refunded) == (charge.id, 2000, False)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.refunds.create_async({"charge": charge.id, "amount": 4000})
    assert raised.value.param == "amount" and raised.value.user_message == (
        "Refund amount (€40.00) is greater than unrefunded amount on charge (€30.00)")

    rest = await client.v1.refunds.create_async({"payment_intent": intent.id})
    assert rest.amount == 3000
    charge = (await client.v1.payment_intents.retrieve_async(intent.id, {"expand": ["latest_charge"]})).latest_charge
    assert (charge.amount_refunded, charge.refunded) == (5000, True)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.refunds.create_async({"payment_intent": intent.id})
    assert raised.value.code == "charge_already_refunded"
    assert (await client.v1.refunds.retrieve_async(first.id)).metadata.to_dict() == {"by": "ana"}
    await emulator.settle()
    assert [event["data"]["object"]["id"] for event in receiver.of_type("refund.created")] == [first.id, rest.id]
    assert [event["data"]["object"]["amount_refunded"] for event in receiver.of_type("charge.refunded")] == [
        2000, 5000]


# Idempotency and authentication


async def test_an_idempotency_key_replays_the_first_answer(client, emulator, receiver):
    params = {"amount": 900, "currency": "eur", "metadata": {"order": "o-1"}}
    first = await client.v1.payment_intents.create_async(params, {"idempotency_key": "visit-9-payment"})
    again = await client.v1.payment_intents.create_async(params, {"idempotency_key": "visit-9-payment"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(emulator.state.of_kind("payment_intent")) == 1

    with pytest.raises(stripe.IdempotencyError) as raised:
        await client.v1.payment_intents.create_async({**params, "amount": 901}, {"idempotency_key": "visit-9-payment"})
    assert raised.value.http_status == 400 and "same parameters" in raised.value.user_message
    with pytest.raises(stripe.IdempotencyError):
        await client.v1.terminal.readers.create_async({"registration_code": "simulated-wpe"},
                                                      {"idempotency_key": "visit-9-payment"})
    await emulator.settle()
    [created] = receiver.of_type("payment_intent.created")
    assert created["request"]["idempotency_key"] == "visit-9-payment"


async def test_a_refused_request_is_not_kept_for_its_idempotency_key(client, emulator):
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.payment_intents.create_async({"currency": "eur"}, {"idempotency_key": "k"})
    fixed = await client.v1.payment_intents.create_async({"amount": 900, "currency": "eur"}, {"idempotency_key": "k"})
    assert fixed.status == "requires_payment_method"
    assert "Idempotent-Replayed" not in fixed.last_response.headers


async def test_a_card_decline_is_replayed_not_charged_again(client, emulator):
    intent = await client.v1.payment_intents.create_async({"amount": 1000, "currency": "eur"})
    confirm = {"payment_method": "pm_card_chargeDeclinedExpiredCard"}
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as raised:
            await client.v1.payment_intents.confirm_async(intent.id, confirm, {"idempotency_key": "confirm-1"})
        errors.append(raised.value)
    assert [error.code for error in errors] == ["expired_card", "expired_card"]
    assert errors[0].json_body == errors[1].json_body
    assert errors[1].headers["Idempotent-Replayed"] == "true"
    assert len(emulator.state.of_kind("charge")) == 1


async def test_live_keys_are_refused(emulator):
    for key in ("sk_live_abc", "rk_live_abc"):
        with pytest.raises(ValueError, match="live keys"):
            StripeEmulator(None, SECRET, secret_key=key)
        async with stripe_client(emulator, key) as client:
            with pytest.raises(stripe.AuthenticationError) as raised:
                await client.v1.payment_intents.create_async({"amount": 900, "currency": "eur"})
        assert raised.value.http_status == 401 and "Live keys are not accepted" in raised.value.user_message


async def test_requests_without_the_right_key_get_401(emulator, http):
    async with http.get(f"{emulator.base_url}/v1/terminal/readers") as response:
        body = await response.json()
    assert response.status == 401 and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("You did not provide an API key.")
    async with stripe_client(emulator, "sk_test_someone_else") as client:
        with pytest.raises(stripe.AuthenticationError) as raised:
            await client.v1.terminal.readers.list_async()
    assert "Invalid API Key provided" in raised.value.user_message
    async with http.get(f"{emulator.base_url}/v1/nothing", headers={"Authorization": f"Bearer {KEY}"}) as response:
        assert response.status == 404 and "Unrecognized request URL" in (await response.json())["error"]["message"]


# Webhook delivery


async def test_a_failing_receiver_gets_the_event_retried_and_resend_duplicates_it(client, emulator, receiver):
    receiver.fail_next = 2
    intent = await client.v1.payment_intents.create_async({"amount": 900, "currency": "eur"})
    await emulator.settle()
    [event] = emulator.events
    assert [(event_id, status, attempt) for event_id, status, attempt in emulator.deliveries] == [
        (event["id"], 500, 1), (event["id"], 500, 2), (event["id"], 200, 3)]
    assert receiver.refused == [event["id"], event["id"]]
    assert [received["id"] for received in receiver.events] == [event["id"]]
    assert receiver.events[0]["data"]["object"]["id"] == intent.id

    assert await emulator.resend(event["id"]) == 200
    assert [received["id"] for received in receiver.events] == [event["id"], event["id"]]
    assert emulator.deliveries[-1] == (event["id"], 200, 4)


async def test_an_unreachable_receiver_is_retried_then_given_up(client, emulator, receiver):
    emulator.webhook_url = "http://127.0.0.1:9/unreachable"
    started = time.monotonic()
    await client.v1.payment_intents.create_async({"amount": 900, "currency": "eur"})
    await emulator.settle()
    assert [(status, attempt) for _, status, attempt in emulator.deliveries] == [(None, 1), (None, 2), (None, 3),
                                                                                  (None, 4)]
    assert time.monotonic() - started >= sum((0.01, 0.02, 0.04))
    emulator.webhook_url = receiver.url
    assert await emulator.resend(emulator.events[0]["id"]) == 200


async def test_the_api_answers_before_webhooks_are_delivered(client, emulator, aiohttp_server):
    gate = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await gate.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/", slow)
    server = await aiohttp_server(app, host="127.0.0.1")
    emulator.webhook_url = str(server.make_url("/"))
    intent = await asyncio.wait_for(
        client.v1.payment_intents.create_async({"amount": 900, "currency": "eur"}), timeout=5)
    assert intent.status == "requires_payment_method" and emulator.deliveries == []
    gate.set()
    await emulator.settle()
    assert emulator.deliveries == [(emulator.events[0]["id"], 200, 1)]


async def test_only_enabled_event_types_are_delivered(receiver, clock):
    async with running_emulator(webhook_url=receiver.url, webhook_secret=SECRET, clock=clock,
                                enabled_events=["payment_intent.canceled"]) as emulator:
        async with stripe_client(emulator) as client:
            intent = await client.v1.payment_intents.create_async({"amount": 900, "currency": "eur"})
            await client.v1.payment_intents.cancel_async(intent.id)
        await emulator.settle()
    assert [event["type"] for event in emulator.events] == ["payment_intent.created", "payment_intent.canceled"]
    assert receiver.types() == ["payment_intent.canceled"]


# Serving


async def test_the_app_can_be_served_by_any_aiohttp_runner(aiohttp_client, clock):
    emulator = StripeEmulator(None, SECRET, clock=clock)
    http = await aiohttp_client(emulator.app)
    headers = {"Authorization": f"Bearer {KEY}"}
    expires_at = int(clock().timestamp()) + 3600
    response = await http.post("/v1/checkout/sessions", headers=headers, data={
        "mode": "payment", "expires_at": str(expires_at), "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur", "line_items[0][price_data][unit_amount]": "700",
        "line_items[0][price_data][product_data][name]": "Photocopies"})
    session = await response.json()
    assert response.status == 200 and response.headers["Request-Id"].startswith("req_")
    assert session["url"] == str(http.make_url(f"/pay/{session['id']}"))  # where the request reached it
    page = await http.get(f"/pay/{session['id']}")
    assert "Photocopies" in await page.text()
    assert emulator.events == [] and emulator.deliveries == []


async def test_the_command_line_runs_a_standalone_emulator(unused_tcp_port):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.stripe_emulator", "--port", str(unused_tcp_port), "--webhook-secret", SECRET,
        cwd=Path(__file__).resolve().parents[2], stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{unused_tcp_port}/v1/terminal/readers",
                                        headers={"Authorization": f"Bearer {KEY}"}) as response:
                        listed = await response.json()
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the emulator did not start")
        assert listed == {"object": "list", "data": [], "has_more": False, "url": "/v1/terminal/readers"}
    finally:
        process.terminate()
        _, stderr = await process.communicate()
    assert f"Stripe emulator on http://127.0.0.1:{unused_tcp_port}" in stderr.decode()
