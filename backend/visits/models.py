"""Visitor types with their custom fields, and visits with every state change."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, enum_column
from shared.enums import FieldKind, Language, VisitState


class VisitorType(Base):
    __tablename__ = "visitor_type"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    fields: Mapped[list[VisitorField]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan", order_by="VisitorField.position"
    )


class VisitorField(Base):
    __tablename__ = "visitor_field"
    __table_args__ = (UniqueConstraint("visitor_type_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_type_id: Mapped[int] = mapped_column(ForeignKey("visitor_type.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    kind: Mapped[FieldKind] = mapped_column(enum_column(FieldKind))
    required: Mapped[bool] = mapped_column(default=False)
    label_fr: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    # For kind "choice": [{"value": "...", "fr": "...", "en": "..."}, ...]
    choices: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class Visit(Base):
    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    state: Mapped[VisitState] = mapped_column(enum_column(VisitState), index=True)
    visitor_name: Mapped[str] = mapped_column(String(200))
    visitor_phone: Mapped[str | None] = mapped_column(String(40))
    visitor_email: Mapped[str | None] = mapped_column(String(254))
    visitor_type_id: Mapped[int] = mapped_column(ForeignKey("visitor_type.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"), index=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[Language] = mapped_column(enum_column(Language))
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"), index=True)
    checked_in_at: Mapped[dt.datetime] = mapped_column(index=True)

    transitions: Mapped[list[VisitTransition]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan", order_by="VisitTransition.id"
    )


class VisitTransition(Base):
    """One change of a visit's state: when, and by which staff member or kiosk."""

    __tablename__ = "visit_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[VisitState | None] = mapped_column(enum_column(VisitState))
    to_state: Mapped[VisitState] = mapped_column(enum_column(VisitState))
    at: Mapped[dt.datetime]
    by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    by_kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))
