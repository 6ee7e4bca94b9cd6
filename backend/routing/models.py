"""Routing: departments' opening hours and on-duty rota, each member's channels, the escalations under way, and
the record of who was told what (notifications)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column
from shared.enums import DeliveryChannel, EscalationState


class Notification(Base):
    """One person told, on the panel, about a visit or a call; delivery and acknowledgement are noted on it."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="panel")
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))


class OpeningHours(Base):
    """A department is open on `weekday` (0 = Monday) from `opens` to `closes`, in its site's time zone; a span
    that closes at or before it opens runs past midnight. A department without any is always open."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    opens: Mapped[dt.time] = mapped_column(Time())
    closes: Mapped[dt.time] = mapped_column(Time())


class DutySlot(Base):
    """The on-duty rota: this member answers for the department in this weekly span, in `rank` order (the first
    is told first, the next when the first does not answer). A department without slots has all its members
    on duty, told together."""

    __tablename__ = "duty_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    starts: Mapped[dt.time] = mapped_column(Time())
    ends: Mapped[dt.time] = mapped_column(Time())
    rank: Mapped[int] = mapped_column(default=1)


class ContactChannel(Base):
    """Where a member is told besides the panel (which everybody has): an email address or a chat webhook."""

    __tablename__ = "contact_channel"
    __table_args__ = (UniqueConstraint("staff_member_id", "channel", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    channel: Mapped[DeliveryChannel] = mapped_column(enum_column(DeliveryChannel))
    target: Mapped[str] = mapped_column(String(2000))


class Escalation(Base):
    """A visit or a call message waiting for somebody to answer. `chain` is fixed when it starts (so a rota edited
    meanwhile changes nothing half-way); step `step` has been taken and the next is due at `next_at`.

    Steps: {"to": "staff", "ids": [...]}, {"to": "reception", "ids": [...]}, {"to": "email", "addresses": [...]}.
    """

    __tablename__ = "escalation"
    __table_args__ = (Index("ix_escalation_due", "state", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    about: Mapped[str] = mapped_column(String(100), unique=True)  # "visit:12", "call:3"
    kind: Mapped[str] = mapped_column(String(50))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    chain: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    step: Mapped[int]
    delay_seconds: Mapped[int]
    state: Mapped[EscalationState] = mapped_column(enum_column(EscalationState))
    next_at: Mapped[dt.datetime | None]
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
