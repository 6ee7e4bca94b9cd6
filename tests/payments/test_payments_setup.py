"""Without a Stripe key the site takes no payments, and says so; the emulator never stands in for a live key."""
from __future__ import annotations

import pytest
from pydantic import SecretStr

from backend.app import create_app
from backend.payments.runtime import LiveKeyWithEmulator
from tests.backend.conftest import Backend, backend  # noqa: F401


async def test_without_a_key_the_kiosk_offers_no_payment_and_the_api_says_why(backend: Backend):
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).json()
    assert config["payments"] is None
    response = await backend.client.post("/api/kiosk/payment-lookups", json={"code": "ABCDEF"},
                                         headers=backend.auth("kiosk_a"))
    assert response.status == 409 and "ACCUEIL_STRIPE_SECRET_KEY" in (await response.json())["detail"]


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


async def test_the_emulator_refuses_to_start_with_a_live_key(settings, aiohttp_client):
    live = settings.model_copy(update={"stripe_emulator": True, "stripe_secret_key": SecretStr("sk_live_abc")})
    with pytest.raises(LiveKeyWithEmulator):
        await aiohttp_client(create_app(live))
