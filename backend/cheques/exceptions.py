"""When a cheque does not simply go to its employee: held while they are away, handed to a delegate they
authorised, voided and reissued when lost, returned to the payroll company, or arriving after the rest."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cheques import news, signatures
from backend.cheques.distribution import check_can_hand_out, record_handover
from backend.cheques.models import Cheque, Employee, PayrollRun
from backend.cheques.schemas import DelegateIn, HoldIn, NoteIn, ReturnIn, VoidIn
from backend.cheques.service import local_today, move, new_cheque, note, refresh_run_state, require_keeper
from backend.cheques.states import ChequeStatus, ProofKind, RunState, can_move
from backend.core.errors import Conflict, InvalidInput
from backend.core.identity import StaffIdentity
from backend.documents.storage import DocumentStore
from shared.api import FieldProblem


def _refuse(cheque: Cheque, to: ChequeStatus, what: str) -> None:
    if not can_move(cheque.status, to):
        if cheque.status in (ChequeStatus.HANDED_OVER, ChequeStatus.DELEGATED):
            raise Conflict("This cheque has already been handed out.")
        raise Conflict(f"A cheque that is {cheque.status.value.replace('_', ' ')} cannot be {what}.")


async def _employee(session: AsyncSession, cheque: Cheque) -> Employee:
    return await session.get(Employee, cheque.employee_id)


async def hold(session: AsyncSession, who: StaffIdentity, cheque: Cheque, data: HoldIn,
               at: dt.datetime) -> news.Tidings:
    """The employee is away: the cheque is kept aside until the follow-up date (holding again moves the date)."""
    require_keeper(who)
    _refuse(cheque, ChequeStatus.HELD, "held")
    run = await session.get(PayrollRun, cheque.run_id)
    if data.follow_up_on < await local_today(session, run.site_id, at):
        raise InvalidInput("Some fields are not valid.", [FieldProblem(
            field="follow_up_on", code="date_past", detail="The follow-up date cannot be in the past.")])
    detail = " — ".join(part for part in (data.follow_up_on.isoformat(), data.note.strip()) if part)
    move(session, cheque, ChequeStatus.HELD, "held", at, who=who, detail=detail)
    cheque.follow_up_on = data.follow_up_on
    cheque.requested_at = cheque.requested_kiosk_id = cheque.requested_signature_sha256 = None
    return news.changed(cheque, await _employee(session, cheque))


async def delegate(session: AsyncSession, who: StaffIdentity, cheque: Cheque, data: DelegateIn, at: dt.datetime,
                   store: DocumentStore) -> news.Tidings:
    """Somebody the employee authorised takes the cheque and signs for it."""
    require_keeper(who)
    check_can_hand_out(cheque, ChequeStatus.DELEGATED)
    name, authorisation_note = " ".join(data.delegate_name.split()), data.authorisation_note.strip()
    problems = []
    if not name:
        problems.append(FieldProblem(field="delegate_name", code="required", detail="Name the person taking it."))
    if not authorisation_note:
        problems.append(FieldProblem(field="authorisation_note", code="required",
                                     detail="Say how the employee authorised it."))
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    png = signatures.checked_signature(data.signature_png)
    authorisation = None
    if data.authorisation_document:
        document, media_type = signatures.checked_authorisation(data.authorisation_document)
        authorisation = (await signatures.keep(store, document), media_type)
    signature_sha256 = await signatures.keep(store, png)
    return await record_handover(session, who, cheque, at, proof=ProofKind.SIGNATURE,
                                 signature_sha256=signature_sha256, delegate_name=name,
                                 authorisation_note=authorisation_note, authorisation=authorisation,
                                 detail=f"{name}: {authorisation_note}")


async def void_and_reissue(session: AsyncSession, who: StaffIdentity, cheque: Cheque, data: VoidIn,
                           at: dt.datetime) -> tuple[Cheque, news.Tidings]:
    """A lost or damaged cheque is voided; the replacement the payroll company issued takes its place (and is
    at the desk at once if the run was already collected). The history of each names the other."""
    require_keeper(who)
    _refuse(cheque, ChequeStatus.VOIDED, "voided")
    number, reason = data.new_cheque_number.strip(), data.reason.strip()
    problems = []
    if not reason:
        problems.append(FieldProblem(field="reason", code="required", detail="Say why the cheque is voided."))
    if not number:
        problems.append(FieldProblem(field="new_cheque_number", code="required",
                                     detail="Give the replacement cheque's number."))
    elif await session.scalar(select(Cheque.id).where(Cheque.run_id == cheque.run_id, Cheque.number == number)):
        problems.append(FieldProblem(field="new_cheque_number", code="number_taken",
                                     detail="This run already has a cheque with this number."))
    if problems:
        raise InvalidInput("Some fields are not valid.", problems)
    run = await session.get(PayrollRun, cheque.run_id)
    employee = await _employee(session, cheque)
    move(session, cheque, ChequeStatus.VOIDED, "voided", at, who=who, detail=reason, other_cheque=number)
    cheque.requested_at = cheque.requested_kiosk_id = cheque.requested_signature_sha256 = None
    status = ChequeStatus.EXPECTED if run.state == RunState.AWAITING_PICKUP else ChequeStatus.AT_DESK
    replacement = new_cheque(run, employee, number, data.new_amount or cheque.amount, status, at)
    session.add(replacement)
    await session.flush()
    cheque.replaced_by_id = replacement.id
    note(session, replacement, "reissued", at, who=who, other_cheque=cheque.number)
    await session.flush()
    await refresh_run_state(session, run, at)
    tidings = news.changed(cheque, employee).add(news.changed(replacement, employee))
    if status == ChequeStatus.AT_DESK:
        tidings.add(await news.tell_ready(session, run, [replacement], at))
    return replacement, tidings


async def return_to_company(session: AsyncSession, who: StaffIdentity, cheque: Cheque, data: ReturnIn,
                            at: dt.datetime) -> news.Tidings:
    """Sent back to the payroll company (the employee left, the cheque was wrong…)."""
    require_keeper(who)
    _refuse(cheque, ChequeStatus.RETURNED, "returned")
    if not data.note.strip():
        raise InvalidInput("Some fields are not valid.", [FieldProblem(
            field="note", code="required", detail="Say why it goes back.")])
    move(session, cheque, ChequeStatus.RETURNED, "returned", at, who=who, detail=data.note.strip())
    cheque.follow_up_on = None
    await refresh_run_state(session, await session.get(PayrollRun, cheque.run_id), at)
    return news.changed(cheque, await _employee(session, cheque))


async def mark_arrived(session: AsyncSession, who: StaffIdentity, cheque: Cheque, data: NoteIn,
                       at: dt.datetime) -> news.Tidings:
    """A cheque missing from the envelope came in after all: it waits at the desk, and its employee is told."""
    require_keeper(who)
    if cheque.status != ChequeStatus.MISSING:
        raise Conflict("Only a cheque marked missing can arrive later.")
    move(session, cheque, ChequeStatus.AT_DESK, "arrived", at, who=who, detail=data.note.strip())
    run = await session.get(PayrollRun, cheque.run_id)
    return news.changed(cheque, await _employee(session, cheque)).add(await news.tell_ready(session, run, [cheque], at))
