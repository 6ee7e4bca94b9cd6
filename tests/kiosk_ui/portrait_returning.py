"""A returning client's screens in a portrait window: run by test_returning_client_ui.py in a process of its own
(the window's size is fixed when Kivy opens it), against a backend where Hélène Côté (P-1042) is a client.
Exits non-zero with the reason."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

os.environ["ACCUEIL_TEST_ORIENTATION"] = "portrait"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.kiosk_ui.driving import running_kiosk, screen, screenshot, settle, tap, wait_for  # noqa: E402


async def main(base_url: str, token: str, data_dir: Path) -> None:
    async for app in running_kiosk(base_url, token, data_dir):
        await tap(screen(app).ids.check_in)
        await wait_for(lambda: app.root.current == "whom")
        await tap(screen(app).ids.departments.children[-1])
        await wait_for(lambda: app.root.current == "visitor_type")
        await tap(next(t for t in screen(app).ids.types.children if t.title == "Patient·e"))
        await wait_for(lambda: app.root.current == "returning_ask")
        await settle()
        screenshot("returning-30-returning-ask-fr-portrait")
        await tap(screen(app).ids.returning)
        await wait_for(lambda: app.root.current == "returning_identify")
        identify = screen(app)
        for char in "P-1042":
            identify.ids.keyboard.press(char)
        await tap(identify.ids.find)
        for char in "12041961":
            identify.ids.keyboard.press(char)
        await settle()
        screenshot("returning-31-identify-fr-portrait")
        await tap(identify.ids.find)
        await wait_for(lambda: app.root.current == "returning_contact")
        contact = screen(app)
        await settle()
        screenshot("returning-32-contact-fr-portrait")
        await tap(contact.ids.secondary)
        await settle()
        screenshot("returning-33-contact-update-fr-portrait")
        city = next(row for row in contact.ids.rows.children if row.field == "city")
        await tap(city.ids.change)
        await wait_for(lambda: app.root.current == "returning_edit")
        edit = screen(app)
        for _ in range(len(app.returning.draft)):
            edit.ids.keyboard.press("backspace")
        for char in "Longueuil":
            edit.ids.keyboard.press(char)
        await settle()
        screenshot("returning-34-edit-city-fr-portrait")
        await tap(edit.ids.done)
        await wait_for(lambda: app.root.current == "returning_contact")
        await settle()
        screenshot("returning-35-contact-changed-fr-portrait")
        assert app.returning.changes == {"city": "Longueuil"}, app.returning.changes


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
