"""Likely duplicates: at entry ("this looks like Hélène Côté, born 1961-04-12") and in bulk, on both databases."""
from __future__ import annotations

import datetime as dt

import pytest

from backend.appkeys import utc_now
from backend.clients import service as clients
from backend.clients.duplicates import Card, compare, duplicate_pairs, likely_duplicates
from backend.organisation.models import Site
from tests.backend.conftest import Backend, backend  # noqa: F401  (the fixture)

HELENE = {"given_name": "Hélène", "family_name": "Côté", "date_of_birth": "1961-04-12", "phone": "+1 514 555 0123",
          "email": "helene.cote@example.org", "number": "P-1001"}


async def create(backend: Backend, **fields) -> dict:
    response = await backend.client.post("/api/clients", json=fields, headers=backend.auth("clerk"))
    assert response.status == 201, await response.text()
    return await response.json()


async def check(backend: Backend, who: str = "reception", **fields):
    return await backend.client.post("/api/clients/duplicates-check", json=fields, headers=backend.auth(who))


async def add_noise(backend: Backend, count: int) -> None:
    """Clients with names, phones, emails and birthdays of their own, written as the service writes them."""
    async with backend.database.write() as session:
        site = await session.get(Site, backend.world.site_id)
        for i in range(count):
            values = {"given_name": f"Prénom{i}", "family_name": f"Famille{i:03d}", "phone": f"+1514555{2000 + i}",
                      "email": f"noise{i}@example.org",
                      "date_of_birth": dt.date(1950, 1, 1) + dt.timedelta(days=97 * i)}
            await clients.create_client(session, site, values, None, "import", utc_now())


async def test_entry_finds_helene_cote_typed_plainly_with_another_phone_format(backend: Backend) -> None:
    helene = await create(backend, **HELENE)
    await create(backend, given_name="Hélène", family_name="Tremblay", date_of_birth="1975-02-03")
    await add_noise(backend, 20)
    before = await backend.row_counts()
    response = await check(backend, given_name="Helene", family_name="Cote", date_of_birth="1961-04-12",
                           phone="(514) 555-0123")
    assert response.status == 200, await response.text()
    items = (await response.json())["items"]
    assert [item["client"]["id"] for item in items] == [helene["id"]]
    assert items[0]["client"]["summary"] == "Hélène Côté, born 1961-04-12 (no. P-1001)"
    assert items[0]["reasons"] == ["same phone", "same date of birth", "similar name"]
    assert items[0]["score"] == 100
    assert await backend.row_counts() == before  # a check stores nothing


async def test_entry_reasons_each_rule(backend: Backend) -> None:
    helene = await create(backend, **HELENE)
    # A namesake with nothing else in common is another person.
    assert (await (await check(backend, given_name="Hélène", family_name="Côté")).json())["items"] == []
    assert (await (await check(backend, given_name="Hélène", family_name="Côté",
                               date_of_birth="1970-01-01")).json())["items"] == []
    # Same birthday, another name: not the same client either.
    assert (await (await check(backend, given_name="Paul", family_name="Roy",
                               date_of_birth="1961-04-12")).json())["items"] == []
    cases = [
        ({"given_name": "Helen", "family_name": "Cote", "date_of_birth": "12/04/1961"},
         ["same date of birth", "similar name"]),
        ({"given_name": "Côté", "family_name": "Hélène", "phone": "514-555-0123"}, ["same phone", "similar name"]),
        ({"family_name": "Roy", "email": "helene.cote@EXAMPLE.org"}, ["same email"]),
        # A number already taken is reported as the duplicate it is, not refused.
        ({"family_name": "Autre", "number": " P-1001 "}, ["same number"]),
    ]
    for fields, reasons in cases:
        response = await check(backend, **fields)
        assert response.status == 200, await response.text()
        items = (await response.json())["items"]
        assert [(item["client"]["id"], item["reasons"]) for item in items] == [(helene["id"], reasons)], fields


async def test_entry_check_refuses_bad_input_and_changes_nothing(backend: Backend) -> None:
    await create(backend, **HELENE)
    before = await backend.row_counts()
    for fields in ({"family_name": "Côté", "email": "not-an-email"}, {"family_name": "Côté", "phone": "12"},
                   {"family_name": "Côté", "date_of_birth": "1961-13-45"}, {"given_name": ""},
                   {"family_name": "Côté", "colour": "blue"}, {"family_name": 12}):
        response = await check(backend, **fields)
        assert response.status == 422, fields
    assert await backend.row_counts() == before


