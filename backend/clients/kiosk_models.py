"""What returning clients leave behind at the kiosk: the passes proving who they said they were, and the contact
changes they asked for, which wait for a clerk."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column


class ClientKioskPass(Base):
    """One identification at one kiosk. The kiosk holds the token; only its SHA-256 is kept, like kiosk device
    tokens, so a copy of the database lets nobody act as a client. A row (rather than a token signed with a
    secret) needs no secret in the settings that would have to survive restarts, and it tells an old genuine
    token (it links nothing, the check-in goes on) from a forged one (refused)."""

    __tablename__ = "client_kiosk_pass"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosk_device.id", ondelete="CASCADE"))
    issued_at: Mapped[dt.datetime] = mapped_column(index=True)


class ContactChangeState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ContactChangeRequest(Base):
    """Contact details a client typed at the kiosk. Nothing reaches the record until a clerk approves: the
    person at the kiosk proved a number and a birth date, which a relative may also know."""

    __tablename__ = "contact_change_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))
    state: Mapped[ContactChangeState] = mapped_column(enum_column(ContactChangeState), index=True)
    # {field: {"seen": value on file when the client looked, "proposed": new value}}, in the record's formats.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed_at: Mapped[dt.datetime]
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    reject_reason: Mapped[str] = mapped_column(Text, default="")
