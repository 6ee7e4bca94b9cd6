"""Staff members, their roles and departments, and their API tokens."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.db import Base, enum_column
from shared.enums import Role, TokenScope


class StaffMember(Base):
    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Visitors may ask for this person by name at the kiosk.
    listed_at_kiosk: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]

    roles: Mapped[list[StaffRole]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan", back_populates="staff_member"
    )
    memberships: Mapped[list[DepartmentMembership]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan", back_populates="staff_member"
    )

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.roles)

    @property
    def department_ids(self) -> frozenset[int]:
        return frozenset(m.department_id for m in self.memberships)


class StaffRole(Base):
    __tablename__ = "staff_role"

    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    staff_member: Mapped[StaffMember] = relationship(lazy="raise_on_sql", back_populates="roles")


class DepartmentMembership(Base):
    __tablename__ = "department_membership"

    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    staff_member: Mapped[StaffMember] = relationship(lazy="raise_on_sql", back_populates="memberships")


class StaffToken(Base):
    """A bearer token for the staff API; only its SHA-256 is kept."""

    __tablename__ = "staff_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope), default=TokenScope.WRITE,
                                              server_default=TokenScope.WRITE.value)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, only its hash is kept."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
