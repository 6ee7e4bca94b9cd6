"""What depends on the API version a request asks for (its `Stripe-Version` header, else the account default).

stripe-python 16 pins 2026-10-28.endive. Since 2026-09-30.endive Stripe refuses `payment_method_types` on
PaymentIntents and Checkout Sessions (`payment_method_types_no_longer_supported`): callers name the types
with `allowed_payment_method_types` (added 2026-07-29.dahlia; `card_present` accepted since endive), and
`payment_method_types` is only the computed list in the answer. Older pinned versions (stripe 12–15) still
write `payment_method_types`; both are modelled so the emulator fails where Stripe would.
"""
from __future__ import annotations

from backend.stripe_emulator.errors import invalid, unknown_param
from backend.stripe_emulator.forms import Params

ALLOWED_TYPES_SINCE = "2026-07-29"
PAYMENT_METHOD_TYPES_REMOVED_SINCE = "2026-09-30"


def at_least(version: str, date: str) -> bool:
    return version[:10] >= date


def method_types(p: Params, version: str, supported: tuple[str, ...]) -> tuple[list[str] | None, list[str] | None]:
    """(payment_method_types, allowed_payment_method_types) as written by the request; None when absent."""
    legacy = "payment_method_types" in p.tree
    allowed = "allowed_payment_method_types" in p.tree
    if legacy and at_least(version, PAYMENT_METHOD_TYPES_REMOVED_SINCE):
        raise invalid(f"The `payment_method_types` parameter is no longer supported on API version {version}. Use "
                      "`allowed_payment_method_types` to limit the payment method types, or let dynamic payment "
                      "methods choose them.", code="payment_method_types_no_longer_supported",
                      param="payment_method_types")
    if allowed and not at_least(version, ALLOWED_TYPES_SINCE):
        raise unknown_param("allowed_payment_method_types")
    if legacy and allowed:
        raise invalid("You may only specify one of these parameters: allowed_payment_method_types, "
                      "payment_method_types.", param="allowed_payment_method_types")
    key = "allowed_payment_method_types" if allowed else "payment_method_types"
    types = p.list_of_str(key) if legacy or allowed else None
    for index, method_type in enumerate(types or []):
        if method_type not in supported:
            raise invalid(f"The payment method type provided: {method_type} is invalid. The Stripe emulator "
                          f"models {', '.join(supported)} here.", param=f"{key}[{index}]")
    if types == []:
        raise invalid(f"Invalid array: {key} must not be empty.", param=key)
    return (types, None) if legacy else (None, types)
