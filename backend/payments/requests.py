"""What visitors owe: payment requests made by staff or from a listed fee at the kiosk, with the site's taxes."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clients import identification
from backend.clients import service as clients
from backend.clients.models import Client
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.identity import KioskIdentity, StaffIdentity
from backend.audit import service as audit
from backend.organisation.models import Site
from backend.payments.models import Fee, Payment, PaymentLine, PaymentRequest, SiteTax
from backend.visits.models import Visit
from shared.api import (
    FeeOut, FieldProblem, LocalizedText, PaymentLineOut, PaymentRequestOut, PaymentTaxOut,
)
from shared.enums import Language, PaymentRequestState, PaymentState
from shared.receipt import tax_amounts

# No 0/O, 1/I/L, 2/Z, 5/S: read off a slip and typed on a touchscreen without doubt.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 6
MAX_TOTAL = 99_999_999  # Stripe's largest amount (in minor units); it also fits every integer column


async def _new_code(session: AsyncSession) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if await session.scalar(select(PaymentRequest.id).where(PaymentRequest.code == code)) is None:
            return code


async def site_taxes(session: AsyncSession, site_id: int) -> list[SiteTax]:
    return list(await session.scalars(select(SiteTax).where(SiteTax.site_id == site_id)
                                      .order_by(SiteTax.position, SiteTax.id)))


async def _request(session: AsyncSession, site: Site, lines: list[tuple[str, int, int, bool]], *, visit_id: int | None,
                   payer_name: str, language: Language, at: dt.datetime,
                   client_id: int | None = None) -> PaymentRequest:
    """A request from (description, quantity, unit amount, taxable) lines, taxed at the site's rates of today."""
    taxable = sum(quantity * unit for _d, quantity, unit, is_taxable in lines if is_taxable)
    subtotal = sum(quantity * unit for _d, quantity, unit, _t in lines)
    taxes = tax_amounts(taxable, [(t.name, t.rate_ppm, t.registration) for t in await site_taxes(session, site.id)])
    if subtotal + sum(tax.amount for tax in taxes) > MAX_TOTAL:
        raise InvalidInput("This is more than one payment may be.", [FieldProblem(
            field="lines", code="total_too_large", detail=f"The total, taxes included, may be at most {MAX_TOTAL} "
                                                          "(minor units).")])
    request = PaymentRequest(
        site_id=site.id, code=await _new_code(session), visit_id=visit_id, client_id=client_id,
        payer_name=payer_name.strip(),
        language=language, currency=site.currency, subtotal=subtotal,
        taxes=[tax.model_dump() for tax in taxes], total=subtotal + sum(tax.amount for tax in taxes), created_at=at,
        lines=[PaymentLine(position=i, description=d.strip(), quantity=q, unit_amount=u, taxable=t, amount=q * u)
               for i, (d, q, u, t) in enumerate(lines)])
    session.add(request)
    await session.flush()
    return request


async def _visit(session: AsyncSession, visit_id: int | None, site_id: int) -> Visit | None:
    if visit_id is None:
        return None
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.site_id != site_id:
        raise InvalidInput("This visit does not exist.",
                           [FieldProblem(field="visit_id", code="unknown_visit", detail="No visit has this id.")])
    return visit


async def _named_client(session: AsyncSession, site: Site, client_number: str) -> Client | None:
    """The client a clerk names by file number, if one is named; InvalidInput when no client has it."""
    if not client_number.strip():
        return None
    client = await identification.client_by_number(session, site.id, client_number)
    if client is None:
        raise InvalidInput("No client has this file number.", [FieldProblem(
            field="client_number", code="client_unknown", detail="No client of this site has this file number.")])
    return client


async def create_for_staff(session: AsyncSession, staff: StaffIdentity, *, lines: list[tuple[str, int, int, bool]],
                           visit_id: int | None, payer_name: str, language: Language,
                           at: dt.datetime, client_number: str = "") -> PaymentRequest:
    site = await session.scalar(select(Site).order_by(Site.id).limit(1))
    if site is None:
        raise Conflict("Set up the site before asking for payments.")
    visit = await _visit(session, visit_id, site.id)
    client = await _named_client(session, site, client_number)
    # Whose file the request goes to: the client named, else the visit's.
    client_id = client.id if client is not None else visit.client_id if visit is not None else None
    if visit is not None and not payer_name.strip():
        payer_name = visit.visitor_name
    if client is not None and not payer_name.strip():
        payer_name = clients.display_name(client)
    if not payer_name.strip():
        raise InvalidInput("Say who pays: a visit or a payer's name.",
                           [FieldProblem(field="payer_name", code="required", detail="Give the payer's name.")])
    request = await _request(session, site, lines, visit_id=visit_id, payer_name=payer_name, language=language,
                             at=at, client_id=client_id)
    request.created_by_staff_id = staff.staff_id
    audit.record(session, staff.audit_actor, "payment_request.created", "payment_request", request.id, at,
                 code=request.code, total=request.total, currency=request.currency)
    return request


