"""Starting the kiosk app: window settings before Kivy opens its window, then the app on asyncio."""
from __future__ import annotations

import asyncio
import os

from kiosk.settings import KioskSettings
from kiosk.store import KioskStore, Pairing, hash_pin

LANDSCAPE = (1280, 800)


def configure_kivy(*, fullscreen: bool, size: tuple[int, int] = LANDSCAPE) -> None:
    """Must run before anything imports kivy.core.window."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our command line is ours, not Kivy's
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("kivy", "exit_on_escape", "0")  # leaving needs the staff PIN
    Config.set("input", "mouse", "mouse,disable_multitouch")


def pair_with_token(settings: KioskSettings, backend_url: str, token: str, pin: str) -> None:
    """Pair without a code, for an installer holding the kiosk's token (and for the demo)."""
    salt, digest = hash_pin(pin)
    KioskStore(settings.data_dir).save_pairing(Pairing(backend_url, token, "", salt, digest))


def launch(settings: KioskSettings, backend_url: str | None) -> None:
    configure_kivy(fullscreen=settings.fullscreen)
    from kiosk.app import KioskApp

    app = KioskApp(settings, backend_url)

    async def main() -> None:
        try:
            await app.async_run(async_lib="asyncio")
        finally:
            await app.shutdown()

    asyncio.run(main())
