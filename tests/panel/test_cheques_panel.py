"""The payroll cheques pages of the panel: a run made, its cheques imported from the payroll company's file (a bad
row refused, nothing stored), its pick-up assigned and collected, each cheque handed over with a signature drawn
on the page, the exceptions (hold, delegate, void and reissue, return), the desk confirming a kiosk request, the
employees' PINs, and "My cheques". Over real HTTP, then in Debian's Chromium driven by Playwright."""
from __future__ import annotations

import base64
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.async_api import expect
from sqlalchemy import func, select

from backend.appkeys import SETTINGS
from backend.cheques import employees as employee_service
from backend.cheques import kiosk as kiosk_service
from backend.cheques import news, signatures
from backend.cheques.models import Cheque, ChequeEvent, Employee, Handover, PayrollRun
from backend.cheques.states import ChequeStatus, ProofKind, RunState
from backend.core.identity import KioskIdentity
from shared.api_cheques import ChequeCollectRequest, EmployeeIdentifyRequest
from tests.backend.conftest import PASSWORD, Backend
from tests.panel.browser import chromium, serious_violations
from tests.panel.browser import shot as save_shot
from tests.panel.signing import give_password, sign_in

ZONE = ZoneInfo("America/Toronto")  # the test clinic's


def today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def payroll_csv(pay_date: dt.date, *rows: tuple[str, str, str, str], bad: str = "") -> bytes:
    """The payroll company's export: ';'-separated, French headers, amounts written the French way."""
    lines = ["Matricule;Nom;Numéro de chèque;Montant;Date de paie"]
    lines += [f"{number};{name};{cheque};{amount};{pay_date.isoformat()}" for number, name, cheque, amount in rows]
    if bad:
        lines.append(bad)
    return ("\n".join(lines) + "\n").encode("utf-8")


STAFF_ROWS = (("E-100", "Côté, Marie-Ève", "500101", "1 234,56"), ("E-200", "Tremblay, Éric", "500102", "987,65"),
              ("E-300", "Gagnon, Zoé", "500103", "1 500,00"))


