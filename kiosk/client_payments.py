"""The kiosk's payment calls, part of BackendClient. Never queued in the outbox: a visitor pays while the backend
answers, or not at all."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from shared.api import PaymentOut, PaymentRequestList, PaymentRequestOut
from shared.receipt import Receipt


class ReceiptReprint(BaseModel):
    """Pushed on /api/kiosk/ws when staff ask the kiosk that took a payment to print its receipt again."""

    type: Literal["receipt.reprint"]
    payment_id: int
    receipt: Receipt


class PaymentCalls:
    """Mixed into BackendClient, whose _get, _post and _request these use."""

    if TYPE_CHECKING:  # BackendClient's own
        async def _get(self, model: Any, path: str, **kwargs: Any) -> Any: ...
        async def _post(self, model: Any, path: str, **kwargs: Any) -> Any: ...
        async def _request(self, method: str, path: str, **kwargs: Any) -> bytes: ...

    async def find_payment_requests(self, code: str) -> list[PaymentRequestOut]:
        """Open payment requests by the code staff gave, or by a visit's pass code; 404/409 raise BackendRefused."""
        return (await self._post(PaymentRequestList, "/api/kiosk/payment-lookups", body={"code": code})).items

    async def request_fee(self, fee_id: int, quantity: int, language: str,
                          visit_id: int | None = None) -> PaymentRequestOut:
        """A payment request for a listed fee the visitor picked."""
        body = {"fee_id": fee_id, "quantity": quantity, "visit_id": visit_id, "language": language}
        return await self._post(PaymentRequestOut, "/api/kiosk/payment-requests", body=body)

    async def start_payment(self, request_id: int, method: Literal["card", "phone"]) -> PaymentOut:
        """Begin paying on this kiosk's card reader, or by phone through a QR code."""
        return await self._post(PaymentOut, f"/api/kiosk/payment-requests/{request_id}/{method}-payments")

    async def payment(self, payment_id: int) -> PaymentOut:
        return await self._get(PaymentOut, f"/api/kiosk/payments/{payment_id}")

    async def cancel_payment(self, payment_id: int) -> PaymentOut:
        """Stop waiting; the answer says SUCCEEDED if the money was taken meanwhile."""
        return await self._post(PaymentOut, f"/api/kiosk/payments/{payment_id}/cancel")

    async def tap_test_card(self, payment_id: int, outcome: str) -> PaymentOut:
        """Stripe test mode only: a simulated card on this kiosk's reader."""
        return await self._post(PaymentOut, f"/api/kiosk/payments/{payment_id}/test-card",
                                body={"outcome": outcome})

    async def receipt(self, payment_id: int) -> Receipt:
        return await self._get(Receipt, f"/api/kiosk/payments/{payment_id}/receipt")

    async def report_print(self, payment_id: int, printed: bool, problem: str | None = None) -> None:
        """Tell the backend whether the receipt printed; a failure alerts the front desk."""
        await self._request("POST", f"/api/kiosk/payments/{payment_id}/print-outcome",
                            body={"printed": printed, "problem": problem})

