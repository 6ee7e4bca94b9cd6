"""PaymentIntents and the charges a card makes on them: create, cancel, capture, and a card's outcome."""
from __future__ import annotations

from typing import Any

from backend.stripe_emulator import cards, versions
from backend.stripe_emulator.errors import StripeError, invalid, unexpected_state
from backend.stripe_emulator.forms import Params
from backend.stripe_emulator.money import check_amount, check_currency
from backend.stripe_emulator.params_known import check
from backend.stripe_emulator.state import Origin, State, StripeObject, new_id, render

PAYMENT_METHOD_TYPES = ("card", "card_present", "interac_present")
# Stripe's test PaymentMethods for server-side confirmation, by the test card each one stands for.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242", "pm_card_mastercard": "5555555555554444", "pm_card_amex": "378282246310005",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}
CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
              "processing")


def create_intent(state: State, p: Params, origin: Origin, api_version: str) -> StripeObject:
    check(p, "payment_intents.create", """amount currency payment_method_types allowed_payment_method_types
          capture_method description metadata receipt_email statement_descriptor statement_descriptor_suffix
          transfer_group confirm payment_method""")
    amount = p.int("amount", required=True)
    currency = check_currency(p.str("currency", required=True))
    check_amount(amount, currency)
    legacy, allowed = versions.method_types(p, api_version, PAYMENT_METHOD_TYPES)
    # Everything is read (and so checked) before anything is stored.
    capture_method = p.str("capture_method", choices=("automatic", "automatic_async", "manual"))
    description, metadata = p.str("description", max_length=1000), p.metadata()
    extras = {field: p.str(field) for field in ("receipt_email", "statement_descriptor",
                                                "statement_descriptor_suffix", "transfer_group")}
    confirm, method = p.bool("confirm"), p.str("payment_method", required=p.bool("confirm") is True)
    # Without either list, dynamic payment methods choose: cards, in this emulator.
    intent = new_intent(state, amount, currency, legacy or allowed or ["card"], capture_method=capture_method,
                        description=description, metadata=metadata)
    intent.update(extras, allowed_payment_method_types=allowed)
    if legacy is None and allowed is None:
        intent["automatic_payment_methods"] = {"allow_redirects": "always", "enabled": True}
    state.emit("payment_intent.created", intent, origin)
    if confirm:
        return _confirm(state, intent, method, origin)
    if method is not None:
        intent.update(status="requires_confirmation", _payment_method=method)
    return intent


def confirm_intent(state: State, p: Params, origin: Origin, intent_id: str) -> StripeObject:
    check(p, "payment_intents.confirm", "payment_method")
    intent = state.get("payment_intent", intent_id)
    method = p.str("payment_method") or intent.get("_payment_method")
    if method is None:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
                      "PaymentIntent with a payment method, provide one with the payment_method parameter.",
                      code="payment_intent_unexpected_state")
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(f"This PaymentIntent's status is {intent['status']}; it can only be confirmed with "
                               f"one of these statuses: {', '.join(CONFIRMABLE)}.")
    return _confirm(state, intent, method, origin)


def _confirm(state: State, intent: StripeObject, method: str, origin: Origin) -> StripeObject:
    """Server-side confirmation with a test PaymentMethod: a decline is a 402 card_error, as from Stripe."""
    if method not in TEST_PAYMENT_METHODS:
        raise invalid(f"No such PaymentMethod: '{method}'; the emulator knows Stripe's test PaymentMethods "
                      f"({', '.join(TEST_PAYMENT_METHODS)}).", code="resource_missing", param="payment_method")
    if "card" not in intent["payment_method_types"]:
        raise invalid(f"The PaymentIntent's payment_method_types ({', '.join(intent['payment_method_types'])}) do "
                      "not include card.", param="payment_method")
    intent.pop("_payment_method", None)
    card = cards.lookup(TEST_PAYMENT_METHODS[method])
    if not pay(state, intent, card, "card", origin):
        error = intent["last_payment_error"]
        raise StripeError(402, error["message"], type="card_error", code=error["code"], param=error.get("param"),
                          decline_code=error.get("decline_code"), charge=error["charge"],
                          payment_intent=render(intent), payment_method=error["payment_method"])
    return intent


def new_intent(state: State, amount: int, currency: str, types: list[str], *, capture_method: str | None,
               description: str | None, metadata: dict[str, str]) -> StripeObject:
    intent_id = new_id("pi_")
    return state.add({
        "id": intent_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
        "allowed_payment_method_types": None, "amount_details": {"tip": {}}, "amount_received": 0, "application": None, "application_fee_amount": None,
        "automatic_payment_methods": None, "canceled_at": None, "cancellation_reason": None,
        "capture_method": capture_method or "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}", "confirmation_method": "automatic",
        "created": state.now(), "currency": currency, "customer": None, "description": description,
        "last_payment_error": None, "latest_charge": None, "livemode": False, "metadata": metadata,
        "next_action": None, "on_behalf_of": None, "payment_method": None, "payment_method_options": {},
        "payment_method_types": types, "processing": None, "receipt_email": None, "review": None,
        "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
        "statement_descriptor_suffix": None, "status": "requires_payment_method", "transfer_data": None,
        "transfer_group": None,
    })


