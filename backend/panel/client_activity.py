"""What a client's record page shows beside the record: the change they asked for at the kiosk, and their
recent visits, payment requests (with their payments) and calls, each as far as the viewer's role may see it
(clerks keep records but do not work the lobby: they see none of the three)."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.calls import service as calls
from backend.calls.models import Call
from backend.clients import contact_changes
from backend.clients import service as clients
from backend.clients.kiosk_models import ContactChangeState
from backend.core.identity import StaffIdentity
from backend.kiosks.models import KioskDevice
from backend.organisation.models import Department
from backend.payments.models import Payment, PaymentRequest
from backend.panel.calls import OUTCOME_LABELS
from backend.panel.client_changes import FIELD_LABELS as CHANGE_LABELS
from backend.panel.history import ALL_STATE_LABELS
from backend.panel.payment_views import REQUEST_STATE_LABELS, STATE_LABELS
from backend.payments.routes import CASHIER_ROLES
from backend.visits import service as visits
from backend.visits.models import Visit
from backend.visits.service import LOBBY_ROLES
from shared.money import format_money

SHOWN = 10  # of each kind, newest first: the record page is not a history report


async def activity(session: AsyncSession, who: StaffIdentity, client_id: int, locale: str) -> dict:
    """The record page's context for the client's pending change and linked activity."""
    pending = None
    if who.roles & clients.CLIENT_KEEPERS:
        found = await contact_changes.list_changes(session, who, ContactChangeState.PENDING, client_id=client_id,
                                                   limit=1)
        pending = found[0] if found else None
    departments = {d.id: d for d in await session.scalars(select(Department))}
    linked_visits = [] if not who.roles & LOBBY_ROLES else [v for v in await session.scalars(
        select(Visit).where(Visit.client_id == client_id).order_by(Visit.checked_in_at.desc(), Visit.id.desc())
        .limit(SHOWN * 3)) if visits.may_see(who, v)][:SHOWN]
    requests, payments = [], {}
    if who.roles & CASHIER_ROLES:
        # Also those made for one of the client's visits before the visit was linked to the record.
        visit_ids = select(Visit.id).where(Visit.client_id == client_id).scalar_subquery()
        requests = list(await session.scalars(
            select(PaymentRequest).where(or_(PaymentRequest.client_id == client_id,
                                             PaymentRequest.visit_id.in_(visit_ids)))
            .order_by(PaymentRequest.created_at.desc(), PaymentRequest.id.desc()).limit(SHOWN)))
        for payment in await session.scalars(select(Payment).where(
                Payment.request_id.in_([r.id for r in requests])).order_by(Payment.created_at.desc())):
            payments.setdefault(payment.request_id, []).append(payment)
    linked_calls = []
    if who.roles & LOBBY_ROLES:
        linked_calls = [c for c in await session.scalars(
            select(Call).where(Call.client_id == client_id).order_by(Call.received_at.desc(), Call.id.desc())
            .limit(SHOWN * 3)) if calls.may_see(who, c)][:SHOWN]
    kiosk_names = dict((await session.execute(select(KioskDevice.id, KioskDevice.name))).tuples().all())
    return {"pending_change": pending, "kiosk_names": kiosk_names, "linked_visits": linked_visits,
            "departments": departments,
            "linked_requests": requests, "request_payments": payments, "linked_calls": linked_calls,
            "sees_payments": bool(who.roles & CASHIER_ROLES), "sees_calls": bool(who.roles & LOBBY_ROLES),
            "sees_visits": bool(who.roles & LOBBY_ROLES),
            "money": lambda amount, currency: format_money(amount, currency, locale),
            "visit_states": ALL_STATE_LABELS, "outcome_labels": OUTCOME_LABELS,
            "request_states": REQUEST_STATE_LABELS, "payment_states": STATE_LABELS,
            "change_labels": CHANGE_LABELS}
