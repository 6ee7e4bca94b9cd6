"""Paying at the kiosk, once what is owed is known (payment_owed): by card on the reader or by phone through a QR
code, following the payment live (with polling as a fallback), then printing the receipt or showing it."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from kivy.properties import NumericProperty, ObjectProperty, OptionProperty, StringProperty

from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from kiosk.receipts import ReceiptPrinter
from kiosk.viewmodels import payment_words as words
from kiosk.viewmodels.payment_owed import OwedFlow
from shared.api import PaymentEvent, PaymentOut
from shared.enums import PaymentState
from shared.receipt import Receipt

log = logging.getLogger(__name__)

POLL_SECONDS = 3.0
RECEIPT_ATTEMPTS = 3
Method = Literal["card", "phone"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PaymentFlow(OwedFlow):
    payment: PaymentOut | None = ObjectProperty(None, allownone=True)
    method = OptionProperty("card", options=["card", "phone"])
    phase = OptionProperty("idle", options=["idle", "starting", "waiting", "processing", "approved", "failed"])
    failure = StringProperty("")  # msgid: why it did not go through
    seconds_left = NumericProperty(0)
    receipt: Receipt | None = ObjectProperty(None, allownone=True)
    printing = OptionProperty("none", options=["none", "printing", "printed", "failed"])
    receipt_note = StringProperty("")  # msgid: what became of the printed receipt

    def __init__(self, printer: ReceiptPrinter | None = None, *, poll_seconds: float = POLL_SECONDS,
                 now: Callable[[], dt.datetime] = utc_now, **kwargs: Any):
        super().__init__(**kwargs)
        self.printer = printer
        self.poll_seconds = poll_seconds
        self.now = now
        self._client: BackendClient | None = None
        self._watcher: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._cancelling = False  # the visitor cancelled: only news that the money was taken still counts

    # --- paying ----------------------------------------------------------------------------------------

    async def pay(self, client: BackendClient, method: Method) -> None:
        """Start paying the chosen request on the reader (card) or by QR code (phone)."""
        if self.request is None or self.busy:
            return
        self.method, self.phase, self.failure = method, "starting", ""
        generation = self._generation
        # Reset while starting (idle, Done): the payment that started after all is called off at once.
        started = await self._call(client.start_payment(self.request.id, method),
                                   abandoned=lambda late: self._abandon(client, late.id))
        if generation != self._generation:
            return
        if started is None:
            self.phase = "idle"
            self.step = "summary"  # the message says why
            return
        self._client = client
        self.payment, self.receipt, self.printing = None, None, "none"
        self.apply(started, adopt=True)
        if self.phase == "waiting":
            self.step = method
            self._watch(client)

    async def try_again(self, client: BackendClient) -> None:
        await self.pay(client, self.method)

    def other_method(self) -> None:
        self._stop_watching()
        self.payment, self.phase, self.failure, self.message = None, "idle", "", ""
        self.step = "summary"

    async def tap_test_card(self, client: BackendClient, outcome: str) -> None:
        """Test mode: a simulated card on the reader; the outcome arrives like a real one's."""
        payment = self.payment
        if payment is None or self.phase != "waiting":
            return
        self.phase = "processing"
        try:
            self.apply(await client.tap_test_card(payment.id, outcome))
        except (BackendRefused, BackendUnavailable) as error:
            log.warning("test card refused: %s", error)
            if self.phase == "processing":
                self.phase = "waiting"

    async def cancel(self, client: BackendClient) -> None:
        """The visitor stops waiting: back to the summary — unless the card went through meanwhile."""
        payment = self.payment
        if payment is None or self.phase not in ("waiting", "processing"):
            return
        self._stop_watching()
        self._cancelling = True
        try:
            answer = await client.cancel_payment(payment.id)
        except (BackendRefused, BackendUnavailable) as error:
            # The backend settles it by itself when the reader or the QR code times out.
            log.warning("cancelling payment %s failed: %s", payment.id, type(error).__name__)
            answer = None
        finally:
            self._cancelling = False
        if self.payment is None or self.payment.id != payment.id or self.phase == "approved":
            return  # reset meanwhile, or a live message already said the money was taken
        if answer is not None and answer.state == PaymentState.SUCCEEDED:
            self.apply(answer)
            return
        if answer is not None and answer.state == PaymentState.WAITING:
            # Too late to stop: a card is being authorised. Its outcome decides, so keep following it.
            self.apply(answer)
            self.phase = "processing"
            self._watch(client)
            return
        self.other_method()

    def abandon(self, client: BackendClient | None) -> Coroutine[Any, Any, None] | None:
        """Forget this visitor (idle, Done); a payment still waiting is cancelled so the reader and the QR code stop.
        Returns the cancellation to run, if there is one."""
        payment, waiting = self.payment, self.phase in ("starting", "waiting", "processing")
        self.reset()
        if client is None or payment is None or not waiting:
            return None
        return self._abandon(client, payment.id)

    async def _abandon(self, client: BackendClient, payment_id: int) -> None:
        try:
            answer = await client.cancel_payment(payment_id)
        except (BackendRefused, BackendUnavailable) as error:
            log.warning("cancelling abandoned payment %s failed: %s", payment_id, type(error).__name__)
            return
        if answer.state == PaymentState.SUCCEEDED:
            # Paid just as the visitor left: the receipt still prints, for the front desk to hand over.
            await self._deliver_receipt(client, payment_id, generation=-1)

    # --- following the payment -------------------------------------------------------------------------

    def on_payment_event(self, event: PaymentEvent) -> None:
        """A live update from the backend."""
        self.apply(event.payment)

    def apply(self, payment: PaymentOut, *, adopt: bool = False) -> None:
        """Show how the current payment stands now; news of any other payment is ignored. `adopt`: the answer
        that started it (live news may come first, of an earlier attempt the backend just called off)."""
        current = self.payment
        if (current is None and not adopt) or (current is not None and payment.id != current.id):
            return
        if self._cancelling and payment.state != PaymentState.SUCCEEDED:
            return  # the cancel's own answer decides where the visitor goes
        self.payment = payment
        if payment.state in (PaymentState.CREATED, PaymentState.WAITING):
            if self.phase != "processing":
                self.phase = "waiting"
            self.tick()
            return
        self._stop_watching()
        if payment.state == PaymentState.SUCCEEDED:
            if self.phase != "approved":
                self.phase, self.failure = "approved", ""
                self.step = "result"
                client = self._client
                if client is not None:
                    self._spawn(self._deliver_receipt(client, payment.id, self._generation))
            return
        self.phase, self.failure = "failed", words.failure_message(payment.problem)
        self.step = "result"

    def tick(self) -> None:
        """Every second: the countdown to when the reader or the QR code stops waiting."""
        payment = self.payment
        if payment is None or payment.expires_at is None or self.phase not in ("waiting", "processing"):
            return  # a settled payment keeps the time it had left
        self.seconds_left = max(0, math.ceil((payment.expires_at - self.now()).total_seconds()))

    def _watch(self, client: BackendClient) -> None:
        self._stop_watching()
        self._watcher = asyncio.ensure_future(self._poll(client, self.payment.id))

    async def _poll(self, client: BackendClient, payment_id: int) -> None:
        """A fallback for a lost live message: ask how the payment stands every few seconds."""
        while self.payment is not None and self.payment.id == payment_id and self.phase in ("waiting",
                                                                                            "processing"):
            await asyncio.sleep(self.poll_seconds)
            try:
                self.apply(await client.payment(payment_id))
            except BackendUnavailable:
                continue  # keep asking: the payment may still go through
            except BackendRefused as error:
                log.warning("payment %s cannot be followed: %s", payment_id, error)
                return

    def _stop_watching(self) -> None:
        if self._watcher is not None and self._watcher is not asyncio.current_task():
            self._watcher.cancel()
        self._watcher = None

    # --- the receipt -----------------------------------------------------------------------------------

    async def _deliver_receipt(self, client: BackendClient, payment_id: int, generation: int) -> None:
        receipt = None
        for attempt in range(RECEIPT_ATTEMPTS):
            try:
                receipt = await client.receipt(payment_id)
                break
            except BackendUnavailable:
                await asyncio.sleep(1 + attempt)
            except BackendRefused as error:
                log.error("payment %s has no receipt: %s", payment_id, error)
                return
        if receipt is None:
            log.error("the receipt of payment %s could not be fetched", payment_id)
            return
        printing = self.printer is not None and self.printer.configured
        if generation == self._generation:
            self.receipt = receipt
            self.printing = "printing" if printing else "none"
            self.receipt_note = words.RECEIPT_NOTES["printing" if printing else "none"]
        if not printing:
            return
        result = await self.printer.print(client, payment_id, receipt)
        if generation == self._generation:
            self.printing = "printed" if result.printed else "failed"
            self.receipt_note = words.RECEIPT_NOTES["printed" if result.printed else result.problem or "error"]

    # --- plumbing ---------------------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_for_receipts(self) -> None:
        """Until every receipt under way has been fetched and printed (tests, and shutting down)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def reset(self) -> None:
        self._stop_watching()
        self._client = None
        self.failure = self.receipt_note = ""
        self.payment = self.receipt = None
        self.phase, self.printing, self.method = "idle", "none", "card"
        self.seconds_left = 0
        self._cancelling = False
        super().reset()
