"""When a cheque does not simply go to its employee, from its page: held while they are away (until a follow-up
date), voided and reissued when lost, returned to the payroll company, or arrived after the rest of the run.
(A delegate takes it through the handover form, since they sign for it.) Each note lands in its history."""
from __future__ import annotations

from aiohttp import web

from backend.cheques import exceptions
from backend.cheques.models import PayrollRun
from backend.cheques.schemas import HoldIn, NoteIn, ReturnIn, VoidIn
from backend.core.errors import InvalidInput
from backend.panel.cheques_forms import build, day_of, keeper_form, panel_problem
from backend.panel.cheques_handover import cheque_step
from backend.panel.money_input import NotAnAmount, parse_money
from backend.panel.routes import language_of, routes
from backend.web import now
from shared.i18n import translate

NOTE_CHARS = 1100  # past the services' 1000, so that they say it is too long rather than the panel cutting it


@routes.post(r"/panel/cheques/{id:\d+}/hold")
async def hold(request: web.Request) -> web.Response:
    who, posted = await keeper_form(request, ("follow_up_on", "note"))

    async def step(session, who, cheque, posted):
        data = build(HoldIn, follow_up_on=day_of(posted.get("follow_up_on")), note=posted.get("note")[:NOTE_CHARS])
        return await exceptions.hold(session, who, cheque, data, now(request))
    return await cheque_step(request, "hold", who, posted, step, "held")


@routes.post(r"/panel/cheques/{id:\d+}/void")
async def void(request: web.Request) -> web.Response:
    """Lost or damaged: voided, and the replacement the payroll company issued recorded; its page comes next."""
    who, posted = await keeper_form(request, ("reason", "new_cheque_number", "new_amount"))

    async def step(session, who, cheque, posted):
        new_amount = None
        if posted.get("new_amount").strip():
            run = await session.get(PayrollRun, cheque.run_id)
            try:
                new_amount = parse_money(posted.get("new_amount"), run.currency)
            except NotAnAmount as problem:
                message = translate(language_of(request), problem.message).format(**problem.values)
                raise InvalidInput("Some fields are not valid.", [panel_problem("new_amount", message)]) from None
        data = build(VoidIn, reason=posted.get("reason")[:NOTE_CHARS],
                     new_cheque_number=posted.get("new_cheque_number")[:100], new_amount=new_amount)
        replacement, tidings = await exceptions.void_and_reissue(session, who, cheque, data, now(request))
        return replacement.id, tidings
    return await cheque_step(request, "void", who, posted, step, "reissued")


@routes.post(r"/panel/cheques/{id:\d+}/return")
async def return_to_company(request: web.Request) -> web.Response:
    who, posted = await keeper_form(request, ("note",))

    async def step(session, who, cheque, posted):
        data = build(ReturnIn, note=posted.get("note")[:NOTE_CHARS])
        return await exceptions.return_to_company(session, who, cheque, data, now(request))
    return await cheque_step(request, "return", who, posted, step, "returned")


@routes.post(r"/panel/cheques/{id:\d+}/arrived")
async def arrived(request: web.Request) -> web.Response:
    who, posted = await keeper_form(request, ("note",))

    async def step(session, who, cheque, posted):
        data = build(NoteIn, note=posted.get("note")[:NOTE_CHARS])
        return await exceptions.mark_arrived(session, who, cheque, data, now(request))
    return await cheque_step(request, "arrived", who, posted, step, "arrived")
