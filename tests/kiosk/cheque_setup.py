"""An employee with a PIN and cheques at the desk, set up through the staff JSON API as the front desk would."""
from __future__ import annotations

import datetime as dt
from typing import Any

from tests.backend.conftest import Backend

PIN = "4821"
COMPANY = "Paie Laurentides inc."


async def _post(backend: Backend, path: str, body: dict[str, Any], expected: int = 201) -> dict[str, Any]:
    response = await backend.client.post(path, json=body, headers=backend.auth("admin"))
    assert response.status == expected, (path, response.status, await response.text())
    return await response.json() if response.content_type.endswith("json") else {}


async def ready_cheques(backend: Backend, *, number: str, given_name: str, family_name: str = "Tremblay",
                        cheques: int = 2) -> dict[str, Any]:
    """The employee, their PIN, and `cheques` cheques of one payroll run, collected: at the desk, ready."""
    employee = await _post(backend, "/api/cheques/employees",
                           {"number": number, "given_name": given_name, "family_name": family_name})
    await _post(backend, f"/api/cheques/employees/{employee['id']}/pin", {"pin": PIN}, expected=200)
    if not cheques:
        return {"employee_id": employee["id"], "run_id": None, "cheque_ids": [], "cheque_numbers": []}
    run = await _post(backend, "/api/cheques/runs", {"pay_date": dt.date(2026, 11, 12).isoformat(),
                                                     "payroll_company": COMPANY})
    numbers = [f"{number[-3:]}{index:03d}" for index in range(1, cheques + 1)]
    ids = []
    for cheque_number in numbers:
        cheque = await _post(backend, f"/api/cheques/runs/{run['id']}/cheques",
                             {"employee_id": employee["id"], "number": cheque_number, "amount": 123456})
        ids.append(cheque["id"])
    await _post(backend, f"/api/cheques/runs/{run['id']}/collected", {"count": cheques}, expected=200)
    return {"employee_id": employee["id"], "run_id": run["id"], "cheque_ids": ids, "cheque_numbers": numbers}