async def create_from_fee(session: AsyncSession, kiosk: KioskIdentity, *, fee_id: int, quantity: int,
                          visit_id: int | None, language: Language, at: dt.datetime) -> PaymentRequest:
    fee = await session.get(Fee, fee_id)
    if fee is None or fee.site_id != kiosk.site_id or not fee.active:
        raise InvalidInput("This fee is not offered.",
                           [FieldProblem(field="fee_id", code="unknown_fee", detail="Choose a listed fee.")])
    if quantity > fee.max_quantity:
        raise InvalidInput(f"At most {fee.max_quantity} at once.",
                           [FieldProblem(field="quantity", code="too_many",
                                         detail=f"At most {fee.max_quantity} at once.")])
    site = await session.get(Site, kiosk.site_id)
    visit = await _visit(session, visit_id, kiosk.site_id)
    name = fee.name_fr if language == Language.FR else fee.name_en
    request = await _request(session, site, [(name, quantity, fee.unit_amount, fee.taxable)], visit_id=visit_id,
                             payer_name=visit.visitor_name if visit else "", language=language, at=at,
                             client_id=visit.client_id if visit else None)
    request.created_by_kiosk_id = kiosk.kiosk_id
    audit.record(session, kiosk.audit_actor, "payment_request.created", "payment_request", request.id, at,
                 code=request.code, fee_id=fee.id, quantity=quantity, total=request.total)
    return request


async def lookup(session: AsyncSession, kiosk: KioskIdentity, code: str) -> list[PaymentRequest]:
    """Open requests found by a payment code, or by the pass code of a visit they belong to."""
    normalised = "".join(code.split()).upper().replace("-", "")
    query = select(PaymentRequest).where(PaymentRequest.site_id == kiosk.site_id)
    found = await session.scalar(query.where(PaymentRequest.code == normalised))
    if found is not None:
        if found.state == PaymentRequestState.PAID:
            raise Conflict("This has already been paid. Thank you!")
        if found.state == PaymentRequestState.CANCELLED:
            raise NotFound("This payment request was cancelled. Please see the front desk.")
        return [found]
    visit_id = await session.scalar(select(Visit.id).where(Visit.code == normalised, Visit.site_id == kiosk.site_id))
    requests = [] if visit_id is None else list(await session.scalars(
        query.where(PaymentRequest.visit_id == visit_id, PaymentRequest.state == PaymentRequestState.OPEN)
        .order_by(PaymentRequest.id)))
    if not requests:
        raise NotFound("Nothing to pay was found with this code. Check the code, or see the front desk.")
    return requests


async def request_for_update(session: AsyncSession, request_id: int, site_id: int | None = None) -> PaymentRequest:
    request = await session.get(PaymentRequest, request_id, with_for_update=True)
    if request is None or (site_id is not None and request.site_id != site_id):
        raise NotFound("No payment request has this id.")
    return request


async def cancel(session: AsyncSession, staff: StaffIdentity, request_id: int, at: dt.datetime) -> PaymentRequest:
    request = await request_for_update(session, request_id)
    if request.state != PaymentRequestState.OPEN:
        raise Conflict(f"This request is {request.state.value}; only an open one can be cancelled.")
    if await session.scalar(select(Payment.id).where(
            Payment.request_id == request.id, Payment.state.in_([PaymentState.CREATED, PaymentState.WAITING]))):
        raise Conflict("The visitor is paying this right now at the kiosk; wait until they finish or cancel there.")
    request.state = PaymentRequestState.CANCELLED
    audit.record(session, staff.audit_actor, "payment_request.cancelled", "payment_request", request.id, at)
    return request


def request_out(request: PaymentRequest) -> PaymentRequestOut:
    return PaymentRequestOut(
        id=request.id, code=request.code, state=request.state, visit_id=request.visit_id,
        payer_name=request.payer_name, language=request.language, currency=request.currency,
        lines=[PaymentLineOut.model_validate(line) for line in request.lines], subtotal=request.subtotal,
        taxes=[PaymentTaxOut.model_validate(tax) for tax in request.taxes], total=request.total,
        created_at=request.created_at)


async def kiosk_fees(session: AsyncSession, site_id: int) -> list[FeeOut]:
    fees = await session.scalars(select(Fee).where(Fee.site_id == site_id, Fee.active)
                                 .order_by(Fee.position, Fee.id))
    return [FeeOut(id=f.id, name=LocalizedText(fr=f.name_fr, en=f.name_en), unit_amount=f.unit_amount,
                   taxable=f.taxable, max_quantity=f.max_quantity) for f in fees]
