"""Deliveries: one outgoing notification each, with its status and the record of trying to send it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column
from shared.enums import DeliveryChannel, DeliveryStatus


class Delivery(Base):
    """One message to one target. While PENDING or RETRYING, `next_attempt_at` is when it is due; a dispatcher
    that takes it moves that forward by a lease, so nobody else takes it while it is being sent."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[DeliveryChannel] = mapped_column(enum_column(DeliveryChannel))
    # An email address, or a webhook URL (which holds the chat tool's secret: never logged nor shown whole).
    target: Mapped[str] = mapped_column(String(2000))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # Extra structure for chat cards: {"fields": [{"title", "value"}], "link": {"url", "label"}}.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    about: Mapped[str] = mapped_column(String(100), index=True)  # what it is about, e.g. "visit:12", "call:3"
    recipient_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus))
    attempts: Mapped[int]
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    delivered_at: Mapped[dt.datetime | None]
