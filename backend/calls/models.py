"""Calls: each one taken at the desk or told by the telephone system, where it went, and its message slip."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column
from shared.enums import CallOutcome, CallSource, MessageState


class Call(Base):
    __tablename__ = "call"
    # A telephone system tells of one call many times (ringing, answered…): its own id finds the record again.
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[CallSource] = mapped_column(enum_column(CallSource))
    external_id: Mapped[str | None] = mapped_column(String(100))
    caller_name: Mapped[str] = mapped_column(String(200))
    caller_number: Mapped[str] = mapped_column(String(40))
    # The client, as the caller or the receptionist named them (client records come with their own issue).
    client_name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"), index=True)
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"),
                                                        index=True)  # the person asked for
    reason: Mapped[str] = mapped_column(Text)
    outcome: Mapped[CallOutcome] = mapped_column(enum_column(CallOutcome))
    recording_url: Mapped[str] = mapped_column(String(2000))  # a voicemail's recording
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    ended_at: Mapped[dt.datetime | None]
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    message_state: Mapped[MessageState] = mapped_column(enum_column(MessageState), index=True)
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    done_at: Mapped[dt.datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))


class CallEvent(Base):
    """What happened to a call, in order: logged, ringing, routed to a department, answered, voicemail…"""

    __tablename__ = "call_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime]
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500))
