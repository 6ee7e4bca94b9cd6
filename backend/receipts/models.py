"""Receipts issued for payments, and how their printing went."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column
from shared.enums import PrintProblem


class ReceiptRecord(Base):
    """One per successful payment. Its token is the unguessable key of the digital copy at /r/{token}."""

    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), unique=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime]
    printed_at: Mapped[dt.datetime | None]
    print_problem: Mapped[PrintProblem | None] = mapped_column(enum_column(PrintProblem))
    emailed_to: Mapped[str] = mapped_column(String(254), default="")
