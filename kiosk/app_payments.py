"""The kiosk app's part in paying: the pay screens, where each step of the payment flow leads, idle while paying,
and the receipt printer's wiring to the backend's live channel."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from kivy.clock import Clock

from kiosk.client import BackendClient
from kiosk.screens.pay_card import PayCardScreen
from kiosk.screens.pay_code import PayCodeScreen
from kiosk.screens.pay_phone import PayPhoneScreen
from kiosk.screens.pay_result import PayResultScreen
from kiosk.screens.pay_summary import PaySummaryScreen
from kiosk.viewmodels.payment import PaymentFlow

if TYPE_CHECKING:
    from kiosk.app import KioskApp

PAY_SCREENS = {"pay_code": PayCodeScreen, "pay_summary": PaySummaryScreen, "pay_card": PayCardScreen,
               "pay_phone": PayPhoneScreen, "pay_result": PayResultScreen}
# Long enough to take the receipt, or to scan its QR code for the digital copy.
PAID_SECONDS = 60
# A printer connection times out after 5 s; a status request after 1 s more.
RECEIPT_GRACE_SECONDS = 10

log = logging.getLogger(__name__)


class PaymentScreens:
    """Mixed into KioskApp (its pay, printer, idle, status and navigation)."""

    async def _connect_payments(self: KioskApp, client: BackendClient) -> None:
        client.on_payment_event.append(self.pay.on_payment_event)
        client.on_receipt_reprint.append(
            lambda event: self.run(self.printer.reprint(client, event.payment_id, event.receipt)))
        await self.printer.queue.open()
        self.printer.on_queue_change.append(lambda count: setattr(self.status, "receipts_waiting", count))

    async def _start_printing(self: KioskApp, client: BackendClient) -> None:
        """Receipts kept from before (a printer that was down, a restart) print once the printer is back."""
        self.status.receipts_waiting = await self.printer.queue.count()
        if self.printer.configured:
            self.run(self.printer.keep_retrying(client, self.settings.printer_retry_seconds))

    async def _finish_receipts(self: KioskApp) -> None:
        """A receipt being fetched or printed as the kiosk stops is let finish, briefly."""
        try:
            await asyncio.wait_for(self.pay.wait_for_receipts(), RECEIPT_GRACE_SECONDS)
        except TimeoutError:
            log.warning("stopping with a receipt still printing")

    def begin_payment(self: KioskApp) -> None:
        self.pay.reset()
        self.pay.config = self.status.config
        self.pay.language = self.language
        self.idle.start(self.monotonic())
        self.go("pay_code")

    def payment_back(self: KioskApp) -> None:
        self.pay.step = "code"
        self.go("pay_code", back=True)

    def _on_pay_step(self: KioskApp, pay: PaymentFlow, _value: str) -> None:
        if self.root is None or not self.root.current.startswith("pay_") or pay.step == "code":
            return  # not paying, or starting over: where to go is decided elsewhere
        self.go(f"pay_{pay.step}")
        if pay.step == "phone" and pay.phase == "waiting":
            # Paying on one's phone takes longer than the idle delay, without touching the kiosk; the QR code's
            # own expiry ends an abandoned payment instead.
            self.idle.stop()
        elif pay.step == "result" and pay.phase == "approved":
            self.idle.stop()
            if self._return_later is None:
                self._return_later = Clock.schedule_once(lambda _dt: self.start_over(), PAID_SECONDS)
        elif not self.idle.watching:
            self.idle.start(self.monotonic())

    def printer_summary(self: KioskApp, language: str, waiting: int) -> str:
        printer = self.printer.setting
        lines = [self.t("Printer: {printer}").format(printer=f"{printer} ({self.printer.profile})") if printer
                 else self.t("Printer: none (receipts are shown on screen)"),
                 self.t("Receipts waiting for the printer: {count}").format(count=waiting)]
        return "\n".join(lines)
