"""Paying at the kiosk through its view-model, without a window, against the real backend taking payments through
the real stripe library and the local Stripe emulator: card approved, declined, cancelled, timed out; a QR code paid
on the emulator's checkout page, and one expired; receipts printed on a real TCP listener, or kept when the
printer does not answer."""
from __future__ import annotations

import os
import tempfile

# Before anything imports kivy: no argument parsing, no console log, and a throwaway home (no ~/.kivy).
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

import asyncio  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

import aiohttp  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import select  # noqa: E402

from backend.payments.gateway import StripeGateway  # noqa: E402
from backend.payments.models import Payment  # noqa: E402
from kiosk.client import BackendClient  # noqa: E402
from kiosk.outbox import Outbox  # noqa: E402
from kiosk.receipts import ReceiptPrinter, ReprintQueue  # noqa: E402
from kiosk.viewmodels import payment_words as words  # noqa: E402
from kiosk.viewmodels.payment import PaymentFlow  # noqa: E402
from shared.i18n import translate  # noqa: E402
from tests.kiosk.paying import (  # noqa: E402
    PAPER_STATUS_REQUEST, NetworkPrinter, free_port, make_flow, owed, pay_by_card, plain, receipt_record,
    stored_payment, wait_until,
)
from tests.payments.conftest import Till  # noqa: E402
from tests.receipts.escpos_stream import parse, text_of  # noqa: E402

@pytest.fixture
async def client(till: Till, outbox: Outbox) -> AsyncIterator[BackendClient]:
    """kiosk_a's client, with its live channel (payment news arrives there first)."""
    kiosk = BackendClient(str(till.client.make_url("")), till.world.tokens["kiosk_a"], outbox, timeout=10.0,
                          retry_seconds=0.05)
    await kiosk.start(background=True)
    await wait_until(lambda: kiosk.online)
    yield kiosk
    await kiosk.close()


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[ReprintQueue]:
    reprints = ReprintQueue(tmp_path / "kiosk" / "reprints.sqlite3")
    await reprints.open()
    yield reprints
    await reprints.close()


@pytest.fixture
async def flow(till: Till, client: BackendClient) -> PaymentFlow:
    return await make_flow(till, client)


# --- finding what is owed ---------------------------------------------------------------------------------

async def test_the_code_on_the_slip_shows_what_is_owed_with_its_taxes(till: Till, client: BackendClient,
                                                                      flow: PaymentFlow):
    assert flow.card_offered and flow.phone_offered and flow.test_mode
    request = await owed(till, flow, client)
    assert flow.request.id == request["id"]
    assert plain(flow.summary_rows("fr")) == [
        ("Commissaire à l’assermentation", "35,00 $", "line"),
        ("Photocopies", "15,00 $", "line"),
        ("30 × 0,50 $", "", "detail"),
        ("Sous-total", "50,00 $", "subtotal"),
        ("TPS (5 %)", "2,50 $", "tax"),
        ("TVQ (9,975 %)", "4,99 $", "tax"),
        ("Total", "57,49 $", "total"),
    ]
    assert flow.summary_rows("en")[-1] == ("Total", "$57.49", "total")
    assert flow.money(5749, "en") == "$57.49" and plain([(flow.money(5749, "fr"),)]) == [("57,49 $",)]


async def test_an_unknown_or_paid_code_says_so_in_plain_words(till: Till, client: BackendClient, flow: PaymentFlow):
    flow.type_code("ZZZZZZ")
    await flow.look_up(client)
    assert flow.step == "code" and flow.message == words.NOT_FOUND
    assert translate("fr", flow.message).startswith("Aucun paiement ne correspond à ce code")

    request = await till.request(("Photocopies", 2, 50))
    payment = await till.start(request["id"])
    await till.tap(payment["id"], "approved")
    flow.type_code(request["code"])
    await flow.look_up(client)
    assert flow.step == "code" and flow.message == words.ALREADY_PAID
    assert translate("fr", flow.message) == "C’est déjà payé. Merci !"


async def test_a_listed_fee_is_picked_with_its_quantity(till: Till, client: BackendClient, flow: PaymentFlow):
    fee = flow.fees[0]
    assert (fee.name.fr, fee.unit_amount, fee.max_quantity) == ("Copie de dossier", 1500, 5)
    flow.language = "en"
    flow.select_fee(fee)
    for _ in range(7):
        flow.change_quantity(1)
    assert flow.quantity == 5  # no more than the fee allows
    flow.change_quantity(-2)
    await flow.confirm_fee(client)
    assert flow.step == "summary"
    assert flow.request.lines[0].description == "Copy of a record" and flow.request.lines[0].quantity == 3
    assert flow.summary_rows("en")[-1] == ("Total", "$51.74", "total")  # 45.00 + 2.25 + 4.49


