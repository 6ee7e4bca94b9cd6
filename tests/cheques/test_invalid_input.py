"""Every staff entry point of the cheques API: bad input gets a specific problem (the field and its code) and
changes nothing; a move the cheque's life does not allow gets a 409, and changes nothing either."""
from __future__ import annotations

from tests.cheques.conftest import Payroll, b64, signature_png
from tests.cheques.helpers import Desk, collected_run

PNG = b64(signature_png())
# (path template, body, status, [(field, code)] or None). {run}, {cheque}, {missing}, {employee}, {linked} filled in.
CASES = [
    ("/api/cheques/runs", {"payroll_company": "Paie"}, 422, [("pay_date", "required")]),
    ("/api/cheques/runs", {"pay_date": "2026-13-01", "payroll_company": "Paie"}, 422, [("pay_date", "date_parsing")]),
    ("/api/cheques/runs", {"pay_date": "2026-12-18", "payroll_company": "   "}, 422, [("payroll_company", "required")]),
    ("/api/cheques/runs", {"pay_date": "2026-12-18", "payroll_company": "P", "x": 1}, 422, [("x", "field_unknown")]),
    ("/api/cheques/runs/{run}/cheques", {"employee_id": 999999, "number": "1", "amount": 100}, 422,
     [("employee_id", "employee_unknown")]),
    ("/api/cheques/runs/{run}/cheques", {"employee_id": "{employee}", "number": "70001", "amount": 100}, 422,
     [("number", "number_taken")]),
    ("/api/cheques/runs/{run}/cheques", {"employee_id": "{employee}", "number": "9", "amount": 0}, 422,
     [("amount", "greater_than_equal")]),
    ("/api/cheques/runs/{run}/cheques", {"employee_id": "{employee}", "number": "9", "amount": 12.5}, 422,
     [("amount", "int_type")]),
    ("/api/cheques/runs/{run}/pickup", {"staff_member_id": "{reception}", "due_on": "2026-12-18"}, 409, None),
    ("/api/cheques/runs/{run}/collected", {"count": 3}, 409, None),
    ("/api/cheques/{cheque}/hand-over", {}, 422, [("signature_png", "proof_required")]),
    ("/api/cheques/{cheque}/hand-over", {"signature_png": PNG, "pin": "2468"}, 422,
     [("signature_png", "proof_required")]),
    ("/api/cheques/{cheque}/hand-over", {"signature_png": "%%%"}, 422, [("signature_png", "base64_invalid")]),
    ("/api/cheques/{cheque}/hand-over", {"signature_png": b64(b"%PDF-1.4 not a png")}, 422,
     [("signature_png", "signature_not_png")]),
    ("/api/cheques/{cheque}/hand-over", {"signature_png": b64(signature_png(ink=False))}, 422,
     [("signature_png", "signature_blank")]),
    ("/api/cheques/{cheque}/hand-over", {"pin": "9999"}, 422, [("pin", "pin_wrong")]),
    ("/api/cheques/{cheque}/hand-over", {"pin": "99"}, 422, [("pin", "string_pattern_mismatch")]),
    ("/api/cheques/{missing}/hand-over", {"signature_png": PNG}, 409, None),
    ("/api/cheques/{cheque}/confirm-kiosk", None, 409, None),
    ("/api/cheques/{cheque}/decline-kiosk", {"note": ""}, 409, None),
    ("/api/cheques/{cheque}/delegate", {"delegate_name": " ", "authorisation_note": "Lettre", "signature_png": PNG},
     422, [("delegate_name", "required")]),
    ("/api/cheques/{cheque}/delegate", {"delegate_name": "Jeanne", "signature_png": PNG}, 422,
     [("authorisation_note", "required")]),
    ("/api/cheques/{cheque}/delegate", {"delegate_name": "Jeanne", "authorisation_note": "Lettre",
                                        "authorisation_document": b64(b"MZ\x90\x00 an .exe"), "signature_png": PNG},
     422, [("authorisation_document", "document_type")]),
    ("/api/cheques/{cheque}/delegate", {"delegate_name": "Jeanne", "authorisation_note": "Lettre",
                                        "signature_png": b64(signature_png(ink=False))},
     422, [("signature_png", "signature_blank")]),
    ("/api/cheques/{cheque}/hold", {"follow_up_on": "2026-11-01"}, 422, [("follow_up_on", "date_past")]),
    ("/api/cheques/{cheque}/hold", {"follow_up_on": "demain"}, 422, [("follow_up_on", "date_parsing")]),
    ("/api/cheques/{cheque}/void", {"reason": "Perdu", "new_cheque_number": "70002"}, 422,
     [("new_cheque_number", "number_taken")]),
    ("/api/cheques/{cheque}/void", {"reason": " ", "new_cheque_number": "99"}, 422, [("reason", "required")]),
    ("/api/cheques/{cheque}/return", {"note": " "}, 422, [("note", "required")]),
    ("/api/cheques/{cheque}/arrived", {"note": ""}, 409, None),
    ("/api/cheques/employees", {"number": "E200", "given_name": "Autre"}, 422, [("number", "number_taken")]),
    ("/api/cheques/employees", {"number": "E300", "given_name": "Zoé", "email": "pas un courriel"}, 422,
     [("email", "email_invalid")]),
    ("/api/cheques/employees", {"number": "E300", "given_name": "Zoé", "staff_member_id": "{linked}"}, 422,
     [("staff_member_id", "staff_taken")]),
    ("/api/cheques/employees", {"number": "E300", "given_name": ""}, 422, [("given_name", "string_too_short")]),
    ("/api/cheques/employees/{employee}/pin", {"pin": "12ab"}, 422, [("pin", "string_pattern_mismatch")]),
    ("/api/cheques/employees/999999/pin", {"pin": "1234"}, 404, None),
    ("/api/cheques/employees/999999/unlock", None, 404, None),
]


