"""The demo's payroll is real: its employee collects at the kiosk with the number and PIN the README gives."""
from __future__ import annotations

import pytest

from backend import demo
from backend.app import create_app
from backend.appkeys import DATABASE, utc_now
from backend.cheques import demo as payroll_demo
from backend.kiosks import service as kiosks


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_the_demo_employee_finds_a_cheque_at_the_kiosk(settings, aiohttp_client):
    app = create_app(settings)
    client = await aiohttp_client(app)
    async with app[DATABASE].write() as session:
        assert await demo.seed(session, utc_now())
        _kiosk, token = await kiosks.create_kiosk(session, "Borne", at=utc_now())
    response = await client.post("/api/kiosk/cheques/identify", headers={"Authorization": f"Bearer {token}"},
                                 json={"employee_number": "E-1001", "pin": payroll_demo.EMPLOYEE_PIN})
    assert response.status == 200, await response.text()
    found = await response.json()
    assert found["given_name"] == "Sophie"
    assert [c["payroll_company"] for c in found["cheques"]] == ["Paie Express Québec"]
