"""The life of a payment: start it on the kiosk's reader or as a QR code, settle it from what Stripe says, call it
off, refund it. Stripe is never called inside a database transaction; each change of state is checked again under
a row lock, so a webhook, the sweep and the kiosk may all report one outcome and it is applied once."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.core.db import Database
from backend.core.errors import ApiError, Conflict, NotFound
from backend.core.events import Audience, EventHub
from backend.core.identity import KioskIdentity
from backend.kiosks.models import KioskDevice
from backend.payments import requests
from backend.payments.gateway import TEST_CARDS, StripeGateway, card_of, decline_problem
from backend.payments.models import Payment, PaymentRequest, Refund
from backend.payments.refunds import Refunds
from backend.receipts import service as receipts
from backend.receipts.models import ReceiptRecord
from shared.api import PaymentEvent, PaymentOut
from shared.enums import (
    FINAL_PAYMENT_STATES, PaymentMethod, PaymentProblem, PaymentRequestState, PaymentState, Role,
)

log = logging.getLogger(__name__)

STRIPE = ("stripe", None)
# A payment still CREATED this long after it began lost its Stripe answer (a crash, a timeout): settle it.
CREATED_GRACE = dt.timedelta(seconds=30)
# Webhooks can be lost: a payment waiting this long without news is asked about at Stripe directly.
RECHECK_AFTER = dt.timedelta(seconds=60)
STAFF_ROLES = frozenset({Role.RECEPTIONIST, Role.ADMIN})


UNAVAILABLE = "Payments are unavailable right now; please try again in a moment or pay at the front desk."


def check_value(payment: Payment) -> str:
    return payment.idempotency_key[:16]


class PaymentsUnavailable(ApiError):
    status, title = 503, "Payments unavailable"


@dataclass
class Cashier(Refunds):
    database: Database
    gateway: StripeGateway
    hub: EventHub
    clock: Callable[[], dt.datetime]
    base_url: str
    reader_timeout: dt.timedelta
    qr_lifetime: dt.timedelta
    webhook_secret: str
    _checked: dict[int, dt.datetime] = field(default_factory=dict)

    # --- starting ---------------------------------------------------------------------------------

    async def start(self, kiosk: KioskIdentity, request_id: int, method: PaymentMethod) -> PaymentOut:
        """Begin paying a request at this kiosk; this kiosk's earlier attempt still waiting is called off first."""
        open_states = [PaymentState.CREATED, PaymentState.WAITING]
        async with self.database.read() as session:
            earlier = list(await session.scalars(select(Payment.id).where(
                Payment.request_id == request_id, Payment.kiosk_id == kiosk.kiosk_id, Payment.state.in_(open_states))))
        try:
            for payment_id in earlier:
                await self.call_off(payment_id, PaymentState.CANCELLED)
        except stripe.StripeError:
            raise PaymentsUnavailable(UNAVAILABLE) from None
        at = self.clock()
        async with self.database.write() as session:
            request = await requests.request_for_update(session, request_id, kiosk.site_id)
            if request.state != PaymentRequestState.OPEN:
                raise Conflict("This has already been paid." if request.state == PaymentRequestState.PAID
                               else "This payment request was cancelled.")
            # Checked under the request's lock: one attempt at a time, and never one on another kiosk's.
            if await session.scalar(select(Payment.id).where(Payment.request_id == request.id,
                                                             Payment.state.in_(open_states))):
                raise Conflict("This is being paid right now at another kiosk.")
            reader_id = None
            if method == PaymentMethod.CARD_PRESENT:
                reader_id = await session.scalar(select(KioskDevice.stripe_reader_id)
                                                 .where(KioskDevice.id == kiosk.kiosk_id))
                if not reader_id:
                    raise Conflict("No card reader is set up for this kiosk; pay by phone or at the front desk.")
            payment = Payment(request_id=request.id, method=method, state=PaymentState.CREATED, amount=request.total,
                              currency=request.currency, idempotency_key=uuid.uuid4().hex, kiosk_id=kiosk.kiosk_id,
                              reader_id=reader_id, created_at=at)
            session.add(payment)
            await session.flush()
            audit.record(session, kiosk.audit_actor, "payment.started", "payment", payment.id, at,
                         request=request.code, method=method.value, amount=payment.amount)
            lines = [{"name": f"{line.description} × {line.quantity}" if line.quantity > 1 else line.description,
                      "amount": line.amount} for line in request.lines]
            lines += [{"name": tax["name"], "amount": tax["amount"]} for tax in request.taxes if tax["amount"]]
            code, language = request.code, request.language
        metadata = {"accueil_payment": str(payment.id), "accueil_request": code, "accueil_key": payment.idempotency_key}
        try:
            if method == PaymentMethod.CARD_PRESENT:
                await self._start_on_reader(payment, code)
            else:
                await self._start_checkout(payment, metadata, lines, language.value)
        except stripe.StripeError as error:
            # The sweep settles the attempt from Stripe with the same idempotency key; the visitor tries again.
            log.warning("payment %s could not start at Stripe: %s", payment.id, type(error).__name__)
            raise PaymentsUnavailable(UNAVAILABLE) from None
        return await self.publish(payment.id)

    async def _start_on_reader(self, payment: Payment, code: str) -> None:
        intent = await self._create_intent(payment, code)
        await self._record(payment.id, payment_intent_id=intent["id"])
        try:
            await self.gateway.process_on_reader(payment.idempotency_key, payment.reader_id, intent["id"])
        except stripe.InvalidRequestError as error:  # reader offline, busy, unknown
            await self._cancel_intent(intent["id"])
            await self._finish(payment.id, PaymentState.FAILED, PaymentProblem.READER_UNAVAILABLE,
                               error.user_message or str(error))
            return
        await self._record(payment.id, state=PaymentState.WAITING, expires_at=self.clock() + self.reader_timeout)

    async def _create_intent(self, payment: Payment, code: str) -> dict[str, Any]:
        # Exactly the same body each time: Stripe refuses an idempotency key sent again with other parameters.
        return await self.gateway.card_present_intent(
            payment.idempotency_key, payment.amount, payment.currency,
            {"accueil_payment": str(payment.id), "accueil_request": code, "accueil_key": payment.idempotency_key},
            f"Accueil {code}")

    async def _start_checkout(self, payment: Payment, metadata: dict[str, str], lines: list[dict[str, Any]],
                              language: str) -> None:
        at = self.clock()
        # Stripe keeps a checkout open at least 30 minutes; the kiosk's QR code expires sooner, and then we
        # expire the checkout ourselves so a phone that scanned it can no longer pay.
        session = await self.gateway.checkout_session(
            payment.idempotency_key, lines=lines, currency=payment.currency, metadata=metadata,
            success_url=self.success_url(payment),
            expires_at=at + dt.timedelta(minutes=31), locale=language, reference=metadata["accueil_request"])
        await self._record(payment.id, checkout_session_id=session["id"], checkout_url=session["url"],
                           state=PaymentState.WAITING, expires_at=at + self.qr_lifetime)

    def success_url(self, payment: Payment) -> str:
        """Where the phone lands after paying. The session id alone is in the QR code anyone could photograph;
        the check value is known only to Stripe and the phone that paid, so only it is led to the receipt."""
        return f"{self.base_url}/pay/complete?session_id={{CHECKOUT_SESSION_ID}}&check={check_value(payment)}"

    async def _record(self, payment_id: int, **values: Any) -> None:
        """Note what Stripe answered, unless the payment has meanwhile been settled."""
        async with self.database.write() as session:
            payment = await session.get(Payment, payment_id, with_for_update=True)
            if payment.state in FINAL_PAYMENT_STATES:
                values.pop("state", None)
            for name, value in values.items():
                setattr(payment, name, value)

    # --- settling ---------------------------------------------------------------------------------

    async def sync_intent(self, intent_id: str, *, action_failure: dict[str, Any] | None = None) -> None:
        """Apply what Stripe says of a PaymentIntent now (whatever order the webhooks came in)."""
        intent = await self.gateway.intent(intent_id)
        payment = await self._payment_of(intent.get("metadata") or {}, Payment.payment_intent_id == intent_id)
        if payment is None:
            return
        if intent["status"] == "succeeded":
            await self._succeed(payment.id, intent)
        elif payment.method == PaymentMethod.CHECKOUT:
            return  # a card declined on the checkout page: the visitor may try another there; the session settles
        elif intent.get("last_payment_error") or action_failure:
            error = intent.get("last_payment_error") or {
                "code": action_failure.get("failure_code"), "message": action_failure.get("failure_message")}
            await self._finish(payment.id, PaymentState.FAILED, decline_problem(error), error.get("message") or "")
            await self._cancel_intent(intent_id)
        elif intent["status"] == "canceled":
            await self._finish(payment.id, PaymentState.CANCELLED, PaymentProblem.CANCELLED, "")

    async def sync_session(self, session_id: str) -> None:
        checkout = await self.gateway.session(session_id)
        payment = await self._payment_of(checkout.get("metadata") or {}, Payment.checkout_session_id == session_id)
        if payment is None:
            return
        if checkout["status"] == "complete" and checkout.get("payment_status") == "paid":
            await self._succeed(payment.id, checkout["payment_intent"])
        elif checkout["status"] == "expired":
            await self._finish(payment.id, PaymentState.EXPIRED, PaymentProblem.EXPIRED, "")

    async def _payment_of(self, metadata: dict[str, str], where: Any) -> Payment | None:
        """Our payment behind a Stripe object — only if its metadata carries that payment's own key, so another
        installation sharing the Stripe account can never settle ours."""
        async with self.database.read() as session:
            if str(metadata.get("accueil_payment", "")).isdigit():
                payment = await session.get(Payment, int(metadata["accueil_payment"]))
                if payment is not None and metadata.get("accueil_key") == payment.idempotency_key:
                    return payment
                return None
            return await session.scalar(select(Payment).where(where))

    async def _succeed(self, payment_id: int, intent: dict[str, Any]) -> None:
        """The money was taken: record it once, with its receipt; a request paid twice is refunded once."""
        at = self.clock()
        brand, last4 = card_of(intent)
        duplicate = None
        async with self.database.write() as session:
            payment = await session.get(Payment, payment_id, with_for_update=True)
            if payment is None or payment.state == PaymentState.SUCCEEDED:
                return
            if (intent.get("amount"), str(intent.get("currency", "")).upper()) != (
                    payment.amount, payment.currency.upper()):
                log.error("payment %s: Stripe's intent %s is for another amount; not recorded", payment_id,
                          intent.get("id"))
                return
            request = await requests.request_for_update(session, payment.request_id)
            was = payment.state
            payment.state, payment.settled_at, payment.problem, payment.problem_detail = (
                PaymentState.SUCCEEDED, at, None, "")
            payment.payment_intent_id = intent["id"]
            payment.card_brand, payment.card_last4 = brand.capitalize() if brand != "amex" else "Amex", last4
            receipts.issue(session, payment, at)
            audit.record(session, STRIPE, "payment.succeeded", "payment", payment.id, at, amount=payment.amount,
                         request=request.code, previous_state=was.value)
            if request.state != PaymentRequestState.OPEN:
                # Paid twice (a card tapped while the phone paid), or paid after staff cancelled the request:
                # the money is given back automatically.
                duplicate = Refund(payment_id=payment.id, amount=payment.amount, state="pending",
                                   reason="Paid twice: refunded automatically." if request.state ==
                                   PaymentRequestState.PAID else "Request cancelled: refunded automatically.",
                                   idempotency_key=uuid.uuid4().hex, created_at=at)
                session.add(duplicate)
                await session.flush()
            else:
                request.state = PaymentRequestState.PAID
        await self.publish(payment_id)
        if duplicate is not None:
            await self._send_refund(duplicate.id)

    async def _finish(self, payment_id: int, state: PaymentState, problem: PaymentProblem | None,
                      detail: str) -> None:
        """An attempt ends without money taken; only one still open can end so."""
        at = self.clock()
        async with self.database.write() as session:
            payment = await session.get(Payment, payment_id, with_for_update=True)
            if payment is None or payment.state in FINAL_PAYMENT_STATES:
                return
            payment.state, payment.problem, payment.problem_detail, payment.settled_at = (
                state, problem, detail[:500], at)
            audit.record(session, STRIPE, f"payment.{state.value}", "payment", payment.id, at,
                         problem=problem.value if problem else None)
        await self.publish(payment_id)

    async def _cancel_intent(self, intent_id: str) -> None:
        try:
            await self.gateway.cancel_intent(intent_id)
        except stripe.InvalidRequestError:
            pass  # already succeeded or cancelled: the caller reads the intent afterwards

    async def _stop_reader(self, reader_id: str, intent_id: str) -> bool:
        """Cancel the reader's action if it is this intent's (never a newer payment's); False while it is busy
        authorising a card, which cannot be stopped."""
        reader = await self.gateway.reader(reader_id)
        action = reader.get("action") or {}
        if (action.get("process_payment_intent") or {}).get("payment_intent") != intent_id \
                or action.get("status") != "in_progress":
            return True
        try:
            await self.gateway.cancel_reader_action(reader_id)
        except stripe.InvalidRequestError as error:
            if getattr(error, "code", None) == "terminal_reader_busy":
                return False
        return True

    async def call_off(self, payment_id: int, final: PaymentState) -> None:
        """Stop waiting (the visitor cancelled, the reader or QR code timed out) — unless Stripe took the money."""
        async with self.database.read() as session:
            payment = await session.get(Payment, payment_id)
        if payment is None or payment.state in FINAL_PAYMENT_STATES:
            return
        problem = {PaymentState.TIMED_OUT: PaymentProblem.TIMED_OUT,
                   PaymentState.EXPIRED: PaymentProblem.EXPIRED}.get(final, PaymentProblem.CANCELLED)
        if payment.method == PaymentMethod.CARD_PRESENT:
            if payment.payment_intent_id is None:  # lost answer: the same key and body find the same intent
                async with self.database.read() as session:
                    code = (await session.get(PaymentRequest, payment.request_id)).code
                intent = await self._create_intent(payment, code)
                payment.payment_intent_id = intent["id"]
                await self._record(payment.id, payment_intent_id=intent["id"])
            if payment.reader_id and not await self._stop_reader(payment.reader_id, payment.payment_intent_id):
                return  # a card is being authorised: its outcome will come, and it decides
            await self._cancel_intent(payment.payment_intent_id)
            intent = await self.gateway.intent(payment.payment_intent_id)
            if intent["status"] == "succeeded":
                await self._succeed(payment.id, intent)
                return
            if intent["status"] in ("processing", "requires_capture"):
                return  # too late to call off: the money is being taken
        elif payment.checkout_session_id:
            try:
                await self.gateway.expire_session(payment.checkout_session_id)
            except stripe.InvalidRequestError:
                pass  # completed or expired already
            checkout = await self.gateway.session(payment.checkout_session_id)
            if checkout["status"] == "complete":
                await self._succeed(payment.id, checkout["payment_intent"])
                return
        await self._finish(payment.id, final, problem, "")

    async def sweep(self) -> None:
        """Settle what webhooks did not: readers and QR codes past their time, lost answers, lost webhooks."""
        at = self.clock()
        async with self.database.read() as session:
            open_payments = list(await session.scalars(select(Payment).where(
                Payment.state.in_([PaymentState.CREATED, PaymentState.WAITING]))))
            pending_refunds = list(await session.scalars(select(Refund.id).where(
                Refund.state == "pending", Refund.created_at < at - CREATED_GRACE)))
        # Forget when payments that are settled now were last asked about.
        self._checked = {pid: when for pid, when in self._checked.items() if pid in {p.id for p in open_payments}}
        for payment in open_payments:
            try:
                if payment.state == PaymentState.CREATED and payment.created_at < at - CREATED_GRACE:
                    await self.call_off(payment.id, PaymentState.CANCELLED)
                elif payment.expires_at is not None and payment.expires_at <= at:
                    await self.call_off(payment.id, PaymentState.TIMED_OUT if payment.method ==
                                        PaymentMethod.CARD_PRESENT else PaymentState.EXPIRED)
                elif at - self._checked.get(payment.id, payment.created_at) >= RECHECK_AFTER:
                    self._checked[payment.id] = at
                    if payment.payment_intent_id and payment.method == PaymentMethod.CARD_PRESENT:
                        await self.sync_intent(payment.payment_intent_id)
                    elif payment.checkout_session_id:
                        await self.sync_session(payment.checkout_session_id)
            except stripe.StripeError as error:
                log.warning("payment %s: Stripe did not answer (%s); will try again", payment.id,
                            type(error).__name__)
        for refund_id in pending_refunds:
            await self._send_refund(refund_id)

    # --- the kiosk's test card ----------------------------------------------------------------------

    async def tap_test_card(self, kiosk: KioskIdentity, payment_id: int, outcome: str) -> None:
        if not self.gateway.test_mode:
            raise Conflict("Test cards exist only in Stripe's test mode.")
        async with self.database.read() as session:
            payment = await self.kiosk_payment(session, kiosk, payment_id)
        if payment.method != PaymentMethod.CARD_PRESENT or payment.state != PaymentState.WAITING:
            raise Conflict("The reader is not waiting for a card for this payment.")
        try:
            await self.gateway.present_test_card(payment.reader_id, TEST_CARDS[outcome])
        except stripe.InvalidRequestError as error:
            raise Conflict(f"The reader refused the test card: {error.user_message or error}") from None

    # --- reading -----------------------------------------------------------------------------------

    async def kiosk_payment(self, session: AsyncSession, kiosk: KioskIdentity, payment_id: int) -> Payment:
        payment = await session.get(Payment, payment_id)
        if payment is None or payment.kiosk_id != kiosk.kiosk_id:
            raise NotFound("No payment of this kiosk has this id.")
        return payment

    async def payment_out(self, session: AsyncSession, payment: Payment) -> PaymentOut:
        return payment_out(payment, await receipts.for_payment(session, payment.id), self.base_url)

    async def publish(self, payment_id: int) -> PaymentOut:
        """Tell the kiosk taking the payment, and the front desk, how it stands now."""
        async with self.database.read() as session:
            payment = await session.get(Payment, payment_id)
            out = await self.payment_out(session, payment)
        audience = Audience(kiosk_ids=frozenset({payment.kiosk_id}) if payment.kiosk_id else frozenset(),
                            roles=STAFF_ROLES)
        await self.hub.broadcast(PaymentEvent(type="payment.updated", payment=out).model_dump(mode="json"), audience)
        return out


def payment_out(payment: Payment, record: ReceiptRecord | None, base_url: str) -> PaymentOut:
    """How a payment stands, with its receipt if it has one."""
    return PaymentOut(
        id=payment.id, request_id=payment.request_id, method=payment.method, state=payment.state,
        amount=payment.amount, currency=payment.currency, problem=payment.problem,
        problem_detail=payment.problem_detail, checkout_url=payment.checkout_url, expires_at=payment.expires_at,
        card_brand=payment.card_brand, card_last4=payment.card_last4, refunded=payment.refunded,
        receipt_number=record.number if record else None,
        receipt_url=receipts.url(base_url, record) if record else None,
        created_at=payment.created_at, settled_at=payment.settled_at)
