"""Paying at the real kiosk app, by touch, beside the real backend and the Stripe emulator: the code from the slip,
what is owed, a test card approved or declined, the QR code a phone pays, the receipt on screen and on the printer."""
from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from backend.payments.models import Payment
from backend.receipts.models import ReceiptRecord
from kiosk.store import KioskStore
from kiosk.widgets.keyboard import KeyButton
from kiosk.widgets.receipt import MoneyRow
from shared.api import KioskConfig
from tests.kiosk.paying import NetworkPrinter, free_port
from tests.kiosk_ui.driving import (
    STAFF_PIN, running_kiosk, screen, screenshot, settle, tap, top_bar_buttons, wait_for,
)
from tests.payments.conftest import Till


@pytest.fixture
async def kiosk(till: Till, tmp_path: Path):
    """kiosk_a, which has a (simulated) card reader, online, showing Welcome; no receipt printer."""
    async for app in running_kiosk(str(till.client.make_url("")).rstrip("/"), till.world.tokens["kiosk_a"],
                                   tmp_path / "kiosk"):
        await wait_for(lambda: app.status.online, 10, "the kiosk to be online")
        app.pay.now = till.clock  # the countdown on the backend's (test) clock
        yield app


def plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def qr_codes(path: Path) -> list[str]:
    """The QR codes a phone's camera would read on the screenshot."""
    return [found.text for found in zxingcpp.read_barcodes(Image.open(path))]


async def type_on_keyboard(app, text: str) -> None:
    keys = {key.key: key for key in screen(app).ids.keyboard.walk() if isinstance(key, KeyButton)}
    for char in text:
        await tap(keys[char])


async def to_summary(app, till: Till) -> dict:
    """Staff gave a slip; the visitor taps Pay, types its code and continues."""
    request = await till.request(("Commissaire à l’assermentation", 1, 3500), ("Photocopies", 30, 50))
    await tap(screen(app).ids.pay)
    await wait_for(lambda: app.root.current == "pay_code")
    await type_on_keyboard(app, request["code"])
    assert screen(app).ids.typed.text == request["code"]
    return request


async def pay_with_code(app, till: Till, name: str | None = None) -> dict:
    request = await to_summary(app, till)
    await settle()
    if name:
        screenshot(name)
    await tap(screen(app).ids.find)
    await wait_for(lambda: app.root.current == "pay_summary")
    await settle()
    return request


async def test_a_card_approved_then_the_receipt_on_screen_in_french(kiosk, till: Till):
    app = kiosk
    assert app.language == "fr"
    await settle()
    screenshot("pay-01-welcome-fr")
    await pay_with_code(app, till, "pay-02-code-fr")
    summary = screen(app)
    rows = [(row.label, plain(row.amount)) for row in summary.ids.rows.children[::-1] if isinstance(row, MoneyRow)]
    assert rows[-1] == ("Total", "57,49 $") and ("TVQ (9,975 %)", "4,99 $") in [
        (plain(label), amount) for label, amount in rows]
    assert plain(summary.ids.total.text) == "57,49 $"
    screenshot("pay-03-summary-fr")

    await tap(summary.ids.by_card)
    await wait_for(lambda: app.root.current == "pay_card")
    await settle()
    card = screen(app)
    assert card.ids.title.text == "Présentez votre carte sur le terminal"
    assert plain(card.ids.amount.text) == "57,49 $"
    assert card.ids.countdown.text in ("Temps restant : 1:30", "Temps restant : 1:29")
    screenshot("pay-04-card-fr")

    await tap(card.ids.test_approved)
    await till.emulator.settle()
    await wait_for(lambda: app.root.current == "pay_result", 10, "the approval")
    await wait_for(lambda: app.pay.receipt is not None, 10, "the receipt")
    await settle(0.5)
    result = screen(app)
    assert result.ids.title.text == "Paiement accepté"
    assert plain(result.ids.message.text) == "Merci ! Vous avez payé 57,49 $."
    assert result.ids.receipt_note.text == ""  # no printer: the receipt and its QR code say it all
    paper = [(plain(row.label), plain(row.amount)) for row in result.ids.paper.children[::-1]]
    assert ("Total", "57,49 $") in paper and ("Payé par Visa •••• 4242", "57,49 $") in paper
    shot = screenshot("pay-05-approved-fr")
    assert qr_codes(shot) == [app.pay.receipt.url]  # the digital copy, readable off the screen
    async with till.database.read() as session:
        assert (await session.get(Payment, app.pay.payment.id)).state == "succeeded"

    await tap(result.ids.done)
    await wait_for(lambda: app.root.current == "welcome")
    assert app.pay.payment is None and app.pay.code == ""


async def test_a_declined_card_then_the_phone_in_english(kiosk, till: Till):
    app = kiosk
    await tap(next(b for b in top_bar_buttons(app) if b.text == "English"))
    await pay_with_code(app, till)
    await tap(screen(app).ids.by_card)
    await wait_for(lambda: app.root.current == "pay_card")
    await tap(screen(app).ids.test_declined)
    await till.emulator.settle()
    await wait_for(lambda: app.root.current == "pay_result", 10, "the decline")
    await settle()
    result = screen(app)
    assert result.ids.title.text == "Payment not completed"
    assert result.ids.message.text == "Your card was declined. Try another card or pay by phone."
    screenshot("pay-06-declined-en")

    await tap(result.ids.other_method)
    await wait_for(lambda: app.root.current == "pay_summary")
    await tap(screen(app).ids.by_phone)
    await wait_for(lambda: app.root.current == "pay_phone")
    await settle(0.4)
    phone = screen(app)
    assert phone.ids.amount.text == "Amount: $57.49"
    assert phone.ids.countdown.text in ("Time left: 5:00", "Time left: 4:59")
    shot = screenshot("pay-07-phone-en")
    url = app.pay.payment.checkout_url
    assert qr_codes(shot) == [url]  # what a phone's camera reads is the checkout page

    async with aiohttp.ClientSession() as visitor_phone:
        async with visitor_phone.post(url, data={"card_number": "4242424242424242"}) as paid:
            assert paid.status == 200
    await till.emulator.settle()
    await wait_for(lambda: app.root.current == "pay_result" and app.pay.phase == "approved", 10, "the payment")
    assert screen(app).ids.title.text == "Payment approved"


