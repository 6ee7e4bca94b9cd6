"""The real kiosk app under Xvfb, beside a real backend, driven by simulated touches."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.backend.conftest import backend  # noqa: F401
from tests.payments.conftest import till, till_overrides  # noqa: F401  (the backend with the Stripe emulator)
from tests.kiosk_ui.driving import running_kiosk


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


@pytest.fixture
async def kiosk(backend, tmp_path: Path):  # noqa: F811
    """A paired kiosk app in a landscape window, showing Welcome with the site's configuration."""
    base_url = str(backend.client.make_url("")).rstrip("/")
    async for app in running_kiosk(base_url, backend.world.tokens["kiosk_a"], tmp_path / "kiosk"):
        yield app
