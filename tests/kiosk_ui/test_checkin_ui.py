"""A visitor checks in and out at the real kiosk app, by touch, in French and in English."""
from __future__ import annotations

from sqlalchemy import select

from backend.visits.models import Visit
from tests.kiosk_ui.driving import STAFF_PIN, screen, screenshot, settle, tap, top_bar_buttons, wait_for


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
    await wait_for(lambda: app.root.current == "returning_ask")
    await settle()
    await tap(screen(app).ids.first)  # a first visit: no file to find
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


async def test_check_out_with_the_code_on_the_pass(kiosk, backend):
    app = kiosk
    visit = await (await backend.check_in("kiosk_b", visitor_name="Marc Roy")).json()
    await tap(screen(app).ids.check_out)
    await wait_for(lambda: app.root.current == "checkout")
    checkout = screen(app)
    for char in visit["code"].lower():
        checkout.ids.keyboard.press(char)
    await settle()
    screenshot("30-checkout-code-fr")
    await tap(checkout.ids.submit_code)
    await wait_for(lambda: app.checkout.outcome == "done")
    await settle()
    screenshot("31-checkout-done-fr")
    assert "Marc" in checkout.ids.goodbye.text
    async with backend.database.read() as session:
        assert (await session.get(Visit, visit["id"])).state == "checked_out"
    await tap(checkout.ids.done)
    await wait_for(lambda: app.root.current == "welcome")


async def test_check_out_by_name(kiosk, backend):
    app = kiosk
    visit = await (await backend.check_in("kiosk_b", visitor_name="Zoé Lévesque")).json()
    await tap(screen(app).ids.check_out)
    await wait_for(lambda: app.root.current == "checkout")
    checkout = screen(app)
    await tap(checkout.ids.by_name)
    for char in "zoe":
        checkout.ids.keyboard.press(char)
    await wait_for(lambda: len(checkout.ids.matches.children) == 1, what="the name to be found")
    await settle()
    screenshot("32-checkout-name-fr")
    match = checkout.ids.matches.children[0]
    assert match.title == "Zoé L."
    await tap(match)
    await wait_for(lambda: app.checkout.outcome == "done")
    async with backend.database.read() as session:
        assert (await session.get(Visit, visit["id"])).state == "checked_out"


async def test_idle_warns_then_starts_over_and_wipes_what_was_typed(kiosk):
    app = kiosk
    clock = [1000.0]
    app.monotonic = lambda: clock[0]
    await tap(screen(app).ids.check_in)
    await wait_for(lambda: app.root.current == "whom")
    await tap(next(b for b in top_bar_buttons(app) if b.text == "English"))
    await tap(screen(app).ids.departments.children[-1])
    await tap(next(t for t in screen(app).ids.types.children if t.title == "Visitor"))
    await wait_for(lambda: app.root.current == "returning_ask")
    await settle()
    await tap(screen(app).ids.first)  # a first visit: no file to find
    await wait_for(lambda: app.root.current == "question")
    for char in "Secret Name":
        screen(app).type_key(char)
    assert app.flow.answers["visitor_name"] == "Secret Name"
    clock[0] += 31  # idle_seconds is 30 in the fixture
    await wait_for(lambda: app.idle.warning, what="the idle warning")
    await settle(0.4)
    screenshot("40-idle-warning-en")
    clock[0] += 5
    await wait_for(lambda: app.root.current == "welcome", what="the reset")
    assert app.flow.answers == {} and app.flow.department_id is None
    assert app.language == "fr"  # back to the site's language for the next visitor
    assert not app.idle.warning


async def test_large_text_high_contrast_on_every_screen_until_the_session_ends(kiosk):
    app = kiosk
    await tap(next(b for b in top_bar_buttons(app) if b.text == "Grand texte"))
    assert app.theme.high_contrast
    await settle()
    screenshot("50-welcome-large-text")
    await tap(screen(app).ids.check_in)
    await wait_for(lambda: app.root.current == "whom")
    await settle()
    assert app.theme.high_contrast  # kept while the visitor goes on
    screenshot("51-whom-large-text")
    await tap(screen(app).ids.departments.children[-1])
    await tap(next(t for t in screen(app).ids.types.children if t.title == "Patient·e"))
    await wait_for(lambda: app.root.current == "returning_ask")
    await settle()
    await tap(screen(app).ids.first)  # a first visit: no file to find
    await wait_for(lambda: app.root.current == "question")
    await settle()
    screenshot("52-question-large-text")
    app.start_over()
    assert not app.theme.high_contrast


async def test_staff_settings_need_the_pin(kiosk):
    app = kiosk
    await tap(screen(app).ids.staff)
    await wait_for(lambda: app.root.current == "staff")
    staff = screen(app)
    for key in "1111":
        staff.ids.keypad.press(key)
    await tap(staff.ids.unlock)
    assert staff.stage == "pin" and staff.error
    await settle()
    screenshot("60-staff-pin-wrong-fr")
    for key in STAFF_PIN:
        staff.ids.keypad.press(key)
    await tap(staff.ids.unlock)
    assert staff.stage == "panel"
    await settle()
    screenshot("61-staff-settings-fr")
    assert "en ligne" in staff.ids.state.text

