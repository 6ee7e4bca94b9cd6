"""The real kiosk app under Xvfb, beside a real backend, driven by simulated touches."""
from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

# Kivy reads these when first imported: no argv parsing, no console log, no config in the home folder.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

from kiosk.launcher import configure_kivy  # noqa: E402

configure_kivy(fullscreen=False)

from kivy.core.window import Window  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

from kiosk.app import KioskApp  # noqa: E402
from kiosk.launcher import pair_with_token  # noqa: E402
from kiosk.settings import KioskSettings  # noqa: E402
from tests.backend.conftest import backend  # noqa: E402,F401

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
STAFF_PIN = "2468"


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


async def wait_for(condition: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.25) -> None:
    """Let Kivy lay out and draw a few frames."""
    await asyncio.sleep(seconds)


async def tap(widget) -> None:
    """A real touch at the widget's centre, through the window."""
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()
    await settle(0.05)


def screenshot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{name}0*.png"):
        old.unlink()
    Window.screenshot(name=str(SCREENSHOTS / f"{name}.png"))
    return SCREENSHOTS / f"{name}0001.png"


def set_orientation(orientation: str) -> None:
    Window.size = (1280, 800) if orientation == "landscape" else (800, 1280)


@pytest.fixture
async def kiosk(backend, tmp_path: Path):  # noqa: F811
    """A paired kiosk app running on the test's loop, showing Welcome with the site's configuration."""
    base_url = str(backend.client.make_url("")).rstrip("/")
    settings = KioskSettings(data_dir=tmp_path / "kiosk", fullscreen=False, idle_seconds=30, idle_warning_seconds=5)
    pair_with_token(settings, base_url, backend.world.tokens["kiosk_a"], STAFF_PIN)
    set_orientation("landscape")
    app = KioskApp(settings, base_url)
    task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    await wait_for(lambda: app.root is not None and app.status.config is not None, 10, "the kiosk to start")
    await settle()
    yield app
    app.stop()
    await task
    await app.shutdown()
