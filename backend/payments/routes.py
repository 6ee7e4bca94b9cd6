"""Payment endpoints: the kiosk finds what is owed and takes it; staff ask for payments, follow and refund them."""
from __future__ import annotations

import datetime as dt

import stripe
from aiohttp import web

from backend.core.api import Endpoints, enum_params, json_response
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.identity import KioskIdentity, StaffIdentity
from backend.payments import ledger, requests
from backend.payments.models import Payment
from backend.payments.runtime import cashier
from backend.payments.service import UNAVAILABLE, PaymentsUnavailable
from backend.web import body, database, now, path_id
from shared.api import (
    FeeRequestIn, FieldProblem, PaymentList, PaymentLookupIn, PaymentOut, PaymentRequestIn, PaymentRequestList,
    PaymentRequestOut, RefundIn, RefundOut, TestCardIn,
)
from shared.enums import PaymentMethod, PaymentState, Role

routes = Endpoints()

# Who may ask visitors to pay and follow payments; who may give money back.
CASHIER_ROLES = frozenset({Role.ADMIN, Role.RECEPTIONIST, Role.DEPARTMENT_STAFF})
REFUND_ROLES = frozenset({Role.ADMIN, Role.RECEPTIONIST})


def require(who: StaffIdentity, roles: frozenset[Role], what: str) -> None:
    if not who.roles & roles:
        raise Forbidden(f"Your role may not {what}.")


# --- kiosk ---------------------------------------------------------------------------------------

@routes.route("POST", "/api/kiosk/payment-lookups", summary="What a visitor owes, found by a code",
              auth="kiosk", body=PaymentLookupIn, response=PaymentRequestList, errors=(404, 409))
