"""Refunds of a charge, whole or in parts, with Stripe's checks on what is left to refund."""
from __future__ import annotations

from backend.stripe_emulator.errors import invalid
from backend.stripe_emulator.forms import Params
from backend.stripe_emulator.money import format_amount
from backend.stripe_emulator.params_known import check
from backend.stripe_emulator.state import Origin, State, StripeObject, new_id

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create_refund(state: State, p: Params, origin: Origin) -> StripeObject:
    check(p, "refunds.create", "amount charge payment_intent reason metadata")
    charge = _charge_to_refund(state, p)
    amount = p.int("amount")
    reason = p.str("reason", choices=REASONS)
    metadata = p.metadata()
    # A partial capture shows the released rest as refunded already, so this is what is left either way.
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded",
                      param="charge" if p.str("charge") else "payment_intent")
    amount = remaining if amount is None else amount
    if amount <= 0:
        raise invalid("Invalid positive integer", code="parameter_invalid_integer", param="amount")
    if amount > remaining:
        currency = charge["currency"]
        raise invalid(f"Refund amount ({format_amount(amount, currency)}) is greater than unrefunded amount on "
                      f"charge ({format_amount(remaining, currency)})", param="amount")
    method_type = charge["payment_method_details"]["type"]
    refund = state.add({
        "id": new_id("re_"), "object": "refund", "amount": amount, "balance_transaction": None,
        "charge": charge["id"], "created": state.now(), "currency": charge["currency"],
        "destination_details": {"type": method_type, method_type: {}}, "metadata": metadata,
        "payment_intent": charge["payment_intent"], "reason": reason, "receipt_number": None,
        "source_transfer_reversal": None, "status": "succeeded", "transfer_reversal": None,
    })
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    state.emit("charge.refunded", charge, origin)
    state.emit("refund.created", refund, origin)
    return refund


def _charge_to_refund(state: State, p: Params) -> StripeObject:
    charge_id, intent_id = p.str("charge"), p.str("payment_intent")
    if charge_id is None and intent_id is None:
        raise invalid("One of the following params should be provided for this request: payment_intent or charge.")
    if charge_id is not None:
        charge = state.get("charge", charge_id, "charge")
        if intent_id is not None and charge["payment_intent"] != intent_id:
            raise invalid(f"The charge {charge_id} does not belong to the PaymentIntent {intent_id}.",
                          param="payment_intent")
    else:
        intent = state.get("payment_intent", intent_id, "payment_intent")
        charge = state.objects.get(intent["latest_charge"] or "")
        if charge is None or charge["status"] != "succeeded":
            raise invalid(f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                          param="payment_intent")
    if not charge["captured"]:
        raise invalid(f"Charge {charge['id']} has not been captured: cancel its PaymentIntent to release the "
                      "funds instead.", code="charge_not_refundable")
    return charge


def retrieve_refund(state: State, p: Params, refund_id: str) -> StripeObject:
    check(p, "refunds.retrieve", "")
    return state.get("refund", refund_id)
