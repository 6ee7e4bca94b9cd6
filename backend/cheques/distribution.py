"""Handing cheques over: at the desk with a signature drawn in the panel or the employee's PIN, or by confirming
what the employee asked for at the kiosk (their PIN and signature there are the proof).

A cheque is handed out once: its status says so first (409), and the handover table's unique cheque_id makes
sure of it even when two desks click at the same moment.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cheques import employees as employee_service
from backend.cheques import news, signatures
from backend.cheques.models import Cheque, Employee, Handover, PayrollRun
from backend.cheques.schemas import HandOverIn, NoteIn
from backend.cheques.service import move, refresh_run_state, require_keeper
from backend.cheques.states import ChequeStatus, ProofKind, can_move
from backend.core.errors import Conflict, InvalidInput, Locked
from backend.core.identity import StaffIdentity
from backend.documents.storage import DocumentStore
from shared.api import FieldProblem

ALREADY_OUT = "This cheque has already been handed out."


def check_can_hand_out(cheque: Cheque, to: ChequeStatus = ChequeStatus.HANDED_OVER) -> None:
    if cheque.status in (ChequeStatus.HANDED_OVER, ChequeStatus.DELEGATED):
        raise Conflict(ALREADY_OUT)
    if not can_move(cheque.status, to):
        raise Conflict({
            ChequeStatus.EXPECTED: "This cheque has not been collected from the payroll company yet.",
            ChequeStatus.MISSING: "This cheque was missing from the envelope: mark it arrived first.",
            ChequeStatus.VOIDED: "This cheque was voided; hand out its replacement.",
            ChequeStatus.RETURNED: "This cheque was returned to the payroll company.",
        }.get(cheque.status, "This cheque cannot be handed out now."))


async def record_handover(session: AsyncSession, who: StaffIdentity, cheque: Cheque, at: dt.datetime, *,
                          proof: ProofKind, signature_sha256: str | None, delegate_name: str = "",
                          authorisation_note: str = "", authorisation: tuple[str, str] | None = None,
                          kiosk_id: int | None = None, detail: str = "") -> news.Tidings:
    """The handover row and the cheque's move, in the caller's transaction; 409 if one already exists."""
    to = ChequeStatus.DELEGATED if delegate_name else ChequeStatus.HANDED_OVER
    move(session, cheque, to, "delegated" if delegate_name else "handed_over", at, who=who, kiosk_id=kiosk_id,
         detail=detail)
    cheque.requested_at = cheque.requested_kiosk_id = None
    session.add(Handover(
        cheque_id=cheque.id, given_by_id=who.staff_id, given_by_name=who.display_name, delegate_name=delegate_name,
        authorisation_note=authorisation_note, authorisation_sha256=authorisation[0] if authorisation else None,
        authorisation_media_type=authorisation[1] if authorisation else "", at=at, proof=proof,
        signature_sha256=signature_sha256, kiosk_id=kiosk_id))
    try:
        await session.flush()
    except IntegrityError:  # another desk's handover committed first; the caller's transaction is rolled back
        raise Conflict(ALREADY_OUT) from None
    await refresh_run_state(session, await session.get(PayrollRun, cheque.run_id), at)
    return news.changed(cheque, await session.get(Employee, cheque.employee_id))


async def hand_over(session: AsyncSession, who: StaffIdentity, cheque: Cheque, data: HandOverIn, at: dt.datetime,
                    store: DocumentStore) -> news.Tidings:
    """The employee takes their cheque at the desk, signing in the panel or typing their PIN."""
    require_keeper(who)
    check_can_hand_out(cheque)
    if (data.signature_png is None) == (data.pin is None):
        raise InvalidInput("Some fields are not valid.", [FieldProblem(
            field="signature_png", code="proof_required",
            detail="Give either the employee's signature or their PIN (one of the two).")])
    signature_sha256 = None
    if data.pin is not None:
        employee = await session.get(Employee, cheque.employee_id)
        if employee.kiosk_locked_at is not None:
            raise Locked("Too many wrong PINs: unlock this employee's PIN first, or have them sign.")
        # At the desk a staff member watches the PIN being typed, so a wrong one is refused without counting
        # towards the kiosk's lock.
        if not employee_service.pin_matches(employee, data.pin):
            raise InvalidInput("Some fields are not valid.", [FieldProblem(
                field="pin", code="pin_wrong", detail="This is not the employee's PIN.")])
        proof = ProofKind.PIN
    else:
        png = signatures.checked_signature(data.signature_png)
        signature_sha256 = await signatures.keep(store, png)
        proof = ProofKind.SIGNATURE
    return await record_handover(session, who, cheque, at, proof=proof, signature_sha256=signature_sha256)


async def confirm_kiosk_request(session: AsyncSession, who: StaffIdentity, cheque: Cheque,
                                at: dt.datetime) -> news.Tidings:
    """The desk hands over a cheque the employee asked for at the kiosk: given by this staff member, received
    by the employee, with the PIN and the signature drawn at the kiosk as proof."""
    require_keeper(who)
    if cheque.status in (ChequeStatus.HANDED_OVER, ChequeStatus.DELEGATED):
        raise Conflict(ALREADY_OUT)
    if cheque.status != ChequeStatus.REQUESTED:
        raise Conflict("Nobody asked for this cheque at the kiosk.")
    kiosk_id, signature = cheque.requested_kiosk_id, cheque.requested_signature_sha256
    return await record_handover(session, who, cheque, at, proof=ProofKind.PIN_SIGNATURE,
                                 signature_sha256=signature, kiosk_id=kiosk_id)


async def decline_kiosk_request(session: AsyncSession, who: StaffIdentity, cheque: Cheque, data: NoteIn,
                                at: dt.datetime) -> news.Tidings:
    """The employee left before the desk could hand it over: the cheque waits at the desk again."""
    require_keeper(who)
    if cheque.status != ChequeStatus.REQUESTED:
        raise Conflict("Nobody asked for this cheque at the kiosk.")
    move(session, cheque, ChequeStatus.AT_DESK, "request_declined", at, who=who, detail=data.note.strip())
    cheque.requested_at = cheque.requested_kiosk_id = cheque.requested_signature_sha256 = None
    return news.changed(cheque, await session.get(Employee, cheque.employee_id))


async def signature_of(session: AsyncSession, store: DocumentStore, cheque: Cheque) -> bytes | None:
    """The PNG signed for the cheque: its handover's, or the kiosk request's still waiting; None without one."""
    sha256 = await session.scalar(select(Handover.signature_sha256).where(Handover.cheque_id == cheque.id))
    sha256 = sha256 or cheque.requested_signature_sha256
    return await store.read(sha256) if sha256 else None