async def test_payments_need_the_backend(till: Till, outbox: Outbox, flow: PaymentFlow):
    offline = BackendClient(f"http://127.0.0.1:{free_port()}", till.world.tokens["kiosk_a"], outbox, timeout=2)
    await offline.start()
    try:
        flow.type_code("ABCDEF")
        await flow.look_up(offline)
    finally:
        await offline.close()
    assert flow.message == words.OFFLINE and flow.step == "code" and not flow.busy


# --- by card -------------------------------------------------------------------------------------------

async def test_a_card_approved_on_the_reader(till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "card")
    assert (flow.step, flow.phase) == ("card", "waiting")
    assert flow.payment.amount == 5749
    assert flow.seconds_left == 90  # the backend's reader timeout, on the backend's clock
    till.clock.advance(seconds=30)
    flow.tick()
    assert flow.seconds_left == 60

    await flow.tap_test_card(client, "approved")
    await till.emulator.settle()
    await wait_until(lambda: flow.phase == "approved")
    assert flow.step == "result" and flow.failure == ""
    await flow.wait_for_receipts()
    assert flow.receipt.total == 5749 and flow.receipt.payment.last4 == "4242"
    assert flow.printing == "none"  # no printer: the receipt is on screen, with its QR code
    assert flow.receipt_note == ""  # nothing to say: the receipt and its QR code are on screen
    assert (await stored_payment(till, flow.payment.id)).state == "succeeded"
    assert (await receipt_record(till, flow.payment.id)).print_problem is None  # no printer is not a failure


@pytest.mark.parametrize(("outcome", "problem"), [("declined", "declined"),
                                                  ("insufficient_funds", "insufficient_funds"),
                                                  ("expired_card", "expired_card")])
async def test_a_card_refused_says_why_then_another_try_can_succeed(till: Till, client: BackendClient,
                                                                    flow: PaymentFlow, outcome: str, problem: str):
    await owed(till, flow, client)
    await flow.pay(client, "card")
    first = flow.payment.id
    await flow.tap_test_card(client, outcome)
    await till.emulator.settle()
    await wait_until(lambda: flow.phase == "failed")
    assert flow.step == "result" and flow.payment.problem == problem
    assert flow.failure == words.FAILURES[problem]
    assert "Essayez une autre carte" in translate("fr", flow.failure)

    await flow.try_again(client)
    assert (flow.step, flow.phase) == ("card", "waiting") and flow.payment.id != first
    await flow.tap_test_card(client, "approved")
    await till.emulator.settle()
    await wait_until(lambda: flow.phase == "approved")
    assert (await stored_payment(till, first)).state == "failed"


async def test_other_method_goes_back_to_the_choice(till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "card")
    await flow.tap_test_card(client, "declined")
    await till.emulator.settle()
    await wait_until(lambda: flow.phase == "failed")
    flow.other_method()
    assert (flow.step, flow.phase, flow.payment) == ("summary", "idle", None)


async def test_cancel_stops_the_reader_and_goes_back(till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "card")
    payment_id = flow.payment.id
    await flow.cancel(client)
    assert (flow.step, flow.phase, flow.payment) == ("summary", "idle", None)
    stored = await stored_payment(till, payment_id)
    assert (stored.state, stored.problem) == ("cancelled", "cancelled")
    reader = till.emulator.state.objects[stored.reader_id]
    assert reader["action"] is None  # the reader stopped waiting for a card


async def test_cancel_after_the_card_went_through_shows_approved(till: Till, client: BackendClient,
                                                                 flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "card")
    payment_id = flow.payment.id
    # The card is approved at Stripe but no webhook has told the backend yet when the visitor taps Cancel.
    hooks, till.emulator.webhook_url = till.emulator.webhook_url, None
    await client.tap_test_card(payment_id, "approved")
    await till.emulator.settle()
    till.emulator.webhook_url = hooks
    assert flow.phase == "waiting"
    await flow.cancel(client)
    assert (flow.step, flow.phase) == ("result", "approved")
    assert (await stored_payment(till, payment_id)).state == "succeeded"


async def test_a_reader_nobody_taps_times_out(till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "card")
    till.clock.advance(seconds=91)
    flow.tick()
    assert flow.seconds_left == 0
    await till.cashier.sweep()
    await wait_until(lambda: flow.phase == "failed")
    assert flow.payment.state == "timed_out" and flow.failure == words.FAILURES["timed_out"]
    assert translate("fr", flow.failure) == "Aucune carte n’a été présentée à temps. Rien n’a été débité."


