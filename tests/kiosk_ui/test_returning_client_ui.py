"""A returning client at the real kiosk app, by touch, beside the real backend: found by file number and date of
birth in French, by phone in English with an email change for a clerk, a wrong date of birth, the backend gone
(the question is left out), everything forgotten for the next visitor, and the screens in portrait."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from backend.appkeys import DATABASE, HUB
from backend.visits.models import Visit
from tests.backend.conftest import build_world
from tests.kiosk.returning import HELENE, MARC, client_record, contact_changes, seed_client
from tests.kiosk_ui.driving import (
    run_portrait, running_kiosk, screen, screenshot, settle, tap, top_bar_buttons, wait_for,
)
from tests.kiosk_ui.test_offline import StoppableBackend

PORTRAIT_SCRIPT = Path(__file__).with_name("portrait_returning.py")


async def to_the_question(app, visitor_type: str, department: int = -1) -> None:
    """From Welcome: Check in, a department, a visitor type."""
    if app.root.current == "welcome":
        await tap(screen(app).ids.check_in)
    await arrive(app, "whom")
    await tap(screen(app).ids.departments.children[::-1][department])
    await arrive(app, "visitor_type")
    await tap(next(t for t in screen(app).ids.types.children if t.title == visitor_type))


async def arrive(app, name: str) -> None:
    """Wait for the screen, and for its fade-in to end: a touch during a transition goes nowhere."""
    await wait_for(lambda: app.root.current == name, 10, f"the {name} screen")
    await wait_for(lambda: not app.root.transition.is_active, 5, "the transition to end")


async def press(keyboard, text: str) -> None:
    for char in text:
        keyboard.press(char)
    await settle(0.1)


async def test_found_by_file_number_in_french_then_the_check_in_knows_who_came(kiosk, backend):
    app = kiosk
    client_id = await seed_client(backend)
    await to_the_question(app, "Patient·e", department=0)
    await arrive(app, "returning_ask")
    await settle()
    screenshot("returning-01-returning-ask-fr")
    await tap(screen(app).ids.returning)
    await arrive(app, "returning_identify")
    identify = screen(app)
    await settle()
    screenshot("returning-02-identify-empty-fr")
    assert app.returning.mode == "number" and identify.ids.keyboard.layout == "file_number"
    await press(identify.ids.keyboard, "P-1042")
    assert identify.ids.find.text == "Suivant"
    await tap(identify.ids.find)  # on to the date of birth
    assert app.returning.focus == "birth" and identify.ids.keyboard.layout == "digits"
    await press(identify.ids.keyboard, "12041961")
    await settle()
    screenshot("returning-03-identify-typed-fr")
    assert identify.ids.birth_field.text == "12 / 04 / 1961"
    assert identify.ids.find.text == "Trouver mon dossier"
    await tap(identify.ids.find)
    await arrive(app, "returning_contact")
    contact = screen(app)
    await settle()
    screenshot("returning-04-contact-fr")
    assert contact.ids.title.text == "Bonjour Hélène ! Ces renseignements sont-ils toujours exacts ?"
    shown = {row.field: row.value for row in contact.ids.rows.children}
    assert shown == {"phone": "514 555-0123", "email": "helene.cote@example.org",
                     "address": "1234 rue Saint-Denis\nMontréal H2X 3K8"}
    await tap(contact.ids.primary)  # "Oui, c’est exact"
    await arrive(app, "question")
    question = screen(app)
    await settle()
    assert question.label == "Téléphone"  # name, phone, email and date of birth not asked again
    await tap(question.ids.next_inline)
    await tap(question.ids.next_inline)
    await settle()
    await tap(next(t for t in question.ids.choices.children if t.title == "Rendez-vous"))  # not "first visit?"
    await settle()
    await tap(question.ids.next_inline)
    await arrive(app, "review")
    await settle()
    screenshot("returning-05-review-known-client-fr")
    await tap(screen(app).ids.confirm)
    await arrive(app, "confirmation")
    await settle()
    assert screen(app).ids.title.text == "Merci, Hélène."

    async with backend.database.read() as session:
        visit = (await session.scalars(select(Visit))).one()
    assert (visit.client_id, visit.visitor_name, visit.visitor_phone) == (client_id, "Hélène Côté", "+15145550123")
    assert visit.custom_fields["date_of_birth"] == "1961-04-12"
    assert visit.custom_fields["first_visit"] is False


async def test_found_by_phone_in_english_an_email_change_waits_for_a_clerk(kiosk, backend):
    app = kiosk
    client_id = await seed_client(backend)
    await tap(screen(app).ids.check_in)
    await arrive(app, "whom")
    await tap(next(b for b in top_bar_buttons(app) if b.text == "English"))
    await to_the_question(app, "Visitor")
    await arrive(app, "returning_ask")
    await settle()
    screenshot("returning-10-returning-ask-en")
    await tap(screen(app).ids.returning)
    await arrive(app, "returning_identify")
    identify = screen(app)
    await tap(identify.ids.by_phone)
    assert identify.ids.keyboard.layout == "phone"
    await press(identify.ids.keyboard, "5145550123")
    await tap(identify.ids.birth_field)  # straight to the other field, by touch
    await press(identify.ids.keyboard, "12041961")
    await settle()
    screenshot("returning-11-identify-phone-en")
    await tap(identify.ids.find)
    await arrive(app, "returning_contact")
    contact = screen(app)
    await tap(contact.ids.secondary)  # Update
    await settle()
    screenshot("returning-12-contact-update-en")
    assert contact.ids.title.text == "Update your details"
    email_row = next(row for row in contact.ids.rows.children if row.field == "email")
    await tap(email_row.ids.change)
    await arrive(app, "returning_edit")
    edit = screen(app)
    assert edit.ids.prompt.text == "Your email address" and edit.ids.keyboard.layout == "email"
    for _ in range(len(app.returning.draft)):
        edit.ids.keyboard.press("backspace")
    await press(edit.ids.keyboard, "helene@nouveau.example")
    await settle()
    screenshot("returning-13-edit-email-en")
    await tap(edit.ids.done)
    await arrive(app, "returning_contact")
    await settle()
    screenshot("returning-14-contact-changed-en")
    email_row = next(row for row in contact.ids.rows.children if row.field == "email")
    assert email_row.changed and email_row.value == "helene@nouveau.example"
    await tap(contact.ids.primary)  # Send my changes
    await wait_for(lambda: app.returning.proposal == "sent", what="the change to be sent")
    await settle()
    screenshot("returning-15-contact-sent-en")
    assert len(contact.ids.rows.children) == 5 and contact.ids.rows.parent.height > 300  # what goes to the clerk
    assert contact.ids.note.text == "The front desk will review your change before it is saved in your file."

    [change] = await contact_changes(backend, client_id)
    assert change.state == "pending" and set(change.fields) == {"email"}
    assert (await client_record(backend, client_id)).email == HELENE["email"]

    await tap(contact.ids.primary)  # Continue my check-in: name, phone and email known, nothing else to ask
    await arrive(app, "review")
    await tap(screen(app).ids.confirm)
    await arrive(app, "confirmation")
    async with backend.database.read() as session:
        visit = (await session.scalars(select(Visit))).one()
    assert (visit.client_id, visit.visitor_email, visit.language) == (client_id, "helene@nouveau.example", "en")


async def test_a_wrong_birth_date_is_not_found_and_the_visitor_can_go_on_without(kiosk, backend):
    app = kiosk
    await seed_client(backend)
    await to_the_question(app, "Patient·e")
    await arrive(app, "returning_ask")
    await tap(screen(app).ids.returning)
    await arrive(app, "returning_identify")
    identify = screen(app)
    await press(identify.ids.keyboard, "P-1042")
    await tap(identify.ids.find)
    await press(identify.ids.keyboard, "13041961")
    await tap(identify.ids.find)
    await wait_for(lambda: app.returning.outcome == "not_found", what="the answer")
    await settle()
    screenshot("returning-20-identify-not-found-fr")
    assert identify.ids.problem.text.startswith("Nous n’avons pas trouvé de dossier avec ces renseignements.")
    assert app.root.current == "returning_identify"

    await tap(next(b for b in top_bar_buttons(app) if b.text == "Grand texte"))
    await settle()
    screenshot("returning-21-identify-not-found-large-text")
    assert identify.ids.heading.to_window(*identify.ids.heading.pos)[1] + identify.ids.heading.height <= 800 - 84

    for attempt in range(5):  # four more wrong tries, and the kiosk sends the visitor to the front desk
        identify.ids.keyboard.press("backspace")  # the last digit typed again
        identify.ids.keyboard.press("1")
        assert app.returning.outcome == "none"
        await tap(identify.ids.find)
        await wait_for(lambda: app.returning.outcome in ("not_found", "locked"), what=f"try {attempt + 2}")
    assert app.returning.outcome == "locked"
    await settle()
    screenshot("returning-22-identify-locked-large-text")
    await tap(next(b for b in top_bar_buttons(app) if b.text == "Grand texte"))
    await settle()
    screenshot("returning-23-identify-locked-fr")
    assert identify.ids.stop_message.text.startswith("Trop d’essais. Veuillez vous présenter à la réception")
    assert not identify.ids.find.enabled and identify.ids.keyboard.height == 0

    await tap(identify.ids.go_on)
    await arrive(app, "question")
    assert screen(app).label == "Quel est votre nom ?"
    assert app.flow.client_token == "" and app.returning.identified is None


async def test_the_next_visitor_sees_nothing_of_the_previous_one(kiosk, backend):
    app = kiosk
    clock = [1000.0]
    app.monotonic = lambda: clock[0]
    await seed_client(backend, **MARC)
    await to_the_question(app, "Visiteur")
    await arrive(app, "returning_ask")
    await tap(screen(app).ids.returning)
    await arrive(app, "returning_identify")
    identify = screen(app)
    await press(identify.ids.keyboard, "P-2001")
    await tap(identify.ids.find)
    await press(identify.ids.keyboard, "03091984")
    await tap(identify.ids.find)
    await arrive(app, "returning_contact")
    assert any(row.value == "Laval" for row in screen(app).ids.rows.children)

    clock[0] += 36  # walked away: the idle warning, then starting over (30 + 5 s in the fixture)
    await arrive(app, "welcome")
    assert app.returning.identified is None and app.flow.client_token == "" and app.flow.answers == {}

    await to_the_question(app, "Visiteur")
    await arrive(app, "returning_ask")
    await tap(screen(app).ids.returning)
    await arrive(app, "returning_identify")
    await settle()
    assert identify.ids.key_field.text == "" and identify.ids.birth_field.text == ""
    assert app.returning.number == "" and app.returning.birth_digits == ""
    assert [row.value for row in app.root.get_screen("returning_contact").ids.rows.children] == []


async def test_without_the_backend_the_check_in_goes_on_without_the_question(settings, tmp_path: Path):
    backend = StoppableBackend(settings)
    app = await backend.start()
    world = await build_world(app[DATABASE])
    try:
        async for kiosk in running_kiosk(backend.url, world.tokens["kiosk_a"], tmp_path / "kiosk"):
            await wait_for(lambda: kiosk.status.online, 10, "the kiosk to be online")
            # The backend goes away while a visitor is finding their file: they check in as usual.
            await to_the_question(kiosk, "Visiteur")
            await arrive(kiosk, "returning_ask")
            await tap(screen(kiosk).ids.returning)
            await arrive(kiosk, "returning_identify")
            identify = screen(kiosk)
            await press(identify.ids.keyboard, "P-1042")
            await tap(identify.ids.find)
            await press(identify.ids.keyboard, "12041961")
            await backend.stop()
            await tap(identify.ids.find)
            await wait_for(lambda: kiosk.returning.outcome == "offline", 10, "the lookup to fail")
            await settle()
            screenshot("returning-24-identify-offline-fr")
            assert identify.ids.stop_message.text.startswith("Votre dossier ne peut pas être consulté pour le moment.")
            await tap(identify.ids.go_on)
            await arrive(kiosk, "question")
            assert screen(kiosk).label == "Quel est votre nom ?"
            kiosk.start_over()

            await wait_for(lambda: not kiosk.status.online, 10, "the kiosk to notice")
            await arrive(kiosk, "welcome")
            await to_the_question(kiosk, "Visiteur")
            await arrive(kiosk, "question")
            assert screen(kiosk).label == "Quel est votre nom ?"
            for char in "Visiteur Hors Ligne":
                screen(kiosk).type_key(char)
            for _ in range(3):
                await tap(screen(kiosk).ids.next_inline)
            await arrive(kiosk, "review")
            await tap(next(b for b in top_bar_buttons(kiosk) if b.text == "Retour"))  # Back from the review …
            await arrive(kiosk, "question")
            for _ in range(3):  # … and back past the first question: to the visitor type, not the file
                await tap(next(b for b in top_bar_buttons(kiosk) if b.text == "Retour"))
            await arrive(kiosk, "visitor_type")
            await tap(next(t for t in screen(kiosk).ids.types.children if t.title == "Visiteur"))
            await arrive(kiosk, "question")
            for _ in range(3):
                await tap(screen(kiosk).ids.next_inline)
            await arrive(kiosk, "review")
            await tap(screen(kiosk).ids.confirm)
            await wait_for(lambda: kiosk.root.current == "confirmation", 10)
            assert kiosk.flow.outcome == "queued" and kiosk.client.outbox is not None
            assert (await kiosk.client.outbox.pending())[0].body["client_token"] is None
    finally:
        if backend.runner is not None:
            await app[HUB].close_all()
            await backend.stop()


async def test_the_screens_in_portrait(backend, tmp_path: Path):
    await seed_client(backend)
    await run_portrait(PORTRAIT_SCRIPT, backend, tmp_path / "kiosk")
