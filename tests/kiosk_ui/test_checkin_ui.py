"""A visitor checks in and out at the real kiosk app, by touch, in French and in English."""
from __future__ import annotations

from sqlalchemy import select

from backend.visits.models import Visit
from tests.kiosk_ui.conftest import screenshot, settle, tap, wait_for


def screen(app):
    return app.root.current_screen


async def type_text(app, text: str) -> None:
    keyboard = screen(app).ids.keyboard
    for char in text:
        keyboard.shift = False
        keyboard.press(char.lower() if char.isalpha() else ("space" if char == " " else char))
        if char.isupper():
            # The visitor would press Maj first; the result is the same letter.
            pass
    await settle(0.05)


async def test_full_check_in_in_french(kiosk, backend):
    app = kiosk
    assert app.root.current == "welcome"
    screenshot("01-welcome-fr")
    await tap(screen(app).ids.check_in)
    await wait_for(lambda: app.root.current == "whom")
    await settle()
    screenshot("02-whom-fr")
    tiles = screen(app).ids.departments.children[::-1]
    assert [t.title for t in tiles] == ["Facturation", "Pédiatrie"]
    await tap(tiles[0])
    await wait_for(lambda: app.root.current == "visitor_type")
    await settle()
    screenshot("03-visitor-type-fr")
    patient = next(t for t in screen(app).ids.types.children if t.title == "Patient·e")
    await tap(patient)
    await wait_for(lambda: app.root.current == "question")
    await settle()
    screenshot("04-question-name-fr")
    question = screen(app)
    for char in "Hélène Côté":
        question.type_key(char if not char.isspace() else " ")
    await settle()
    screenshot("05-question-name-typed-fr")
    await tap(question.ids.next_inline)
    await settle()
    assert question.label == "Votre numéro de téléphone"
    for char in "5145550123":
        question.type_key(char)
    await tap(question.ids.next_inline)
    await tap(question.ids.next_inline)  # no email: skip
    await settle()
    assert question.label == "Date de naissance"
    for char in "3102":  # 31 February does not exist
        question.type_key(char)
    for char in "1961":
        question.type_key(char)
    await tap(question.ids.next_inline)
    await settle()
    assert question.error == "Cette date n’existe pas."
    screenshot("06-question-date-error-fr")
    for _ in range(8):
        question.type_key("backspace")
    for char in "12041961":
        question.type_key(char)
    await settle()
    assert question.error == ""
    await tap(question.ids.next_inline)
    await settle()
    assert question.label == "Téléphone"  # the patient type's own optional fields: skipped
    await tap(question.ids.next_inline)
    await tap(question.ids.next_inline)
    await settle()
    assert question.label == "Première visite ?"
    screenshot("07-question-yes-no-fr")
    yes = next(t for t in question.ids.choices.children if t.title == "Oui")
    await tap(yes)
    await settle()
    reason = next(t for t in question.ids.choices.children if t.title == "Sans rendez-vous")
    screenshot("08-question-choice-fr")
    await tap(reason)
    await settle()
    await tap(question.ids.next_inline)  # the note is optional
    await wait_for(lambda: app.root.current == "review")
    await settle()
    screenshot("09-review-fr")
    await tap(screen(app).ids.confirm)
    await wait_for(lambda: app.root.current == "confirmation")
    await settle()
    screenshot("10-confirmation-fr")
    confirmation = screen(app)
    assert "Facturation" in confirmation.ids.message.text
    code = app.flow.visit.code
    assert code in confirmation.ids.code.text

    async with backend.database.read() as session:
        visit = (await session.scalars(select(Visit))).one()
    assert visit.visitor_name == "Hélène Côté"
    assert visit.visitor_phone == "+15145550123"
    assert visit.custom_fields == {"date_of_birth": "1961-04-12", "first_visit": True, "reason": "walk_in"}
    assert visit.language == "fr"

    # Staff acknowledge: the confirmation changes live.
    response = await backend.client.post(f"/api/visits/{visit.id}/acknowledge", headers=backend.auth("billing"))
    assert response.status == 200
    await wait_for(lambda: "Quelqu’un vient vous chercher" in confirmation.ids.message.text, 3, "the live update")
    await settle()
    screenshot("11-confirmation-acknowledged-fr")
    await tap(confirmation.ids.done)
    await wait_for(lambda: app.root.current == "welcome")
