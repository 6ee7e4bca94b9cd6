"""The payments list staff read: filtered, newest first, with totals per day in the site's time zone."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.organisation.models import Site
from backend.payments.models import Payment, PaymentRequest
from backend.payments.service import payment_out
from backend.receipts.models import ReceiptRecord
from shared.api import DayTotal, PaymentList, PaymentRow
from shared.enums import PaymentMethod, PaymentState

MAX_ROWS = 1000


async def site_zone(session: AsyncSession) -> tuple[ZoneInfo, str]:
    site = await session.scalar(select(Site).order_by(Site.id).limit(1))
    return (ZoneInfo(site.time_zone), site.currency) if site else (ZoneInfo("UTC"), "CAD")


async def payments(session: AsyncSession, cashier, *, day_from: dt.date | None, day_to: dt.date | None,
                   states: list[PaymentState], method: PaymentMethod | None, text: str = "") -> PaymentList:
    zone, currency = await site_zone(session)
    # Receipts joined here: one query for the list, not one more per row.
    query = (select(Payment, PaymentRequest, ReceiptRecord)
             .join(PaymentRequest, PaymentRequest.id == Payment.request_id)
             .outerjoin(ReceiptRecord, ReceiptRecord.payment_id == Payment.id)
             .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(MAX_ROWS))
    if day_from is not None:
        query = query.where(Payment.created_at >= dt.datetime.combine(day_from, dt.time(), zone))
    if day_to is not None:
        query = query.where(Payment.created_at < dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time(), zone))
    if states:
        query = query.where(Payment.state.in_(states))
    if method is not None:
        query = query.where(Payment.method == method)
    if text.strip():
        needle = text.strip()
        query = query.where(PaymentRequest.payer_name.icontains(needle) | (PaymentRequest.code == needle.upper()))
    rows = []
    for payment, request, record in (await session.execute(query)).all():
        out = payment_out(payment, record, cashier.base_url)
        rows.append(PaymentRow(**out.model_dump(), request_code=request.code, payer_name=request.payer_name))
    return PaymentList(items=rows, currency=currency, days=await _day_totals(session, zone, day_from, day_to))


async def _day_totals(session: AsyncSession, zone: ZoneInfo, day_from: dt.date | None,
                      day_to: dt.date | None) -> list[DayTotal]:
    """Money taken per day, by when it was taken — over every payment of the period, not just the rows listed."""
    query = select(Payment.settled_at, Payment.amount, Payment.refunded).where(Payment.state == PaymentState.SUCCEEDED)
    if day_from is not None:
        query = query.where(Payment.settled_at >= dt.datetime.combine(day_from, dt.time(), zone))
    if day_to is not None:
        query = query.where(Payment.settled_at < dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time(), zone))
    days: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for settled_at, amount, refunded in await session.execute(query):
        totals = days[settled_at.astimezone(zone).date()]
        totals[0] += 1
        totals[1] += amount
        totals[2] += refunded
    return [DayTotal(day=day, count=c, amount=a, refunded=r) for day, (c, a, r) in sorted(days.items(), reverse=True)]