async def lookup(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    cashier(request)  # a site that takes no payments says so first
    data = await body(request, PaymentLookupIn)
    async with database(request).read() as session:
        found = await requests.lookup(session, kiosk, data.code)
        return json_response(PaymentRequestList(items=[requests.request_out(r) for r in found]))


@routes.route("POST", "/api/kiosk/payment-requests", summary="A visitor picks a listed fee to pay", auth="kiosk",
              body=FeeRequestIn, response=PaymentRequestOut, status=201, errors=(422,))
async def request_fee(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    cashier(request)
    data = await body(request, FeeRequestIn)
    async with database(request).write() as session:
        made = await requests.create_from_fee(session, kiosk, fee_id=data.fee_id, quantity=data.quantity,
                                              visit_id=data.visit_id, language=data.language, at=now(request))
        out = requests.request_out(made)
    return json_response(out, status=201)


@routes.route("POST", "/api/kiosk/payment-requests/{id}/card-payments",
              summary="Pay by card on this kiosk's reader", auth="kiosk", response=PaymentOut, status=201,
              errors=(404, 409, 503))
async def pay_by_card(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    out = await cashier(request).start(kiosk, path_id(request), PaymentMethod.CARD_PRESENT)
    return json_response(out, status=201)


@routes.route("POST", "/api/kiosk/payment-requests/{id}/phone-payments",
              summary="Pay on one's phone: a checkout page shown as a QR code", auth="kiosk", response=PaymentOut,
              status=201, errors=(404, 409, 503))
async def pay_by_phone(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    out = await cashier(request).start(kiosk, path_id(request), PaymentMethod.CHECKOUT)
    return json_response(out, status=201)


@routes.route("GET", "/api/kiosk/payments/{id}", summary="How a payment at this kiosk stands", auth="kiosk",
              response=PaymentOut, errors=(404,))
async def kiosk_payment(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    desk = cashier(request)
    async with database(request).read() as session:
        payment = await desk.kiosk_payment(session, kiosk, path_id(request))
        return json_response(await desk.payment_out(session, payment))


@routes.route("POST", "/api/kiosk/payments/{id}/cancel", summary="Stop waiting for the card or the phone",
              auth="kiosk", response=PaymentOut, errors=(404, 503))
async def kiosk_cancel(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    desk = cashier(request)
    async with database(request).read() as session:
        payment = await desk.kiosk_payment(session, kiosk, path_id(request))
    try:
        await desk.call_off(payment.id, PaymentState.CANCELLED)
    except stripe.StripeError:
        raise PaymentsUnavailable(UNAVAILABLE) from None
    return json_response(await desk.publish(payment.id))


@routes.route("POST", "/api/kiosk/payments/{id}/test-card",
              summary="Stripe test mode only: tap a test card on the kiosk's simulated reader", auth="kiosk",
              body=TestCardIn, response=PaymentOut, errors=(404, 409))
async def kiosk_test_card(request: web.Request, kiosk: KioskIdentity) -> web.Response:
    data = await body(request, TestCardIn)
    desk = cashier(request)
    await desk.tap_test_card(kiosk, path_id(request), data.outcome)
    async with database(request).read() as session:
        return json_response(await desk.payment_out(session, await desk.kiosk_payment(session, kiosk,
                                                                                      path_id(request))))


# --- staff ---------------------------------------------------------------------------------------

@routes.route("POST", "/api/payment-requests", summary="Ask a visitor to pay", auth="staff",
              body=PaymentRequestIn, response=PaymentRequestOut, status=201, errors=(403, 409, 422))
async def create_request(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, CASHIER_ROLES, "ask for payments")
    cashier(request)
    data = await body(request, PaymentRequestIn)
    async with database(request).write() as session:
        made = await requests.create_for_staff(
            session, who, lines=[(l.description, l.quantity, l.unit_amount, l.taxable) for l in data.lines],
            visit_id=data.visit_id, payer_name=data.payer_name, language=data.language, at=now(request))
        out = requests.request_out(made)
    return json_response(out, status=201)


@routes.route("GET", "/api/payment-requests/{id}", summary="One payment request", auth="staff",
              response=PaymentRequestOut, errors=(403, 404))
async def get_request(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, CASHIER_ROLES, "see payments")
    async with database(request).read() as session:
        return json_response(requests.request_out(await requests.request_for_update(session, path_id(request))))


@routes.route("POST", "/api/payment-requests/{id}/cancel", summary="Cancel a request nobody has paid",
              auth="staff", response=PaymentRequestOut, errors=(403, 404, 409))
async def cancel_request(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, CASHIER_ROLES, "cancel payment requests")
    async with database(request).write() as session:
        out = requests.request_out(await requests.cancel(session, who, path_id(request), now(request)))
    return json_response(out)


@routes.route("GET", "/api/payments", summary="Payments, newest first, with totals per day", auth="staff",
              response=PaymentList, errors=(403, 422),
              query=(("from", "string", "YYYY-MM-DD, in the site's time zone."), ("to", "string", "YYYY-MM-DD."),
                     ("state", "string", "Repeat for several."), ("method", "string", "card_present or checkout.")))
async def list_payments(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, CASHIER_ROLES, "see payments")
    filters = payment_filters(request.query)
    async with database(request).read() as session:
        return json_response(await ledger.payments(session, cashier(request), **filters))


def payment_filters(query) -> dict:
    """The list's filters from a query string; 422 naming every bad one."""
    problems: list[FieldProblem] = []
    problems += [FieldProblem(field=name, code="field_unknown", detail="No such filter.")
                 for name in sorted(set(query) - {"from", "to", "state", "method", "q"})]

    def day(name: str) -> dt.date | None:
        if not query.get(name):
            return None
        try:
            return dt.date.fromisoformat(query[name])
        except ValueError:
            problems.append(FieldProblem(field=name, code="date_invalid", detail="Expected YYYY-MM-DD."))
            return None

    states = enum_params(query, "state", PaymentState, problems)
    method = None
    if query.get("method"):
        if query["method"] in PaymentMethod.__members__.values():
            method = PaymentMethod(query["method"])
        else:
            problems.append(FieldProblem(field="method", code="method_unknown",
                                         detail=f"Use one of: {', '.join(PaymentMethod)}."))
    filters = {"day_from": day("from"), "day_to": day("to"), "states": states, "method": method,
               "text": query.get("q", "")[:100]}
    if problems:
        raise InvalidInput("Some filters are not valid.", problems)
    return filters


@routes.route("GET", "/api/payments/{id}", summary="One payment", auth="staff", response=PaymentOut,
              errors=(403, 404))
async def get_payment(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, CASHIER_ROLES, "see payments")
    desk = cashier(request)
    async with database(request).read() as session:
        return json_response(await desk.payment_out(session, await payment_or_404(session, path_id(request))))


async def payment_or_404(session, payment_id: int) -> Payment:
    payment = await session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("No payment has this id.")
    return payment


@routes.route("POST", "/api/payments/{id}/refunds", summary="Give money back, in full or in part, with a reason",
              auth="staff", body=RefundIn, response=RefundOut, status=201, errors=(403, 404, 409, 422))
async def refund(request: web.Request, who: StaffIdentity) -> web.Response:
    require(who, REFUND_ROLES, "refund payments")
    data = await body(request, RefundIn)
    out = await cashier(request).refund(who, path_id(request), data.amount, data.reason)
    return json_response(out, status=201)