def retrieve_intent(state: State, p: Params, intent_id: str) -> StripeObject:
    check(p, "payment_intents.retrieve", "client_secret")
    return state.get("payment_intent", intent_id)


def cancel_intent(state: State, p: Params, origin: Origin, intent_id: str) -> StripeObject:
    check(p, "payment_intents.cancel", "cancellation_reason")
    intent = state.get("payment_intent", intent_id)
    reason = p.str("cancellation_reason", choices=("abandoned", "duplicate", "fraudulent", "requested_by_customer"))
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. "
                               "Only a PaymentIntent with one of the following statuses may be canceled: "
                               f"{', '.join(CANCELABLE)}.")
    if intent["status"] == "requires_capture":  # the hold on the card is released, shown as a full refund
        charge = state.objects[intent["latest_charge"]]
        charge.update(amount_refunded=charge["amount"], refunded=True)
        intent["amount_capturable"] = 0
    intent.update(status="canceled", canceled_at=state.now(), cancellation_reason=reason)
    state.emit("payment_intent.canceled", intent, origin)
    return intent


def capture_intent(state: State, p: Params, origin: Origin, intent_id: str) -> StripeObject:
    check(p, "payment_intents.capture", "amount_to_capture metadata")
    intent = state.get("payment_intent", intent_id)
    if intent["status"] != "requires_capture":
        raise unexpected_state(f"This PaymentIntent could not be captured because it has a status of "
                               f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
                               "be captured: requires_capture.")
    amount = p.int("amount_to_capture", minimum=1)
    amount = intent["amount_capturable"] if amount is None else amount
    if amount > intent["amount_capturable"]:
        raise invalid("The amount to capture must be less than or equal to the amount capturable "
                      f"({intent['amount_capturable']}).", code="amount_too_large", param="amount_to_capture")
    intent["metadata"].update(p.metadata())
    charge = state.objects[intent["latest_charge"]]
    # Stripe releases what is not captured, which shows on the charge as refunded.
    charge.update(captured=True, amount_captured=amount, amount_refunded=charge["amount"] - amount,
                  refunded=amount == 0)
    intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
    state.emit("charge.captured", charge, origin)
    state.emit("payment_intent.succeeded", intent, origin)
    return intent


def pay(state: State, intent: StripeObject, card: cards.Card, method_type: str, origin: Origin) -> bool:
    """A card presented for `intent` (tapped on a reader or typed on the pay page): charge it or decline."""
    year = state.clock().year + 3
    if method_type == "card_present":
        details = cards.card_present_details(card, year, intent["amount"])
    else:
        details = cards.card_details(card, year)
    method = state.add({
        "id": new_id("pm_"), "object": "payment_method", "allow_redisplay": "unspecified",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None}, "created": state.now(),
        "customer": None, "livemode": False, "metadata": {}, "type": method_type,
        method_type: {key: details[key] for key in ("brand", "country", "exp_month", "exp_year", "fingerprint",
                                                    "funding", "last4")},
    })
    decline = card.decline
    manual = intent["capture_method"] == "manual"
    charge = state.add({
        "id": new_id("ch_"), "object": "charge", "amount": intent["amount"],
        "amount_captured": 0 if decline or manual else intent["amount"], "amount_refunded": 0,
        "balance_transaction": None, "billing_details": method["billing_details"],
        "calculated_statement_descriptor": "ACCUEIL", "captured": not decline and not manual,
        "created": state.now(), "currency": intent["currency"], "customer": None,
        "description": intent["description"], "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None, "livemode": False,
        "metadata": dict(intent["metadata"]), "outcome": _outcome(decline), "paid": decline is None,
        "payment_intent": intent["id"], "payment_method": method["id"],
        "payment_method_details": {"type": method_type, method_type: details},
        "receipt_email": intent["receipt_email"], "receipt_url": None, "refunded": False,
        "status": "failed" if decline else "succeeded",
    })
    intent["latest_charge"] = charge["id"]
    if decline is not None:
        intent.update(status="requires_payment_method", payment_method=None,
                      last_payment_error=_payment_error(decline, charge, method))
        state.emit("charge.failed", charge, origin)
        state.emit("payment_intent.payment_failed", intent, origin)
        return False
    intent.update(payment_method=method["id"], last_payment_error=None)
    if manual:
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        state.emit("charge.succeeded", charge, origin)
        state.emit("payment_intent.amount_capturable_updated", intent, origin)
    else:
        intent.update(status="succeeded", amount_received=intent["amount"])
        state.emit("charge.succeeded", charge, origin)
        state.emit("payment_intent.succeeded", intent, origin)
    return True


def _outcome(decline: cards.Decline | None) -> dict[str, Any]:
    if decline is None:
        return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized"}
    return {"network_status": "declined_by_network", "reason": decline.decline_code, "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined"}


def _payment_error(decline: cards.Decline, charge: StripeObject, method: StripeObject) -> dict[str, Any]:
    error = {"type": "card_error", "charge": charge["id"], "code": decline.code,
             "doc_url": f"https://stripe.com/docs/error-codes/{decline.code.replace('_', '-')}",
             "message": decline.message, "payment_method": dict(method)}
    if decline.decline_code is not None:
        error["decline_code"] = decline.decline_code
    if decline.param is not None:
        error["param"] = decline.param
    return error