async def test_a_listed_fee_in_large_text(kiosk, till: Till):
    app = kiosk
    await tap(screen(app).ids.pay)
    await wait_for(lambda: app.root.current == "pay_code")
    await tap(next(b for b in top_bar_buttons(app) if b.text == "Grand texte"))
    await settle()
    code = screen(app)
    [fee] = code.ids.fees.children
    assert fee.title == "Copie de dossier" and plain(fee.subtitle) == "15,00 $"
    await tap(fee)
    await settle()
    await tap(code.ids.more)
    await settle()
    assert code.ids.quantity.text == "2"
    screenshot("pay-08-fee-large-text-fr")
    await tap(code.ids.take_fee)
    await wait_for(lambda: app.root.current == "pay_summary")
    await settle()
    assert plain(screen(app).ids.total.text) == "34,49 $"  # 30,00 $ + TPS 1,50 $ + TVQ 2,99 $ (2,9925 rounded)
    screenshot("pay-09-fee-summary-large-text-fr")


async def test_the_idle_wipe_stops_the_reader(kiosk, till: Till):
    app = kiosk
    clock = [1000.0]
    app.monotonic = lambda: clock[0]
    await pay_with_code(app, till)
    await tap(screen(app).ids.by_card)
    await wait_for(lambda: app.root.current == "pay_card")
    payment_id = app.pay.payment.id
    clock[0] += 30 + 5 + 1  # idle, then the warning, both past
    await wait_for(lambda: app.root.current == "welcome", 5, "the idle wipe")
    assert app.pay.payment is None
    for _ in range(100):
        async with till.database.read() as session:
            if (await session.get(Payment, payment_id)).state == "cancelled":
                break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the waiting payment was not cancelled")


async def test_a_printer_that_does_not_answer_then_staff_print_the_kept_receipt(till: Till, tmp_path: Path):
    base = str(till.client.make_url("")).rstrip("/")
    port = free_port()
    async for app in running_kiosk(base, till.world.tokens["kiosk_a"], tmp_path / "kiosk",
                                   printer=f"tcp://127.0.0.1:{port}"):
        await wait_for(lambda: app.status.online, 10, "the kiosk to be online")
        app.pay.now = till.clock
        await pay_with_code(app, till)
        await tap(screen(app).ids.by_card)
        await wait_for(lambda: app.root.current == "pay_card")
        await tap(screen(app).ids.test_approved)
        await till.emulator.settle()
        await wait_for(lambda: app.pay.printing == "failed", 15, "the printer to fail")
        await settle(0.4)
        note = screen(app).ids.receipt_note.text
        assert note.startswith("L’imprimante ne répond pas")
        shot = screenshot("pay-10-printer-offline-fr")
        assert qr_codes(shot) == [app.pay.receipt.url]
        assert await app.printer.queue.count() == 1 and app.status.receipts_waiting == 1

        # Staff see the kept receipt behind the PIN, and print it once the printer is back.
        await tap(screen(app).ids.done)
        await wait_for(lambda: app.root.current == "welcome")
        await tap(screen(app).ids.staff)
        await wait_for(lambda: app.root.current == "staff")
        staff = screen(app)
        for key in STAFF_PIN:
            staff.ids.keypad.press(key)
        await tap(staff.ids.unlock)
        await settle()
        assert f"Imprimante : tcp://127.0.0.1:{port} (TM-T88III)" in staff.ids.printer.text
        assert "Reçus en attente d’impression : 1" in staff.ids.printer.text
        screenshot("pay-12-staff-printer-fr")
        printer = NetworkPrinter()
        await printer.start(port)  # the printer is back
        try:
            await tap(staff.ids.print_waiting)
            await wait_for(lambda: app.status.receipts_waiting == 0, 15, "the kept receipt to print")
        finally:
            await printer.stop()
        async with till.database.read() as session:
            record = await session.scalar(select(ReceiptRecord))
        assert record.printed_at is not None and len(printer.jobs) == 1
        assert record.number.encode() in printer.jobs[0]


async def test_pay_says_it_needs_the_connection(till: Till, tmp_path: Path):
    config = await (await till.client.get("/api/kiosk/config", headers=till.auth("kiosk_a"))).read()
    KioskStore(tmp_path / "kiosk").cache_config(KioskConfig.model_validate_json(config))
    async for app in running_kiosk(f"http://127.0.0.1:{free_port()}", till.world.tokens["kiosk_a"],
                                   tmp_path / "kiosk"):
        await settle()
        welcome = screen(app)
        # The cached configuration is applied at start; under load that can take a few frames.
        await wait_for(lambda: welcome.ids.pay.opacity == 1, 15, "the Pay button from the cached configuration")
        assert not welcome.ids.pay.enabled
        assert welcome.ids.pay_offline.text == "Le paiement exige la connexion"
        screenshot("pay-11-welcome-offline-fr")
        await tap(welcome.ids.pay)
        assert app.root.current == "welcome"  # payments are never queued
