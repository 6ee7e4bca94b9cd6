"""Who sees what: an employee only their own cheques, amounts only administrators, and a cheque is handed out
once — by its status, and by the database itself when two desks click together."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.cheques.models import Handover
from backend.cheques.states import ProofKind
from tests.cheques.conftest import Payroll, b64, signature_png
from tests.cheques.helpers import collected_run


def _keys(value) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_an_employee_cannot_see_others_cheques(payroll: Payroll):
    desk = await collected_run(payroll, linked={"E200": "billing", "E201": "paeds"})
    mine = await payroll.get("/api/cheques/mine", "billing")
    assert [c["number"] for c in mine["items"]] == ["70001"]
    own = await payroll.get(f"/api/cheques/{desk.cheques['70001']}", "billing")
    assert own["employee"]["number"] == "E200" and "amount" not in own
    for other in ("70002", "70003"):
        problem = await payroll.get(f"/api/cheques/{desk.cheques[other]}", "billing", 404)
        assert problem["detail"] == "There is no such cheque."
    assert [c["number"] for c in (await payroll.get("/api/cheques/mine", "paeds"))["items"]] == ["70002"]
    assert (await payroll.get("/api/cheques/mine", "clerk"))["items"] == []  # not an employee
    # An employee who is a staff member does not manage cheques, not even their own.
    await payroll.post(f"/api/cheques/{desk.cheques['70001']}/hand-over", "billing",
                       {"signature_png": b64(signature_png())}, 403)
    await payroll.get(f"/api/cheques/runs/{desk.run_id}", "billing", 403)
    await payroll.get(f"/api/cheques/{desk.cheques['70001']}/signature.png", "billing", 403)


async def test_amounts_are_for_administrators_only(payroll: Payroll):
    desk = await collected_run(payroll, linked={"E200": "billing"})
    admin_run = await payroll.get(f"/api/cheques/runs/{desk.run_id}", "admin")
    assert [c["amount"] for c in admin_run["cheques"]] == [123456, 98700, 150000]
    assert {c["currency"] for c in admin_run["cheques"]} == {"CAD"}
    for document in (await payroll.get(f"/api/cheques/runs/{desk.run_id}", "reception"),
                     await payroll.get(f"/api/cheques/{desk.cheques['70002']}", "reception"),
                     await payroll.get("/api/cheques/mine", "billing"),
                     await payroll.get("/api/cheques/runs", "reception"),
                     await payroll.get("/api/cheques/dashboard", "reception")):
        assert not _keys(document) & {"amount", "currency"}, document
    run = await payroll.post("/api/cheques/runs", "reception", {"pay_date": "2026-12-18", "payroll_company": "X"},
                             201)
    csv = "Matricule;Nom;No de chèque;Montant;Date de paie\r\nE200;Hélène Côté;80001;12,00;2026-12-18\r\n"
    preview = await payroll.post(f"/api/cheques/runs/{run['id']}/import", "reception", None, data=csv.encode())
    assert preview["rows"][0]["cheque_number"] == "80001" and "amount" not in preview["rows"][0]
    preview = await payroll.post(f"/api/cheques/runs/{run['id']}/import", "admin", None, data=csv.encode())
    assert preview["rows"][0]["amount"] == 1200


async def test_a_cheque_is_handed_out_once_even_when_two_desks_click_together(payroll: Payroll):
    desk = await collected_run(payroll)
    cheque = desk.cheques["70001"]

    async def hand_over(who: str, variant: int):
        response = await payroll.client.post(f"/api/cheques/{cheque}/hand-over", headers=payroll.auth(who),
                                             json={"signature_png": b64(signature_png(variant))})
        return response.status

    statuses = sorted(await asyncio.gather(hand_over("reception", 1), hand_over("admin", 2)))
    assert statuses == [200, 409]
    async with payroll.database.read() as session:
        assert len(list(await session.scalars(select(Handover).where(Handover.cheque_id == cheque)))) == 1
    # Under the status check, the table itself refuses a second handover of the same cheque.
    with pytest.raises(IntegrityError):
        async with payroll.database.write() as session:
            session.add(Handover(cheque_id=cheque, given_by_id=None, given_by_name="X", delegate_name="",
                                 authorisation_note="", authorisation_media_type="", proof=ProofKind.SIGNATURE,
                                 at=dt.datetime.now(dt.UTC), signature_sha256=None, kiosk_id=None))
            await session.flush()
    # Nor may a delegate or a kiosk confirmation hand it out again.
    await payroll.post(f"/api/cheques/{cheque}/delegate", "admin", {
        "delegate_name": "Jeanne", "authorisation_note": "Lettre", "signature_png": b64(signature_png())}, 409)
    await payroll.post(f"/api/cheques/{cheque}/confirm-kiosk", "admin", None, 409)
