"""The audit trail: who did what to which object, and when."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor_type: Mapped[str] = mapped_column(String(20))  # staff, kiosk, system
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # Never personal data: identifiers and states only.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