async def test_news_of_the_payment_comes_live_without_polling(till: Till, client: BackendClient):
    flow = await make_flow(till, client, poll_seconds=3600)
    await owed(till, flow, client)
    await flow.pay(client, "card")
    await till.tap(flow.payment.id, "approved")  # tapped by someone else: the kiosk only hears the news
    await wait_until(lambda: flow.phase == "approved", timeout=5)


async def test_the_idle_wipe_cancels_a_waiting_payment(till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "phone")
    payment_id, url = flow.payment.id, flow.payment.checkout_url
    cancelling = flow.abandon(client)
    assert (flow.step, flow.phase, flow.request, flow.code) == ("code", "idle", None, "")
    await cancelling
    assert (await stored_payment(till, payment_id)).state == "cancelled"
    async with aiohttp.ClientSession() as phone:
        async with phone.post(url, data={"card_number": "4242424242424242"}) as answer:
            assert answer.status == 409  # the QR code no longer pays
    assert flow.abandon(client) is None  # nothing waits any more


async def test_leaving_while_the_reader_is_being_started_still_stops_it(till: Till, client: BackendClient,
                                                                        flow: PaymentFlow):
    await owed(till, flow, client)
    starting = asyncio.ensure_future(flow.pay(client, "card"))
    await wait_until(lambda: flow.phase == "starting" and flow.busy)
    assert flow.abandon(client) is None  # nothing to cancel yet: the backend has not answered
    await starting
    assert (flow.step, flow.phase, flow.payment) == ("code", "idle", None)
    async with till.database.read() as session:
        [payment] = (await session.scalars(select(Payment))).all()
    assert payment.state == "cancelled"  # called off as soon as its answer came


# --- by phone ------------------------------------------------------------------------------------------

async def test_a_qr_code_paid_on_the_phone(till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "phone")
    assert (flow.step, flow.phase) == ("phone", "waiting")
    assert flow.payment.checkout_url.startswith(till.emulator.base_url)
    assert flow.seconds_left == 300  # five minutes to scan and pay
    async with aiohttp.ClientSession() as phone:
        async with phone.get(flow.payment.checkout_url) as page:
            assert page.status == 200 and "57,49" in await page.text()
        async with phone.post(flow.payment.checkout_url, data={"card_number": "4242 4242 4242 4242"},
                              allow_redirects=False) as paid:
            assert paid.status == 303
    await till.emulator.settle()
    await wait_until(lambda: flow.phase == "approved")
    await flow.wait_for_receipts()
    assert flow.receipt.payment.method == "checkout" and flow.receipt.total == 5749


