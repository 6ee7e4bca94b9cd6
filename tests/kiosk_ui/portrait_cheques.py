"""Collecting a cheque in a portrait window: run by test_cheque_collection_ui.py in a process of its own (the
window's size is fixed when Kivy opens it). Exits non-zero with the reason."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

os.environ["ACCUEIL_TEST_ORIENTATION"] = "portrait"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.kiosk_ui.cheque_driving import draw_signature, type_keys  # noqa: E402
from tests.kiosk_ui.driving import (  # noqa: E402
    running_kiosk, screen, screenshot, settle, tap, top_bar_buttons, wait_for,
)


async def main(base_url: str, token: str, data_dir: Path, number: str, pin: str) -> None:
    async for app in running_kiosk(base_url, token, data_dir):
        await wait_for(lambda: app.status.online, 10, "the kiosk to be online")
        await settle()
        screenshot("cheque-20-welcome-fr-portrait")
        large_text = next(b for b in top_bar_buttons(app) if b.text == "Grand texte")
        await tap(large_text)
        await settle()
        screenshot("cheque-20-welcome-large-text-fr-portrait")
        await tap(large_text)
        await tap(screen(app).ids.collect_cheque)
        await wait_for(lambda: app.root.current == "cheque_identify")
        await type_keys(app, number)
        await settle()
        screenshot("cheque-21-number-fr-portrait")
        await tap(screen(app).ids.go_on)
        await type_keys(app, pin[:2])
        await settle()
        screenshot("cheque-22-pin-fr-portrait")
        await type_keys(app, pin[2:])
        await tap(screen(app).ids.go_on)
        await wait_for(lambda: app.root.current == "cheque_list", 10, "the cheques")
        await settle()
        screenshot("cheque-23-list-fr-portrait")
        assert len(screen(app).ids.cheques.children) == 2
        await tap(screen(app).ids.to_sign)
        await wait_for(lambda: app.root.current == "cheque_sign")
        await settle()
        await draw_signature(screen(app).ids.pad.ids.area)
        screenshot("cheque-24-signed-fr-portrait")
        await tap(screen(app).ids.pad.ids.sign)
        await wait_for(lambda: app.root.current == "cheque_done", 10, "the desk to be told")
        await settle()
        screenshot("cheque-25-done-fr-portrait")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4], sys.argv[5]))