async def _world(payroll: Payroll) -> tuple[Desk, dict[str, object]]:
    desk = await collected_run(payroll, pins={"E200": "2468"}, linked={"E201": "billing"})
    missing_run = await payroll.post("/api/cheques/runs", "admin", {"pay_date": "2026-12-18",
                                                                     "payroll_company": "Autre"}, 201)
    expected = await payroll.post(f"/api/cheques/runs/{missing_run['id']}/cheques", "admin",
                                  {"employee_id": desk.employees["E200"], "number": "1", "amount": 100}, 201)
    return desk, {"run": desk.run_id, "cheque": desk.cheques["70001"], "missing": expected["id"],
                  "employee": desk.employees["E200"], "linked": payroll.world.staff_ids["billing"],
                  "reception": payroll.world.staff_ids["reception"]}


def _filled(value, names: dict[str, object]):
    if isinstance(value, dict):
        return {k: _filled(v, names) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in names:
        return names[value[1:-1]]
    return value


async def test_every_entry_point_refuses_bad_input_and_changes_nothing(payroll: Payroll):
    _, names = await _world(payroll)
    counts = await payroll.row_counts()
    for path, body, status, errors in CASES:
        url = path.format(**names)
        problem = await payroll.post(url, "admin", _filled(body, names), status)
        assert problem["status"] == status and problem["detail"], (url, problem)
        if errors is not None:
            assert [(e["field"], e["code"]) for e in problem["errors"]] == errors, (url, body, problem)
        assert await payroll.row_counts() == counts, (url, body)


async def test_pickup_collection_import_and_sheet_refuse_bad_input(payroll: Payroll):
    run = await payroll.post("/api/cheques/runs", "admin", {"pay_date": "2026-12-18", "payroll_company": "P"}, 201)
    url = f"/api/cheques/runs/{run['id']}"
    counts = await payroll.row_counts()
    for body, errors in (
            ({"staff_member_id": payroll.world.staff_ids["billing"], "due_on": "2026-12-17"},
             [("staff_member_id", "staff_unknown")]),  # not a front-office member
            ({"staff_member_id": payroll.world.staff_ids["reception"], "due_on": "2026-11-30"},
             [("due_on", "date_past")]),
            ({"staff_member_id": 999999, "due_on": "2026-12-17"}, [("staff_member_id", "staff_unknown")])):
        problem = await payroll.post(f"{url}/pickup", "admin", body, 422)
        assert [(e["field"], e["code"]) for e in problem["errors"]] == errors
    problem = await payroll.post(f"{url}/collected", "admin", {"count": 0}, 422)
    assert problem["errors"][0]["code"] == "run_empty"
    for query, data, errors in (
            ("?apply=yes", b"x", [("apply", "boolean_invalid")]),
            ("?apply=true&mode=fast", b"x", [("mode", "field_unknown")]),
            ("?apply=true", b"", [("rows.0", "file_unreadable")]),
            ("?apply=true", "Matricule;Nom\r\nE1;Zoé\r\n".encode(),
             [("rows.1.cheque_number", "column_missing"), ("rows.1.amount", "column_missing"),
              ("rows.1.pay_date", "column_missing")]),
            ("?apply=true", "Matricule;Nom;Chèque;Montant;Date\r\n".encode(), [("rows.0", "file_empty")]),
            ("?apply=true", "Matricule;Nom;Chèque;Montant;Date\r\nE1;Zoé;5;-3,00;pas une date\r\n".encode(),
             [("rows.2.amount", "amount_invalid"), ("rows.2.pay_date", "date_invalid")])):
        problem = await payroll.post(f"{url}/import{query}", "admin", None, 422, data=data)
        assert [(e["field"], e["code"]) for e in problem["errors"]] == errors, (query, data, problem)
    problem = await payroll.get(f"{url}/sheet.pdf?language=de", "admin", 422)
    assert problem["errors"][0]["field"] == "language"
    await payroll.get("/api/cheques/employees?limit=0", "admin", 422)
    await payroll.get("/api/cheques/runs/999999", "admin", 404)
    await payroll.get("/api/cheques/999999", "admin", 404)
    assert await payroll.row_counts() == counts
