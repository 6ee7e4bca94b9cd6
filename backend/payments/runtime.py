"""Payments in the running application: the Stripe gateway (real Stripe, or the local emulator in the demo), the
cashier, and the sweep that settles what webhooks did not."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import select

from backend.appkeys import CLOCK, DATABASE, HUB, SETTINGS
from backend.core.errors import Conflict
from backend.core.periodic import repeating
from backend.kiosks.models import KioskDevice
from backend.payments.gateway import StripeGateway
from backend.payments.service import Cashier

log = logging.getLogger(__name__)

CASHIER = web.AppKey("cashier", Cashier)
EMULATOR_KEY = "sk_test_emulator"


class LiveKeyWithEmulator(RuntimeError):
    """The emulator would take the place of Stripe while a live key is configured: refused, never silently."""


def cashier(request: web.Request) -> Cashier:
    found = request.config_dict.get(CASHIER)
    if found is None:
        raise Conflict("This site takes no payments: no Stripe key is configured (ACCUEIL_STRIPE_SECRET_KEY).")
    return found


async def payments_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with contextlib.AsyncExitStack() as stack:
        if settings.stripe_emulator:
            if settings.stripe_live:
                raise LiveKeyWithEmulator("The Stripe emulator does not run with a live key; unset "
                                          "ACCUEIL_STRIPE_EMULATOR or ACCUEIL_STRIPE_SECRET_KEY.")
            from backend.stripe_emulator import running_emulator

            webhook_secret = "whsec_" + secrets.token_hex(16)
            emulator = await stack.enter_async_context(running_emulator(
                webhook_url=f"http://127.0.0.1:{settings.port}/hooks/stripe", webhook_secret=webhook_secret,
                host="127.0.0.1", port=settings.stripe_emulator_port, secret_key=EMULATOR_KEY))
            key, api_base = EMULATOR_KEY, emulator.base_url
            log.info("payments: local Stripe emulator at %s", api_base)
        elif settings.stripe_secret_key is not None:
            key, api_base = settings.stripe_secret_key.get_secret_value(), settings.stripe_api_base
            webhook_secret = settings.stripe_webhook_secret.get_secret_value() if settings.stripe_webhook_secret \
                else ""
            if not webhook_secret:
                log.warning("payments: ACCUEIL_STRIPE_WEBHOOK_SECRET is not set; webhooks will be refused and "
                            "payments settled by the sweep only")
        else:
            log.info("payments: off (no ACCUEIL_STRIPE_SECRET_KEY)")
            yield
            return
        gateway = StripeGateway(key, api_base=api_base)
        stack.push_async_callback(gateway.close)
        app[CASHIER] = Cashier(
            database=app[DATABASE], gateway=gateway, hub=app[HUB], clock=app[CLOCK], base_url=settings.base_url,
            reader_timeout=dt.timedelta(seconds=settings.card_reader_timeout_seconds),
            qr_lifetime=dt.timedelta(minutes=settings.qr_payment_minutes), webhook_secret=webhook_secret)
        if settings.stripe_emulator:
            await register_simulated_readers(app[CASHIER])
        async with repeating("payments sweep", settings.payments_sweep_seconds, app[CASHIER].sweep, first_after=0):
            yield


async def register_simulated_readers(cashier: Cashier) -> None:
    """The demo's kiosks each get a simulated reader (the emulator forgets them when it stops)."""
    async with cashier.database.read() as session:
        kiosks = list(await session.execute(select(KioskDevice.id, KioskDevice.name)
                                            .where(KioskDevice.revoked_at.is_(None))))
    readers = {kiosk_id: await cashier.gateway.register_simulated_reader(f"Reader — {name}")
               for kiosk_id, name in kiosks}
    async with cashier.database.write() as session:
        for kiosk_id, reader_id in readers.items():
            (await session.get(KioskDevice, kiosk_id)).stripe_reader_id = reader_id
