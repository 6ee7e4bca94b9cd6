"""Checkout Sessions in payment mode: create, retrieve, expire (on demand or by the clock), and pay.

Since API version 2022-08-01 a session has no PaymentIntent until it is paid, and its `url` is null once it
is no longer open; both are kept here.
"""
from __future__ import annotations

from urllib.parse import urlparse

from backend.stripe_emulator import cards, payments, versions
from backend.stripe_emulator.errors import invalid
from backend.stripe_emulator.forms import Params
from backend.stripe_emulator.money import check_amount, check_currency
from backend.stripe_emulator.params_known import check
from backend.stripe_emulator.state import AUTOMATIC, Origin, State, StripeObject, new_id

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60


def create(state: State, p: Params, origin: Origin, api_version: str, public_url: str) -> StripeObject:
    check(p, "checkout.sessions.create", """payment_method_types allowed_payment_method_types mode line_items success_url cancel_url expires_at client_reference_id
          metadata payment_intent_data locale currency customer_email submit_type ui_mode""")
    mode = p.str("mode", required=True, choices=("payment", "setup", "subscription"))
    if mode != "payment":
        raise invalid(f"The Stripe emulator only models Checkout in payment mode, not {mode}.", param="mode")
    if p.str("ui_mode", choices=("hosted", "embedded", "custom")) not in (None, "hosted"):
        raise invalid("The Stripe emulator only models hosted Checkout pages.", param="ui_mode")
    legacy, allowed = versions.method_types(p, api_version, ("card",))
    line_items = [_line_item(item) for item in p.list_of_params("line_items", required=True)]
    currency = p.str("currency")
    currencies = {item["currency"] for item in line_items} | ({check_currency(currency)} if currency else set())
    if len(currencies) > 1:
        raise invalid("All line items must have the same currency; Checkout does not support mixing currencies.",
                      param="line_items")
    currency = currencies.pop()
    total = sum(item["amount_total"] for item in line_items)
    check_amount(total, currency, what="The Checkout Session's total amount due", param="line_items")
    now = state.now()
    expires_at = p.int("expires_at")
    if expires_at is None:
        expires_at = now + MAX_LIFETIME
    elif expires_at - now < MIN_LIFETIME:
        raise invalid("The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                      param="expires_at")
    elif expires_at - now > MAX_LIFETIME:
        raise invalid("The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                      param="expires_at")
    intent_data = p.sub("payment_intent_data") or Params({}, "payment_intent_data")
    intent_data.reject_unknown({"metadata", "description", "capture_method", "receipt_email"})
    session_id = new_id("cs_test_", 58)
    return state.add({
        "id": session_id, "object": "checkout.session", "after_expiration": None, "allow_promotion_codes": None,
        "allowed_payment_method_types": allowed,
        "amount_subtotal": total, "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None, "cancel_url": _url(p, "cancel_url"),
        "client_reference_id": p.str("client_reference_id", max_length=200), "client_secret": None,
        "created": now, "currency": currency, "customer": None, "customer_creation": "if_required",
        "customer_details": None, "customer_email": p.str("customer_email"), "expires_at": expires_at,
        "invoice": None, "livemode": False, "locale": p.str("locale", max_length=10), "metadata": p.metadata(),
        "mode": "payment", "payment_intent": None, "payment_method_types": legacy or allowed or ["card"], "payment_status": "unpaid",
        "status": "open", "submit_type": p.str("submit_type", choices=("auto", "book", "donate", "pay", "subscribe")),
        "success_url": _url(p, "success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}, "ui_mode": "hosted",
        "url": f"{public_url.rstrip('/')}/pay/{session_id}",
        "_line_items": {"object": "list", "data": line_items, "has_more": False,
                        "url": f"/v1/checkout/sessions/{session_id}/line_items"},
        "_intent": {"metadata": intent_data.metadata(), "description": intent_data.str("description"),
                    "receipt_email": intent_data.str("receipt_email"),
                    "capture_method": intent_data.str("capture_method",
                                                      choices=("automatic", "automatic_async", "manual"))},
    })


def _url(p: Params, key: str) -> str | None:
    url = p.str(key)
    if url is not None and urlparse(url).scheme not in ("http", "https"):
        raise invalid("Not a valid URL", code="url_invalid", param=key)
    return url


def _line_item(item: Params) -> dict:
    item.reject_unknown({"price_data", "quantity", "price", "adjustable_quantity", "dynamic_tax_rates",
                         "metadata", "tax_rates"})
    if item.str("price") is not None:
        raise invalid("The Stripe emulator has no Prices: use price_data.", param=item.name("price"))
    price_data = item.sub("price_data", required=True)
    price_data.reject_unknown({"currency", "product_data", "unit_amount", "unit_amount_decimal", "product",
                               "recurring", "tax_behavior"})
    product = price_data.sub("product_data", required=True)
    product.reject_unknown({"name", "description", "images", "metadata", "tax_code", "unit_label"})
    currency = check_currency(price_data.str("currency", required=True), price_data.name("currency"))
    unit_amount = price_data.int("unit_amount", required=True, minimum=0)
    quantity = item.int("quantity", required=True, minimum=1)
    name = product.str("name", required=True)
    price = {"id": new_id("price_"), "object": "price", "active": False, "currency": currency,
             "livemode": False, "metadata": {}, "product": new_id("prod_", 14), "type": "one_time",
             "unit_amount": unit_amount}
    return {"id": new_id("li_"), "object": "item", "amount_discount": 0, "amount_subtotal": unit_amount * quantity,
            "amount_tax": 0, "amount_total": unit_amount * quantity, "currency": currency,
            "description": name, "price": price, "quantity": quantity}


def line_items(session: StripeObject) -> list[dict]:
    return session["_line_items"]["data"]


def retrieve(state: State, p: Params, session_id: str) -> StripeObject:
    check(p, "checkout.sessions.retrieve", "")
    return state.get("checkout.session", session_id)


def expire(state: State, p: Params, origin: Origin, session_id: str) -> StripeObject:
    check(p, "checkout.sessions.expire", "")
    session = state.get("checkout.session", session_id)
    if session["status"] != "open":
        raise invalid(f"Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session "
                      f"has a status of \"{session['status']}\".")
    _expire(state, session, origin)
    return session


def _expire(state: State, session: StripeObject, origin: Origin) -> None:
    session.update(status="expired", url=None)
    state.emit("checkout.session.expired", session, origin)


def expire_due(state: State) -> list[str]:
    """Open sessions whose `expires_at` has passed on the clock expire now, each once."""
    now = state.now()
    due = [session for session in state.of_kind("checkout.session")
           if session["status"] == "open" and session["expires_at"] <= now]
    for session in due:
        _expire(state, session, AUTOMATIC)
    return [session["id"] for session in due]


def pay(state: State, session: StripeObject, card: cards.Card) -> cards.Decline | None:
    """The customer typed `card` on the session's page: pay it, or the decline to show (the session stays open)."""
    if card.decline is not None:
        return card.decline
    wanted = session["_intent"]
    intent = payments.new_intent(state, session["amount_total"], session["currency"], ["card"],
                                 capture_method=wanted["capture_method"], description=wanted["description"],
                                 metadata=dict(wanted["metadata"]))
    intent["receipt_email"] = wanted["receipt_email"]
    state.emit("payment_intent.created", intent, AUTOMATIC)
    payments.pay(state, intent, card, "card", AUTOMATIC)
    session.update(status="complete", url=None, payment_intent=intent["id"],
                   payment_status="paid" if intent["status"] == "succeeded" else "unpaid",
                   customer_details={"address": None, "email": session["customer_email"], "name": None,
                                     "phone": None, "tax_exempt": "none", "tax_ids": []})
    state.emit("checkout.session.completed", session, AUTOMATIC)
    return None
