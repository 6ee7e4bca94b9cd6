"""Issuing receipts and building the one receipt model (shared.receipt) that printers, PDFs and screens render."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import NotFound
from backend.organisation.models import Site
from backend.payments.models import Payment, PaymentRequest
from backend.receipts.models import ReceiptRecord
from shared.receipt import Receipt, ReceiptLine, ReceiptPayment, ReceiptTax


def issue(session: AsyncSession, payment: Payment, at: dt.datetime) -> ReceiptRecord:
    """The receipt of a payment that just succeeded, in the same transaction; numbered after the payment."""
    record = ReceiptRecord(payment_id=payment.id, number=f"R-{payment.id:06d}",
                           token=secrets.token_urlsafe(24), issued_at=at)
    session.add(record)
    return record


def url(base_url: str, record: ReceiptRecord) -> str:
    return f"{base_url}/r/{record.token}"


async def by_token(session: AsyncSession, token: str) -> ReceiptRecord:
    record = None
    if 16 <= len(token) <= 64:
        record = await session.scalar(select(ReceiptRecord).where(ReceiptRecord.token == token))
    if record is None:
        raise NotFound("No receipt at this address.")
    return record


async def for_payment(session: AsyncSession, payment_id: int) -> ReceiptRecord | None:
    return await session.scalar(select(ReceiptRecord).where(ReceiptRecord.payment_id == payment_id))


async def receipt(session: AsyncSession, record: ReceiptRecord, base_url: str) -> Receipt:
    payment = await session.get(Payment, record.payment_id)
    request = await session.get(PaymentRequest, payment.request_id)
    site = await session.get(Site, request.site_id)
    return Receipt(
        number=record.number, language=request.language, site_name=site.name, site_address=site.address,
        site_phone=site.phone,
        # Amounts read the way the receipt's language writes them in the site's country: 57,49 $ or $57.49.
        locale=f"{request.language.value}_{site.country}", time_zone=site.time_zone, currency=request.currency,
        issued_at=record.issued_at, payer_name=request.payer_name,
        lines=[ReceiptLine(description=line.description, quantity=line.quantity, unit_amount=line.unit_amount,
                           amount=line.amount) for line in request.lines],
        subtotal=request.subtotal, taxes=[ReceiptTax.model_validate(tax) for tax in request.taxes],
        total=request.total,
        payment=ReceiptPayment(method=payment.method.value, brand=payment.card_brand, last4=payment.card_last4,
                               amount=payment.amount),
        refunded=payment.refunded, url=url(base_url, record))
