"""Client records: people and organisations the front office serves, their tags, and the history of every change."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column
from shared.enums import ClientKind, ClientStatus


class Client(Base):
    __tablename__ = "client"
    # The vertical's identifier (patient, matter, student or account number) names one client per site.
    # Duplicates are looked for by date of birth among other keys.
    __table_args__ = (UniqueConstraint("site_id", "number"), Index("ix_client_search", "site_id", "status"),
                      Index("ix_client_birth", "site_id", "date_of_birth"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    kind: Mapped[ClientKind] = mapped_column(enum_column(ClientKind))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(300))
    number: Mapped[str | None] = mapped_column(String(50))
    date_of_birth: Mapped[dt.date | None]
    phone: Mapped[str] = mapped_column(String(40), index=True)  # E.164
    phone_alt: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(120))
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    notes: Mapped[str] = mapped_column(Text)
    status: Mapped[ClientStatus] = mapped_column(enum_column(ClientStatus))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"))
    # Folded (lower case, no accents) names, number, email and phone digits: what search and duplicates read.
    search_text: Mapped[str] = mapped_column(Text)
    retain_until: Mapped[dt.date | None]  # erased automatically after this day (privacy)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class ClientTag(Base):
    __tablename__ = "client_tag"

    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class ClientChange(Base):
    """One field of one client changed: by whom (a staff member, or none for an import or the kiosk), how, when,
    and the values before and after."""

    __tablename__ = "client_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime]
    by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20))  # panel, api, import, kiosk, merge, erasure
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
