"""The payroll cheques API for staff: runs, cheques and their moves. Employees are in employee_routes.py, the
kiosk's "Collect my cheque" in kiosk_routes.py. Handlers are thin: the services check roles and input."""
from __future__ import annotations

from aiohttp import web

from backend.appkeys import SETTINGS
from backend.cheques import distribution, exceptions, importing, news, pickup, signatures
from backend.cheques import service as cheques
from backend.cheques.schemas import (
    ChequeIn, ChequeList, ChequeOut, Dashboard, DelegateIn, HandOverIn, HoldIn, ChequeImportReport, NoteIn,
    PickupAssignIn, PickupCollectedIn, ReturnIn, RunDetail, RunIn, RunList, RunOut, VoidIn,
)
from backend.cheques.sheet import distribution_sheet
from backend.core.api import Endpoints, json_response, read_body, read_limited
from backend.core.errors import InvalidInput, NotFound, PayloadTooLarge
from backend.core.identity import StaffIdentity
from backend.notifications.dispatcher import wake
from backend.web import body, database, now, path_id
from shared.api import FieldProblem
from shared.api_cheques import SIGNATURE_MAX_BASE64

routes = Endpoints()

# A signature in base64 and a few fields; with a scanned authorisation, that too.
SIGNED_BODY_BYTES = SIGNATURE_MAX_BASE64 + 16 * 1024
DELEGATE_BODY_BYTES = SIGNED_BODY_BYTES + (2 * 1024 * 1024 + 2) // 3 * 4
IMPORT_QUERY = (("apply", "boolean", "true: store the cheques (all or nothing); default false: check and preview."),)


def _store(request: web.Request):
    return signatures.store(request.config_dict[SETTINGS])


# --- runs ----------------------------------------------------------------------------------------

@routes.route("GET", "/api/cheques/runs", summary="Payroll runs, newest pay date first", auth="staff",
              response=RunList, errors=(403,))
