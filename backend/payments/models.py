"""What visitors owe and how they paid: fees, site taxes, payment requests, payments (attempts), refunds."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, enum_column
from shared.enums import Language, PaymentMethod, PaymentProblem, PaymentRequestState, PaymentState


class SiteTax(Base):
    """A sales tax the site charges on taxable lines (in Québec: TPS 5 % and TVQ 9.975 %, both on the subtotal)."""

    __tablename__ = "site_tax"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    # Parts per million, so 9.975 % is exact in an integer.
    rate_ppm: Mapped[int]
    registration: Mapped[str] = mapped_column(String(60), default="")
    position: Mapped[int] = mapped_column(default=0)


class Fee(Base):
    """A listed fee a visitor may pay at the kiosk on their own."""

    __tablename__ = "fee"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    unit_amount: Mapped[int]
    taxable: Mapped[bool] = mapped_column(default=True)
    max_quantity: Mapped[int] = mapped_column(default=10)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class PaymentRequest(Base):
    """What one payer owes: lines, the taxes computed when it was made, the total. Paid once, at most."""

    __tablename__ = "payment_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    state: Mapped[PaymentRequestState] = mapped_column(enum_column(PaymentRequestState),
                                                      default=PaymentRequestState.OPEN)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"), index=True)
    payer_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[Language] = mapped_column(enum_column(Language), default=Language.FR)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int]
    # [{name, rate_ppm, registration, amount}]: the rates as they were, whatever the site changes later.
    taxes: Mapped[list[dict]] = mapped_column(JSON, default=list)
    total: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    created_by_kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))

    lines: Mapped[list[PaymentLine]] = relationship(order_by="PaymentLine.position", cascade="all, delete-orphan",
                                                    lazy="selectin")


class PaymentLine(Base):
    __tablename__ = "payment_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("payment_request.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_amount: Mapped[int]
    taxable: Mapped[bool]
    amount: Mapped[int]


class Payment(Base):
    """One attempt to pay a request, by card on a reader or by phone; SUCCEEDED means the money was taken.

    The row is committed before Stripe is called, with the idempotency key every call about it carries: after a
    crash, asking Stripe again with that key finds what was done instead of doing it twice."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("payment_request.id", ondelete="CASCADE"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod))
    state: Mapped[PaymentState] = mapped_column(enum_column(PaymentState), default=PaymentState.CREATED,
                                                index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))
    reader_id: Mapped[str | None] = mapped_column(String(64))
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    expires_at: Mapped[dt.datetime | None]
    problem: Mapped[PaymentProblem | None] = mapped_column(enum_column(PaymentProblem))
    problem_detail: Mapped[str] = mapped_column(String(500), default="")
    card_brand: Mapped[str] = mapped_column(String(30), default="")
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    refunded: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class Refund(Base):
    """Money given back on a payment, full or partial; pending until Stripe has said yes."""

    __tablename__ = "refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    failure: Mapped[str] = mapped_column(String(500), default="")
    by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]


class StripeEvent(Base):
    """A webhook event already applied: Stripe may send one again, and that must change nothing."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[dt.datetime]
