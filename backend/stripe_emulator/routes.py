"""The emulated endpoints: each maps Stripe's path to the function that does its work."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from backend.stripe_emulator import checkout, payments, refunds, terminal
from backend.stripe_emulator.forms import Params
from backend.stripe_emulator.state import API_VERSION, Origin, State, StripeObject

if TYPE_CHECKING:
    from backend.stripe_emulator.emulator import StripeEmulator


@dataclass(frozen=True)
class Call:
    emulator: StripeEmulator
    params: Params
    origin: Origin
    ids: Mapping[str, str]
    request: web.Request

    @property
    def api_version(self) -> str:
        return self.request.headers.get("Stripe-Version", API_VERSION)

    @property
    def state(self) -> State:
        return self.emulator.state

    def public_url(self) -> str:
        # With no public URL configured, the page is where this request reached the emulator.
        return self.emulator.public_url or str(self.request.url.origin())


Endpoint = Callable[[Call], StripeObject]
EMULATOR = web.AppKey("stripe_emulator", object)


def emulator_of(request: web.Request) -> StripeEmulator:
    return request.app[EMULATOR]  # type: ignore[return-value]


ROUTES: list[tuple[str, str, Endpoint]] = [
    ("POST", "/v1/payment_intents", lambda c: payments.create_intent(c.state, c.params, c.origin, c.api_version)),
    ("GET", "/v1/payment_intents/{id}", lambda c: payments.retrieve_intent(c.state, c.params, c.ids["id"])),
    ("POST", "/v1/payment_intents/{id}/cancel",
     lambda c: payments.cancel_intent(c.state, c.params, c.origin, c.ids["id"])),
    ("POST", "/v1/payment_intents/{id}/confirm",
     lambda c: payments.confirm_intent(c.state, c.params, c.origin, c.ids["id"])),
    ("POST", "/v1/payment_intents/{id}/capture",
     lambda c: payments.capture_intent(c.state, c.params, c.origin, c.ids["id"])),
    ("POST", "/v1/refunds", lambda c: refunds.create_refund(c.state, c.params, c.origin)),
    ("GET", "/v1/refunds/{id}", lambda c: refunds.retrieve_refund(c.state, c.params, c.ids["id"])),
    ("POST", "/v1/terminal/readers", lambda c: terminal.register(c.state, c.params)),
    ("GET", "/v1/terminal/readers", lambda c: terminal.list_readers(c.state, c.params)),
    ("GET", "/v1/terminal/readers/{id}", lambda c: terminal.retrieve(c.state, c.params, c.ids["id"])),
    ("POST", "/v1/terminal/readers/{id}/process_payment_intent",
     lambda c: terminal.process_payment_intent(c.state, c.params, c.ids["id"])),
    ("POST", "/v1/terminal/readers/{id}/cancel_action",
     lambda c: terminal.cancel_action(c.state, c.params, c.ids["id"])),
    ("POST", "/v1/test_helpers/terminal/readers/{id}/present_payment_method",
     lambda c: terminal.present_payment_method(c.state, c.params, c.ids["id"], c.emulator.processing_delay)),
    ("POST", "/v1/checkout/sessions", lambda c: checkout.create(c.state, c.params, c.origin, c.api_version,
                                                               c.public_url())),
    ("GET", "/v1/checkout/sessions/{id}", lambda c: checkout.retrieve(c.state, c.params, c.ids["id"])),
    ("POST", "/v1/checkout/sessions/{id}/expire",
     lambda c: checkout.expire(c.state, c.params, c.origin, c.ids["id"])),
]
