"""Stripe, through the official library's async client: every call the product makes. Against real Stripe or the
local emulator alike; only the API base differs.

Every POST carries an idempotency key. Calls that create something (an intent, a reader action, a checkout, a
refund) use a key derived from our own payment or refund row, so asking again after a crash finds what was made
instead of making it twice; the others (cancels, expiries) are harmless to repeat and get stripe-python's own
random key, which makes its network retries safe."""
from __future__ import annotations

import datetime as dt
from typing import Any

import stripe

from shared.enums import PaymentProblem

# Stripe's decline codes, in the few plain-word reasons a visitor is told.
DECLINE_PROBLEMS = {
    "insufficient_funds": PaymentProblem.INSUFFICIENT_FUNDS,
    "expired_card": PaymentProblem.EXPIRED_CARD,
    "lost_card": PaymentProblem.LOST_OR_STOLEN,
    "stolen_card": PaymentProblem.LOST_OR_STOLEN,
    "incorrect_cvc": PaymentProblem.INCORRECT_CODE,
    "incorrect_pin": PaymentProblem.INCORRECT_CODE,
    "invalid_pin": PaymentProblem.INCORRECT_CODE,
    "processing_error": PaymentProblem.PROCESSING_ERROR,
}

# Test mode only: Stripe's documented test cards, tapped on a simulated reader.
TEST_CARDS = {
    "approved": "4242424242424242",
    "declined": "4000000000000002",
    "insufficient_funds": "4000000000009995",
    "expired_card": "4000000000000069",
}


def decline_problem(error: dict[str, Any] | None) -> PaymentProblem:
    """The plain reason behind Stripe's last_payment_error (or a reader action's failure)."""
    if not error:
        return PaymentProblem.DECLINED
    code = error.get("decline_code") or error.get("code") or ""
    return DECLINE_PROBLEMS.get(code, PaymentProblem.DECLINED)


class StripeGateway:
    def __init__(self, secret_key: str, *, api_base: str | None = None):
        self.test_mode = secret_key.startswith(("sk_test_", "rk_test_"))
        self._http = stripe.AIOHTTPClient()
        self.client = stripe.StripeClient(
            secret_key, http_client=self._http, max_network_retries=2,
            base_addresses={"api": api_base} if api_base else None)

    async def close(self) -> None:
        await self._http.close_async()

    @property
    def v1(self) -> Any:
        return self.client.v1

    async def card_present_intent(self, key: str, amount: int, currency: str, metadata: dict[str, str],
                                  description: str) -> dict[str, Any]:
        return _plain(await self.v1.payment_intents.create_async(
            {"amount": amount, "currency": currency.lower(), "allowed_payment_method_types": ["card_present"],
             "capture_method": "automatic", "metadata": metadata, "description": description},
            {"idempotency_key": f"{key}:intent"}))

    async def process_on_reader(self, key: str, reader_id: str, intent_id: str) -> dict[str, Any]:
        return _plain(await self.v1.terminal.readers.process_payment_intent_async(
            reader_id, {"payment_intent": intent_id}, {"idempotency_key": f"{key}:process"}))

    async def reader(self, reader_id: str) -> dict[str, Any]:
        return _plain(await self.v1.terminal.readers.retrieve_async(reader_id))

    async def cancel_reader_action(self, reader_id: str) -> None:
        await self.v1.terminal.readers.cancel_action_async(reader_id)

    async def present_test_card(self, reader_id: str, number: str) -> None:
        await self.v1.test_helpers.terminal.readers.present_payment_method_async(
            reader_id, {"type": "card_present", "card_present": {"number": number}})

    async def register_simulated_reader(self, label: str) -> str:
        reader = await self.v1.terminal.readers.create_async({"registration_code": "simulated-wpe", "label": label})
        return reader.id

    async def intent(self, intent_id: str) -> dict[str, Any]:
        return _plain(await self.v1.payment_intents.retrieve_async(intent_id, {"expand": ["latest_charge"]}))

    async def cancel_intent(self, intent_id: str) -> dict[str, Any]:
        return _plain(await self.v1.payment_intents.cancel_async(intent_id))

    async def checkout_session(self, key: str, *, lines: list[dict[str, Any]], currency: str,
                               metadata: dict[str, str], success_url: str, expires_at: dt.datetime,
                               locale: str, reference: str) -> dict[str, Any]:
        return _plain(await self.v1.checkout.sessions.create_async({
            "mode": "payment",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": currency.lower(), "unit_amount": line["amount"],
                "product_data": {"name": line["name"]}}} for line in lines],
            "success_url": success_url,
            "expires_at": int(expires_at.timestamp()),
            "client_reference_id": reference,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "locale": locale,
        }, {"idempotency_key": f"{key}:checkout"}))

    async def session(self, session_id: str) -> dict[str, Any]:
        return _plain(await self.v1.checkout.sessions.retrieve_async(
            session_id, {"expand": ["payment_intent", "payment_intent.latest_charge"]}))

    async def expire_session(self, session_id: str) -> dict[str, Any]:
        return _plain(await self.v1.checkout.sessions.expire_async(session_id))

    async def refund(self, key: str, intent_id: str, amount: int, metadata: dict[str, str]) -> dict[str, Any]:
        return _plain(await self.v1.refunds.create_async(
            {"payment_intent": intent_id, "amount": amount, "reason": "requested_by_customer",
             "metadata": metadata}, {"idempotency_key": f"{key}:refund"}))


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def card_of(intent: Any) -> tuple[str, str]:
    """(brand, last four) of the card that paid an intent whose latest_charge is expanded."""
    charge = intent.get("latest_charge") if intent else None
    if not isinstance(charge, dict):
        return "", ""
    details = charge.get("payment_method_details") or {}
    card = details.get("card_present") or details.get("card") or {}
    return str(card.get("brand") or ""), str(card.get("last4") or "")
