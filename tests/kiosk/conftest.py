"""Kiosk tests run against the real backend, in-process, on SQLite (the kiosk does not care which database)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kiosk.client import BackendClient
from kiosk.outbox import Outbox
from shared.api import KioskConfig
from tests.backend.conftest import Backend, backend  # noqa: F401  (pytest registers imported fixtures)
from tests.payments.conftest import Till, till, till_overrides  # noqa: F401  (the backend with the Stripe emulator)


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


@pytest.fixture
async def outbox(tmp_path: Path) -> AsyncIterator[Outbox]:
    box = Outbox(tmp_path / "kiosk" / "outbox.db")
    await box.open()
    yield box
    await box.close()


@pytest.fixture
async def kiosk(backend: Backend, outbox: Outbox) -> AsyncIterator[BackendClient]:  # noqa: F811
    """The client of kiosk_a, without its background tasks."""
    # A generous timeout: the suite asserts behaviour, not speed, and SQLite can stall on a busy disk.
    client = BackendClient(str(backend.client.make_url("")), backend.world.tokens["kiosk_a"], outbox,
                           timeout=10.0, retry_seconds=0.05)
    await client.start()
    yield client
    await client.close()


@pytest.fixture
async def config(kiosk: BackendClient) -> KioskConfig:
    return await kiosk.config()


@pytest.fixture
def flow(config: KioskConfig):
    """A check-in flow with the site's configuration."""
    # Imported here, not above: the test modules set Kivy's environment before anything imports it.
    from kiosk.viewmodels.checkin import CheckInFlow

    flow = CheckInFlow()
    flow.config = config
    return flow
