"""Payroll runs in the panel: a new run, a run's page (its cheques, a cheque entered by hand, the pick-up errand
and its collection), the payroll company's file imported in two steps (preview with each row's problems, then
all or nothing), and the distribution sheet."""
from __future__ import annotations

import base64
import binascii
import re

from aiohttp import web

from backend.appkeys import SETTINGS
from backend.cheques import employees as employee_service
from backend.cheques import importing, news, panel_support, pickup, sheet, signatures
from backend.cheques import service as cheques
from backend.cheques.models import Employee
from backend.cheques.schemas import ChequeIn, PickupAssignIn, PickupCollectedIn, RunIn
from backend.cheques.states import PAYROLL_KEEPERS, RunState
from backend.core.errors import ApiError, InvalidInput, NotFound
from backend.panel.cheques import missing_page, showing
from backend.panel.cheques_forms import (
    CSV_BYTES, TOO_LARGE, build, day_of, field_errors, keeper_form, number_of, panel_problem, say,
)
from backend.panel.money_input import NotAnAmount, parse_money
from backend.panel.routes import language_of, render, routes, staff_with_role
from backend.web import database, now, path_id
from shared.i18n import N_, translate

NO_FILE = N_("Choose the payroll company’s file (CSV or XLSX).")
# The import's problems in the panel's words, by code; {column} is the column's name, {date} the pay date.
IMPORT_PROBLEMS = {
    "file_too_large": N_("The file may be at most 2 MB."),
    "file_unreadable": N_("This file cannot be read as a spreadsheet (CSV or XLSX)."),
    "file_empty": N_("The file has no cheques."),
    "column_missing": N_("The file has no “{column}” column."),
    "required": N_("The {column} is empty."), "too_long": N_("The {column} is too long."),
    "number_taken": N_("This cheque number is already in the run, or twice in the file."),
    "amount_invalid": N_("Expected a positive amount, such as 1234.56 or 1 234,56."),
    "date_invalid": N_("Expected a date, such as 2026-12-04."),
    "pay_date_mismatch": N_("This is not the run’s pay date ({date})."),
}
COLUMN_NAMES = {"employee number": N_("employee number"), "name": N_("name"), "cheque number": N_("cheque number"),
                "amount": N_("amount"), "pay date": N_("pay date")}
SAVED = {"cheque": N_("The cheque is added."), "pickup": N_("The pick-up is assigned."),
         "collected": N_("The collection is recorded: the employees whose cheque came are told."),
         "import": N_("The file is imported.")}
IMPORT_FAILED = N_("Nothing was imported: fix the file and choose it again.")


@routes.get("/panel/cheques/runs/new")
async def new_run_page(request: web.Request) -> web.Response:
    who = await staff_with_role(request, PAYROLL_KEEPERS)
    return render(request, "cheques_run_new.html", {"who": who, "form": {}, "errors": {}})


@routes.post("/panel/cheques/runs")
async def create_run(request: web.Request) -> web.Response:
    who, form = await keeper_form(request, ("pay_date", "payroll_company"))
    try:
        data = build(RunIn, pay_date=day_of(form.get("pay_date")),
                     payroll_company=form.get("payroll_company").strip()[:300])
        async with database(request).write() as session:
            run = await cheques.create_run(session, who, data, now(request))
    except InvalidInput as error:
        return render(request, "cheques_run_new.html", {"who": who, "form": form.fields,
                                                        "errors": field_errors(error, language_of(request))},
                      status=422)
    raise web.HTTPSeeOther(f"/panel/cheques/runs/{run.id}")


async def _run_page(request: web.Request, who, *, forms: dict | None = None, errors: dict | None = None,
                    error: str = "", status: int = 200) -> web.Response:
    """The run's page; `forms` and `errors` by form name ("cheque", "pickup", "collected", "import") keep what
    was typed and say what is wrong."""
    async with database(request).read() as session:
        try:
            run = await cheques.run_for_staff(session, who, path_id(request))
        except NotFound:
            raise missing_page(request, who) from None
        context = await showing(session, request, who)
        detail = await cheques.run_detail(session, who, run)
        people = [(m.id, m.display_name) for m in await panel_support.front_office(session)]
        employees = [(e.id, f"{employee_service.display_name(e)} ({e.number})")
                     for e in await employee_service.list_employees(session, who)] \
            if run.state != RunState.CLOSED else []
    saved = request.query.get("saved", "")
    return render(request, "cheques_run.html", {
        **context, "run": detail, "people": people, "employees": employees,
        "forms": forms or {}, "errors": errors or {}, "error": error,
        "saved": translate(language_of(request), SAVED[saved]) if saved in SAVED else ""},
        status=status)


@routes.get(r"/panel/cheques/runs/{id:\d+}")
async def run_page(request: web.Request) -> web.Response:
    return await _run_page(request, await staff_with_role(request, PAYROLL_KEEPERS))


async def _run_step(request: web.Request, name: str, names: tuple[str, ...], step) -> web.Response:
    """One of the run page's forms: `step(session, who, run, form)` does it; a refusal shows the page again
    with the form as typed and nothing changed."""
    who, form = await keeper_form(request, names)
    language = language_of(request)
    try:
        async with database(request).write() as session:
            try:
                run = await cheques.run_for_staff(session, who, path_id(request), lock=True)
            except NotFound:
                raise missing_page(request, who) from None
            tidings = await step(session, who, run, form)
    except InvalidInput as problem:
        return await _run_page(request, who, forms={name: form.fields},
                               errors={name: field_errors(problem, language)}, status=422)
    except ApiError as problem:
        if problem.status == 403:
            raise
        return await _run_page(request, who, forms={name: form.fields}, error=say(language, problem.detail),
                               status=problem.status)
    if tidings is not None:
        await news.publish(request.config_dict, tidings)
    raise web.HTTPSeeOther(f"/panel/cheques/runs/{path_id(request)}?saved={name}")


