"""Client records through the API: what is entered is checked and normalised, bad input changes nothing, every
change is kept (who, when, before, after), and every view is in a trail the clerks can read."""
from __future__ import annotations

from sqlalchemy import func, select

from backend.clients.models import Client, ClientChange
from tests.backend.conftest import Backend

HELENE = {"given_name": "Hélène", "family_name": "Côté", "number": "P-1042", "date_of_birth": "12/04/1961",
          "phone": "514 555 0123", "email": "Helene.Cote@Example.ORG", "city": "Montréal", "tags": ["Diabète", "vip"]}


async def create(backend: Backend, who: str = "clerk", **fields) -> dict:
    response = await backend.client.post("/api/clients", json={**HELENE, **fields}, headers=backend.auth(who))
    assert response.status == 201, await response.text()
    return await response.json()


async def count(backend: Backend, model) -> int:
    async with backend.database.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_clerk_creates_a_client_whose_details_are_normalised(backend: Backend):
    client = await create(backend)

    assert client["display_name"] == "Hélène Côté"
    assert (client["phone"], client["email"]) == ("+15145550123", "Helene.Cote@example.org")
    assert client["date_of_birth"] == "1961-04-12"  # the French dd/mm/yyyy read as such
    assert (client["tags"], client["status"], client["country"]) == (["diabète", "vip"], "active", "CA")


async def test_bad_input_is_refused_field_by_field_and_changes_nothing(backend: Backend):
    response = await backend.client.post("/api/clients", headers=backend.auth("clerk"), json={
        "given_name": "", "family_name": "", "phone": "12", "email": "pas une adresse", "date_of_birth": "31/02/1990",
        "country": "C1"})

    assert response.status == 422
    fields = {problem["field"]: problem["code"] for problem in (await response.json())["errors"]}
    assert fields == {"family_name": "required", "phone": "phone_invalid", "email": "email_invalid",
                      "date_of_birth": "date_invalid", "country": "country_invalid"}
    assert await count(backend, Client) == 0 and await count(backend, ClientChange) == 0

    await create(backend)
    taken = await backend.client.post("/api/clients", json={**HELENE, "given_name": "Autre"},
                                      headers=backend.auth("clerk"))
    assert taken.status == 422 and (await taken.json())["errors"][0]["code"] == "number_taken"
    unknown = await backend.client.post("/api/clients", json={"family_name": "X", "shoe_size": 9},
                                        headers=backend.auth("clerk"))
    assert unknown.status == 422
    assert await count(backend, Client) == 1


async def test_every_change_is_kept_with_who_when_and_the_values_before_and_after(backend: Backend):
    client = await create(backend)
    response = await backend.client.patch(f"/api/clients/{client['id']}", headers=backend.auth("reception"),
                                          json={"phone": "438 555 0199", "city": "Laval", "email": ""})
    assert response.status == 200, await response.text()
    assert (await response.json())["phone"] == "+14385550199"

    history = (await (await backend.client.get(f"/api/clients/{client['id']}/history",
                                               headers=backend.auth("clerk"))).json())["items"]
    latest = {item["field"]: item for item in history if item["by_staff_id"] == backend.world.staff_ids["reception"]}
    assert {field: (item["old_value"], item["new_value"]) for field, item in latest.items()} == {
        "phone": ("+15145550123", "+14385550199"), "city": ("Montréal", "Laval"),
        "email": ("Helene.Cote@example.org", "")}
    created = [item for item in history if item["by_staff_id"] == backend.world.staff_ids["clerk"]]
    assert {item["field"] for item in created} >= {"given_name", "family_name", "number", "phone", "tags"}

    # A change that changes nothing leaves no line; a bad one leaves the record as it was.
    same = await backend.client.patch(f"/api/clients/{client['id']}", headers=backend.auth("clerk"),
                                      json={"city": "Laval"})
    assert same.status == 200
    bad = await backend.client.patch(f"/api/clients/{client['id']}", headers=backend.auth("clerk"),
                                     json={"city": "Québec", "phone": "0"})
    assert bad.status == 422
    after = await (await backend.client.get(f"/api/clients/{client['id']}", headers=backend.auth("clerk"))).json()
    assert after["city"] == "Laval"
    assert len((await (await backend.client.get(f"/api/clients/{client['id']}/history",
                                                 headers=backend.auth("clerk"))).json())["items"]) == len(history)


async def test_a_clerk_sees_who_viewed_a_record(backend: Backend):
    client = await create(backend)
    for who in ("reception", "billing", "reception"):
        assert (await backend.client.get(f"/api/clients/{client['id']}", headers=backend.auth(who))).status == 200

    trail = await backend.client.get(f"/api/clients/{client['id']}/access", headers=backend.auth("clerk"))

    assert trail.status == 200
    viewed = [(item["staff_name"], item["action"]) for item in (await trail.json())["items"]]
    assert viewed == [("Reception", "client.viewed"), ("Billing", "client.viewed"), ("Reception", "client.viewed")]
    # The trail is for the record keepers; reading it is not a view.
    assert (await backend.client.get(f"/api/clients/{client['id']}/access",
                                     headers=backend.auth("billing"))).status == 403
    again = await (await backend.client.get(f"/api/clients/{client['id']}/access", headers=backend.auth("clerk"))).json()
    assert len(again["items"]) == 3


async def test_who_may_read_and_change_records(backend: Backend):
    client = await create(backend)
    assert (await backend.client.get(f"/api/clients/{client['id']}")).status == 401
    assert (await backend.client.get(f"/api/clients/{client['id']}", headers=backend.auth("kiosk_a"))).status == 403
    refused = await backend.client.patch(f"/api/clients/{client['id']}", headers=backend.auth("billing"),
                                         json={"city": "Laval"})
    assert refused.status == 403
    assert (await backend.client.post("/api/clients", json=HELENE, headers=backend.auth("paeds"))).status == 403
    assert (await backend.client.get("/api/clients/999999", headers=backend.auth("clerk"))).status == 404
