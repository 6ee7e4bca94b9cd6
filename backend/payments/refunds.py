"""Giving money back on a payment, in full or in part: recorded pending first, then asked of Stripe with that
refund's own idempotency key, so a crash in between is finished by the sweep and never refunds twice."""
from __future__ import annotations

import logging
import uuid
from typing import Any

import stripe
from sqlalchemy import func, select

from backend.audit import service as audit
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.identity import StaffIdentity
from backend.payments.models import Payment, Refund
from shared.api import FieldProblem, RefundOut
from shared.enums import PaymentState

log = logging.getLogger(__name__)
STRIPE = ("stripe", None)


class Refunds:
    """The refund side of the cashier (mixed into Cashier, whose database, gateway, clock and publish it uses)."""

    async def refund(self, staff: StaffIdentity, payment_id: int, amount: int, reason: str) -> RefundOut:
        at = self.clock()
        if len(reason.strip()) < 3:
            raise InvalidInput("Say why, in a few words.", [FieldProblem(
                field="reason", code="too_short", detail="At least 3 characters besides spaces.")])
        async with self.database.write() as session:
            payment = await session.get(Payment, payment_id, with_for_update=True)
            if payment is None:
                raise NotFound("No payment has this id.")
            if payment.state != PaymentState.SUCCEEDED:
                raise Conflict("Only a payment that went through can be refunded.")
            pending = await session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.payment_id == payment.id, Refund.state == "pending"))
            remaining = payment.amount - payment.refunded - pending
            if amount > remaining:
                raise InvalidInput(f"At most {remaining} (minor units) remain to refund.", [FieldProblem(
                    field="amount", code="too_much", detail=f"At most {remaining} remain to refund.")])
            refund = Refund(payment_id=payment.id, amount=amount, reason=reason.strip(), state="pending",
                            idempotency_key=uuid.uuid4().hex, by_staff_id=staff.staff_id, created_at=at)
            session.add(refund)
            await session.flush()
            audit.record(session, staff.audit_actor, "payment.refund_requested", "payment", payment.id, at,
                         refund=refund.id, amount=amount, reason=refund.reason)
        await self._send_refund(refund.id)
        async with self.database.read() as session:
            refund = await session.get(Refund, refund.id)
        if refund.state == "failed":
            raise Conflict(f"Stripe refused the refund: {refund.failure}")
        return refund_out(refund)

    async def _send_refund(self, refund_id: int) -> None:
        async with self.database.read() as session:
            refund = await session.get(Refund, refund_id)
            payment = await session.get(Payment, refund.payment_id)
        if refund.state != "pending":
            return
        try:
            answer = await self.gateway.refund(refund.idempotency_key, payment.payment_intent_id, refund.amount,
                                               {"accueil_payment": str(payment.id), "accueil_refund": str(refund.id)})
        except stripe.InvalidRequestError as error:
            await self._settle_refund(refund.id, None, error.user_message or str(error))
            return
        except stripe.StripeError as error:
            log.warning("refund %s: Stripe did not answer (%s); the sweep will ask again", refund.id,
                        type(error).__name__)
            return
        await self._settle_refund(refund.id, answer, "")

    async def _settle_refund(self, refund_id: int, answer: dict[str, Any] | None, failure: str) -> None:
        at = self.clock()
        async with self.database.write() as session:
            refund = await session.get(Refund, refund_id, with_for_update=True)
            if refund.state != "pending":
                return
            payment = await session.get(Payment, refund.payment_id, with_for_update=True)
            if answer is not None and answer.get("status") in ("succeeded", "pending"):
                refund.state, refund.stripe_refund_id = "succeeded", answer["id"]
                payment.refunded += refund.amount
                audit.record(session, STRIPE, "payment.refunded", "payment", payment.id, at, refund=refund.id,
                             amount=refund.amount)
            else:
                refund.state, refund.failure = "failed", (failure or str(answer and answer.get("failure_reason")))[:500]
                audit.record(session, STRIPE, "payment.refund_failed", "payment", payment.id, at, refund=refund.id,
                             failure=refund.failure)
            payment_id = payment.id
        await self.publish(payment_id)


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut(id=refund.id, payment_id=refund.payment_id, amount=refund.amount, reason=refund.reason,
                     state=refund.state, by_staff_id=refund.by_staff_id, created_at=refund.created_at)