@routes.post(r"/panel/cheques/runs/{id:\d+}/cheques")
async def add_cheque(request: web.Request) -> web.Response:
    async def step(session, who, run, form):
        try:
            amount = parse_money(form.get("amount"), run.currency)
        except NotAnAmount as problem:
            message = translate(language_of(request), problem.message).format(**problem.values)
            raise InvalidInput("Some fields are not valid.", [panel_problem("amount", message)]) from None
        data = build(ChequeIn, employee_id=number_of(form.get("employee_id")), number=form.get("number")[:100],
                     amount=amount)
        cheque = await cheques.add_cheque(session, who, run, data, now(request))
        employee = await session.get(Employee, cheque.employee_id)
        return news.changed(cheque, employee)
    return await _run_step(request, "cheque", ("employee_id", "number", "amount"), step)


@routes.post(r"/panel/cheques/runs/{id:\d+}/pickup")
async def assign_pickup(request: web.Request) -> web.Response:
    async def step(session, who, run, form):
        data = build(PickupAssignIn, staff_member_id=number_of(form.get("staff_member_id")),
                     due_on=day_of(form.get("due_on")))
        await pickup.assign_pickup(session, who, run, data, now(request))
        return None
    return await _run_step(request, "pickup", ("staff_member_id", "due_on"), step)


@routes.post(r"/panel/cheques/runs/{id:\d+}/collected")
async def record_collected(request: web.Request) -> web.Response:
    async def step(session, who, run, form):
        missing = [number for number in re.split(r"[\s,;]+", form.get("missing")) if number][:1000]
        data = build(PickupCollectedIn, count=number_of(form.get("count")), missing_cheque_numbers=missing,
                     note=form.get("note")[:1100])
        return await pickup.record_collected(session, who, run, data, now(request))
    return await _run_step(request, "collected", ("count", "missing", "note"), step)


def _problem_text(language: str, problem, pay_date: str) -> str:
    message = translate(language, IMPORT_PROBLEMS.get(problem.code, N_("This row cannot be imported.")))
    column = translate(language, COLUMN_NAMES.get(problem.column, problem.column))
    return message.replace("{column}", column).replace("{date}", pay_date)


@routes.post(r"/panel/cheques/runs/{id:\d+}/import")
async def import_file(request: web.Request) -> web.Response:
    """A file chosen: its preview (nothing stored). The preview's button posts the same bytes back with
    apply=1: then every row is stored, or — if anything is wrong — none."""
    who, form = await keeper_form(request, ("apply",), large={"content": CSV_BYTES * 4 // 3 + 8},
                                  file_limit=CSV_BYTES)
    language = language_of(request)
    apply = form.get("apply") == "1"
    raw = form.file
    if apply and form.get("content"):
        try:
            raw = base64.b64decode(form.get("content"), validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or "file" in form.too_large or "content" in form.too_large:
        message = TOO_LARGE if form.too_large else NO_FILE
        return await _run_page(request, who, errors={"import": {"file": translate(language, message)}}, status=422)
    try:
        async with database(request).write() as session:
            try:
                run = await cheques.run_for_staff(session, who, path_id(request), lock=apply)
            except NotFound:
                raise missing_page(request, who) from None
            report = await importing.import_cheques(session, who, run, raw, now(request), apply=apply)
            context = await showing(session, request, who)
            summary = await cheques.run_out(session, run)
    except InvalidInput:
        # Applying found problems (the file changed since its preview?): show them, nothing stored.
        async with database(request).read() as session:
            run = await cheques.run_for_staff(session, who, path_id(request))
            report = await importing.import_cheques(session, who, run, raw, now(request), apply=False)
            context = await showing(session, request, who)
            summary = await cheques.run_out(session, run)
        return _preview(request, context, summary, report, raw, language, status=422)
    except ApiError as problem:
        if problem.status == 403:
            raise
        return await _run_page(request, who, error=say(language, problem.detail), status=problem.status)
    if apply:
        raise web.HTTPSeeOther(f"/panel/cheques/runs/{path_id(request)}?saved=import")
    return _preview(request, context, summary, report, raw, language, status=422 if report.problems else 200)


def _preview(request, context, summary, report, raw: bytes, language: str, *, status: int) -> web.Response:
    return render(request, "cheques_import.html", {
        **context, "run": summary, "report": report, "content": base64.b64encode(raw).decode(),
        "problem_text": lambda problem: _problem_text(language, problem, context["day"](summary.pay_date)),
        "failed": IMPORT_FAILED, "column_names": COLUMN_NAMES}, status=status)


@routes.get(r"/panel/cheques/runs/{id:\d+}/sheet.pdf")
async def distribution_sheet(request: web.Request) -> web.Response:
    """The run's distribution sheet, to print: in the panel's language, without amounts."""
    who = await staff_with_role(request, PAYROLL_KEEPERS)
    async with database(request).read() as session:
        try:
            run = await cheques.run_for_staff(session, who, path_id(request))
        except NotFound:
            raise missing_page(request, who) from None
        pdf = await sheet.distribution_sheet(session, run, signatures.store(request.config_dict[SETTINGS]),
                                             language_of(request), now(request))
    filename = f"distribution-{run.pay_date.isoformat()}-{run.id}.pdf"
    return web.Response(body=pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}"'})
