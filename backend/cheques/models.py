"""Payroll cheques: the employees who receive them, the runs the payroll company issues, each cheque, everything
that happened to it, and the one handover that put it in somebody's hands."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.cheques.states import ChequeStatus, ProofKind, RunState
from backend.core.db import Base, enum_column


class Employee(Base):
    """Somebody paid by cheque. Not necessarily a staff member: most employees never sign in to the panel."""

    __tablename__ = "employee"
    __table_args__ = (UniqueConstraint("site_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))  # as the payroll company prints it on the pay stub
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))  # "" when unknown: told on the panel only, if linked
    # A staff member who is also this employee sees their own cheques in the panel (GET /api/cheques/mine).
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"),
                                                        unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))  # argon2, like staff passwords; None: no kiosk
    pin_failures: Mapped[int]  # wrong PINs in a row at the kiosk
    # Set after too many wrong PINs: kiosk collection stays refused until someone at the desk unlocks it.
    kiosk_locked_at: Mapped[dt.datetime | None]
    # After a right PIN at a kiosk: the SHA-256 of the short-lived token that lets that kiosk, and only it,
    # ask for this employee's cheques. Kept here (not in memory) so any backend instance can check it.
    collection_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    collection_kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))
    collection_expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class PayrollRun(Base):
    """One pay date's cheques from one payroll company, and the errand of fetching them."""

    __tablename__ = "payroll_run"
    __table_args__ = (Index("ix_payroll_run_site_pay_date", "site_id", "pay_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    pay_date: Mapped[dt.date] = mapped_column(Date())
    payroll_company: Mapped[str] = mapped_column(String(200))
    state: Mapped[RunState] = mapped_column(enum_column(RunState), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    # The pick-up errand: who fetches the cheques, on which day (reminded that morning, once).
    pickup_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"),
                                                           index=True)
    pickup_due_on: Mapped[dt.date | None] = mapped_column(Date())
    pickup_reminded_on: Mapped[dt.date | None] = mapped_column(Date())
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    collected_at: Mapped[dt.datetime | None]
    collected_count: Mapped[int | None]  # cheques actually in the envelope
    missing_note: Mapped[str] = mapped_column(String(1000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime]


class Cheque(Base):
    __tablename__ = "cheque"
    __table_args__ = (UniqueConstraint("run_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payroll_run.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int]  # minor units of `currency` (shared/money.py); shown to admins only
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[ChequeStatus] = mapped_column(enum_column(ChequeStatus), index=True)
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date())  # a held cheque: when to try the employee again
    # A voided cheque points at the cheque reissued in its place.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("cheque.id", ondelete="SET NULL"), unique=True)
    # A kiosk request waiting for the desk: the signature drawn there, and which kiosk.
    requested_at: Mapped[dt.datetime | None]
    requested_kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))
    requested_signature_sha256: Mapped[str | None] = mapped_column(String(64))
    ready_told_at: Mapped[dt.datetime | None]  # the employee was told it waits at the desk
    reminded_on: Mapped[dt.date | None] = mapped_column(Date())  # the last "still not collected" reminder
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class ChequeEvent(Base):
    """What happened to a cheque, in order: imported, collected, told, held, requested, handed over, voided…"""

    __tablename__ = "cheque_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    cheque_id: Mapped[int] = mapped_column(ForeignKey("cheque.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime]
    event: Mapped[str] = mapped_column(String(40))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(1000))
    # The other cheque of a void and reissue: the replacement's number on the voided cheque's line, the voided
    # one's on the replacement's. Kept apart from the note, which is the staff's own words.
    other_cheque: Mapped[str] = mapped_column(String(40), default="")


class Handover(Base):
    """A cheque put in somebody's hands. One per cheque, enforced by the database: never handed out twice."""

    __tablename__ = "cheque_handover"

    id: Mapped[int] = mapped_column(primary_key=True)
    cheque_id: Mapped[int] = mapped_column(ForeignKey("cheque.id", ondelete="CASCADE"), unique=True)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    given_by_name: Mapped[str] = mapped_column(String(200))  # kept as it was: the sheet outlives staff changes
    # "" when the employee took it themselves; otherwise the delegate's name and the employee's authorisation.
    delegate_name: Mapped[str] = mapped_column(String(200))
    authorisation_note: Mapped[str] = mapped_column(String(1000))
    authorisation_sha256: Mapped[str | None] = mapped_column(String(64))  # a scanned letter, if given
    authorisation_media_type: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime]
    proof: Mapped[ProofKind] = mapped_column(enum_column(ProofKind))
    signature_sha256: Mapped[str | None] = mapped_column(String(64))  # PNG in the signature store
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_device.id", ondelete="SET NULL"))
