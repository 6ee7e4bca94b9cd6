"""The panel's calls page: the front desk logs a call in one step, whoever a message is for takes it and marks it
done, everyone follows today's calls; and the outgoing notifications page, live. Over real HTTP, then in
Debian's Chromium driven by Playwright (French, as a receptionist in Québec sees it)."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from backend.app import create_app
from backend.appkeys import DATABASE, HUB
from backend.calls.models import Call
from backend.core.events import Audience
from backend.notifications import service as notifications
from backend.notifications.dispatcher import run_due
from backend.notifications.models import Delivery
from shared.api import VisitEvent
from shared.enums import CallOutcome, CallSource, DeliveryChannel, DeliveryStatus, MessageState
from tests.backend.conftest import PASSWORD, Backend, build_world, next_event, nothing_arrives
from tests.panel.browser import chromium
from tests.panel.browser import shot as save_shot
from tests.panel.test_panel_browser import serious_violations
from tests.panel.signing import csrf_of, give_password

ZONE = ZoneInfo("America/Toronto")  # the test clinic's


async def sign_in(backend: Backend, login: str = "reception") -> None:
    if login != "reception":
        await give_password(backend, login)
    response = await backend.client.post("/panel/sign-in", data={"login": login, "password": PASSWORD},
                                         allow_redirects=False)
    assert response.status == 303, await response.text()


def card_of(html: str, call_id: int) -> str:
    """The open message's card for this call ("" when it is not among the open messages)."""
    found = re.search(rf'<li class="call-card[^"]*" id="call-{call_id}".*?</li>', html, re.S)
    return found.group(0) if found else ""


def today_row(html: str, call_id: int) -> str:
    found = re.search(rf'<tr [^>]*data-call="{call_id}">.*?</tr>', html, re.S)
    return found.group(0) if found else ""


async def calls(backend: Backend) -> list[Call]:
    async with backend.database.read() as session:
        return list(await session.scalars(select(Call).order_by(Call.id)))


async def call_by_id(backend: Backend, call_id: int) -> Call:
    async with backend.database.read() as session:
        return await session.get(Call, call_id)


async def api_call(backend: Backend, **body) -> dict:
    """A call logged through the API by the front desk (a message for Billing unless told otherwise)."""
    body = {"caller_name": "Hélène Côté", "caller_number": "514 555 0123",
            "department_id": backend.world.departments["billing"], "reason": "Question sur une facture",
            "outcome": "message_taken", **body}
    response = await backend.client.post("/api/calls", json=body, headers=backend.auth("reception"))
    assert response.status == 201, await response.text()
    return await response.json()


def form(backend: Backend, page: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(page), "caller_name": "Hélène Côté", "caller_number": "514 555 0123",
            "client_name": "Hélène Côté", "department_id": str(backend.world.departments["billing"]),
            "staff_id": "", "reason": "Question sur sa facture de mars", "outcome": "message_taken", **fields}


# --- over HTTP ---------------------------------------------------------------------------------------------


