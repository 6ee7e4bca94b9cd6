"""Driving the real kiosk app: Kivy set up for tests, waiting, real touches, screenshots, a running app."""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

# Kivy reads these when first imported: no argv parsing, no console log, no config in the home folder.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

from kiosk.launcher import LANDSCAPE, configure_kivy  # noqa: E402

PORTRAIT = (800, 1280)
# The window is made once per process, at this size: resizing a running app under Xvfb leaves its GL
# drawable at the first size, so portrait runs in a process of its own (see test_portrait.py).
ORIENTATION = os.environ.get("ACCUEIL_TEST_ORIENTATION", "landscape")
configure_kivy(fullscreen=False, size=PORTRAIT if ORIENTATION == "portrait" else LANDSCAPE)

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

from kiosk.app import KioskApp  # noqa: E402
from kiosk.launcher import pair_with_token  # noqa: E402
from kiosk.settings import KioskSettings  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
STAFF_PIN = "2468"


async def wait_for(condition: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.25) -> None:
    """Let Kivy lay out and draw a few frames."""
    await asyncio.sleep(seconds)


async def next_frames(count: int = 2) -> None:
    """Wait until Kivy has drawn `count` more frames: layouts are then up to date (slow on a loaded machine)."""
    start = Clock.frames_displayed
    await wait_for(lambda: Clock.frames_displayed >= start + count, 20, "Kivy to draw")


async def tap(widget) -> None:
    """A real touch at the widget's centre, through the window, once the widget is where it is drawn — and once
    the screens have stopped fading into each other, since Kivy's ScreenManager ignores touches meanwhile."""
    await next_frames()
    manager = App.get_running_app().root
    for _ in range(200):
        if manager is None or not manager.transition.is_active:
            break
        await asyncio.sleep(0.01)
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()
    await settle(0.05)


def screenshot(name: str) -> Path:
    """The window as drawn now (call after `settle` or a tap, so the last change is on screen)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{name}0*.png"):
        old.unlink()
    Window.screenshot(name=str(SCREENSHOTS / f"{name}.png"))
    return SCREENSHOTS / f"{name}0001.png"


def screen(app: KioskApp):
    return app.root.current_screen


def top_bar_buttons(app: KioskApp) -> list:
    from kiosk.widgets.common import BigButton

    bar = next(w for w in screen(app).walk() if type(w).__name__ == "TopBar")
    return [w for w in bar.walk() if isinstance(w, BigButton)]


async def running_kiosk(base_url: str, token: str | None, data_dir: Path, **overrides) -> AsyncIterator[KioskApp]:
    """A kiosk app on the current loop: paired with the token, showing Welcome with the site's configuration;
    without a token, showing the pairing screen. `overrides` are more KioskSettings (a printer, say)."""
    settings = KioskSettings(data_dir=data_dir, fullscreen=False, idle_seconds=30, idle_warning_seconds=5,
                             **overrides)
    if token is not None:
        pair_with_token(settings, base_url, token, STAFF_PIN)
    app = KioskApp(settings, base_url)
    task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    await wait_for(lambda: app.root is not None and (token is None or app.status.config is not None), 30,
                   "the kiosk to start")
    await settle()
    try:
        yield app
    finally:
        app.stop()
        await task
        await app.shutdown()


async def run_portrait(script: Path, backend, folder: Path, *args: str) -> None:
    """Runs a portrait kiosk script in a process of its own (Kivy's window is set up once per process) beside
    the test's backend, and fails with the end of its output if the script does."""
    base_url = str(backend.client.make_url("")).rstrip("/")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), base_url, backend.world.tokens["kiosk_a"], str(folder), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        if process.returncode is None:  # timed out: leave no kiosk window behind
            process.kill()
            await process.wait()
    assert process.returncode == 0, output.decode()[-4000:]
