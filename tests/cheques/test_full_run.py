"""A whole payroll run on a fast clock, through the API, on SQLite and PostgreSQL: import, pick-up and its
reminder, collection with a cheque missing, employees told, handovers in the panel and at the kiosk, a delegate,
a void and reissue, a hold, a return, reminders after N days, and the distribution sheet."""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import func, select

from backend.cheques.models import Cheque, ChequeEvent, Employee, Handover
from backend.routing.models import Notification
from tests.cheques.conftest import PAY_DATE, Payroll, b64, payroll_csv, signature_png

SHEETS = Path(__file__).resolve().parents[2] / "test-artifacts" / "sheets"
ROWS = [
    ("E100", "Côté, Hélène", "50001", "1 234,56", "2026-12-04"),
    ("E101", "Marc-André Tremblay", "50002", "987,00", "04/12/2026"),
    ("E102", "Zoé Bélanger", "50003", "1 500,00", "2026-12-04"),
    ("E103", "Gaëlle Ouellet", "50004", "1 100,10", "2026-12-04"),
    ("E104", "Éric Roy", "50005", "1 050,00", "2026-12-04"),
    ("E105", "Anaïs Gagnon", "50006", "1 320,00", "2026-12-04"),
    ("E106", "Noël Fortin", "50007", "990,00", "2026-12-04"),
]


async def _employee_ids(payroll: Payroll) -> dict[str, int]:
    async with payroll.database.read() as session:
        return dict((await session.execute(select(Employee.number, Employee.id))).tuples().all())


def _cheque(run: dict, number: str) -> dict:
    return next(c for c in run["cheques"] if c["number"] == number)