async def test_a_qr_code_nobody_scans_expires(till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    await flow.pay(client, "phone")
    url = flow.payment.checkout_url
    till.clock.advance(minutes=5, seconds=1)
    await till.cashier.sweep()
    await wait_until(lambda: flow.phase == "failed")
    assert flow.payment.state == "expired" and flow.failure == words.FAILURES["expired"]
    assert translate("fr", flow.failure) == "Le code QR a expiré. Rien n’a été débité."
    async with aiohttp.ClientSession() as phone:
        async with phone.get(url) as page:
            assert "expiré" in await page.text()


# --- receipts ------------------------------------------------------------------------------------------

async def test_the_receipt_prints_on_a_network_printer(till: Till, client: BackendClient, queue: ReprintQueue):
    printer = NetworkPrinter()
    port = await printer.start()
    try:
        flow = await make_flow(till, client, ReceiptPrinter(f"tcp://127.0.0.1:{port}", "TM-T88III", queue))
        payment_id = await pay_by_card(till, client, flow)
        assert flow.printing == "printed" and flow.receipt_note == words.RECEIPT_NOTES["printed"]
    finally:
        await printer.stop()
    assert len(printer.jobs) == 1
    printed = text_of(parse(printer.jobs[0].replace(PAPER_STATUS_REQUEST, b"")))
    assert flow.receipt.number in printed and "Reçu" in printed and "57,49 $" in printed
    assert "Visa" in printed and "4242" in printed
    assert (await receipt_record(till, payment_id)).printed_at is not None
    assert await queue.count() == 0


async def test_a_printer_that_does_not_answer_keeps_the_receipt_and_alerts_the_desk(
        till: Till, client: BackendClient, queue: ReprintQueue):
    port = free_port()
    desk = await till.live("reception")
    flow = await make_flow(till, client, ReceiptPrinter(f"tcp://127.0.0.1:{port}", "TM-T88III", queue))
    payment_id = await pay_by_card(till, client, flow)
    assert flow.printing == "failed" and flow.receipt_note == words.RECEIPT_NOTES["offline"]
    assert flow.receipt.url  # the digital copy's QR code is shown instead
    assert "L’accueil a été avisé" in translate("fr", flow.receipt_note)
    assert (await receipt_record(till, payment_id)).print_problem == "offline"
    alerts = []
    async with asyncio.timeout(5):
        while not alerts:
            message = await desk.receive_json()
            if message["type"] == "receipt.print_failed":
                alerts.append(message)
    assert alerts[0]["payment_id"] == payment_id and alerts[0]["problem"] == "offline"
    [kept] = await queue.items()
    assert kept.payment_id == payment_id and kept.problem == "offline"

    # The printer comes back: the kept receipt prints, and the backend hears it did.
    printer = NetworkPrinter()
    await printer.start(port)
    try:
        assert await flow.printer.retry(client) == 1
    finally:
        await printer.stop()
    assert len(printer.jobs) == 1 and kept.receipt.number in text_of(
        parse(printer.jobs[0].replace(PAPER_STATUS_REQUEST, b"")))
    assert await queue.count() == 0
    record = await receipt_record(till, payment_id)
    assert record.printed_at is not None and record.print_problem is None
    await desk.close()


async def test_a_printer_out_of_paper_says_so(till: Till, client: BackendClient, queue: ReprintQueue):
    printer = NetworkPrinter(paper_answer=b"\x72")  # the roll end sensors
    port = await printer.start()
    try:
        flow = await make_flow(till, client, ReceiptPrinter(f"tcp://127.0.0.1:{port}", "TM-T88III", queue))
        payment_id = await pay_by_card(till, client, flow)
    finally:
        await printer.stop()
    assert flow.printing == "failed" and flow.receipt_note == words.RECEIPT_NOTES["paper_out"]
    assert translate("fr", flow.receipt_note).startswith("L’imprimante n’a plus de papier")
    assert printer.jobs == [PAPER_STATUS_REQUEST]  # asked for paper, sent nothing else
    assert (await receipt_record(till, payment_id)).print_problem == "paper_out"
    assert [item.problem for item in await queue.items()] == ["paper_out"]


async def test_the_queue_survives_a_restart_and_a_staff_reprint_prints_it(
        till: Till, client: BackendClient, tmp_path: Path):
    path = tmp_path / "reprints.sqlite3"
    first = ReprintQueue(path)
    await first.open()
    flow = await make_flow(till, client, ReceiptPrinter(f"tcp://127.0.0.1:{free_port()}", "TM-T88III", first))
    payment_id = await pay_by_card(till, client, flow)
    await first.close()

    again = ReprintQueue(path)  # the kiosk restarted
    await again.open()
    printer_socket = NetworkPrinter()
    port = await printer_socket.start()
    printer = ReceiptPrinter(f"tcp://127.0.0.1:{port}", "TM-T88III", again)
    assert [item.payment_id for item in await again.items()] == [payment_id]
    reprints = []
    client.on_receipt_reprint.append(
        lambda event: reprints.append(asyncio.ensure_future(printer.reprint(client, event.payment_id,
                                                                            event.receipt))))
    try:
        response = await till.client.post(f"/api/payments/{payment_id}/reprint", headers=till.auth("reception"))
        assert response.status == 202
        await wait_until(lambda: reprints)
        result = await reprints[0]
        assert await again.count() == 0  # printed at last: no longer kept
    finally:
        await printer_socket.stop()
        await again.close()
    assert result.printed and len(printer_socket.jobs) == 1
    assert (await receipt_record(till, payment_id)).printed_at is not None


async def test_stripe_unreachable_says_payments_are_unavailable_and_the_kiosk_stays_online(
        till: Till, client: BackendClient, flow: PaymentFlow):
    await owed(till, flow, client)
    working = till.cashier.gateway
    till.cashier.gateway = StripeGateway("sk_test_emulator", api_base=f"http://127.0.0.1:{free_port()}")
    try:
        await flow.pay(client, "phone")
    finally:
        await till.cashier.gateway.close()
        till.cashier.gateway = working
    assert (flow.step, flow.phase, flow.message) == ("summary", "idle", words.PAYMENTS_DOWN)
    assert client.online  # the backend answered: only Stripe is down
    await flow.pay(client, "phone")  # Stripe is back: the visitor tries again
    assert (flow.step, flow.phase, flow.message) == ("phone", "waiting", "")