def signature_png() -> bytes:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(30, 150), (120, 40), (200, 160), (320, 50), (450, 150), (560, 70)],
                               fill=(29, 39, 48, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


async def page_of(backend: Backend, path: str) -> str:
    response = await backend.client.get(path)
    assert response.status == 200, (path, response.status)
    return await response.text()


async def post(backend: Backend, path: str, fields: dict, *, csrf: str, expected: int = 303,
               multipart: bool = False) -> str:
    """A panel form posted as the browser would; returns the page it answers with (or where it sends)."""
    if multipart:
        from aiohttp import FormData
        data = FormData(quote_fields=False, default_to_multipart=True)
        data.add_field("csrf_token", csrf)
        for name, value in fields.items():
            if isinstance(value, tuple):
                data.add_field(name, value[1], filename=value[0], content_type="application/octet-stream")
            else:
                data.add_field(name, value)
    else:
        data = {"csrf_token": csrf, **fields}
    response = await backend.client.post(path, data=data, allow_redirects=False)
    text = await response.text()
    assert response.status == expected, (path, response.status, text[:3000])
    return response.headers.get("Location", "") if expected == 303 else text


async def rows(backend: Backend, model) -> list:
    async with backend.database.read() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def count(backend: Backend, model) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def a_run(backend: Backend, csrf: str, *, pay_date: dt.date | None = None,
                company: str = "Paie Québec inc.") -> int:
    location = await post(backend, "/panel/cheques/runs", {"pay_date": (pay_date or today()).isoformat(),
                                                            "payroll_company": company}, csrf=csrf)
    return int(location.rsplit("/", 1)[1])


async def imported_run(backend: Backend, csrf: str) -> tuple[int, list[Cheque]]:
    """A run with the three staff cheques imported (through preview and apply)."""
    run_id = await a_run(backend, csrf)
    raw = payroll_csv(today(), *STAFF_ROWS)
    await post(backend, f"/panel/cheques/runs/{run_id}/import",
               {"apply": "1", "content": base64.b64encode(raw).decode()}, csrf=csrf, multipart=True)
    return run_id, [c for c in await rows(backend, Cheque) if c.run_id == run_id]


async def collected_run(backend: Backend, csrf: str) -> tuple[int, list[Cheque]]:
    run_id, cheques = await imported_run(backend, csrf)
    await post(backend, f"/panel/cheques/runs/{run_id}/collected", {"count": "3", "missing": "", "note": ""},
               csrf=csrf)
    return run_id, cheques


# --- over HTTP ---------------------------------------------------------------------------------------------


async def test_a_run_is_made_imported_with_a_preview_and_collected(backend: Backend):
    csrf = await sign_in(backend, "reception")
    html = await page_of(backend, "/panel/cheques")
    assert 'href="/panel/cheques/runs/new"' in html and 'id="cheques-live"' in html

    # The new run form: a clear message for each field left wrong, and nothing stored.
    page = await post(backend, "/panel/cheques/runs", {"pay_date": "04/12/2026", "payroll_company": "  "},
                      csrf=csrf, expected=422)
    assert 'id="run-pay_date-error"' in page and "Choose a date." in page
    assert 'id="run-payroll_company-error"' in page
    assert await count(backend, PayrollRun) == 0
    run_id = await a_run(backend, csrf)
    run_page = await page_of(backend, f"/panel/cheques/runs/{run_id}")
    assert "Paie Québec inc." in run_page and f'/panel/cheques/runs/{run_id}/sheet.pdf' in run_page

    # A file with a bad row: its preview names the row and the column; applying it stores nothing.
    bad = payroll_csv(today(), *STAFF_ROWS, bad=f"E-400;Roy, Luc;500104;douze;{today().isoformat()}")
    counts = await backend.row_counts()
    preview = await post(backend, f"/panel/cheques/runs/{run_id}/import", {"file": ("paie.csv", bad)}, csrf=csrf,
                         multipart=True, expected=422)
    assert "Nothing was imported: fix the file and choose it again." in preview
    assert re.search(r'<td class="num">5</td>\s*<td>amount</td>\s*<td>Expected a positive amount', preview)
    assert 'name="apply"' not in preview
    refused = await post(backend, f"/panel/cheques/runs/{run_id}/import",
                         {"apply": "1", "content": base64.b64encode(bad).decode()}, csrf=csrf, multipart=True,
                         expected=422)
    assert "Nothing was imported" in refused
    assert await backend.row_counts() == counts
    # No file chosen at all: said so.
    page = await post(backend, f"/panel/cheques/runs/{run_id}/import", {}, csrf=csrf, expected=422)
    assert "Choose the payroll company’s file (CSV or XLSX)." in page

    # A good file: previewed (nothing stored yet), then applied.
    good = payroll_csv(today(), *STAFF_ROWS)
    preview = await post(backend, f"/panel/cheques/runs/{run_id}/import", {"file": ("paie.csv", good)}, csrf=csrf,
                         multipart=True, expected=200)
    assert "3 cheques, 3 new employees." in preview and "Côté, Marie-Ève" in preview
    assert "1 234,56" not in preview and "1,234.56" not in preview  # a receptionist sees no amount
    assert await count(backend, Cheque) == 0
    content = re.search(r'name="content" value="([^"]+)"', preview).group(1)
    location = await post(backend, f"/panel/cheques/runs/{run_id}/import", {"apply": "1", "content": content},
                          csrf=csrf, multipart=True)
    assert location == f"/panel/cheques/runs/{run_id}?saved=import"
    cheques = await rows(backend, Cheque)
    assert [(c.number, c.amount, c.status) for c in cheques] == [
        ("500101", 123456, ChequeStatus.EXPECTED), ("500102", 98765, ChequeStatus.EXPECTED),
        ("500103", 150000, ChequeStatus.EXPECTED)]

    # The pick-up: assigned to a named front-office member (not a clerk), then recorded with one missing.
    people = [(e.given_name, e.family_name) for e in await rows(backend, Employee)]
    assert ("Marie-Ève", "Côté") in people
    reception_id = backend.world.staff_ids["reception"]
    page = await post(backend, f"/panel/cheques/runs/{run_id}/pickup",
                      {"staff_member_id": str(backend.world.staff_ids["clerk"]), "due_on": today().isoformat()},
                      csrf=csrf, expected=422)
    assert "Choose an active front-office member" in page
    await post(backend, f"/panel/cheques/runs/{run_id}/pickup",
               {"staff_member_id": str(reception_id), "due_on": today().isoformat()}, csrf=csrf)
    dashboard = await page_of(backend, "/panel/cheques/live")
    assert "Pick-ups due" in dashboard and "Paie Québec inc." in dashboard and "Reception" in dashboard
    assert "Overdue since" not in dashboard
    async with backend.database.write() as session:  # a day went by without anyone going
        (await session.get(PayrollRun, run_id)).pickup_due_on = today() - dt.timedelta(days=1)
    assert "Overdue since" in await page_of(backend, "/panel/cheques/live")
    page = await post(backend, f"/panel/cheques/runs/{run_id}/collected",
                      {"count": "3", "missing": "500103", "note": ""}, csrf=csrf, expected=422)
    assert 'id="collected-count-error"' in page and "The count does not match" in page
    page = await post(backend, f"/panel/cheques/runs/{run_id}/collected",
                      {"count": "2", "missing": "999999", "note": ""}, csrf=csrf, expected=422)
    assert 'id="collected-missing-error"' in page and "One of these cheque numbers is not in this run." in page
    assert {c.status for c in await rows(backend, Cheque)} == {ChequeStatus.EXPECTED}
    await post(backend, f"/panel/cheques/runs/{run_id}/collected",
               {"count": "2", "missing": "500103", "note": "Enveloppe incomplète"}, csrf=csrf)
    [run] = await rows(backend, PayrollRun)
    assert (run.state, run.collected_by_id, run.collected_count, run.missing_note) == (
        RunState.COLLECTED, reception_id, 2, "Enveloppe incomplète")
    assert [c.status for c in await rows(backend, Cheque)] == [ChequeStatus.AT_DESK, ChequeStatus.AT_DESK,
                                                               ChequeStatus.MISSING]
    # The sheet prints.
    response = await backend.client.get(f"/panel/cheques/runs/{run_id}/sheet.pdf")
    assert response.status == 200 and response.content_type == "application/pdf"
    assert (await response.read()).startswith(b"%PDF")


async def test_a_cheque_entered_by_hand_is_checked_first(backend: Backend):
    csrf = await sign_in(backend, "admin")
    run_id, [marie, *_] = await imported_run(backend, csrf)
    path = f"/panel/cheques/runs/{run_id}/cheques"
    counts = await backend.row_counts()
    for fields, field, says in (
            ({"employee_id": "", "number": "600001", "amount": "12,50"}, "employee_id", "Give a whole number."),
            ({"employee_id": "99999", "number": "600001", "amount": "12,50"}, "employee_id",
             "There is no such employee."),
            ({"employee_id": str(marie.employee_id), "number": "500101", "amount": "12,50"}, "number",
             "This run already has a cheque with this number."),
            ({"employee_id": str(marie.employee_id), "number": "600001", "amount": "douze"}, "amount",
             "Type an amount like 12,50 or 12.50."),
            ({"employee_id": str(marie.employee_id), "number": "600001", "amount": "12,505"}, "amount",
             "Use at most 2 decimals.")):
        html = await post(backend, path, fields, csrf=csrf, expected=422)
        assert f'id="cheque-{field}-error"' in html and says in html, (fields, html[-3000:])
        assert f'value="{fields["number"]}"' in html  # what was typed is kept
        assert await backend.row_counts() == counts
    location = await post(backend, path, {"employee_id": str(marie.employee_id), "number": "600001",
                                          "amount": "1 050,25"}, csrf=csrf)
    assert location == f"/panel/cheques/runs/{run_id}?saved=cheque"
    added = (await rows(backend, Cheque))[-1]
    assert (added.number, added.amount, added.status, added.employee_id) == (
        "600001", 105025, ChequeStatus.EXPECTED, marie.employee_id)
    assert "The cheque is added." in await page_of(backend, location)
    # Only a missing cheque can arrive later.
    html = await post(backend, f"/panel/cheques/{added.id}/arrived", {"note": ""}, csrf=csrf, expected=409)
    assert "Only a cheque marked missing can arrive later." in html


async def test_a_cheque_handed_over_with_a_signature_cannot_be_handed_out_again(backend: Backend):
    csrf = await sign_in(backend, "reception")
    _run_id, [marie, eric, _zoe] = await collected_run(backend, csrf)
    page = await page_of(backend, f"/panel/cheques/{marie.id}")
    assert f'action="/panel/cheques/{marie.id}/hand-over"' in page and "data-signature-pad" in page

    # Nothing drawn, a blank sheet, and a picture that is not a PNG: each refused, said where, nothing stored.
    counts = await backend.row_counts()
    blank = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(blank, "PNG")
    for signature, says in (("", "Give either the employee&#39;s signature or their PIN (one of the two)."),
                            (data_url(blank.getvalue()), "The signature is blank: sign in the box first."),
                            ("data:image/png;base64,aGVsbG8=", "The signature must be a PNG image.")):
        html = await post(backend, f"/panel/cheques/{marie.id}/hand-over",
                          {"receiver": "employee", "signature": signature, "pin": ""}, csrf=csrf, multipart=True,
                          expected=422)
        assert says in html and 'id="signature-error"' in html
        assert await backend.row_counts() == counts

    location = await post(backend, f"/panel/cheques/{marie.id}/hand-over",
                          {"receiver": "employee", "signature": data_url(signature_png()), "pin": ""}, csrf=csrf,
                          multipart=True)
    assert location == f"/panel/cheques/{marie.id}?saved=handed_over"
    [handover] = await rows(backend, Handover)
    assert (handover.cheque_id, handover.given_by_id, handover.delegate_name, handover.proof) == (
        marie.id, backend.world.staff_ids["reception"], "", ProofKind.SIGNATURE)
    store = signatures.store(backend.client.server.app[SETTINGS])
    assert await store.read(handover.signature_sha256) == signature_png()  # the very image drawn
    page = await page_of(backend, location)
    assert "Handed over: it is recorded with the signature." in page and "Marie-Ève Côté" in page
    assert f'src="/panel/cheques/{marie.id}/signature.png"' in page
    assert f'action="/panel/cheques/{marie.id}/hand-over"' not in page  # who and when, no form
    image = await backend.client.get(f"/panel/cheques/{marie.id}/signature.png")
    assert image.status == 200 and await image.read() == signature_png()

    # A second handover (another tab, another desk): refused with a clear message, nothing changes.
    counts = await backend.row_counts()
    html = await post(backend, f"/panel/cheques/{marie.id}/hand-over",
                      {"receiver": "employee", "signature": data_url(signature_png()), "pin": ""}, csrf=csrf,
                      multipart=True, expected=409)
    assert "This cheque has already been handed out." in html
    html = await post(backend, f"/panel/cheques/{marie.id}/hand-over",
                      {"receiver": "delegate", "delegate_name": "Luc Roy", "authorisation_note": "Lettre",
                       "signature": data_url(signature_png())}, csrf=csrf, multipart=True, expected=409)
    assert "This cheque has already been handed out." in html
    assert await backend.row_counts() == counts

    # The PIN instead of a signature: a wrong one refused, the right one accepted.
    async with backend.database.write() as session:
        employee = await session.get(Employee, eric.employee_id)
        employee.pin_hash = employee_service._hasher.hash("4321")
    html = await post(backend, f"/panel/cheques/{eric.id}/hand-over", {"receiver": "employee", "pin": "1111"},
                      csrf=csrf, multipart=True, expected=422)
    assert "This is not the employee&#39;s PIN." in html and 'id="handover-pin-error"' in html
    await post(backend, f"/panel/cheques/{eric.id}/hand-over", {"receiver": "employee", "pin": "4321"}, csrf=csrf,
               multipart=True)
    assert [h.proof for h in await rows(backend, Handover)] == [ProofKind.SIGNATURE, ProofKind.PIN]


async def test_the_exceptions_each_with_their_form_and_in_the_history(backend: Backend):
    csrf = await sign_in(backend, "reception")
    run_id, [marie, eric, zoe] = await collected_run(backend, csrf)

    # Hold: a past date refused; a follow-up date kept, with the reason in the history.
    html = await post(backend, f"/panel/cheques/{marie.id}/hold",
                      {"follow_up_on": (today() - dt.timedelta(days=1)).isoformat(), "note": "En vacances"},
                      csrf=csrf, expected=422)
    assert "The follow-up date cannot be in the past." in html and 'id="hold-follow_up_on-error"' in html
    follow_up = today() + dt.timedelta(days=7)
    location = await post(backend, f"/panel/cheques/{marie.id}/hold", {"follow_up_on": follow_up.isoformat(),
                                                                        "note": "En vacances"}, csrf=csrf)
    page = await page_of(backend, location)
    assert "The cheque is held until the follow-up date." in page and "En vacances" in page
    assert (await rows(backend, Cheque))[0].follow_up_on == follow_up

    # Delegate: a name, how the employee authorised it, their letter, and the delegate's signature.
    html = await post(backend, f"/panel/cheques/{marie.id}/hand-over",
                      {"receiver": "delegate", "delegate_name": "", "authorisation_note": "",
                       "signature": data_url(signature_png())}, csrf=csrf, multipart=True, expected=422)
    assert 'id="handover-delegate_name-error"' in html and 'id="handover-authorisation_note-error"' in html
    await post(backend, f"/panel/cheques/{marie.id}/hand-over",
               {"receiver": "delegate", "delegate_name": "Luc Côté", "authorisation_note": "Lettre signée du 1er",
                "signature": data_url(signature_png()), "file": ("lettre.pdf", b"%PDF-1.4\n%%EOF\n")},
               csrf=csrf, multipart=True)
    [handover] = await rows(backend, Handover)
    assert (handover.delegate_name, handover.authorisation_note, handover.authorisation_media_type) == (
        "Luc Côté", "Lettre signée du 1er", "application/pdf")
    page = await page_of(backend, f"/panel/cheques/{marie.id}")
    assert "Handed to a delegate" in page and "Luc Côté" in page and "Lettre signée du 1er" in page

    # Void and reissue: the new number must be new in the run; the replacement is at the desk.
    html = await post(backend, f"/panel/cheques/{eric.id}/void", {"reason": "Perdu", "new_cheque_number": "500103"},
                      csrf=csrf, expected=422)
    assert "This run already has a cheque with this number." in html
    html = await post(backend, f"/panel/cheques/{eric.id}/void", {"reason": "", "new_cheque_number": ""},
                      csrf=csrf, expected=422)
    assert 'id="void-reason-error"' in html and 'id="void-new_cheque_number-error"' in html
    location = await post(backend, f"/panel/cheques/{eric.id}/void",
                          {"reason": "Perdu dans le stationnement", "new_cheque_number": "500199"}, csrf=csrf)
    replacement = [c for c in await rows(backend, Cheque) if c.number == "500199"][0]
    assert location == f"/panel/cheques/{replacement.id}?saved=reissued"
    assert (replacement.status, replacement.amount, replacement.run_id) == (ChequeStatus.AT_DESK, 98765, run_id)
    page = await page_of(backend, location)
    assert f'href="/panel/cheques/{eric.id}"' in page and "Reissued" in page
    assert f"replaces cheque {eric.number}" in page
    page = await page_of(backend, f"/panel/cheques/{eric.id}")
    assert "Perdu dans le stationnement — replaced by cheque 500199" in page
    assert f'href="/panel/cheques/{replacement.id}"' in page

    # Arrived after the rest, then returned to the payroll company.
    async with backend.database.write() as session:
        (await session.get(Cheque, zoe.id)).status = ChequeStatus.MISSING
    await post(backend, f"/panel/cheques/{zoe.id}/arrived", {"note": "Reçu par la poste"}, csrf=csrf)
    html = await post(backend, f"/panel/cheques/{zoe.id}/return", {"note": ""}, csrf=csrf, expected=422)
    assert 'id="return-note-error"' in html
    await post(backend, f"/panel/cheques/{zoe.id}/return", {"note": "L’employée a quitté"}, csrf=csrf)
    statuses = {c.number: c.status for c in await rows(backend, Cheque)}
    assert statuses == {"500101": ChequeStatus.DELEGATED, "500102": ChequeStatus.VOIDED,
                        "500103": ChequeStatus.RETURNED, "500199": ChequeStatus.AT_DESK}
    events = [e.event for e in await rows(backend, ChequeEvent) if e.cheque_id == zoe.id]
    assert events[-2:] == ["arrived", "returned"]
    # A final cheque offers no form, and a late post changes nothing.
    page = await page_of(backend, f"/panel/cheques/{zoe.id}")
    assert f'/panel/cheques/{zoe.id}/hold"' not in page and f'/panel/cheques/{zoe.id}/hand-over"' not in page
    counts = await backend.row_counts()
    html = await post(backend, f"/panel/cheques/{zoe.id}/hold", {"follow_up_on": follow_up.isoformat()}, csrf=csrf,
                      expected=409)
    assert 'role="alert"' in html and await backend.row_counts() == counts


async def kiosk_request(backend: Backend, cheque: Cheque, pin: str = "2468") -> None:
    """The employee identifies at kiosk_a with their PIN and signs there: the desk is asked to hand it over."""
    async with backend.database.write() as session:
        employee = await session.get(Employee, cheque.employee_id)
        employee.pin_hash = employee_service._hasher.hash(pin)
        number = employee.number
    kiosk = KioskIdentity(kiosk_id=backend.world.kiosk_ids["kiosk_a"], site_id=backend.world.site_id, name="kiosk_a")
    at = dt.datetime.now(dt.UTC)
    async with backend.database.write() as session:
        found = await kiosk_service.identify(session, kiosk, EmployeeIdentifyRequest(employee_number=number, pin=pin),
                                             at)
    assert found.failure is None
    store = signatures.store(backend.client.server.app[SETTINGS])
    async with backend.database.write() as session:
        _out, tidings = await kiosk_service.collect(session, kiosk, ChequeCollectRequest(
            collection_token=found.cheques.collection_token, cheque_ids=[cheque.id],
            signature_png=base64.b64encode(signature_png()).decode()), at, store)
    await news.publish(backend.client.server.app, tidings)


async def test_the_desk_confirms_a_kiosk_request_or_sets_it_aside(backend: Backend):
    csrf = await sign_in(backend, "reception")
    _run_id, [marie, eric, _zoe] = await collected_run(backend, csrf)
    await kiosk_request(backend, marie)
    dashboard = await page_of(backend, "/panel/cheques")
    assert "Asked for at the kiosk" in dashboard and f'href="/panel/cheques/{marie.id}"' in dashboard
    page = await page_of(backend, f"/panel/cheques/{marie.id}")
    assert f'action="/panel/cheques/{marie.id}/confirm-kiosk"' in page and "Confirm handed over" in page
    assert f'src="/panel/cheques/{marie.id}/signature.png"' in page  # the kiosk's signature, to compare
    await post(backend, f"/panel/cheques/{marie.id}/confirm-kiosk", {}, csrf=csrf)
    [handover] = await rows(backend, Handover)
    assert (handover.proof, handover.given_by_id, handover.kiosk_id) == (
        ProofKind.PIN_SIGNATURE, backend.world.staff_ids["reception"], backend.world.kiosk_ids["kiosk_a"])
    html = await post(backend, f"/panel/cheques/{marie.id}/confirm-kiosk", {}, csrf=csrf, expected=409)
    assert "This cheque has already been handed out." in html

    await kiosk_request(backend, eric)
    await post(backend, f"/panel/cheques/{eric.id}/decline-kiosk", {"note": "Reparti avant"}, csrf=csrf)
    assert (await rows(backend, Cheque))[1].status == ChequeStatus.AT_DESK
    html = await post(backend, f"/panel/cheques/{eric.id}/confirm-kiosk", {}, csrf=csrf, expected=409)
    assert "Nobody asked for this cheque at the kiosk." in html


async def test_amounts_are_for_admins_and_a_clerk_may_not_open_the_pages(backend: Backend):
    csrf = await sign_in(backend, "reception")
    run_id, [marie, *_] = await collected_run(backend, csrf)
    for path in (f"/panel/cheques/runs/{run_id}", f"/panel/cheques/{marie.id}"):
        html = await page_of(backend, path)
        assert "1 234,56" not in html and "1,234.56" not in html and "1234.56" not in html
        assert ">Amount</th>" not in html and "<dt>Amount</dt>" not in html
    await sign_in(backend, "admin")
    run_page = await page_of(backend, f"/panel/cheques/runs/{run_id}")
    cheque_page = await page_of(backend, f"/panel/cheques/{marie.id}")
    assert "$1,234.56" in run_page and "$1,234.56" in cheque_page

    await sign_in(backend, "clerk")
    for path in ("/panel/cheques", f"/panel/cheques/runs/{run_id}", f"/panel/cheques/{marie.id}",
                 "/panel/cheques/employees"):
        response = await backend.client.get(path)
        assert response.status == 403, path
    assert 'href="/panel/cheques"' not in await (await backend.client.get("/panel/cheques/mine")).text()


async def test_an_employee_who_is_staff_sees_only_their_own_cheques(backend: Backend):
    csrf = await sign_in(backend, "reception")
    _run_id, [marie, eric, _zoe] = await collected_run(backend, csrf)
    billing_id = backend.world.staff_ids["billing"]
    await post(backend, f"/panel/cheques/employees/{marie.employee_id}/link", {"staff_member_id": str(billing_id)},
               csrf=csrf)
    html = await post(backend, f"/panel/cheques/employees/{eric.employee_id}/link",
                      {"staff_member_id": str(billing_id)}, csrf=csrf, expected=422)
    assert "This staff member is already linked to another employee." in html

    await sign_in(backend, "billing")
    lobby = await page_of(backend, "/panel/")
    assert 'href="/panel/cheques/mine"' in lobby and 'href="/panel/cheques"' not in lobby
    mine = await page_of(backend, "/panel/cheques/mine")
    assert "500101" in mine and "At the desk" in mine
    assert "500102" not in mine and "500103" not in mine and "Éric" not in mine and "Zoé" not in mine
    assert "1 234,56" not in mine and "1,234.56" not in mine
    # Another's cheque, even their own, is not reachable through the desk's pages.
    for path in (f"/panel/cheques/{eric.id}", f"/panel/cheques/{marie.id}", f"/panel/cheques/{eric.id}/signature.png"):
        assert (await backend.client.get(path)).status == 403

    await sign_in(backend, "paeds")
    assert "not linked to an employee" in await page_of(backend, "/panel/cheques/mine")


async def test_employees_are_added_linked_given_a_pin_and_unlocked(backend: Backend):
    csrf = await sign_in(backend, "reception")
    html = await post(backend, "/panel/cheques/employees",
                      {"number": "", "given_name": "", "family_name": "", "email": "pas-un-courriel",
                       "staff_member_id": "x"}, csrf=csrf, expected=422)
    assert 'id="employee-staff_member_id-error"' in html
    html = await post(backend, "/panel/cheques/employees",
                      {"number": "", "given_name": "", "family_name": "", "email": "pas-un-courriel",
                       "staff_member_id": ""}, csrf=csrf, expected=422)
    for name in ("number", "given_name"):
        assert f'id="employee-{name}-error"' in html, name
    html = await post(backend, "/panel/cheques/employees",
                      {"number": "E-700", "given_name": "Amélie", "family_name": "", "email": "pas-un-courriel",
                       "staff_member_id": ""}, csrf=csrf, expected=422)
    assert 'id="employee-email-error"' in html and 'value="Amélie"' in html
    assert await count(backend, Employee) == 0
    location = await post(backend, "/panel/cheques/employees",
                          {"number": "E-700", "given_name": "Amélie", "family_name": "Bélanger",
                           "email": "amelie@example.org", "staff_member_id": str(backend.world.staff_ids["paeds"])},
                          csrf=csrf)
    [employee] = await rows(backend, Employee)
    assert location == f"/panel/cheques/employees/{employee.id}?saved=created"
    assert (employee.number, employee.email, employee.staff_member_id) == (
        "E-700", "amelie@example.org", backend.world.staff_ids["paeds"])
    html = await post(backend, "/panel/cheques/employees", {"number": "E-700", "given_name": "Autre"}, csrf=csrf,
                      expected=422)
    assert "Another employee already has this number." in html
    listing = await page_of(backend, "/panel/cheques/employees?q=b%C3%A9l")
    assert "Amélie Bélanger" in listing and "Paeds" in listing

    # The PIN: typed twice, digits only.
    path = f"/panel/cheques/employees/{employee.id}"
    html = await post(backend, f"{path}/pin", {"pin": "1234", "pin_again": "1243"}, csrf=csrf, expected=422)
    assert "The two PINs differ" in html and 'id="pin-pin_again-error"' in html
    html = await post(backend, f"{path}/pin", {"pin": "12ab", "pin_again": "12ab"}, csrf=csrf, expected=422)
    assert "A PIN is 4 to 8 digits." in html
    assert (await rows(backend, Employee))[0].pin_hash is None
    await post(backend, f"{path}/pin", {"pin": "97531", "pin_again": "97531"}, csrf=csrf)
    assert employee_service.pin_matches((await rows(backend, Employee))[0], "97531")

    # Three wrong PINs at the kiosk lock it; the desk unlocks it.
    async with backend.database.write() as session:
        (await session.get(Employee, employee.id)).kiosk_locked_at = dt.datetime.now(dt.UTC)
        (await session.get(Employee, employee.id)).pin_failures = 3
    page = await page_of(backend, path)
    assert "Locked after too many wrong PINs" in page and f'action="{path}/unlock"' in page
    await post(backend, f"{path}/unlock", {}, csrf=csrf)
    [employee] = await rows(backend, Employee)
    assert (employee.kiosk_locked_at, employee.pin_failures) == (None, 0)
    assert "Kiosk collection is unlocked" in await page_of(backend, f"{path}?saved=unlocked")

    # Unlinked, then linked again from the employee's page.
    await post(backend, f"{path}/link", {"staff_member_id": ""}, csrf=csrf)
    assert (await rows(backend, Employee))[0].staff_member_id is None
    html = await post(backend, f"{path}/link", {"staff_member_id": "999999"}, csrf=csrf, expected=422)
    assert "There is no such staff member." in html


# --- in Chromium -------------------------------------------------------------------------------------------


@pytest.fixture
async def browser():
    async with chromium() as found:
        yield found


async def signed_in_page(browser, backend: Backend, login: str, *, locale: str = "fr-CA", path: str = "/panel/cheques",
                         width: int = 1366):
    """A browser of its own (cookies apart) signed in as `login`, on `path`."""
    context = await browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = await context.new_page()
    base = str(backend.client.make_url("")).rstrip("/")
    french = locale.startswith("fr")
    await page.goto(f"{base}/panel/sign-in?next={path}")
    await page.get_by_label("Identifiant" if french else "Login").fill(login)
    await page.get_by_label("Mot de passe" if french else "Password").fill(PASSWORD)
    await page.get_by_role("button", name="Connexion" if french else "Sign in").click()
    await page.wait_for_url(f"**{path}")
    return page


async def shot(page, name: str) -> None:
    await save_shot(page, f"panel-cheques-{name}")


async def draw_signature(page, form) -> None:
    """A signature drawn with the mouse on the form's canvas: three strokes, as a hand would."""
    canvas = form.locator("canvas.signature-pad")
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    strokes = [[(0.08, 0.7), (0.18, 0.25), (0.28, 0.75), (0.38, 0.3), (0.48, 0.7)],
               [(0.52, 0.55), (0.62, 0.3), (0.7, 0.65), (0.8, 0.35), (0.9, 0.6)],
               [(0.15, 0.85), (0.85, 0.8)]]
    for stroke in strokes:
        await page.mouse.move(x + stroke[0][0] * w, y + stroke[0][1] * h)
        await page.mouse.down()
        for px, py in stroke[1:]:
            await page.mouse.move(x + px * w, y + py * h, steps=8)
        await page.mouse.up()


def ink_of(png: bytes) -> int:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGBA").getchannel("A").point(lambda alpha: 255 if alpha > 32 else 0).histogram()[255]


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_the_desk_runs_a_payroll_from_import_to_signed_handover_in_french(backend: Backend, browser):
    await give_password(backend, "admin")
    desk = await signed_in_page(browser, backend, "reception")
    await expect(desk.get_by_role("heading", name="Chèques de paie")).to_be_visible()
    await expect(desk.locator("#live-status")).to_have_text("En direct")
    await expect(desk.get_by_text("Aucune paie pour l’instant")).to_be_visible()
    assert await serious_violations(desk) == []

    # A new run.
    await desk.get_by_role("link", name="Nouvelle paie").click()
    await desk.get_by_role("button", name="Créer la paie").click()
    await expect(desk.locator("#run-pay_date-error")).to_have_text("Choisissez une date.")
    await shot(desk, "01-new-run-errors-fr")
    assert await count(backend, PayrollRun) == 0
    await desk.get_by_label("Date de paie").fill(today().isoformat())
    await desk.get_by_label("Firme de paie").fill("Paie Québec inc.")
    await desk.get_by_role("button", name="Créer la paie").click()
    await expect(desk.get_by_role("heading", name=re.compile("Paie Québec inc."))).to_be_visible()

    # The payroll company's file with a bad row: the row and the column said, nothing stored.
    bad = payroll_csv(today(), *STAFF_ROWS, bad=f"E-400;Roy, Luc;500104;douze;{today().isoformat()}")
    await desk.get_by_label("Fichier", exact=True).set_input_files(
        {"name": "paie.csv", "mimeType": "text/csv", "buffer": bad})
    await desk.get_by_role("button", name="Prévisualiser l’import").click()
    await expect(desk.locator("#import-failed")).to_have_text(
        "Rien n’a été importé : corrigez le fichier et choisissez-le de nouveau.")
    problem = desk.locator(".import-problems tbody tr")
    await expect(problem).to_have_count(1)
    await expect(problem).to_contain_text("montant")
    await expect(problem).to_contain_text("Un montant positif est attendu")
    await expect(desk.get_by_role("button", name="Importer ces chèques")).to_have_count(0)
    assert await serious_violations(desk) == []
    await shot(desk, "02-import-bad-row-fr")
    assert await count(backend, Cheque) == 0 and await count(backend, Employee) == 0

    # The corrected file: previewed, then imported.
    await desk.get_by_label("Choisissez le fichier corrigé").set_input_files(
        {"name": "paie.csv", "mimeType": "text/csv", "buffer": payroll_csv(today(), *STAFF_ROWS)})
    await desk.get_by_role("button", name="Prévisualiser l’import").click()
    await expect(desk.get_by_text("3 chèques, 3 nouvel·le·s employé·e·s.")).to_be_visible()
    await shot(desk, "03-import-preview-fr")
    await desk.get_by_role("button", name="Importer ces chèques").click()
    await expect(desk.get_by_text("Le fichier est importé.")).to_be_visible()
    await expect(desk.locator(".cheques-table tbody tr")).to_have_count(3)
    await expect(desk.locator(".cheques-table")).not_to_contain_text("1 234,56")  # no amounts for the desk

    # The pick-up: assigned, then recorded with the envelope's count.
    await desk.get_by_label("Qui les récupère").select_option(label="Reception")
    await desk.get_by_label("Le", exact=True).fill(today().isoformat())
    await desk.get_by_role("button", name="Confier la récupération").click()
    await expect(desk.get_by_text("La récupération est confiée.")).to_be_visible()
    await desk.get_by_label("Chèques dans l’enveloppe").fill("2")
    await desk.get_by_role("button", name="Indiquer comme récupérée").click()
    await expect(desk.locator("#collected-count-error")).to_contain_text("Le compte ne correspond pas")
    await desk.get_by_label("Chèques dans l’enveloppe").fill("3")
    await desk.get_by_role("button", name="Indiquer comme récupérée").click()
    await expect(desk.get_by_text("La récupération est enregistrée")).to_be_visible()
    await expect(desk.locator(".cheques-table")).to_contain_text("À l’accueil")
    assert await serious_violations(desk) == []
    await shot(desk, "04-run-collected-fr")
    marie, eric, zoe = await rows(backend, Cheque)

    # Marie-Ève signs on the page; a second tab open on her cheque meanwhile.
    await desk.locator(f'tr[data-cheque="{marie.id}"]').get_by_role("link", name=re.compile("Voir le chèque")).click()
    await expect(desk.get_by_role("heading", name=re.compile("Chèque 500101"))).to_be_visible()
    other_tab = await desk.context.new_page()
    await other_tab.goto(desk.url)
    form = desk.locator("form.handover-form")
    await expect(form.get_by_label("Nom de la personne déléguée")).to_be_hidden()  # only for a delegate
    await form.get_by_role("button", name="Enregistrer la remise").click()  # nothing drawn yet
    await expect(desk.locator("#signature-error")).to_have_text("Signez d’abord dans le cadre : il est encore vide.")
    assert await count(backend, Handover) == 0
    assert await serious_violations(desk) == []
    await draw_signature(desk, form)
    await expect(desk.locator("#signature-error")).to_be_hidden()
    await shot(desk, "05-signing-fr")
    await form.get_by_role("button", name="Enregistrer la remise").click()
    await expect(desk.get_by_text("Remis : la remise est enregistrée avec la signature.")).to_be_visible()
    await expect(desk.locator("#handover")).to_contain_text("Marie-Ève Côté")
    await expect(desk.locator("form.handover-form")).to_have_count(0)
    [handover] = await rows(backend, Handover)
    assert (handover.cheque_id, handover.proof) == (marie.id, ProofKind.SIGNATURE)
    stored = await signatures.store(backend.client.server.app[SETTINGS]).read(handover.signature_sha256)
    assert stored.startswith(b"\x89PNG") and ink_of(stored) > 500  # the strokes drawn, kept as an image
    await expect(desk.locator("#handover img.signature-image")).to_be_visible()
    assert await desk.locator("#handover img.signature-image").evaluate("img => img.naturalWidth") == 600
    assert await serious_violations(desk) == []
    await shot(desk, "06-handed-over-fr")

    # The second tab still shows the form: its handover is refused, and nothing changes.
    other_form = other_tab.locator("form.handover-form")
    await draw_signature(other_tab, other_form)
    await other_form.get_by_role("button", name="Enregistrer la remise").click()
    await expect(other_tab.locator("#page-error")).to_have_text("Ce chèque a déjà été remis.")
    await expect(other_tab.locator("form.handover-form")).to_have_count(0)
    await shot(other_tab, "07-second-handover-refused-fr")
    assert [h.id for h in await rows(backend, Handover)] == [handover.id]
    await other_tab.close()

    # Éric is away: held until a follow-up date.
    await desk.goto(desk.url.rsplit("/", 1)[0] + f"/{eric.id}")
    await desk.get_by_text("Le retenir : l’employé·e est absent·e").click()
    hold = desk.locator("form[action$='/hold']")
    await hold.get_by_label("Relancer le").fill((today() + dt.timedelta(days=5)).isoformat())
    await hold.get_by_label("Motif").fill("En vacances jusqu’à lundi")
    await hold.get_by_role("button", name="Retenir le chèque").click()
    await expect(desk.get_by_text("Le chèque est retenu jusqu’à la date de relance.")).to_be_visible()
    await expect(desk.locator(".cheque-history")).to_contain_text("En vacances jusqu’à lundi")

    # …then he reports it lost: voided and reissued under a new number.
    await desk.get_by_text("Perdu ou abîmé : annuler et remplacer").click()
    void = desk.locator("form[action$='/void']")
    await void.get_by_label("Motif").fill("Perdu dans le stationnement")
    await void.get_by_label("Numéro du chèque de remplacement").fill("500102")
    await void.get_by_role("button", name="Annuler et remplacer").click()
    await expect(desk.locator("#void-new_cheque_number-error")).to_have_text(
        "Cette paie a déjà un chèque portant ce numéro.")
    void = desk.locator("form[action$='/void']")
    await void.get_by_label("Numéro du chèque de remplacement").fill("500199")
    await void.get_by_role("button", name="Annuler et remplacer").click()
    await expect(desk.get_by_text("Le chèque perdu est annulé; voici son remplacement.")).to_be_visible()
    await expect(desk.get_by_role("heading", name=re.compile("Chèque 500199"))).to_be_visible()
    await expect(desk.get_by_role("link", name="le chèque annulé")).to_be_visible()
    assert await serious_violations(desk) == []
    await shot(desk, "08-reissued-fr")
    assert {c.number: c.status for c in await rows(backend, Cheque)}["500102"] == ChequeStatus.VOIDED

    # Zoé sends her spouse, with a letter: the delegate signs.
    await desk.goto(desk.url.rsplit("/", 1)[0] + f"/{zoe.id}")
    form = desk.locator("form.handover-form")
    await form.get_by_label("Une personne déléguée autorisée par l’employé·e").check()
    await expect(form.get_by_label("Ou, au lieu de signer, l’employé·e entre son NIP")).to_be_hidden()
    await form.get_by_label("Nom de la personne déléguée").fill("Marc Gagnon")
    await form.get_by_label("Comment l’employé·e l’a autorisé").fill("Lettre signée par Zoé, vue à l’accueil")
    await form.get_by_label("Autorisation signée (PDF ou image, facultative)").set_input_files(
        {"name": "lettre.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"})
    await draw_signature(desk, form)
    await shot(desk, "09-delegate-form-fr")
    await form.get_by_role("button", name="Enregistrer la remise").click()
    await expect(desk.locator("#handover")).to_contain_text("Marc Gagnon")
    await expect(desk.locator("#handover")).to_contain_text("Lettre signée par Zoé")
    delegated = [h for h in await rows(backend, Handover) if h.cheque_id == zoe.id][0]
    assert (delegated.delegate_name, delegated.authorisation_media_type) == ("Marc Gagnon", "application/pdf")

    # The dashboard counts them.
    await desk.get_by_role("link", name="Chèques de paie", exact=True).click()
    totals = desk.locator(".cheque-totals")
    await expect(totals.locator(".total-collected .total-number")).to_have_text("2")
    await expect(totals.locator(".total-pending .total-number")).to_have_text("1")
    await expect(totals.locator(".total-exceptions .total-number")).to_have_text("1")
    assert await serious_violations(desk) == []
    await shot(desk, "10-dashboard-fr")


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_amounts_live_kiosk_requests_and_my_cheques_in_english(backend: Backend, browser):
    csrf = await sign_in(backend, "reception")
    run_id, [marie, eric, _zoe] = await collected_run(backend, csrf)
    await post(backend, f"/panel/cheques/employees/{marie.employee_id}/link",
               {"staff_member_id": str(backend.world.staff_ids["billing"])}, csrf=csrf)
    await give_password(backend, "admin", "billing")

    # An admin sees the amounts; the receptionist does not.
    admin = await signed_in_page(browser, backend, "admin", locale="en-CA", path=f"/panel/cheques/runs/{run_id}")
    await expect(admin.locator(".cheques-table")).to_contain_text("$1,234.56")
    await expect(admin.locator(".cheques-table")).to_contain_text("$987.65")
    assert await serious_violations(admin) == []
    await shot(admin, "11-run-admin-en")
    desk = await signed_in_page(browser, backend, "reception", locale="en-CA", path=f"/panel/cheques/runs/{run_id}")
    await expect(desk.locator(".cheques-table tbody tr")).to_have_count(3)
    await expect(desk.locator(".cheques-table")).not_to_contain_text("$")
    await expect(desk.get_by_role("columnheader", name="Amount")).to_have_count(0)
    await shot(desk, "12-run-reception-en")

    # The desk's dashboard, never reloaded, shows Marie-Ève's kiosk request and points it out.
    await desk.get_by_role("link", name="Payroll cheques", exact=True).click()
    await expect(desk.locator("#live-status")).to_have_text("Live")
    await desk.evaluate("window.notReloaded = true")
    await kiosk_request(backend, marie)
    card = desk.locator(f'.kiosk-requests [data-cheque="{marie.id}"]')
    await expect(card).to_contain_text("Marie-Ève Côté")
    await expect(card).to_have_class(re.compile(r"\barrived\b"))
    assert await desk.evaluate("window.notReloaded") is True
    assert await serious_violations(desk) == []
    await shot(desk, "13-kiosk-request-live-en")
    await card.get_by_role("link", name=re.compile("Hand it over")).click()
    await expect(desk.locator(".kiosk-request img.signature-image")).to_be_visible()
    await shot(desk, "14-kiosk-request-en")
    await desk.get_by_role("button", name="Confirm handed over").click()
    await expect(desk.get_by_text("Handed over as asked for at the kiosk.")).to_be_visible()
    await expect(desk.locator("#handover")).to_contain_text("PIN and signature")
    [handover] = await rows(backend, Handover)
    assert (handover.proof, handover.given_by_id) == (ProofKind.PIN_SIGNATURE, backend.world.staff_ids["reception"])

    # The employee who is also staff sees their own cheque, and nobody else's.
    billing = await signed_in_page(browser, backend, "billing", locale="en-CA", path="/panel/")
    await billing.get_by_role("link", name="My cheques").click()
    mine = billing.locator(".my-cheques tbody tr")
    await expect(mine).to_have_count(1)
    await expect(mine).to_contain_text("500101")
    await expect(mine).to_contain_text("Handed over")
    await expect(billing.locator("main")).not_to_contain_text("500102")
    await expect(billing.locator("main")).not_to_contain_text("Éric")
    assert await serious_violations(billing) == []
    await shot(billing, "15-my-cheques-en")
    response = await billing.goto(billing.url.replace("/panel/cheques/mine", f"/panel/cheques/{eric.id}"))
    assert response.status == 403

    # Employees, in English: the list and one employee's page.
    await desk.goto(desk.url.split("/panel/")[0] + "/panel/cheques/employees")
    await expect(desk.locator(".employees-table tbody tr")).to_have_count(3)
    assert await serious_violations(desk) == []
    await shot(desk, "16-employees-en")
    await desk.get_by_role("link", name="Marie-Ève Côté").click()
    await expect(desk.locator("#link-staff_member_id")).to_have_value(str(backend.world.staff_ids["billing"]))
    await desk.get_by_label("New PIN").fill("1234")
    await desk.get_by_label("The same PIN again").fill("4321")
    await desk.get_by_role("button", name="Set the PIN").click()
    await expect(desk.locator("#pin-pin_again-error")).to_contain_text("The two PINs differ")
    assert await serious_violations(desk) == []
    await shot(desk, "17-employee-en")


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_the_french_employee_pages_and_an_empty_my_cheques(backend: Backend, browser):
    csrf = await sign_in(backend, "reception")
    await collected_run(backend, csrf)
    desk = await signed_in_page(browser, backend, "reception", path="/panel/cheques/employees")
    await desk.get_by_role("button", name="Ajouter l’employé·e").click()
    await expect(desk.locator("#employee-number-error")).to_be_visible()
    assert await serious_violations(desk) == []
    await shot(desk, "18-employees-errors-fr")
    await desk.get_by_role("link", name="Zoé Gagnon").click()
    await expect(desk.get_by_role("heading", name="Zoé Gagnon")).to_be_visible()
    assert await serious_violations(desk) == []
    await shot(desk, "19-employee-fr")
    await give_password(backend, "paeds")
    paeds = await signed_in_page(browser, backend, "paeds", path="/panel/cheques/mine")
    await expect(paeds.get_by_text("Votre compte n’est lié à aucun·e employé·e")).to_be_visible()
    await shot(paeds, "20-my-cheques-none-fr")