async def test_the_front_desk_logs_a_call_with_the_form_and_the_department_hears_of_it(backend: Backend):
    billing_panel = await backend.live("billing")
    await sign_in(backend)
    page = await (await backend.client.get("/panel/calls")).text()
    assert 'action="/panel/calls"' in page and 'name="caller_number"' in page
    # The person list: active staff who belong to a department, with it; not the desk or the clerk.
    assert re.search(rf'<option value="{backend.world.staff_ids["billing2"]}"\s*>Billing2 \(Facturation\)</option>',
                     page)
    assert f'value="{backend.world.staff_ids["clerk"]}"' not in page

    response = await backend.client.post("/panel/calls", data=form(
        backend, page, staff_id=str(backend.world.staff_ids["billing2"])), allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/panel/calls"

    [call] = await calls(backend)
    assert (call.caller_name, call.caller_number, call.client_name, call.reason) == (
        "Hélène Côté", "+15145550123", "Hélène Côté", "Question sur sa facture de mars")
    assert (call.department_id, call.staff_member_id) == (backend.world.departments["billing"],
                                                          backend.world.staff_ids["billing2"])
    assert (call.outcome, call.message_state, call.source) == ("message_taken", "open", "desk")
    assert call.logged_by_id == backend.world.staff_ids["reception"]
    event = await next_event(billing_panel, timeout=2)
    assert (event["type"], event["call"]["id"], event["call"]["message_state"]) == ("call.logged", call.id, "open")

    page = await (await backend.client.get("/panel/calls")).text()
    card = card_of(page, call.id)
    assert "Hélène Côté" in card and 'href="tel:+15145550123"' in card and "514 555-0123" in card
    assert "Facturation · Billing2" in card and "Question sur sa facture de mars" in card
    assert f'action="/panel/calls/{call.id}/acknowledge"' in card and f'action="/panel/calls/{call.id}/done"' in card
    received = call.received_at.replace(tzinfo=dt.UTC).astimezone(ZONE).strftime("%H:%M")
    assert f">{received}</time>" in card  # the site's time, not UTC
    assert "Hélène Côté" in today_row(page, call.id)


async def test_a_transferred_call_is_in_todays_calls_but_leaves_no_message(backend: Backend):
    await sign_in(backend)
    page = await (await backend.client.get("/panel/calls")).text()
    response = await backend.client.post("/panel/calls", data=form(backend, page, outcome="transferred"),
                                         allow_redirects=False)
    assert response.status == 303
    [call] = await calls(backend)
    assert (call.outcome, call.message_state) == ("transferred", "none")
    page = await (await backend.client.get("/panel/calls")).text()
    assert card_of(page, call.id) == ""
    row = today_row(page, call.id)
    assert f'id="call-{call.id}"' in row and "badge state-succeeded" in row  # the email's link lands here
    refused = await backend.client.post(f"/panel/calls/{call.id}/acknowledge", data={"csrf_token": csrf_of(page)},
                                        allow_redirects=False)
    assert refused.status == 409
    assert (await call_by_id(backend, call.id)).message_state == "none"


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"caller_name": "", "caller_number": ""}, "caller_name", ""),
    ({"caller_number": "12"}, "caller_number", "Ce numéro de téléphone n’est pas valide."),
    ({"department_id": "99999"}, "department_id", ""),
    ({"department_id": "Billing"}, "department_id", ""),
    ({"department_id": ""}, "department_id", ""),
    ({"staff_id": "99999"}, "staff_id", ""),
    ({"outcome": ""}, "outcome", ""),
    ({"outcome": "voicemail"}, "outcome", ""),  # the telephone system's word, not the desk's
    ({"reason": "x" * 2001}, "reason", ""),
    # Every problem at once, the form's own and the service's.
    ({"caller_number": "12", "department_id": "", "outcome": ""}, "caller_number department_id outcome",
     "Ce numéro de téléphone n’est pas valide."),
])
async def test_a_form_with_a_problem_says_where_and_changes_nothing(backend: Backend, fields, field, says):
    await sign_in(backend)
    page = await (await backend.client.get("/panel/calls")).text()
    counts = await backend.row_counts()
    posted = form(backend, page, client_name="Clinique Côté", **fields)
    response = await backend.client.post("/panel/calls", data=posted, allow_redirects=False)
    assert response.status == 422
    html = await response.text()
    assert await backend.row_counts() == counts
    assert 'id="form-errors"' in html
    # The field is marked and points at its message; the others are not.
    marked = re.findall(r'name="(\w+)"[^>]*aria-invalid="true"|aria-invalid="true" aria-describedby="(\w+)-error"',
                        html)
    assert {name or described for name, described in marked} == set(field.split())
    for name in field.split():
        assert f'id="{name}-error"' in html
    if says:
        assert says in html
    # What was typed is kept.
    assert 'value="Clinique Côté"' in html
    if field != "reason":
        assert ">Question sur sa facture de mars</textarea>" in html


