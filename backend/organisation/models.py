"""Where the front office is: sites and their departments."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")
    # The front desk's number: what a visitor is told to call when the kiosk cannot reach the backend.
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/Toronto")
    locale: Mapped[str] = mapped_column(String(16), default="fr_CA")
    # ISO 3166 alpha-2: how phone numbers typed without a prefix are read.
    country: Mapped[str] = mapped_column(String(2), default="CA")
    currency: Mapped[str] = mapped_column(String(3), default="CAD")


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("site_id", "name_fr"), UniqueConstraint("site_id", "name_en"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    # Routing: where the auto-attendant transfers callers, the address that is told last when nobody answers,
    # who takes over while this department is closed, and how long each person has to answer before the next.
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    fallback_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    escalate_after_seconds: Mapped[int] = mapped_column(default=120, server_default="120")
