"""Staff send a receipt again: printed at the kiosk that took the payment, or by email. The JSON API and the
panel's forms both call these, so a reprint or an email is checked, audited and delivered one way."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.core.db import Database
from backend.core.errors import Conflict, NotFound
from backend.core.events import Audience, EventHub
from backend.core.identity import StaffIdentity
from backend.payments.models import Payment
from backend.payments.routes import REFUND_ROLES, require
from backend.receipts import mail
from backend.receipts import service as receipts
from backend.receipts.models import ReceiptRecord
from backend.settings import Settings


async def issued_record(session: AsyncSession, payment_id: int) -> ReceiptRecord:
    """The receipt of a payment; 409 when the payment did not go through (so it has none)."""
    record = await receipts.for_payment(session, payment_id)
    if record is None:
        raise Conflict("This payment has no receipt: it did not go through.")
    return record


async def _payment(session: AsyncSession, payment_id: int) -> Payment:
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No payment has this id.")
    return payment


async def reprint(database: Database, hub: EventHub, who: StaffIdentity, payment_id: int, *, base_url: str,
                  at: dt.datetime) -> str:
    """Ask the kiosk that took the payment to print its receipt again; returns the receipt's number."""
    require(who, REFUND_ROLES, "reprint receipts")
    async with database.write() as session:
        payment = await _payment(session, payment_id)
        record = await issued_record(session, payment.id)
        if payment.kiosk_id is None:
            raise Conflict("This payment was not taken at a kiosk; download the receipt instead.")
        receipt = await receipts.receipt(session, record, base_url)
        audit.record(session, who.audit_actor, "receipt.reprint", "receipt", record.number, at)
        kiosk_id = payment.kiosk_id
    await hub.broadcast({"type": "receipt.reprint", "payment_id": payment_id,
                         "receipt": receipt.model_dump(mode="json")}, Audience(kiosk_ids=frozenset({kiosk_id})))
    return record.number


async def email(database: Database, settings: Settings, who: StaffIdentity, payment_id: int, address: str, *,
                at: dt.datetime) -> str:
    """Email the receipt with its PDF to `address` (422 if not an address, 503 if the mail server refuses);
    returns the address as sent to."""
    require(who, REFUND_ROLES, "email receipts")
    address = mail.valid_address(address)
    async with database.read() as session:
        record = await issued_record(session, (await _payment(session, payment_id)).id)
        receipt = await receipts.receipt(session, record, settings.base_url)
    await mail.send_receipt(settings, receipt, address)
    async with database.write() as session:
        (await session.get(ReceiptRecord, record.id)).emailed_to = address
        audit.record(session, who.audit_actor, "receipt.emailed", "receipt", record.number, at, to=address)
    return address