async def list_runs(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        runs = await cheques.list_runs(session, who)
        counts = await cheques.status_counts(session, [run.id for run in runs])
        items = [await cheques.run_out(session, run, counts[run.id]) for run in runs]
    return json_response(RunList(items=items))


@routes.route("POST", "/api/cheques/runs", summary="Record a payroll run (pay date, payroll company)", auth="staff",
              body=RunIn, response=RunDetail, status=201, errors=(403, 404, 409))
async def create_run(request: web.Request, who: StaffIdentity) -> web.Response:
    cheques.require_keeper(who)  # before reading anything: the role is the first answer
    data = await body(request, RunIn)
    async with database(request).write() as session:
        run = await cheques.create_run(session, who, data, now(request))
        out = await cheques.run_detail(session, who, run)
    return json_response(out, status=201)


@routes.route("GET", "/api/cheques/runs/{id}", summary="A payroll run with its cheques", auth="staff",
              response=RunDetail, errors=(403, 404))
async def get_run(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        run = await cheques.run_for_staff(session, who, path_id(request))
        out = await cheques.run_detail(session, who, run)
    return json_response(out)


@routes.route("POST", "/api/cheques/runs/{id}/cheques", summary="Enter a cheque by hand", auth="staff",
              body=ChequeIn, response=ChequeOut, status=201, errors=(403, 404, 409))
async def add_cheque(request: web.Request, who: StaffIdentity) -> web.Response:
    cheques.require_keeper(who)  # before reading anything: the role is the first answer
    data = await body(request, ChequeIn)
    async with database(request).write() as session:
        run = await cheques.run_for_staff(session, who, path_id(request), lock=True)
        cheque = await cheques.add_cheque(session, who, run, data, now(request))
        out = await cheques.cheque_out(session, who, cheque)
    wake(request.config_dict)  # a late cheque's "it is ready" email
    return json_response(out, status=201)


@routes.route("POST", "/api/cheques/runs/{id}/import",
              summary="Import the payroll company's file (CSV or XLSX: employee number, name, cheque number, "
                      "amount, pay date) as the raw request body: a preview, or with apply=true every row or none",
              auth="staff", response=ChequeImportReport, errors=(403, 404, 409, 413, 422), query=IMPORT_QUERY)
async def import_file(request: web.Request, who: StaffIdentity) -> web.Response:
    cheques.require_keeper(who)  # before reading anything: the role is the first answer
    apply_raw = request.query.get("apply", "false")
    problems = [FieldProblem(field=name, code="field_unknown", detail="No such parameter.")
                for name in sorted(set(request.query) - {"apply"})]
    if apply_raw not in ("true", "false", "1", "0"):
        problems.append(FieldProblem(field="apply", code="boolean_invalid", detail="true or false."))
    if problems:
        raise InvalidInput("Some parameters are not valid.", problems)
    if request.content_length is not None and request.content_length > importing.MAX_FILE_BYTES:
        raise PayloadTooLarge("The file may be at most 2 MB.")
    raw = await read_limited(request, importing.MAX_FILE_BYTES)
    async with database(request).write() as session:
        run = await cheques.run_for_staff(session, who, path_id(request), lock=True)
        report = await importing.import_cheques(session, who, run, raw, now(request),
                                                apply=apply_raw in ("true", "1"))
    return json_response(report)


@routes.route("POST", "/api/cheques/runs/{id}/pickup", summary="Name who fetches the run, and on which day",
              auth="staff", body=PickupAssignIn, response=RunOut, errors=(403, 404, 409))
async def assign_pickup(request: web.Request, who: StaffIdentity) -> web.Response:
    cheques.require_keeper(who)  # before reading anything: the role is the first answer
    data = await body(request, PickupAssignIn)
    async with database(request).write() as session:
        run = await cheques.run_for_staff(session, who, path_id(request), lock=True)
        await pickup.assign_pickup(session, who, run, data, now(request))
        out = await cheques.run_out(session, run)
    return json_response(out)


@routes.route("POST", "/api/cheques/runs/{id}/collected",
              summary="Record the run fetched: how many cheques came, which are missing; employees are told",
              auth="staff", body=PickupCollectedIn, response=RunDetail, errors=(403, 404, 409))
async def record_collected(request: web.Request, who: StaffIdentity) -> web.Response:
    cheques.require_keeper(who)  # before reading anything: the role is the first answer
    data = await body(request, PickupCollectedIn)
    async with database(request).write() as session:
        run = await cheques.run_for_staff(session, who, path_id(request), lock=True)
        tidings = await pickup.record_collected(session, who, run, data, now(request))
        out = await cheques.run_detail(session, who, run)
    await news.publish(request.config_dict, tidings)
    return json_response(out)


@routes.route("GET", "/api/cheques/runs/{id}/sheet.pdf",
              summary="The run's distribution sheet (PDF, with signatures; no amounts)", auth="staff",
              errors=(403, 404, 422), query=(("language", "string", "fr or en (default: the site's)."),))
async def sheet_pdf(request: web.Request, who: StaffIdentity) -> web.Response:
    language = request.query.get("language", "")
    if language not in ("", "fr", "en") or set(request.query) - {"language"}:
        raise InvalidInput("Some parameters are not valid.", [FieldProblem(
            field="language", code="language_unknown", detail="fr or en.")])
    async with database(request).read() as session:
        run = await cheques.run_for_staff(session, who, path_id(request))
        pdf = await distribution_sheet(session, run, _store(request),
                                       language or await news.site_language(session, run.site_id), now(request))
    name = f"distribution-{run.pay_date.isoformat()}-{run.id}.pdf"
    return web.Response(body=pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


# --- cheques -------------------------------------------------------------------------------------

@routes.route("GET", "/api/cheques/mine", summary="My own cheques (a staff member who is also an employee)",
              auth="staff", response=ChequeList)
async def my_cheques(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        items = [await cheques.cheque_out(session, who, cheque, with_events=False)
                 for cheque in await cheques.my_cheques(session, who)]
    return json_response(ChequeList(items=items))


@routes.route("GET", "/api/cheques/dashboard", summary="Cheques collected, pending and exceptions, by run",
              auth="staff", response=Dashboard, errors=(403,))
async def dashboard(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        out = await cheques.dashboard(session, who)
    return json_response(out)


@routes.route("GET", "/api/cheques/{id}", summary="A cheque with its history", auth="staff", response=ChequeOut,
              errors=(404,))
async def get_cheque(request: web.Request, who: StaffIdentity) -> web.Response:
    async with database(request).read() as session:
        cheque = await cheques.cheque_for_staff(session, who, path_id(request))
        out = await cheques.cheque_out(session, who, cheque)
    return json_response(out)


@routes.route("GET", "/api/cheques/{id}/signature.png", summary="The signature drawn for a cheque", auth="staff",
              errors=(403, 404))
async def signature_png(request: web.Request, who: StaffIdentity) -> web.Response:
    cheques.require_keeper(who)
    async with database(request).read() as session:
        cheque = await cheques.cheque_for_staff(session, who, path_id(request))
        png = await distribution.signature_of(session, _store(request), cheque)
    if png is None:
        raise NotFound("Nobody has signed for this cheque.")
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


async def _act(request: web.Request, who: StaffIdentity, model, limit: int | None, action) -> web.Response:
    """Read the body, lock the cheque, act, answer with the cheque as it now is, publish after the commit."""
    cheques.require_keeper(who)
    data = None
    if model is not None:
        data = await (read_body(request, model, limit) if limit else body(request, model))
    async with database(request).write() as session:
        cheque = await cheques.cheque_for_staff(session, who, path_id(request), lock=True)
        result = await action(session, cheque, data, now(request))
        shown, tidings = result if isinstance(result, tuple) else (cheque, result)
        out = await cheques.cheque_out(session, who, shown)
    await news.publish(request.config_dict, tidings)
    return json_response(out)


@routes.route("POST", "/api/cheques/{id}/hand-over",
              summary="Hand a cheque to its employee at the desk: their signature (PNG, base64) or their PIN",
              auth="staff", body=HandOverIn, response=ChequeOut, errors=(403, 404, 409, 423))
async def hand_over(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, HandOverIn, SIGNED_BODY_BYTES, lambda session, cheque, data, at:
                      distribution.hand_over(session, who, cheque, data, at, _store(request)))


@routes.route("POST", "/api/cheques/{id}/confirm-kiosk",
              summary="Hand over a cheque the employee asked for at the kiosk (their PIN and signature there are "
                      "the proof)", auth="staff", response=ChequeOut, errors=(403, 404, 409))
async def confirm_kiosk(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, None, None, lambda session, cheque, data, at:
                      distribution.confirm_kiosk_request(session, who, cheque, at))


@routes.route("POST", "/api/cheques/{id}/decline-kiosk",
              summary="Set a kiosk request aside (the employee left): the cheque waits at the desk again",
              auth="staff", body=NoteIn, response=ChequeOut, errors=(403, 404, 409))
async def decline_kiosk(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, NoteIn, None, lambda session, cheque, data, at:
                      distribution.decline_kiosk_request(session, who, cheque, data, at))


@routes.route("POST", "/api/cheques/{id}/hold", summary="Hold a cheque while its employee is away, until a "
              "follow-up date", auth="staff", body=HoldIn, response=ChequeOut, errors=(403, 404, 409))
async def hold(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, HoldIn, None, lambda session, cheque, data, at:
                      exceptions.hold(session, who, cheque, data, at))


@routes.route("POST", "/api/cheques/{id}/delegate",
              summary="Hand a cheque to a delegate the employee authorised; the delegate signs", auth="staff",
              body=DelegateIn, response=ChequeOut, errors=(403, 404, 409))
async def delegate(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, DelegateIn, DELEGATE_BODY_BYTES, lambda session, cheque, data, at:
                      exceptions.delegate(session, who, cheque, data, at, _store(request)))


@routes.route("POST", "/api/cheques/{id}/void",
              summary="Void a lost cheque and record its replacement; answers with the replacement", auth="staff",
              body=VoidIn, response=ChequeOut, errors=(403, 404, 409))
async def void(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, VoidIn, None, lambda session, cheque, data, at:
                      exceptions.void_and_reissue(session, who, cheque, data, at))


@routes.route("POST", "/api/cheques/{id}/return", summary="Return a cheque to the payroll company", auth="staff",
              body=ReturnIn, response=ChequeOut, errors=(403, 404, 409))
async def return_cheque(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, ReturnIn, None, lambda session, cheque, data, at:
                      exceptions.return_to_company(session, who, cheque, data, at))


@routes.route("POST", "/api/cheques/{id}/arrived", summary="A cheque missing from the envelope came in after all",
              auth="staff", body=NoteIn, response=ChequeOut, errors=(403, 404, 409))
async def arrived(request: web.Request, who: StaffIdentity) -> web.Response:
    return await _act(request, who, NoteIn, None, lambda session, cheque, data, at:
                      exceptions.mark_arrived(session, who, cheque, data, at))
