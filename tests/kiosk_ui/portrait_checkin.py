"""An English check-in for a person found by name, in a portrait window: run by test_portrait.py in a
process of its own (the window's size is fixed when Kivy opens it). Exits non-zero with the reason."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

os.environ["ACCUEIL_TEST_ORIENTATION"] = "portrait"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.kiosk_ui.driving import (  # noqa: E402
    running_kiosk, screen, screenshot, settle, tap, top_bar_buttons, wait_for,
)


async def main(base_url: str, token: str, data_dir: Path) -> None:
    async for app in running_kiosk(base_url, token, data_dir):
        screenshot("20-welcome-fr-portrait")
        await tap(screen(app).ids.check_in)
        await wait_for(lambda: app.root.current == "whom")
        await tap(next(b for b in top_bar_buttons(app) if b.text == "English"))
        assert app.language == "en"
        await settle()
        whom = screen(app)
        assert [t.title for t in whom.ids.departments.children[::-1]] == ["Billing", "Paediatrics"]
        screenshot("21-whom-en-portrait")
        await tap(whom.ids.find_person)
        assert whom.searching
        for key in "paed":
            whom.ids.keyboard.press(key)
        await settle()
        screenshot("22-whom-person-search-en-portrait")
        person = whom.ids.people.children[0]
        assert (person.title, person.subtitle) == ("Paeds", "Paediatrics")
        await tap(person)
        await wait_for(lambda: app.root.current == "visitor_type", what="the visitor types")
        await settle()
        screenshot("23-visitor-type-en-portrait")
        await tap(next(t for t in screen(app).ids.types.children if t.title == "Visitor"))
        await wait_for(lambda: app.root.current == "returning_ask")
        await settle()
        await tap(screen(app).ids.first)  # a first visit: no file to find
        await wait_for(lambda: app.root.current == "question")
        question = screen(app)
        assert question.label == "What is your name?"
        for char in "John O'Neil":
            question.type_key(char)
        await settle()
        screenshot("24-question-name-en-portrait")
        await tap(question.ids.next_inline)
        for char in "12":  # not a phone number
            question.type_key(char)
        await tap(question.ids.next_inline)
        await settle()
        assert question.error == "This is not a valid phone number.", question.error
        screenshot("25-question-phone-error-en-portrait")
        question.type_key("backspace")
        question.type_key("backspace")
        await tap(question.ids.next_inline)  # now empty: skipped
        await tap(question.ids.next_inline)  # no email
        await wait_for(lambda: app.root.current == "review")
        await settle()
        screenshot("26-review-en-portrait")
        await tap(screen(app).ids.confirm)
        await wait_for(lambda: app.root.current == "confirmation")
        await settle()
        screenshot("27-confirmation-en-portrait")
        assert "Paeds knows you are here" in screen(app).ids.message.text


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
