"""A local stand-in for Stripe's test mode, for the demo and the tests: the endpoints the product uses (PaymentIntents,
Terminal readers, Checkout Sessions, refunds) with Stripe's wire format, errors, idempotency and signed webhooks.

    async with running_emulator(webhook_url=..., webhook_secret=...) as emulator:
        client = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emulator.base_url},
                                     http_client=stripe.AIOHTTPClient())
"""
from backend.stripe_emulator.emulator import StripeEmulator, running_emulator

__all__ = ["StripeEmulator", "running_emulator"]
