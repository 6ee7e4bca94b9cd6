"""Simulated Terminal readers (server-driven): register, hand a PaymentIntent to one, tap a test card on it.

As with Stripe, a tap only starts the payment: the answer shows the action still in progress, and the
outcome (PaymentIntent, reader action, webhooks) follows in the background.
"""
from __future__ import annotations

import asyncio
import logging

from backend.stripe_emulator import cards, payments
from backend.stripe_emulator.errors import invalid
from backend.stripe_emulator.forms import Params
from backend.stripe_emulator.params_known import check
from backend.stripe_emulator.state import AUTOMATIC, State, StripeObject, new_id

logger = logging.getLogger(__name__)

REGISTRATION_CODE = "simulated-wpe"


def _busy() -> Exception:
    return invalid("Reader is currently busy processing another request. Please reference the integration guide "
                   "at https://stripe.com/docs/terminal/payments/collect-payment?terminal-sdk-platform="
                   "server-driven#handle-errors for details on how to handle this error.",
                   code="terminal_reader_busy")


def register(state: State, p: Params) -> StripeObject:
    check(p, "terminal.readers.create", "label location metadata registration_code")
    code = p.str("registration_code", required=True)
    if code != REGISTRATION_CODE:
        raise invalid(f"The registration code {code} is invalid. Only the simulated reader's code "
                      f"'{REGISTRATION_CODE}' registers a reader in test mode.", param="registration_code")
    return state.add({
        "id": new_id("tmr_"), "object": "terminal.reader", "action": None, "device_sw_version": "",
        "device_type": "simulated_wisepos_e", "ip_address": "0.0.0.0",
        "label": p.str("label", max_length=5000) or "Simulated WisePOS E", "last_seen_at": state.now() * 1000,
        "livemode": False, "location": p.str("location"), "metadata": p.metadata(),
        "serial_number": f"SIMULATOR-{new_id('', 8).upper()}", "status": "online",
        "_processing": False,  # a card was tapped and its outcome is on its way
    })


def retrieve(state: State, p: Params, reader_id: str) -> StripeObject:
    check(p, "terminal.readers.retrieve", "")
    return state.get("terminal.reader", reader_id)


def list_readers(state: State, p: Params) -> StripeObject:
    check(p, "terminal.readers.list", "device_type limit location status")
    limit = p.int("limit") or 10
    if not 1 <= limit <= 100:
        raise invalid("This value must be between 1 and 100.", param="limit")
    readers = [reader for reader in reversed(state.of_kind("terminal.reader"))  # Stripe lists newest first
               if all(p.str(key) in (None, reader[key]) for key in ("device_type", "location", "status"))]
    return {"object": "list", "data": readers[:limit], "has_more": len(readers) > limit,
            "url": "/v1/terminal/readers"}


def process_payment_intent(state: State, p: Params, reader_id: str) -> StripeObject:
    check(p, "terminal.readers.process_payment_intent", "payment_intent process_config")
    reader = state.get("terminal.reader", reader_id)
    intent = state.get("payment_intent", p.str("payment_intent", required=True), "payment_intent")
    if reader["_processing"] or (reader["action"] or {}).get("status") == "in_progress":
        raise _busy()
    if "card_present" not in intent["payment_method_types"]:
        raise invalid(f"PaymentIntent {intent['id']} cannot be processed by a reader: its payment_method_types "
                      "must include card_present.", param="payment_intent")
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise invalid(f"PaymentIntent {intent['id']} has a status of {intent['status']} and cannot be processed; "
                      "it must be requires_payment_method.", code="intent_invalid_state", param="payment_intent")
    reader["action"] = {"type": "process_payment_intent", "status": "in_progress",
                        "process_payment_intent": {"payment_intent": intent["id"]},
                        "failure_code": None, "failure_message": None}
    return reader


def cancel_action(state: State, p: Params, reader_id: str) -> StripeObject:
    check(p, "terminal.readers.cancel_action", "")
    reader = state.get("terminal.reader", reader_id)
    if reader["_processing"]:  # Stripe: a card being authorized cannot be cancelled
        raise _busy()
    reader["action"] = None
    return reader


def present_payment_method(state: State, p: Params, reader_id: str, delay: float) -> StripeObject:
    check(p, "test_helpers.terminal.readers.present_payment_method", "type card_present")
    reader = state.get("terminal.reader", reader_id)
    method_type = p.str("type") or "card_present"
    if method_type != "card_present":
        raise invalid(f"The Stripe emulator only simulates card_present taps, not {method_type}.", param="type")
    card_present = p.sub("card_present")
    card = cards.lookup(card_present.str("number") if card_present else None)
    action = reader["action"]
    if reader["_processing"]:
        raise _busy()
    if action is None or action["status"] != "in_progress":
        raise invalid(f"Reader {reader_id} has no action in progress to present a payment method to.")
    reader["_processing"] = True
    intent_id = action["process_payment_intent"]["payment_intent"]
    state.spawn(_outcome(state, reader, intent_id, card, delay), name=f"tap on {reader_id}")
    return reader


async def _outcome(state: State, reader: StripeObject, intent_id: str, card: cards.Card, delay: float) -> None:
    await asyncio.sleep(delay)
    reader["_processing"] = False
    action = reader["action"]
    intent = state.objects[intent_id]
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        # Cancelled (or paid elsewhere) while the card was on the reader.
        action.update(status="failed", failure_code="intent_invalid_state",
                      failure_message=f"PaymentIntent {intent_id} has a status of {intent['status']}.")
        state.emit("terminal.reader.action_failed", reader, AUTOMATIC)
        return
    if payments.pay(state, intent, card, "card_present", AUTOMATIC):
        action["status"] = "succeeded"
        state.emit("terminal.reader.action_succeeded", reader, AUTOMATIC)
    else:
        decline = card.decline
        action.update(status="failed", failure_code=decline.code, failure_message=decline.message)
        state.emit("terminal.reader.action_failed", reader, AUTOMATIC)
    logger.info("reader %s: card …%s on %s → %s", reader["id"], card.last4, intent_id, action["status"])
