"""A backend taking payments through the real stripe library, against the local Stripe emulator and its signed
webhooks; a clock the test moves; a clinic with Québec's taxes, a listed fee and a reader on kiosk_a."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from backend.app import create_app
from backend.appkeys import DATABASE
from backend.kiosks.models import KioskDevice
from backend.payments.models import Fee, SiteTax
from backend.payments.runtime import CASHIER
from backend.payments.service import Cashier
from backend.stripe_emulator import StripeEmulator, running_emulator
from tests.backend.conftest import Backend, FakeClock, build_world

WEBHOOK_SECRET = "whsec_tests"


@dataclass
class Till(Backend):
    emulator: StripeEmulator = None
    clock: FakeClock = None
    cashier: Cashier = None
    fee_id: int = 0

    async def request(self, *lines: tuple[str, int, int], who: str = "reception", **extra: Any) -> dict:
        """A payment request made by staff: lines of (description, quantity, unit amount)."""
        body = {"payer_name": "Hélène Côté", "lines": [
            {"description": d, "quantity": q, "unit_amount": u} for d, q, u in lines], **extra}
        response = await self.client.post("/api/payment-requests", json=body, headers=self.auth(who))
        assert response.status == 201, await response.text()
        return await response.json()

    async def start(self, request_id: int, method: str = "card", kiosk: str = "kiosk_a") -> dict:
        response = await self.client.post(f"/api/kiosk/payment-requests/{request_id}/{method}-payments",
                                          headers=self.auth(kiosk))
        assert response.status == 201, await response.text()
        return await response.json()

    async def tap(self, payment_id: int, outcome: str = "approved") -> None:
        response = await self.client.post(f"/api/kiosk/payments/{payment_id}/test-card", json={"outcome": outcome},
                                          headers=self.auth("kiosk_a"))
        assert response.status == 200, await response.text()
        await self.emulator.settle()

    async def payment(self, payment_id: int, kiosk: str = "kiosk_a") -> dict:
        response = await self.client.get(f"/api/kiosk/payments/{payment_id}", headers=self.auth(kiosk))
        assert response.status == 200, await response.text()
        return await response.json()


@pytest.fixture
def till_overrides() -> dict[str, Any]:
    """More settings for the till's backend (a test module overrides this fixture, e.g. for an SMTP server)."""
    return {}


@pytest.fixture
async def till(settings, aiohttp_client, till_overrides) -> Till:
    clock = FakeClock()
    async with running_emulator(webhook_url=None, webhook_secret=WEBHOOK_SECRET, clock=clock,
                                webhook_retry_delays=(0.05, 0.1, 0.2, 0.4)) as emulator:
        settings = settings.model_copy(update={
            "stripe_secret_key": SecretStr("sk_test_emulator"), "stripe_api_base": emulator.base_url,
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET), "payments_sweep_seconds": 3600, **till_overrides})
        app = create_app(settings, clock=clock)
        client = await aiohttp_client(app)
        emulator.webhook_url = str(client.make_url("/hooks/stripe"))
        database = app[DATABASE]
        world = await build_world(database)
        cashier = app[CASHIER]
        reader = await cashier.gateway.register_simulated_reader("Lecteur du hall")
        async with database.write() as session:
            (await session.get(KioskDevice, world.kiosk_ids["kiosk_a"])).stripe_reader_id = reader
            session.add_all([SiteTax(site_id=world.site_id, name="TPS", rate_ppm=50_000,
                                     registration="123456789 RT0001", position=1),
                             SiteTax(site_id=world.site_id, name="TVQ", rate_ppm=99_750,
                                     registration="1234567890 TQ0001", position=2)])
            fee = Fee(site_id=world.site_id, name_fr="Copie de dossier", name_en="Copy of a record",
                      unit_amount=1500, taxable=True, max_quantity=5)
            session.add(fee)
            await session.flush()
            fee_id = fee.id
        yield Till(client=client, database=database, world=world, emulator=emulator, clock=clock,
                   cashier=cashier, fee_id=fee_id)


def idempotency_key() -> str:
    return str(uuid.uuid4())
