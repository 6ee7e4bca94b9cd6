"""Cheques that arrive or come back late: entered by hand after the run was collected, and a kiosk request the
desk sets aside when the employee has left."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.cheques.models import Employee
from tests.cheques.conftest import Payroll, b64, signature_png
from tests.cheques.helpers import collected_run


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_a_cheque_entered_after_the_collection_is_at_the_desk_and_its_employee_told(payroll: Payroll):
    desk = await collected_run(payroll)
    async with payroll.database.write() as session:
        (await session.get(Employee, desk.employees["E202"])).email = "zoe@example.org"
    late = await payroll.post(f"/api/cheques/runs/{desk.run_id}/cheques", "reception",
                              {"employee_id": desk.employees["E202"], "number": "70009", "amount": 5000}, 201)
    assert late["status"] == "at_desk" and "amount" not in late
    await payroll.send_mail()
    assert [m["To"] for m in payroll.mailbox.messages] == ["zoe@example.org"]
    assert "70009" in payroll.mailbox.messages[0].get_content()


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_a_kiosk_request_set_aside_waits_at_the_desk_again(payroll: Payroll):
    desk = await collected_run(payroll, pins={"E200": "2468"})
    found = await payroll.post("/api/kiosk/cheques/identify", "kiosk_a", {"employee_number": "E200", "pin": "2468"})
    cheque = desk.cheques["70001"]
    await payroll.collect("kiosk_a", {"collection_token": found["collection_token"], "cheque_ids": [cheque],
                                      "signature_png": b64(signature_png())})
    declined = await payroll.post(f"/api/cheques/{cheque}/decline-kiosk", "reception", {"note": "Partie avant"})
    assert declined["status"] == "at_desk" and declined["requested_at"] is None
    assert [e["event"] for e in declined["events"]][-2:] == ["requested", "request_declined"]
    assert declined["events"][-2]["by"] == "kiosk_a"
    await payroll.get(f"/api/cheques/{cheque}/signature.png", "reception", 404)  # nobody signed for it now
    async with payroll.database.read() as session:
        assert (await session.scalar(select(Employee).where(Employee.number == "E200"))).collection_token_hash is None


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_a_run_closes_when_every_cheque_is_dealt_with_and_takes_no_more_cheques(payroll: Payroll):
    desk = await collected_run(payroll)
    await payroll.post(f"/api/cheques/{desk.cheques['70001']}/hand-over", "reception",
                       {"signature_png": b64(signature_png())})
    await payroll.post(f"/api/cheques/{desk.cheques['70002']}/return", "reception", {"note": "Parti"})
    assert (await payroll.get(f"/api/cheques/runs/{desk.run_id}", "reception"))["state"] == "collected"
    await payroll.post(f"/api/cheques/{desk.cheques['70003']}/return", "reception", {"note": "Partie"})
    run = await payroll.get(f"/api/cheques/runs/{desk.run_id}", "reception")
    assert run["state"] == "closed" and run["counts"] == {"handed_over": 1, "returned": 2}
    await payroll.post(f"/api/cheques/runs/{desk.run_id}/cheques", "reception",
                       {"employee_id": desk.employees["E200"], "number": "70010", "amount": 100}, 409)