async def test_service_excludes_the_record_itself_and_stopped_ones(backend: Backend) -> None:
    helene = await create(backend, **HELENE)
    other = await create(backend, given_name="Helene", family_name="Cote", phone="514 555 0123")
    values = {"given_name": "Hélène", "family_name": "Côté", "phone": "+15145550123"}
    async with backend.database.read() as session:
        found = await likely_duplicates(session, backend.world.site_id, values, exclude_id=helene["id"])
        assert [client.id for client, _, _ in found] == [other["id"]]
        assert await likely_duplicates(session, backend.world.site_id + 1, values) == []
        assert await likely_duplicates(session, backend.world.site_id, {"family_name": "Côté"}) == []


def test_scores_rank_stronger_evidence_first() -> None:
    base = Card(id=1, name="helene cote", phones=frozenset({"+15145550123"}), email="", born=dt.date(1961, 4, 12),
                number="")
    phone_only = Card(id=2, name="helene cote", phones=frozenset({"+15145550123"}), email="", born=None, number="")
    both = Card(id=3, name="helen cote", phones=frozenset({"+15145550123"}), email="", born=dt.date(1961, 4, 12),
                number="")
    sibling = Card(id=4, name="marc cote", phones=frozenset({"+15145550123"}), email="", born=None, number="")
    assert compare(base, both)[0] > compare(base, phone_only)[0] > 0
    assert compare(base, sibling) is None  # a family's shared phone does not make one client


async def test_bulk_finds_the_pairs_among_noise(backend: Backend) -> None:
    await add_noise(backend, 60)
    helene = await create(backend, **HELENE)
    helene_again = await create(backend, given_name="Helene", family_name="Cote", phone="514.555.0123")
    # A namesake born another day, with another phone: another person.
    await create(backend, given_name="Hélène", family_name="Côté", date_of_birth="1980-06-30", phone="4185550000")
    # Brothers sharing the family's phone: not duplicates.
    await create(backend, given_name="Marc", family_name="Roy", phone="514 555 9999")
    await create(backend, given_name="Luc", family_name="Roy", phone="514 555 9999")
    # The shared phone is one's main number and the other's second one: only the name block brings them together.
    jean = await create(backend, given_name="Jean", family_name="Émond", phone="514 555 7777")
    jean_again = await create(backend, given_name="Jean", family_name="Emond", phone="450 555 1111",
                              phone_alt="514 555 7777")
    response = await backend.client.get("/api/clients/duplicates", headers=backend.auth("clerk"))
    assert response.status == 200, await response.text()
    pairs = [((p["first"]["id"], p["second"]["id"]), p["reasons"]) for p in (await response.json())["items"]]
    assert sorted(pairs) == sorted([
        ((helene["id"], helene_again["id"]), ["same phone", "similar name"]),
        ((jean["id"], jean_again["id"]), ["same phone", "similar name"]),
    ])
    limited = await backend.client.get("/api/clients/duplicates?limit=1", headers=backend.auth("clerk"))
    assert len((await limited.json())["items"]) == 1


async def test_bulk_email_and_birthday_blocks(backend: Backend) -> None:
    a = await create(backend, given_name="Anne", family_name="Gagnon", email="famille@example.org")
    b = await create(backend, given_name="Pierre", family_name="Lavoie", email="Famille@example.org")
    c = await create(backend, given_name="Zoé", family_name="Bélanger", date_of_birth="2001-09-09")
    d = await create(backend, given_name="Zoe", family_name="Belanger-Roy", date_of_birth="2001-09-09")
    async with backend.database.read() as session:
        pairs = await duplicate_pairs(session, backend.world.site_id)
    found = {(x.id, y.id): reasons for x, y, _, reasons in pairs}
    assert found == {(a["id"], b["id"]): ["same email"], (c["id"], d["id"]): ["same date of birth", "similar name"]}


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=abc", "sort=name"])
async def test_bulk_refuses_bad_filters(backend: Backend, query: str) -> None:
    response = await backend.client.get(f"/api/clients/duplicates?{query}", headers=backend.auth("clerk"))
    assert response.status == 422


async def test_who_may_check(backend: Backend) -> None:
    await create(backend, **HELENE)
    fields = {"given_name": "Helene", "family_name": "Cote", "date_of_birth": "1961-04-12"}
    no_token = await backend.client.post("/api/clients/duplicates-check", json=fields)
    assert no_token.status == 401
    assert (await backend.client.get("/api/clients/duplicates")).status == 401
    for who, status in (("kiosk_a", 403), ("admin", 200), ("reception", 200), ("clerk", 200), ("billing", 200),
                        ("paeds", 200)):
        assert (await check(backend, who, **fields)).status == status, who
        listed = await backend.client.get("/api/clients/duplicates", headers=backend.auth(who))
        assert listed.status == status, who
