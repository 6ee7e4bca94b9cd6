"""What the role table's cheque placeholders stand for (tests/panel/test_roles.py), made afresh through the API
by an administrator: employees, runs, and cheques in each state an endpoint needs."""
from __future__ import annotations

import itertools
import uuid

from aiohttp.test_utils import TestClient

from tests.cheques.conftest import b64, signature_png

SIGNATURE = b64(signature_png())
PIN = "2468"
_numbers = itertools.count(1)


class ChequeMaker:
    def __init__(self, client: TestClient, admin: dict[str, str], kiosk: dict[str, str]) -> None:
        self.client, self.admin, self.kiosk = client, admin, kiosk

    async def _post(self, path: str, body: dict | None, expected: int = 200, headers: dict | None = None) -> dict:
        response = await self.client.post(path, json=body, headers={**self.admin, **(headers or {})})
        assert response.status == expected, (path, await response.text())
        return await response.json()

    def number(self) -> str:
        return f"R{next(_numbers):05d}"

    async def employee(self, *, pin: bool = False) -> dict:
        made = await self._post("/api/cheques/employees", {"number": self.number(), "given_name": "Zoé",
                                                            "family_name": "Bélanger"}, 201)
        if pin:
            await self._post(f"/api/cheques/employees/{made['id']}/pin", {"pin": PIN})
        return made

    async def run(self, *, cheques: int = 1, pin: bool = False) -> tuple[int, list[int], list[dict]]:
        """A run waiting for pick-up, with a cheque for each of new employees."""
        run = await self._post("/api/cheques/runs", {"pay_date": "2030-01-04", "payroll_company": "Paie Nord"}, 201)
        people, ids = [], []
        for _ in range(cheques):
            person = await self.employee(pin=pin)
            cheque = await self._post(f"/api/cheques/runs/{run['id']}/cheques", {
                "employee_id": person["id"], "number": self.number(), "amount": 10000}, 201)
            people.append(person)
            ids.append(cheque["id"])
        return run["id"], ids, people

    async def at_desk(self, *, pin: bool = False, missing: bool = False) -> tuple[int, dict]:
        run_id, ids, people = await self.run(pin=pin)
        cheque = await self.client.get(f"/api/cheques/{ids[0]}", headers=self.admin)
        number = (await cheque.json())["number"]
        await self._post(f"/api/cheques/runs/{run_id}/collected", {
            "count": 0 if missing else 1, "missing_cheque_numbers": [number] if missing else []})
        return ids[0], people[0]

    async def signed(self) -> int:
        cheque_id, _ = await self.at_desk()
        await self._post(f"/api/cheques/{cheque_id}/hand-over", {"signature_png": SIGNATURE})
        return cheque_id

    async def requested(self) -> int:
        cheque_id, person = await self.at_desk(pin=True)
        response = await self.client.post("/api/kiosk/cheques/identify", headers=self.kiosk,
                                          json={"employee_number": person["number"], "pin": PIN})
        assert response.status == 200, await response.text()
        token = (await response.json())["collection_token"]
        response = await self.client.post("/api/kiosk/cheques/collect", json={
            "collection_token": token, "cheque_ids": [cheque_id], "signature_png": SIGNATURE},
            headers={**self.kiosk, "Idempotency-Key": str(uuid.uuid4())})
        assert response.status == 201, await response.text()
        return cheque_id
