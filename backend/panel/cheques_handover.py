"""A cheque's page at the desk: what it is and what happened to it, and the forms that move it on — handing it
over (to the employee, who signs on the page's canvas or types their PIN, or to a delegate they authorised, who
signs), confirming a kiosk request, and the exceptions (in cheques_exceptions).

A cheque is handed out once: once it is, the page shows who gave it, who received it, when and the proof, and
no form; a second submit (another tab, another desk) is refused by the service and changes nothing."""
from __future__ import annotations

import base64

from aiohttp import web

from backend.appkeys import SETTINGS
from backend.cheques import distribution, exceptions, news, signatures
from backend.cheques import service as cheques
from backend.cheques.models import Employee
from backend.cheques.schemas import DelegateIn, HandOverIn, NoteIn
from backend.cheques.states import COLLECTABLE, PAYROLL_KEEPERS, ChequeStatus, can_move
from backend.core.errors import ApiError, InvalidInput, NotFound
from backend.panel.cheques import missing_page, showing
from backend.panel.cheques_forms import (
    LETTER_BYTES, SIGNATURE_CHARS, TOO_LARGE, build, field_errors, keeper_form, panel_problem, say,
    signature_base64,
)
from backend.panel.routes import language_of, render, routes, staff_with_role
from backend.web import database, now, path_id
from shared.i18n import N_, translate

SAVED = {
    "handed_over": N_("Handed over: it is recorded with the signature."),
    "confirmed": N_("Handed over as asked for at the kiosk."),
    "declined": N_("The kiosk request was set aside: the cheque waits at the desk again."),
    "held": N_("The cheque is held until the follow-up date."),
    "reissued": N_("The lost cheque is voided; this is its replacement."),
    "returned": N_("The cheque is recorded as returned to the payroll company."),
    "arrived": N_("The cheque arrived: it waits at the desk and its employee is told."),
}
HANDOVER_FIELDS = ("receiver", "pin", "delegate_name", "authorisation_note")


async def cheque_page(request: web.Request, who, *, form: dict | None = None, errors: dict | None = None,
                      error: str = "", status: int = 200) -> web.Response:
    """The cheque's page; `errors` by form name ("handover", "hold", "void", "return", "arrived")."""
    async with database(request).read() as session:
        try:
            cheque = await cheques.cheque_for_staff(session, who, path_id(request))
        except NotFound:
            raise missing_page(request, who) from None
        context = await showing(session, request, who)
        shown = await cheques.cheque_out(session, who, cheque)
        employee = await session.get(Employee, cheque.employee_id)
    status_now = cheque.status
    return render(request, "cheques_cheque.html", {
        **context, "cheque": shown, "employee": employee,
        "may_hand_over": status_now in COLLECTABLE,
        "may_hold": can_move(status_now, ChequeStatus.HELD),
        "may_void": can_move(status_now, ChequeStatus.VOIDED),
        "may_return": can_move(status_now, ChequeStatus.RETURNED),
        "may_arrive": status_now == ChequeStatus.MISSING,
        "form": form or {}, "errors": errors or {}, "error": error,
        "saved": translate(language_of(request), SAVED[request.query["saved"]])
        if request.query.get("saved") in SAVED else ""}, status=status)


@routes.get(r"/panel/cheques/{id:\d+}")
async def cheque_view(request: web.Request) -> web.Response:
    return await cheque_page(request, await staff_with_role(request, PAYROLL_KEEPERS))


@routes.get(r"/panel/cheques/{id:\d+}/signature.png")
async def signature_image(request: web.Request) -> web.Response:
    """The signature drawn for the cheque (at the desk or at the kiosk), for its page."""
    who = await staff_with_role(request, PAYROLL_KEEPERS)
    async with database(request).read() as session:
        try:
            cheque = await cheques.cheque_for_staff(session, who, path_id(request))
        except NotFound:
            raise missing_page(request, who) from None
        png = await distribution.signature_of(session, signatures.store(request.config_dict[SETTINGS]), cheque)
    if png is None:
        raise missing_page(request, who)
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


async def cheque_step(request: web.Request, name: str, who, posted, step, saved: str) -> web.Response:
    """One of the cheque page's forms: `step(session, who, cheque, posted)` moves it and returns what to publish
    (or the cheque to show next, and that); a refusal shows the page again, as typed, with nothing changed."""
    language = language_of(request)
    try:
        async with database(request).write() as session:
            try:
                cheque = await cheques.cheque_for_staff(session, who, path_id(request), lock=True)
            except NotFound:
                raise missing_page(request, who) from None
            outcome = await step(session, who, cheque, posted)
    except InvalidInput as problem:
        return await cheque_page(request, who, form={name: posted.fields},
                                 errors={name: field_errors(problem, language)}, status=422)
    except ApiError as problem:
        if problem.status == 403:
            raise
        return await cheque_page(request, who, form={name: posted.fields}, error=say(language, problem.detail),
                                 status=problem.status)
    target, tidings = outcome if isinstance(outcome, tuple) else (path_id(request), outcome)
    await news.publish(request.config_dict, tidings)
    raise web.HTTPSeeOther(f"/panel/cheques/{target}?saved={saved}")


@routes.post(r"/panel/cheques/{id:\d+}/hand-over")
async def hand_over(request: web.Request) -> web.Response:
    """To the employee (signature drawn here, or their PIN), or to the delegate they authorised (who signs)."""
    who, posted = await keeper_form(request, HANDOVER_FIELDS, large={"signature": SIGNATURE_CHARS},
                                    file_limit=LETTER_BYTES)
    store = signatures.store(request.config_dict[SETTINGS])

    async def step(session, who, cheque, posted):
        if posted.too_large:
            field = "authorisation_document" if "file" in posted.too_large else "signature"
            message = translate(language_of(request), TOO_LARGE)
            raise InvalidInput("Some fields are not valid.", [panel_problem(field, message)])
        signature = signature_base64(posted.get("signature"))
        if posted.get("receiver") == "delegate":
            letter = base64.b64encode(posted.file).decode() if posted.file else None
            data = build(DelegateIn, delegate_name=posted.get("delegate_name")[:300],
                         authorisation_note=posted.get("authorisation_note")[:1100],
                         authorisation_document=letter, signature_png=signature or "")
            return await exceptions.delegate(session, who, cheque, data, now(request), store)
        data = build(HandOverIn, signature_png=signature, pin=posted.get("pin").strip() or None)
        return await distribution.hand_over(session, who, cheque, data, now(request), store)
    return await cheque_step(request, "handover", who, posted, step, "handed_over")


@routes.post(r"/panel/cheques/{id:\d+}/confirm-kiosk")
async def confirm_kiosk(request: web.Request) -> web.Response:
    """The employee asked at the kiosk (PIN, then a signature there): the desk hands it over and says so."""
    who, posted = await keeper_form(request, ())

    async def step(session, who, cheque, _posted):
        return await distribution.confirm_kiosk_request(session, who, cheque, now(request))
    return await cheque_step(request, "kiosk", who, posted, step, "confirmed")


@routes.post(r"/panel/cheques/{id:\d+}/decline-kiosk")
async def decline_kiosk(request: web.Request) -> web.Response:
    who, posted = await keeper_form(request, ("note",))

    async def step(session, who, cheque, posted):
        return await distribution.decline_kiosk_request(session, who, cheque, build(NoteIn, note=posted.get(
            "note")[:1100]), now(request))
    return await cheque_step(request, "kiosk", who, posted, step, "declined")