async def test_a_full_run_from_import_to_the_distribution_sheet(payroll: Payroll):
    # --- a run, and the payroll company's file ---------------------------------------------------
    run = await payroll.post("/api/cheques/runs", "reception",
                             {"pay_date": PAY_DATE, "payroll_company": "Paie Québec inc."}, 201)
    run_id = run["id"]
    bad = payroll_csv([*ROWS[:2], ("E107", "", "50008", "douze", "2026-12-05"), ("E108", "Lina Roy", "50001",
                                                                                  "10,00", "2026-12-04")])
    counts = await payroll.row_counts()
    response = await payroll.client.post(f"/api/cheques/runs/{run_id}/import?apply=true", data=bad,
                                         headers={**payroll.auth("reception"), "Content-Type": "text/csv"})
    assert response.status == 422
    problem = await response.json()
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("rows.4.name", "required"), ("rows.4.amount", "amount_invalid"), ("rows.4.pay_date", "pay_date_mismatch"),
        ("rows.5.cheque_number", "number_taken")}
    assert await payroll.row_counts() == counts  # nothing stored

    good = payroll_csv(ROWS, encoding="cp1252")  # Windows-1252, as older payroll software writes it
    preview = await payroll.post(f"/api/cheques/runs/{run_id}/import", "admin", None, 200, data=good)
    assert preview["applied"] is False and preview["problems"] == [] and preview["new_employees"] == 7
    assert preview["encoding"] == "cp1252" and preview["separator"] == ";"
    assert preview["rows"][0]["amount"] == 123456  # the admin sees amounts
    assert await payroll.row_counts() == counts
    applied = await payroll.post(f"/api/cheques/runs/{run_id}/import?apply=true", "reception", None, 200, data=good)
    assert applied["applied"] is True and all("amount" not in row for row in applied["rows"])
    run = await payroll.get(f"/api/cheques/runs/{run_id}", "admin")
    assert [c["status"] for c in run["cheques"]] == ["expected"] * 7
    assert _cheque(run, "50001")["employee"]["display_name"] == "Hélène Côté"
    assert _cheque(run, "50001")["amount"] == 123456

    # Employees complete their record at the desk: an email, a PIN, and one is a staff member.
    ids = await _employee_ids(payroll)
    async with payroll.database.write() as session:
        for number, address in (("E100", "helene@example.org"), ("E101", "marc@example.org"),
                                ("E102", "zoe@example.org"), ("E103", "gaelle@example.org")):
            (await session.get(Employee, ids[number])).email = address
        (await session.get(Employee, ids["E104"])).staff_member_id = payroll.world.staff_ids["billing"]
    await payroll.post(f"/api/cheques/employees/{ids['E101']}/pin", "reception", {"pin": "4821"})

    # --- pick-up: assigned, reminded on the day (email and panel), collected with one missing ------
    await payroll.post(f"/api/cheques/runs/{run_id}/pickup", "admin",
                       {"staff_member_id": payroll.world.staff_ids["reception"], "due_on": "2026-12-03"})
    async with payroll.database.write() as session:
        from backend.staff.models import StaffMember
        (await session.get(StaffMember, payroll.world.staff_ids["reception"])).email = "accueil@example.org"
    desk = await payroll.live("reception")
    assert await payroll.reminders() == 0  # not the day yet
    payroll.clock.advance(days=2)  # Thursday 3 December, 08:00 on site
    assert await payroll.reminders() == 1
    assert await payroll.reminders() == 0  # never twice the same day
    mail = [m for m in payroll.mailbox.messages if m["To"] == "accueil@example.org"]
    assert len(mail) == 1 and "Paie Québec inc." in mail[0]["Subject"]
    assert "4 décembre 2026" in mail[0].get_content()
    event = await _next_of(desk, "payroll_run.pickup_due")
    assert event["run"]["id"] == run_id
    async with payroll.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "payroll_run.pickup_due",
            Notification.recipient_id == payroll.world.staff_ids["reception"])) == 1

    payroll.clock.advance(hours=3)
    collected = await payroll.post(f"/api/cheques/runs/{run_id}/collected", "reception",
                                   {"count": 6, "missing_cheque_numbers": ["50007"],
                                    "note": "L'enveloppe en contenait six."})
    assert collected["state"] == "collected" and collected["collected_by"] == "Reception"
    assert sorted(c["status"] for c in collected["cheques"]) == ["at_desk"] * 6 + ["missing"]
    await payroll.send_mail()
    told = {m["To"]: m for m in payroll.mailbox.messages if m["Subject"] == "Votre chèque de paie est prêt"}
    assert set(told) == {"helene@example.org", "marc@example.org", "zoe@example.org", "gaelle@example.org"}
    assert "50001" in told["helene@example.org"].get_content()
    assert "1 234" not in told["helene@example.org"].get_content()  # no amount goes by email
    billing_mine = await payroll.get("/api/cheques/mine", "billing")  # E104, told on the panel
    assert [c["number"] for c in billing_mine["items"]] == ["50005"]
    run = await payroll.get(f"/api/cheques/runs/{run_id}", "reception")
    helene, marc, zoe, gaelle, eric, anais, noel = (_cheque(run, str(n)) for n in range(50001, 50008))

    # --- handed over with a signature drawn in the panel; a second time is refused ---------------
    signed = await payroll.post(f"/api/cheques/{helene['id']}/hand-over", "reception",
                                {"signature_png": b64(signature_png())})
    assert signed["status"] == "handed_over" and signed["handover"]["proof"] == "signature"
    assert signed["handover"]["given_by"] == "Reception" and signed["handover"]["received_by"] == "Hélène Côté"
    again = await payroll.post(f"/api/cheques/{helene['id']}/hand-over", "admin",
                               {"signature_png": b64(signature_png())}, 409)
    assert again["detail"] == "This cheque has already been handed out."
    png = await payroll.get(f"/api/cheques/{helene['id']}/signature.png", "reception")
    assert png.startswith(b"\x89PNG")

    # --- at the kiosk: identify with number and PIN, sign, the desk confirms ----------------------
    identified = await payroll.post("/api/kiosk/cheques/identify", "kiosk_a",
                                    {"employee_number": "E101", "pin": "4821"})
    assert identified["given_name"] == "Marc-André"
    assert identified["cheques"] == [{"id": marc["id"], "pay_date": PAY_DATE, "payroll_company": "Paie Québec inc.",
                                      "cheque_number": "50002"}]
    out = await payroll.collect("kiosk_a", {"collection_token": identified["collection_token"],
                                            "cheque_ids": [marc["id"]], "signature_png": b64(signature_png(6))})
    assert out == {"cheque_ids": [marc["id"]], "desk_notified": True}
    call = await _next_of(desk, "cheque.desk_call")
    assert "Marc-André Tremblay" in call["subject"]
    requested = await payroll.get(f"/api/cheques/{marc['id']}", "reception")
    assert requested["status"] == "requested" and requested["handover"] is None
    confirmed = await payroll.post(f"/api/cheques/{marc['id']}/confirm-kiosk", "reception")
    assert confirmed["status"] == "handed_over"
    assert confirmed["handover"]["proof"] == "pin_signature" and confirmed["handover"]["has_signature"]
    assert confirmed["handover"]["given_by"] == "Reception"
    await payroll.post(f"/api/cheques/{marc['id']}/confirm-kiosk", "admin", None, 409)

    # --- a delegate with an authorisation --------------------------------------------------------
    delegated = await payroll.post(f"/api/cheques/{zoe['id']}/delegate", "admin", {
        "delegate_name": "Jeanne Bélanger", "authorisation_note": "Lettre signée par Zoé, datée du 2 décembre",
        "authorisation_document": b64(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"),
        "signature_png": b64(signature_png(3))})
    assert delegated["status"] == "delegated" and delegated["handover"]["received_by"] == "Jeanne Bélanger"
    assert delegated["handover"]["has_authorisation_document"]

    # --- lost: voided and reissued; the history links both ----------------------------------------
    replacement = await payroll.post(f"/api/cheques/{gaelle['id']}/void", "admin", {
        "reason": "Perdu par l'employée", "new_cheque_number": "60004"})
    assert replacement["number"] == "60004" and replacement["status"] == "at_desk"
    assert replacement["replaces_id"] == gaelle["id"] and replacement["amount"] == 110010
    voided = await payroll.get(f"/api/cheques/{gaelle['id']}", "admin")
    assert voided["status"] == "voided" and voided["replaced_by_id"] == replacement["id"]
    assert [(e["event"], e["note"], e["other_cheque"]) for e in (voided["events"][-1], replacement["events"][-1])] == [
        ("voided", "Perdu par l'employée", "60004"), ("reissued", "", "50004")]
    await payroll.post(f"/api/cheques/{gaelle['id']}/hand-over", "admin", {"signature_png": b64(signature_png())},
                       409)

    # --- held while the employee is away; returned to the payroll company --------------------------
    held = await payroll.post(f"/api/cheques/{eric['id']}/hold", "reception",
                              {"follow_up_on": "2026-12-10", "note": "En congé jusqu'au 10"})
    assert held["status"] == "held" and held["follow_up_on"] == "2026-12-10"
    returned = await payroll.post(f"/api/cheques/{anais['id']}/return", "reception",
                                  {"note": "A quitté l'entreprise"})
    assert returned["status"] == "returned"
    arrived = await payroll.post(f"/api/cheques/{noel['id']}/arrived", "reception", {"note": "Reçu par courrier"})
    assert arrived["status"] == "at_desk"

    # --- reminders after N days (3), and never twice the same day ---------------------------------
    payroll.mailbox.messages.clear()
    payroll.clock.advance(days=2)  # 5 December: only two days since they were told
    assert await payroll.reminders() == 0
    payroll.clock.advance(days=1)  # 6 December: three days
    # Gaëlle's replacement waits (Noël's too, but there is no address to remind him at).
    assert await payroll.reminders() == 1
    assert await payroll.reminders() == 0
    reminded = [m for m in payroll.mailbox.messages if m["Subject"].startswith("Rappel")]
    assert [m["To"] for m in reminded] == ["gaelle@example.org"]
    assert "60004" in reminded[0].get_content()
    payroll.clock.advance(days=3)  # 9 December: again for Gaëlle
    assert await payroll.reminders() == 1
    payroll.clock.advance(days=1)  # 10 December: Éric's follow-up date (panel only: he is a staff member)
    assert await payroll.reminders() >= 1
    async with payroll.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "cheque.follow_up")) == 1
        assert await session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "cheque.reminder",
            Notification.recipient_id == payroll.world.staff_ids["billing"])) == 1

    # --- the dashboard and the distribution sheet ---------------------------------------------------
    board = await payroll.get("/api/cheques/dashboard", "reception")
    assert (board["collected"], board["pending"], board["exceptions"]) == (3, 2, 3)
    pdf = await payroll.get(f"/api/cheques/runs/{run_id}/sheet.pdf", "reception")
    SHEETS.mkdir(parents=True, exist_ok=True)
    (SHEETS / f"distribution-sheet-{payroll.database.engine.dialect.name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = "".join(text.split())  # a label wrapped in its cell comes out without the space it broke at
    for number in ("50001", "50002", "50003", "50004", "60004", "50005", "50006", "50007"):
        assert number in flat
    for status, times in (("Remisàunepersonnedéléguée", 1), ("Annulé", 1), ("À l’accueil", 2), ("Retenu", 1),
                          ("Retournéàlafirmedepaie", 1), ("Reçupar", 1), ("Preuve:NIPetsignature", 1)):
        assert flat.count(status.replace(" ", "")) == times, (status, text)
    assert len(re.findall(r"Remis(?!à|par)", flat)) == 2  # Hélène's and Marc-André's
    assert "État:Récupérée" in flat and "Autorisation:" in flat  # "État : Récupérée", as French spaces it
    assert "Feuille de distribution" in text and "Paie Québec inc." in text and "Jeanne Bélanger" in text
    assert "1 234,56" not in text and "123456" not in text
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 3  # Hélène's, Marc-André's (at the kiosk) and the delegate's signatures

    async with payroll.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Handover)) == 3
        assert await session.scalar(select(func.count()).select_from(Cheque)) == 8
        assert await session.scalar(select(func.count()).select_from(ChequeEvent).where(
            ChequeEvent.cheque_id == gaelle["id"])) >= 3
    await desk.close()


async def _next_of(ws, kind: str, timeout: float = 2.0) -> dict:
    """The next live event of this type (others are skipped)."""
    loop_deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
    while dt.datetime.now() < loop_deadline:
        message = await ws.receive_json(timeout=timeout)
        if message.get("type") == kind:
            return message
    raise AssertionError(f"no {kind} event")