async def test_a_clerk_gets_the_forbidden_page_and_department_staff_may_not_log(backend: Backend):
    for path in ("/panel/calls", "/panel/calls/lists"):
        response = await backend.client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == f"/panel/sign-in?next={path}"
    await sign_in(backend, "clerk")
    for path in ("/panel/calls", "/panel/calls/lists"):
        response = await backend.client.get(path)
        assert response.status == 403 and 'href="/panel/calls"' not in await response.text()
    forbidden = await (await backend.client.get("/panel/calls")).text()  # it carries the clerk's CSRF token
    counts = await backend.row_counts()
    response = await backend.client.post("/panel/calls", data=form(backend, forbidden), allow_redirects=False)
    assert response.status == 403
    assert await backend.row_counts() == counts

    await sign_in(backend, "billing")
    page = await (await backend.client.get("/panel/calls")).text()
    assert 'href="/panel/calls"' in page  # in the navigation
    assert 'action="/panel/calls"' not in page and 'name="caller_name"' not in page
    response = await backend.client.post("/panel/calls", data=form(backend, page), allow_redirects=False)
    assert response.status == 403
    assert await calls(backend) == []


async def test_another_department_does_not_see_a_billing_message(backend: Backend):
    call = await api_call(backend)
    paeds_call = await api_call(backend, caller_name="Zoé Gagnon", department_id=backend.world.departments[
        "paediatrics"])
    await sign_in(backend, "paeds")
    page = await (await backend.client.get("/panel/calls")).text()
    lists = await (await backend.client.get("/panel/calls/lists")).text()
    for html in (page, lists):
        assert "Hélène Côté" not in html and f'data-call="{call["id"]}"' not in html
        assert "Zoé Gagnon" in card_of(html, paeds_call["id"])
    assert "<html" not in lists  # the fragment alone
    for step in ("acknowledge", "done"):
        response = await backend.client.post(f"/panel/calls/{call['id']}/{step}", data={"csrf_token": csrf_of(page)},
                                             allow_redirects=False)
        assert response.status == 404
    assert (await call_by_id(backend, call["id"])).message_state == "open"

    await sign_in(backend, "billing")
    page = await (await backend.client.get("/panel/calls")).text()
    assert "Hélène Côté" in card_of(page, call["id"]) and "Zoé Gagnon" not in page


