"""Bad input at every payment entry point gets a clear, specific error and changes nothing."""
from __future__ import annotations

import pytest

from tests.payments.conftest import Till


async def _refused(till: Till, method: str, path: str, who: str, status: int, field: str | None = None,
                   **kwargs) -> dict:
    before = await till.row_counts()
    response = await till.client.request(method, path, headers=till.auth(who), **kwargs)
    problem = await response.json()
    assert response.status == status, problem
    assert response.content_type == "application/problem+json" and problem["detail"]
    if field is not None:
        assert field in {error["field"] for error in problem["errors"]}, problem
    assert await till.row_counts() == before
    return problem


@pytest.mark.parametrize("body, field", [
    ({"payer_name": "A", "lines": []}, "lines"),
    ({"payer_name": "A", "lines": [{"description": "", "quantity": 1, "unit_amount": 100}]}, "lines.0.description"),
    ({"payer_name": "A", "lines": [{"description": "X", "quantity": 0, "unit_amount": 100}]}, "lines.0.quantity"),
    ({"payer_name": "A", "lines": [{"description": "X", "quantity": 1, "unit_amount": -5}]}, "lines.0.unit_amount"),
    ({"payer_name": "A", "lines": [{"description": "X", "quantity": 1, "unit_amount": 12.5}]}, "lines.0.unit_amount"),
    ({"payer_name": "A", "lines": [{"description": "X", "quantity": 1, "unit_amount": "100"}]}, "lines.0.unit_amount"),
    ({"payer_name": "", "lines": [{"description": "X", "quantity": 1, "unit_amount": 100}]}, "payer_name"),
    ({"visit_id": 999999, "lines": [{"description": "X", "quantity": 1, "unit_amount": 100}]}, "visit_id"),
    ({"payer_name": "A", "lines": [{"description": "X", "quantity": 1, "unit_amount": 100}], "tip": 5}, "tip"),
])
async def test_a_bad_payment_request_is_refused(till: Till, body: dict, field: str):
    await _refused(till, "POST", "/api/payment-requests", "reception", 422, field, json=body)


async def test_the_kiosk_gets_specific_errors(till: Till):
    await _refused(till, "POST", "/api/kiosk/payment-lookups", "kiosk_a", 404, json={"code": "ZZZZZZ"})
    await _refused(till, "POST", "/api/kiosk/payment-lookups", "kiosk_a", 422, "code", json={"code": ""})
    await _refused(till, "POST", "/api/kiosk/payment-requests", "kiosk_a", 422, "fee_id", json={"fee_id": 9999})
    await _refused(till, "POST", "/api/kiosk/payment-requests", "kiosk_a", 422, "quantity",
                   json={"fee_id": till.fee_id, "quantity": 6})
    await _refused(till, "POST", "/api/kiosk/payment-requests/999999/card-payments", "kiosk_a", 404)
    await _refused(till, "POST", "/api/kiosk/payments/999999/cancel", "kiosk_a", 404)
    request = await till.request(("Consultation", 1, 5000))
    # kiosk_b has no reader: it cannot take a card, and says so.
    problem = await _refused(till, "POST", f"/api/kiosk/payment-requests/{request['id']}/card-payments",
                             "kiosk_b", 409)
    assert "reader" in problem["detail"]
    payment = await till.start(request["id"])
    # Another kiosk cannot see or act on this kiosk's payment.
    await _refused(till, "GET", f"/api/kiosk/payments/{payment['id']}", "kiosk_b", 404)
    await _refused(till, "POST", f"/api/kiosk/payments/{payment['id']}/test-card", "kiosk_a", 422, "outcome",
                   json={"outcome": "stolen"})
    await _refused(till, "POST", f"/api/kiosk/payments/{payment['id']}/print-outcome", "kiosk_a", 409,
                   json={"printed": True})  # no receipt yet: nothing was paid
    await _refused(till, "GET", f"/api/kiosk/payments/{payment['id']}/receipt", "kiosk_a", 409)


async def test_a_kiosk_fee_becomes_a_request_with_taxes(till: Till):
    response = await till.client.post("/api/kiosk/payment-requests", json={"fee_id": till.fee_id, "quantity": 2},
                                      headers=till.auth("kiosk_a"))
    made = await response.json()
    assert response.status == 201 and made["lines"][0]["description"] == "Copie de dossier"
    assert (made["subtotal"], made["total"]) == (3000, 3000 + 150 + 299)
    found = await till.client.post("/api/kiosk/payment-lookups", json={"code": made["code"].lower()},
                                   headers=till.auth("kiosk_a"))
    assert [r["id"] for r in (await found.json())["items"]] == [made["id"]]


async def test_refunds_and_filters_refuse_bad_input(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    payment = await till.start(request["id"])
    url = f"/api/payments/{payment['id']}/refunds"
    await _refused(till, "POST", url, "reception", 409, json={"amount": 100, "reason": "Pas encore payé"})
    await till.tap(payment["id"])
    await _refused(till, "POST", url, "reception", 422, "amount", json={"amount": 0, "reason": "Erreur"})
    await _refused(till, "POST", url, "reception", 422, "reason", json={"amount": 100, "reason": ""})
    await _refused(till, "POST", url, "reception", 422, "amount", json={"amount": 999999, "reason": "Trop"})
    await _refused(till, "POST", "/api/payments/999999/refunds", "reception", 404,
                   json={"amount": 100, "reason": "Aucun"})
    await _refused(till, "GET", "/api/payments?from=2026-13-01&state=lost&colour=red", "reception", 422, "from")
    await _refused(till, "POST", f"/api/payments/{payment['id']}/receipt-email", "reception", 422, "email",
                   json={"email": "not an address"})
    # No SMTP server is configured here: a clear 503, nothing recorded.
    await _refused(till, "POST", f"/api/payments/{payment['id']}/receipt-email", "reception", 503,
                   json={"email": "helene@example.org"})
    listed = await (await till.client.get("/api/payments?state=succeeded", headers=till.auth("reception"))).json()
    assert [p["id"] for p in listed["items"]] == [payment["id"]]
    assert listed["days"][0]["amount"] == listed["items"][0]["amount"]


async def test_a_cancelled_request_cannot_be_paid(till: Till):
    request = await till.request(("Consultation", 1, 5000))
    cancelled = await till.client.post(f"/api/payment-requests/{request['id']}/cancel", headers=till.auth("reception"))
    assert (await cancelled.json())["state"] == "cancelled"
    await _refused(till, "POST", f"/api/kiosk/payment-requests/{request['id']}/card-payments", "kiosk_a", 409)
    await _refused(till, "POST", "/api/kiosk/payment-lookups", "kiosk_a", 404, json={"code": request["code"]})
    await _refused(till, "POST", f"/api/payment-requests/{request['id']}/cancel", "reception", 409)
