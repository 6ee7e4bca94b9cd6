"""Collecting a pay cheque at the real kiosk app, by touch, beside the real backend: the employee number and PIN,
the cheques ready, a signature drawn with a finger, the desk told; three wrong PINs lock; nothing ready; no
connection; and a portrait screen."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from backend.cheques.models import Cheque, Employee
from kiosk import app_cheques
from kiosk.store import KioskStore
from shared.api import KioskConfig
from tests.backend.conftest import Backend, next_event
from tests.kiosk.cheque_setup import COMPANY, PIN, ready_cheques
from tests.kiosk.paying import free_port
from tests.kiosk_ui.cheque_driving import draw_signature, identify, type_keys
from tests.kiosk_ui.driving import (
    run_portrait, running_kiosk, screen, screenshot, settle, tap, top_bar_buttons, wait_for,
)

PORTRAIT_SCRIPT = Path(__file__).with_name("portrait_cheques.py")


async def cheques_of(backend: Backend, employee_id: int) -> list[Cheque]:
    async with backend.database.read() as session:
        return list(await session.scalars(select(Cheque).where(Cheque.employee_id == employee_id)
                                          .order_by(Cheque.id)))


async def test_an_employee_signs_for_their_cheques_in_french(kiosk, backend: Backend, monkeypatch):
    app = kiosk
    employee = await ready_cheques(backend, number="E-1042", given_name="Mélanie")
    desk = await backend.live("reception")
    await wait_for(lambda: app.status.online, 10, "the kiosk to be online")
    await settle()
    welcome = screen(app)
    assert welcome.ids.collect_cheque.text == "Récupérer mon chèque"
    # Clearly second to checking in: an outlined, smaller button in the bottom bar.
    collect, check_in = welcome.ids.collect_cheque, welcome.ids.check_in
    assert (collect.kind, check_in.kind) == ("secondary", "primary")
    assert collect.height < check_in.height / 1.5 and collect.font_size < check_in.font_size
    assert collect.top < check_in.y
    screenshot("cheque-01-welcome-fr")

    await tap(welcome.ids.collect_cheque)
    await wait_for(lambda: app.root.current == "cheque_identify")
    await type_keys(app, "E-1042")
    await settle()
    identify_screen = screen(app)
    assert identify_screen.ids.typed.text == "E-1042"
    screenshot("cheque-02-number-fr")
    await tap(identify_screen.ids.go_on)
    await wait_for(lambda: app.cheques.stage == "pin")
    await type_keys(app, PIN)
    await settle()
    assert identify_screen.ids.typed.text == "• • • •"  # masked: the PIN itself is never drawn
    assert identify_screen.ids.instruction.text == "Entrez votre NIP (de 4 à 8 chiffres)."
    screenshot("cheque-03-pin-fr")
    await tap(identify_screen.ids.go_on)
    await wait_for(lambda: app.root.current == "cheque_list", 10, "the cheques")
    await settle()

    listing = screen(app)
    assert listing.ids.title.text == "Bonjour, Mélanie."
    tiles = listing.ids.cheques.children[::-1]
    assert [t.title for t in tiles] == [COMPANY, COMPANY]
    assert [t.subtitle for t in tiles] == [f"Paie du 12 novembre 2026 · chèque nº {n}\nJe le récupère maintenant"
                                           for n in employee["cheque_numbers"]]
    assert all(t.selected for t in tiles)
    await tap(tiles[1])  # not this one today…
    await settle()
    tiles = listing.ids.cheques.children[::-1]
    assert not tiles[1].selected and tiles[1].subtitle.endswith("\nLaissé pour une autre fois")
    assert app.cheques.chosen == employee["cheque_ids"][:1]
    screenshot("cheque-04-list-one-left-fr")
    await tap(tiles[1])  # …after all, yes
    await settle()
    assert app.cheques.chosen == employee["cheque_ids"]
    screenshot("cheque-04-list-fr")

    await tap(listing.ids.to_sign)
    await wait_for(lambda: app.root.current == "cheque_sign")
    await settle()
    sign = screen(app)
    assert sign.ids.title.text == "Signez pour recevoir vos 2 chèques"
    await tap(sign.ids.pad.ids.sign)  # blank: refused on the spot
    await settle()
    assert sign.ids.pad.refused and app.root.current == "cheque_sign"
    assert sign.ids.pad.ids.refusal.text == "Veuillez d’abord signer dans le cadre avec votre doigt."
    screenshot("cheque-05-sign-blank-fr")
    assert [c.status for c in await cheques_of(backend, employee["employee_id"])] == ["at_desk", "at_desk"]

    await draw_signature(sign.ids.pad.ids.area)
    assert app.cheques.signature.inked and len(app.cheques.signature.strokes) == 2
    assert not sign.ids.pad.refused
    screenshot("cheque-06-signed-fr")
    png = app.cheques.signature.png()

    monkeypatch.setattr(app_cheques, "DONE_SECONDS", 2)  # the real delay is longer than a test should wait
    await tap(sign.ids.pad.ids.sign)
    await wait_for(lambda: app.root.current == "cheque_done", 10, "the desk to be told")
    await settle()
    done = screen(app)
    assert done.ids.title.text == "Merci, Mélanie."
    assert done.ids.message.text == ("L’accueil a été avisé — veuillez vous présenter au comptoir pour recevoir "
                                     "vos chèques.")
    screenshot("cheque-07-done-fr")

    # Each cheque is requested at the kiosk, with the signature drawn there as its proof.
    cheques = await cheques_of(backend, employee["employee_id"])
    assert [c.status for c in cheques] == ["requested", "requested"]
    assert {c.requested_kiosk_id for c in cheques} == {backend.world.kiosk_ids["kiosk_a"]}
    assert {c.requested_signature_sha256 for c in cheques} == {hashlib.sha256(png).hexdigest()}
    # The desk hears of it live: each cheque requested, and a call to hand them over.
    told: list[dict] = []
    while not {"cheque.requested", "cheque.desk_call"} <= {e["type"] for e in told}:
        told.append(await next_event(desk, timeout=5))
    assert sorted(e["cheque"]["id"] for e in told if e["type"] == "cheque.requested") == employee["cheque_ids"]
    [call] = [e for e in told if e["type"] == "cheque.desk_call"]
    assert call["cheque_ids"] == employee["cheque_ids"] and "Mélanie" in call["subject"]

    # A few seconds later, Welcome again, and nothing of the employee is left.
    await wait_for(lambda: app.root.current == "welcome", 10, "the return to Welcome")
    assert (app.cheques.number, app.cheques.pin, app.cheques._token, app.cheques.given_name) == ("", "", "", "")
    assert app.cheques.signature.strokes == [] and list(app.cheques.cheques) == []
    await desk.close()


async def test_three_wrong_pins_lock_kiosk_collection_in_english(kiosk, backend: Backend):
    app = kiosk
    employee = await ready_cheques(backend, number="E2001", given_name="Jean", cheques=1)
    await wait_for(lambda: app.status.online, 10, "the kiosk to be online")
    await tap(next(b for b in top_bar_buttons(app) if b.text == "English"))
    await tap(screen(app).ids.collect_cheque)
    await wait_for(lambda: app.root.current == "cheque_identify")
    await settle()
    screenshot("cheque-08-number-empty-en")
    await type_keys(app, "E2001")
    await tap(screen(app).ids.go_on)
    for attempt in range(3):
        await type_keys(app, "9999")
        await tap(screen(app).ids.go_on)
        await wait_for(lambda: app.cheques.problem != "none", 10, "the backend's answer")
        await settle()
        if attempt == 0:
            assert screen(app).ids.problem.text.startswith("The employee number or PIN is wrong. Attempts are "
                                                           "limited")
            screenshot("cheque-09-wrong-pin-en")
    assert app.cheques.problem == "locked"
    assert screen(app).ids.blocked.text == ("Collecting your cheque at the kiosk is locked after too many wrong "
                                            "PINs. Please see the front desk.")
    assert screen(app).ids.keyboard.disabled
    screenshot("cheque-10-locked-en")
    async with backend.database.read() as session:
        assert (await session.get(Employee, employee["employee_id"])).kiosk_locked_at is not None

    # The right PIN, on a fresh start: still locked until the desk unlocks it.
    await tap(screen(app).ids.start_over)
    await wait_for(lambda: app.root.current == "welcome")
    assert app.language == "fr"  # start over: the next person's language
    await tap(next(b for b in top_bar_buttons(app) if b.text == "English"))
    await identify(app, "E2001", PIN)
    assert app.cheques.problem == "locked" and app.root.current == "cheque_identify"
    assert [c.status for c in await cheques_of(backend, employee["employee_id"])] == ["at_desk"]


async def test_walking_away_forgets_the_pin_and_the_token(kiosk, backend: Backend):
    app = kiosk
    await ready_cheques(backend, number="E5005", given_name="Luc", cheques=1)
    await wait_for(lambda: app.status.online, 10, "the kiosk to be online")
    clock = [1000.0]
    app.monotonic = lambda: clock[0]
    # Halfway through the PIN…
    await tap(screen(app).ids.collect_cheque)
    await wait_for(lambda: app.root.current == "cheque_identify")
    await type_keys(app, "E5005")
    await tap(screen(app).ids.go_on)
    await type_keys(app, PIN[:2])
    assert app.cheques.pin == PIN[:2]
    clock[0] += 30 + 5 + 1  # idle, then the warning, both past
    await wait_for(lambda: app.root.current == "welcome", 5, "the idle wipe")
    assert (app.cheques.number, app.cheques.pin, app.cheques.stage) == ("", "", "number")
    await settle(0.6)  # the "still there?" warning fades out before Welcome takes touches again
    # …and with the cheques on screen, the collection token held.
    await identify(app, "E5005", PIN)
    await wait_for(lambda: app.root.current == "cheque_list", 10, "the cheques")
    assert app.cheques._token
    clock[0] += 30 + 5 + 1
    await wait_for(lambda: app.root.current == "welcome", 5, "the idle wipe")
    assert (app.cheques._token, app.cheques.given_name, list(app.cheques.cheques)) == ("", "", [])


async def test_nothing_ready_says_so_and_finishes(kiosk, backend: Backend, monkeypatch):
    app = kiosk
    await ready_cheques(backend, number="E3003", given_name="Sophie", cheques=0)
    await wait_for(lambda: app.status.online, 10, "the kiosk to be online")
    monkeypatch.setattr(app_cheques, "NOTHING_READY_SECONDS", 5)  # the real delay is longer than a test should wait
    await identify(app, "E3003", PIN)
    await wait_for(lambda: app.root.current == "cheque_list", 10, "the answer")
    await settle()
    listing = app.root.get_screen("cheque_list")
    assert listing.ids.summary.text.startswith("Aucun chèque ne vous attend pour le moment.")
    assert listing.ids.to_sign.disabled and listing.ids.cheques.children == []
    screenshot("cheque-11-nothing-ready-fr")
    await wait_for(lambda: app.root.current == "welcome", 10, "the return to Welcome")


async def test_without_the_backend_the_kiosk_says_so_and_offers_the_way_back(backend: Backend, tmp_path: Path):
    config = await (await backend.client.get("/api/kiosk/config", headers=backend.auth("kiosk_a"))).read()
    KioskStore(tmp_path / "kiosk").cache_config(KioskConfig.model_validate_json(config))
    async for app in running_kiosk(f"http://127.0.0.1:{free_port()}", backend.world.tokens["kiosk_a"],
                                   tmp_path / "kiosk"):
        await wait_for(lambda: screen(app).ids.collect_cheque.enabled, 15, "the cached configuration")
        await settle()
        screenshot("cheque-13-welcome-offline-fr")
        await identify(app, "E1042", PIN)
        await wait_for(lambda: app.cheques.problem == "offline", 10, "the failed call")
        await settle()
        identify_screen = screen(app)
        assert identify_screen.ids.blocked.text.startswith("Pour récupérer un chèque, la borne doit être connectée")
        assert not identify_screen.ids.try_again.disabled and not identify_screen.ids.start_over.disabled
        screenshot("cheque-12-offline-fr")
        await tap(identify_screen.ids.start_over)
        await wait_for(lambda: app.root.current == "welcome")


async def test_collecting_in_portrait(backend: Backend, tmp_path: Path):
    await ready_cheques(backend, number="E4004", given_name="Léa", cheques=2)
    await run_portrait(PORTRAIT_SCRIPT, backend, tmp_path / "kiosk", "E4004", PIN)
    async with backend.database.read() as session:
        statuses = list(await session.scalars(select(Cheque.status).order_by(Cheque.id)))
    assert statuses == ["requested", "requested"]