async def test_the_person_it_is_for_acknowledges_then_marks_it_done(backend: Backend):
    call = await api_call(backend, outcome="callback_requested", client_name="Clinique Côté")
    desk = await backend.live("reception")
    await sign_in(backend, "billing")
    page = await (await backend.client.get("/panel/calls")).text()
    counts = await backend.row_counts()
    forged = await backend.client.post(f"/panel/calls/{call['id']}/acknowledge", data={"csrf_token": "forged"},
                                       allow_redirects=False)
    assert forged.status == 403
    assert await backend.row_counts() == counts

    response = await backend.client.post(f"/panel/calls/{call['id']}/acknowledge",
                                         data={"csrf_token": csrf_of(page)}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/panel/calls"
    row = await call_by_id(backend, call["id"])
    assert (row.message_state, row.acknowledged_by_id) == ("acknowledged", backend.world.staff_ids["billing"])
    event = await next_event(desk, timeout=2)
    assert (event["type"], event["call"]["message_state"]) == ("call.updated", "acknowledged")

    page = await (await backend.client.get("/panel/calls")).text()
    card = card_of(page, call["id"])
    assert 'data-state="acknowledged"' in card and "badge message-acknowledged" in card and "Billing" in card
    assert "/acknowledge" not in card and f'action="/panel/calls/{call["id"]}/done"' in card
    # Said twice, the second changes nothing and tells nobody.
    again = await backend.client.post(f"/panel/calls/{call['id']}/acknowledge", data={"csrf_token": csrf_of(page)},
                                      allow_redirects=False)
    assert again.status == 303
    assert await nothing_arrives(desk)

    response = await backend.client.post(f"/panel/calls/{call['id']}/done", data={"csrf_token": csrf_of(page)},
                                         allow_redirects=False)
    assert response.status == 303
    row = await call_by_id(backend, call["id"])
    assert (row.message_state, row.done_by_id) == ("done", backend.world.staff_ids["billing"])
    assert (await next_event(desk, timeout=2))["call"]["message_state"] == "done"
    page = await (await backend.client.get("/panel/calls")).text()
    assert card_of(page, call["id"]) == ""
    assert "badge state-succeeded" in today_row(page, call["id"])  # still among today's calls, dealt with


async def test_todays_calls_start_at_midnight_in_the_sites_zone_and_open_messages_stay_until_done(backend: Backend):
    midnight = dt.datetime.combine(dt.datetime.now(ZONE).date(), dt.time(), ZONE).astimezone(dt.UTC)
    async with backend.database.write() as session:
        for name, at, state in (("Hier Soir", midnight - dt.timedelta(minutes=1), MessageState.NONE),
                                ("Vieux Message", midnight - dt.timedelta(days=3), MessageState.OPEN),
                                ("Ce Matin", midnight + dt.timedelta(seconds=1), MessageState.NONE)):
            session.add(Call(source=CallSource.DESK, external_id=None, caller_name=name, caller_number="anonymous",
                             client_name="", department_id=backend.world.departments["billing"], staff_member_id=None,
                             reason="", outcome=CallOutcome.MISSED if state == MessageState.OPEN
                             else CallOutcome.TRANSFERRED, recording_url="javascript:alert(1)"
                             if state == MessageState.OPEN else "", received_at=at, ended_at=at, logged_by_id=None,
                             message_state=state))
    voicemail = await api_call(backend, caller_name="Boîte Vocale")
    async with backend.database.write() as session:
        (await session.get(Call, voicemail["id"])).recording_url = "https://api.twilio.com/recordings/RE123"
    await sign_in(backend)
    page = await (await backend.client.get("/panel/calls")).text()
    today = page[page.index('id="today-calls-title"'):]
    assert "Ce Matin" in today and "Boîte Vocale" in today and "Hier Soir" not in page
    assert today.index("Boîte Vocale") < today.index("Ce Matin")  # newest first
    old = page[page.index("Vieux Message"):page.index("</li>", page.index("Vieux Message"))]
    assert (midnight - dt.timedelta(days=3)).astimezone(ZONE).strftime("%Y-%m-%d %H:%M") in old  # not today: dated
    assert "anonymous" in old and "badge state-waiting" in old
    assert "javascript:" not in page  # a recording address that is not a web one is not a link
    listen = re.search(r'<a class="button" href="([^"]+)" target="_blank" rel="noreferrer">', page)
    assert listen and listen.group(1) == "https://api.twilio.com/recordings/RE123"


async def test_the_deliveries_table_comes_alone_for_the_live_script(backend: Backend):
    async with backend.database.write() as session:
        await notifications.enqueue(session, DeliveryChannel.EMAIL, "billing@example.org", "Appel pour Facturation",
                                    "…", None, "call:7", None, dt.datetime.now(dt.UTC))
    await sign_in(backend)
    table = await backend.client.get("/panel/deliveries/table", params={"about": "call:7"})
    html = await table.text()
    assert table.status == 200 and "<html" not in html and "billing@example.org" in html
    assert "billing@example.org" not in await (await backend.client.get(
        "/panel/deliveries/table", params={"about": "visit:1"})).text()
    await sign_in(backend, "billing")
    assert (await backend.client.get("/panel/deliveries/table")).status == 403


# --- in Chromium -------------------------------------------------------------------------------------------


@pytest.fixture
async def browser():
    async with chromium() as found:
        yield found


async def signed_in_page(browser, backend: Backend, login: str, width: int = 1366):
    """A browser of its own (cookies apart) signed in as `login`, in French."""
    context = await browser.new_context(viewport={"width": width, "height": 900}, locale="fr-CA")
    page = await context.new_page()
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in?next=/panel/calls")
    await page.get_by_label("Identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await expect(page.get_by_role("heading", name="Appels", exact=True)).to_be_visible()
    await expect(page.locator("#live-status")).to_have_text("En direct")
    return page


async def shot(page, name: str) -> None:
    await save_shot(page, f"panel-calls-{name}")


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_a_message_logged_at_the_desk_reaches_billing_live_and_is_dealt_with(backend: Backend, browser):
    await give_password(backend, "billing")
    await api_call(backend, caller_name="Marc-André Roy", caller_number="", department_id=backend.world.departments[
        "paediatrics"], outcome="transferred", reason="")
    billing = await signed_in_page(browser, backend, "billing")
    await expect(billing.get_by_text("Aucun message à traiter.")).to_be_visible()
    await billing.evaluate("window.notReloaded = true")
    desk = await signed_in_page(browser, backend, "reception")
    await shot(desk, "01-empty-form-fr")

    await desk.get_by_label("Nom de l’appelant").fill("Hélène Côté")
    await desk.get_by_label("Numéro de l’appelant").fill("514 555 0123")
    await desk.get_by_label("Client, s’il est connu").fill("Hélène Côté")
    await desk.get_by_label("Service", exact=True).select_option(label="Facturation")
    await desk.get_by_label("Motif de l’appel").fill("Question sur sa facture de mars ; rappeler avant 16 h.")
    await desk.get_by_label("Message pris").check()
    await desk.get_by_role("button", name="Noter l’appel").click()
    await expect(desk.locator(".messages")).to_contain_text("Hélène Côté")
    [call] = [c for c in await calls(backend) if c.caller_name == "Hélène Côté"]
    card = desk.locator(f"#call-{call.id}")
    await expect(card).to_contain_text("Hélène Côté")
    await expect(card).to_contain_text("À traiter")
    await expect(card.get_by_role("link", name="514 555-0123")).to_have_attribute("href", "tel:+15145550123")
    await expect(desk.locator(f'.calls-table [data-call="{call.id}"]')).to_contain_text("Message pris")
    await expect(desk.get_by_label("Nom de l’appelant")).to_have_value("")  # a fresh form for the next call
    await shot(desk, "02-logged-desk-fr")

    # Billing's page, never reloaded, shows it and points it out.
    live_card = billing.locator(f"#call-{call.id}")
    await expect(live_card).to_contain_text("Hélène Côté")
    await expect(live_card).to_contain_text("Facturation")
    await expect(live_card).to_contain_text("Question sur sa facture de mars")
    await expect(live_card).to_have_class(re.compile(r"\barrived\b"))
    assert await billing.evaluate("window.notReloaded") is True
    await expect(billing.get_by_text("Marc-André Roy")).to_have_count(0)  # Paediatrics' call is not theirs
    await shot(billing, "03-live-billing-fr")
    assert await serious_violations(billing) == []

    await live_card.get_by_role("button", name="Je m’en occupe").click()
    card = billing.locator(f"#call-{call.id}")
    await expect(card).to_contain_text("Pris en charge par Billing")
    await expect(card.get_by_role("button", name="Je m’en occupe")).to_have_count(0)
    # The desk's page follows without a reload.
    await expect(desk.locator(f"#call-{call.id}")).to_contain_text("Pris en charge")
    await shot(billing, "04-acknowledged-fr")

    await card.get_by_role("button", name="Marquer comme terminé").click()
    await expect(billing.get_by_text("Aucun message à traiter.")).to_be_visible()
    await expect(billing.locator(f'.calls-table [data-call="{call.id}"]')).to_contain_text("Terminé")
    await expect(desk.locator(f"#call-{call.id}")).to_have_count(1)  # now the today's row holds the anchor
    await expect(desk.locator(".messages")).to_have_count(0)
    await shot(billing, "05-done-fr")
    async with backend.database.read() as session:
        assert (await session.get(Call, call.id)).message_state == "done"


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_the_form_shows_what_to_fix_and_the_calls_page_is_accessible(backend: Backend, browser):
    await api_call(backend, outcome="callback_requested", client_name="Clinique Côté")
    desk = await signed_in_page(browser, backend, "reception")
    assert await serious_violations(desk) == []
    await desk.get_by_label("Numéro de l’appelant").fill("12")
    await desk.get_by_label("Motif de l’appel").fill("Rappeler pour le rendez-vous")
    await desk.get_by_role("button", name="Noter l’appel").click()
    await expect(desk.get_by_role("alert")).to_have_text("Certains champs sont à corriger : voyez ci-dessous.")
    number = desk.get_by_label("Numéro de l’appelant")
    await expect(number).to_have_attribute("aria-invalid", "true")
    await expect(number).to_have_accessible_description("Ce numéro de téléphone n’est pas valide.")
    await expect(number).to_have_value("12")
    await expect(desk.get_by_label("Service", exact=True)).to_have_accessible_description(
        re.compile("Choisissez le service ou la personne demandés par l’appelant"))
    await expect(desk.get_by_role("radiogroup", name="Résultat")).to_have_accessible_description(
        "Choisissez le résultat de l’appel.")
    await expect(desk.get_by_label("Motif de l’appel")).to_have_value("Rappeler pour le rendez-vous")
    assert await serious_violations(desk) == []
    await shot(desk, "06-errors-fr")
    assert len(await calls(backend)) == 1

    await desk.get_by_role("link", name="English").click()
    await expect(desk.get_by_role("heading", name="Calls", exact=True)).to_be_visible()
    await shot(desk, "07-en")


@pytest.fixture
async def mailing_backend(settings, mailbox, aiohttp_client) -> Backend:
    """The test backend, sending email to the local SMTP server."""
    app = create_app(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": mailbox.port,
                                                 "smtp_starttls": False}))
    client = await aiohttp_client(app)
    return Backend(client=client, database=app[DATABASE], world=await build_world(app[DATABASE]))


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_the_deliveries_page_shows_a_new_deliverys_status_change_live(mailing_backend: Backend, browser,
                                                                           mailbox):
    backend = mailing_backend
    async with backend.database.write() as session:
        delivery = await notifications.enqueue(session, DeliveryChannel.EMAIL, "facturation@example.org",
                                               "Message pour Facturation : Hélène C.", "Rappeler", None, "call:1",
                                               None, dt.datetime.now(dt.UTC))
        delivery.next_attempt_at += dt.timedelta(hours=1)  # not due yet: the page sees it waiting
    context = await browser.new_context(viewport={"width": 1366, "height": 700}, locale="fr-CA")
    page = await context.new_page()
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in?next=/panel/deliveries")
    await page.get_by_label("Identifiant").fill("reception")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    row = page.locator(f'[data-delivery="{delivery.id}"]')
    await expect(row).to_contain_text("En attente")
    await expect(page.locator("#live-status")).to_have_text("En direct")
    await page.evaluate("window.notReloaded = true")

    async with backend.database.write() as session:
        (await session.get(Delivery, delivery.id)).next_attempt_at = dt.datetime.now(dt.UTC)
    await run_due(backend.client.app)  # or the dispatcher's own loop, whichever comes first
    await expect(row).to_contain_text("Remis")
    assert [m["To"] for m in mailbox.messages] == ["facturation@example.org"]
    await expect(row).to_have_attribute("data-status", DeliveryStatus.DELIVERED)
    assert await page.evaluate("window.notReloaded") is True
    assert await serious_violations(page) == []
    await shot(page, "08-deliveries-live-fr")


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_the_lobby_board_points_out_a_visit_whose_escalation_reached_this_person(backend: Backend, browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 700}, locale="fr-CA")
    page = await context.new_page()
    base = str(backend.client.make_url("")).rstrip("/")
    await page.goto(f"{base}/panel/sign-in")
    await page.get_by_label("Identifiant").fill("reception")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion").click()
    await expect(page.locator("#live-status")).to_have_text("En direct")
    visit = await (await backend.check_in(visitor_name="Hélène Côté")).json()  # for Billing: not the desk's own
    card = page.locator(f'[data-visit="{visit["id"]}"]')
    await expect(card).to_contain_text("Hélène Côté")
    await expect(card).not_to_have_class(re.compile(r"\barrived\b"))

    # What the escalator publishes when a step reaches this person (backend/routing/escalator.py).
    event = VisitEvent(type="visit.escalated", visit=visit)
    await backend.client.app[HUB].broadcast(event.model_dump(mode="json"),
                                            Audience(staff_ids=frozenset({backend.world.staff_ids["reception"]})))
    await expect(page.locator(f'[data-visit="{visit["id"]}"]')).to_have_class(re.compile(r"\barrived\b"))
