"""Receipts: the kiosk prints them and reports how that went; staff reprint and email them; anyone holding the
link (the QR code) reads the digital copy."""
from __future__ import annotations

import hmac

import stripe
from aiohttp import web
from sqlalchemy import select

from backend.appkeys import SETTINGS
from backend.core.api import Endpoints, json_response
from backend.core.errors import NotFound
from backend.core.events import Audience
from backend.core.identity import KioskIdentity, StaffIdentity
from backend.payments.models import Payment
from backend.payments.routes import REFUND_ROLES, payment_or_404, require
from backend.payments.runtime import cashier
from backend.payments.service import check_value
from backend.receipts import sending
from backend.receipts import service as receipts
from backend.receipts.pdf import receipt_pdf
from backend.audit import service as audit
from backend.web import body, database, hub, now, path_id
from shared.api import PrintOutcomeIn, ReceiptEmailIn
from shared.enums import Role
from shared.receipt import Receipt, present

routes = Endpoints()
PAPERS = ("roll", "a4", "letter")


def _base_url(request: web.Request) -> str:
    return request.config_dict[SETTINGS].base_url


@routes.route("GET", "/api/kiosk/payments/{id}/receipt", summary="The receipt of a payment at this kiosk",
              auth="kiosk", response=Receipt, errors=(404, 409))
async def kiosk_receipt(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    async with database(request).read() as session:
        payment = await cashier(request).kiosk_payment(session, kiosk, path_id(request))
        record = await sending.issued_record(session, payment.id)
        return json_response(await receipts.receipt(session, record, _base_url(request)))


@routes.route("POST", "/api/kiosk/payments/{id}/print-outcome",
              summary="Whether the kiosk's printer printed the receipt; a failure alerts the front desk",
              auth="kiosk", body=PrintOutcomeIn, status=204, errors=(404, 409))
async def print_outcome(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    data = await body(request, PrintOutcomeIn)
    at = now(request)
    async with database(request).write() as session:
        payment = await cashier(request).kiosk_payment(session, kiosk, path_id(request))
        record = await sending.issued_record(session, payment.id)
        if data.printed:
            record.printed_at, record.print_problem = at, None
        else:
            record.print_problem = data.problem or "error"
            audit.record(session, kiosk.audit_actor, "receipt.print_failed", "receipt", record.number, at,
                         problem=str(record.print_problem))
        number = record.number
    if not data.printed:
        await hub(request).broadcast(
            {"type": "receipt.print_failed", "receipt_number": number, "payment_id": payment.id,
             "kiosk": kiosk.name, "problem": str(data.problem or "error")},
            Audience(roles=frozenset({Role.RECEPTIONIST, Role.ADMIN})))
    return web.Response(status=204)


@routes.route("POST", "/api/payments/{id}/reprint", summary="Print the receipt again at the kiosk that took it",
              auth="staff", status=202, errors=(403, 404, 409))
async def reprint(request: web.Request, who: StaffIdentity) -> web.Response:
    await sending.reprint(database(request), hub(request), who, path_id(request), base_url=_base_url(request),
                          at=now(request))
    return web.Response(status=202)


@routes.route("POST", "/api/payments/{id}/receipt-email", summary="Email the receipt (PDF attached)",
              auth="staff", body=ReceiptEmailIn, status=202, errors=(403, 404, 409, 422, 503))
async def email_receipt(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, REFUND_ROLES, "email receipts")  # before reading the body: a refused role learns nothing more
    data = await body(request, ReceiptEmailIn)
    await sending.email(database(request), request.config_dict[SETTINGS], who, path_id(request), data.email,
                        at=now(request))
    return web.Response(status=202)


@routes.route("GET", "/api/payments/{id}/receipt.pdf", summary="The receipt as a PDF", auth="staff",
              errors=(403, 404, 409, 422), query=(("paper", "string", "roll (80 mm), a4 or letter."),))
async def staff_receipt_pdf(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, REFUND_ROLES | {Role.DEPARTMENT_STAFF}, "see receipts")
    async with database(request).read() as session:
        record = await sending.issued_record(session, (await payment_or_404(session, path_id(request))).id)
        receipt = await receipts.receipt(session, record, _base_url(request))
    return pdf_response(receipt, request.query.get("paper", "roll"))


def pdf_response(receipt: Receipt, paper: str) -> web.Response:
    if paper not in PAPERS:
        raise NotFound(f"Paper is one of: {', '.join(PAPERS)}.")
    return web.Response(body=receipt_pdf(receipt, paper), content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="receipt-{receipt.number}.pdf"', "Cache-Control": "no-store"})


# --- the digital copy, for whoever holds its link ------------------------------------------------------

async def digital_copy(request: web.Request) -> web.Response:
    from backend.panel.routes import render

    token = request.match_info["token"]
    as_pdf = token.endswith(".pdf")
    async with database(request).read() as session:
        record = await receipts.by_token(session, token.removesuffix(".pdf"))
        receipt = await receipts.receipt(session, record, _base_url(request))
    if as_pdf:
        return pdf_response(receipt, request.query.get("paper", "a4"))
    return render(request, "receipt.html", {"receipt": receipt, "view": present(receipt)},
                  language=receipt.language.value)


async def checkout_complete(request: web.Request) -> web.Response:
    """Where Stripe sends the phone after paying: settle from Stripe now, then show the receipt."""
    from backend.panel.routes import render

    session_id = request.query.get("session_id", "")
    async with database(request).read() as session:
        payment = None
        if 0 < len(session_id) <= 128:
            payment = await session.scalar(select(Payment).where(Payment.checkout_session_id == session_id))
    if payment is None or not hmac.compare_digest(request.query.get("check", ""), check_value(payment)):
        raise NotFound("No payment of ours has this checkout.")
    try:
        await cashier(request).sync_session(session_id)
    except stripe.StripeError:
        pass  # Stripe unreachable: the pending page says to refresh; the webhook or the sweep will settle it
    async with database(request).read() as session:
        record = await receipts.for_payment(session, payment.id)
    if record is not None:
        raise web.HTTPSeeOther(receipts.url("", record))
    return render(request, "payment_pending.html", {}, status=202)


def setup(app: web.Application) -> None:
    app.router.add_get("/r/{token}", digital_copy)
    app.router.add_get("/pay/complete", checkout_complete)
