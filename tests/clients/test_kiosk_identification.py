"""Returning clients at the kiosk: identifying by file number or phone with the birth date (and nothing told to
whoever guesses wrong), asking for contact changes that wait for a clerk, the clerk's review, and the visit a
check-in links to the client's record. On a clock the test moves."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.appkeys import DATABASE
from backend.clients.identification import forget_old_passes
from backend.clients.kiosk_models import ClientKioskPass, ContactChangeRequest
from backend.clients.models import Client, ClientChange
from backend.core.db import Database
from backend.core.errors import InvalidInput
from backend.core.identity import StaffIdentity
from backend.payments import requests
from backend.payments.models import PaymentRequest
from backend.visits.models import Visit
from shared.enums import Language, Role
from tests.backend.conftest import Backend, FakeClock, World, build_world, next_event, nothing_arrives

HELENE = {"given_name": "Hélène", "family_name": "Côté", "number": "P-1042", "date_of_birth": "1961-04-12",
          "phone": "514 555 0123", "email": "helene@example.org", "address": "12 rue des Érables",
          "city": "Montréal", "postal_code": "H2X 1Y4"}


@dataclass
class Lobby(Backend):
    clock: FakeClock = None

    async def client_record(self, **fields) -> dict:
        response = await self.client.post("/api/clients", json={**HELENE, **fields}, headers=self.auth("clerk"))
        assert response.status == 201, await response.text()
        return await response.json()

    async def identify(self, kiosk: str = "kiosk_a", **body):
        return await self.client.post("/api/kiosk/clients/identify", json=body, headers=self.auth(kiosk))

    async def token(self, kiosk: str = "kiosk_a", number: str = "P-1042", birth_date: str = "1961-04-12") -> str:
        response = await self.identify(kiosk, number=number, birth_date=birth_date)
        assert response.status == 200, await response.text()
        return (await response.json())["client_token"]

    async def propose(self, kiosk: str = "kiosk_a", key: str | None = None, **body):
        headers = {**self.auth(kiosk), "Idempotency-Key": key or str(uuid.uuid4())}
        return await self.client.post("/api/kiosk/clients/contact-changes", json=body, headers=headers)

    async def review(self, change_id: int, verdict: str, who: str = "clerk", **body):
        return await self.client.post(f"/api/clients/contact-changes/{change_id}/{verdict}",
                                      json=body if verdict == "reject" else None, headers=self.auth(who))

    async def record_of(self, client_id: int) -> Client:
        async with self.database.read() as session:
            return await session.get(Client, client_id)

    async def count(self, model) -> int:
        async with self.database.read() as session:
            return await session.scalar(select(func.count()).select_from(model))


@pytest.fixture
async def lobby(settings, aiohttp_client) -> Lobby:
    clock = FakeClock()
    app = create_app(settings, clock=clock)
    client: TestClient = await aiohttp_client(app)
    database: Database = app[DATABASE]
    world: World = await build_world(database)
    return Lobby(client=client, database=database, world=world, clock=clock)


# --- identifying -----------------------------------------------------------------------------------

async def test_a_client_identifies_by_number_or_by_phone_with_the_birth_date(lobby: Lobby):
    record = await lobby.client_record()

    by_number = await lobby.identify(number=" p-1042 ", birth_date="1961-04-12")  # case and spaces aside
    assert by_number.status == 200, await by_number.text()
    body = await by_number.json()
    assert body["client_token"].startswith("acp_")
    assert {k: v for k, v in body.items() if k != "client_token"} == {
        "given_name": "Hélène", "family_name": "Côté", "phone": "+15145550123", "phone_shown": "514 555-0123",
        "email": "helene@example.org", "address": "12 rue des Érables", "city": "Montréal",
        "postal_code": "H2X 1Y4", "change_pending": False}

    by_phone = await lobby.identify(phone="(514) 555-0123", birth_date="1961-04-12")
    assert by_phone.status == 200
    assert (await by_phone.json())["client_token"] != body["client_token"]

    # The trail of the record shows each identification, by which kiosk.
    trail = await (await lobby.client.get(f"/api/clients/{record['id']}/access", headers=lobby.auth("clerk"))).json()
    assert [item["action"] for item in trail["items"]].count("client.identified_at_kiosk") == 2
    async with lobby.database.read() as session:
        from backend.audit.models import AuditEvent
        events = list(await session.scalars(select(AuditEvent).where(
            AuditEvent.action == "client.identified_at_kiosk")))
    assert {(e.actor_type, e.actor_id, e.object_id) for e in events} == {
        ("kiosk", lobby.world.kiosk_ids["kiosk_a"], str(record["id"]))}


async def test_a_wrong_birth_date_and_an_unknown_number_get_the_same_answer(lobby: Lobby):
    await lobby.client_record()
    wrong_date = await lobby.identify(number="P-1042", birth_date="1961-04-13")
    unknown = await lobby.identify(number="P-9999", birth_date="1961-04-12")
    unknown_phone = await lobby.identify(phone="514 555 0199", birth_date="1961-04-12")

    assert wrong_date.status == unknown.status == unknown_phone.status == 404
    assert await wrong_date.json() == await unknown.json() == await unknown_phone.json()
    assert await lobby.count(ClientKioskPass) == 0


@pytest.mark.parametrize("body, fields", [
    ({"birth_date": "1961-04-12"}, {"number": "number_or_phone", "phone": "number_or_phone"}),
    ({"number": "P-1042", "phone": "514 555 0123", "birth_date": "1961-04-12"}, {"phone": "number_or_phone"}),
    ({"number": "P-1042", "birth_date": "1961-02-31"}, {"birth_date": "date_parsing"}),
    ({"number": "P-1042", "birth_date": "2990-01-01"}, {"birth_date": "date_out_of_range"}),
    ({"number": "P-1042"}, {"birth_date": "required"}),
    ({"phone": "12", "birth_date": "1961-04-12"}, {"phone": "phone_invalid"}),
    ({"number": "P-1042", "birth_date": "1961-04-12", "name": "x"}, {"name": "field_unknown"}),
])
async def test_bad_identification_requests_are_refused_field_by_field(lobby: Lobby, body: dict, fields: dict):
    await lobby.client_record()
    response = await lobby.identify(**body)

    assert response.status == 422
    problem = await response.json()
    assert {p["field"]: p["code"] for p in problem["errors"]} == fields
    assert await lobby.count(ClientKioskPass) == 0


async def test_five_failures_from_one_kiosk_make_it_wait(lobby: Lobby):
    await lobby.client_record()
    for _ in range(5):
        assert (await lobby.identify(number="P-1042", birth_date="1970-01-01")).status == 404
    lobby.clock.advance(minutes=2)

    refused = await lobby.identify(number="P-1042", birth_date="1961-04-12")  # right, but too late
    assert refused.status == 429
    body = await refused.json()
    assert body["retry_after"] == 8 * 60 and refused.headers["Retry-After"] == "480"
    assert body["status"] == 429 and body["detail"]
    # Another kiosk is not held back; a malformed request is no failure and still gets its 422.
    assert (await lobby.identify("kiosk_b", number="P-1042", birth_date="1961-04-12")).status == 200
    assert (await lobby.identify(number="", birth_date="1961-04-12")).status == 422

    lobby.clock.advance(minutes=8, seconds=1)
    assert (await lobby.identify(number="P-1042", birth_date="1961-04-12")).status == 200


async def test_only_the_sites_active_unmerged_unerased_clients_match(lobby: Lobby):
    inactive = await lobby.client_record(number="P-1", phone="514 555 0101", status="inactive")
    kept = await lobby.client_record(number="P-2", phone="514 555 0102")
    absorbed = await lobby.client_record(number="P-3", phone="514 555 0103", given_name="Hélèna")
    erased = await lobby.client_record(number="P-4", phone="514 555 0104", given_name="Hélé")
    merged = await lobby.client.post(f"/api/clients/{kept['id']}/merge", json={"absorb_id": absorbed["id"]},
                                     headers=lobby.auth("clerk"))
    assert merged.status == 200, await merged.text()
    # A change waiting for a record that is then erased goes with the record's details.
    assert (await lobby.propose(client_token=await lobby.token(number="P-4"), city="Laval")).status == 201
    gone = await lobby.client.post(f"/api/clients/{erased['id']}/erase", json={"reason": "Asked by letter"},
                                   headers=lobby.auth("admin"))
    assert gone.status == 200, await gone.text()
    assert await lobby.count(ContactChangeRequest) == 0
    assert inactive["status"] == "inactive"

    for number, phone in (("P-1", "514 555 0101"), ("P-3", None), ("P-4", "514 555 0104")):
        assert (await lobby.identify(number=number, birth_date="1961-04-12")).status == 404, number
        if phone:
            assert (await lobby.identify("kiosk_b", phone=phone, birth_date="1961-04-12")).status == 404, phone
    assert (await lobby.identify(number="P-2", birth_date="1961-04-12")).status == 200
    # The kept record took the absorbed one's phone as its other phone: that phone now names the kept record.
    by_old_phone = await lobby.identify("kiosk_b", phone="514 555 0103", birth_date="1961-04-12")
    assert (await by_old_phone.json())["phone"] == "+15145550102"


async def test_another_sites_client_never_matches(lobby: Lobby):
    from backend.clients.service import blank_client
    from backend.organisation.models import Site
    async with lobby.database.write() as session:
        other = Site(name="Autre clinique", address="", time_zone="America/Toronto", locale="fr_CA", country="CA",
                     currency="CAD")
        session.add(other)
        await session.flush()
        stranger = blank_client(other, lobby.clock())
        stranger.given_name, stranger.number, stranger.phone = "Zoé", "Z-1", "+15145550177"
        stranger.date_of_birth = dt.date(1980, 1, 2)
        session.add(stranger)

    assert (await lobby.identify(number="Z-1", birth_date="1980-01-02")).status == 404
    assert (await lobby.identify(phone="514 555 0177", birth_date="1980-01-02")).status == 404


# --- contact changes ------------------------------------------------------------------------------

async def test_a_change_waits_for_a_clerk_and_approving_applies_it_as_the_kiosk_by_that_clerk(lobby: Lobby):
    record = await lobby.client_record()
    token = await lobby.token()
    keeper = await lobby.live("reception")
    history_before = await lobby.count(ClientChange)

    response = await lobby.propose(client_token=token, phone="438 555 0199", city="Laval", email=None,
                                   address="12 rue des Érables")  # the same address: not a change
    assert response.status == 201, await response.text()
    change = await response.json()
    assert change == {"id": change["id"], "state": "pending", "fields": ["phone", "city"]}
    assert (await next_event(keeper)) == {"type": "client.contact_change_proposed", "id": change["id"],
                                          "client_id": record["id"], "state": "pending"}
    # Nothing applied yet; the kiosk sees it waiting.
    still = await lobby.record_of(record["id"])
    assert (still.phone, still.city) == ("+15145550123", "Montréal")
    assert await lobby.count(ClientChange) == history_before
    again = await lobby.identify(number="P-1042", birth_date="1961-04-12")
    assert (await again.json())["change_pending"] is True

    queue = await (await lobby.client.get("/api/clients/contact-changes?state=pending",
                                          headers=lobby.auth("clerk"))).json()
    assert [(i["id"], i["client_name"], i["kiosk_name"]) for i in queue["items"]] == [
        (change["id"], "Hélène Côté", "kiosk_a")]
    assert [(f["field"], f["seen"], f["proposed"], f["changed_since"]) for f in queue["items"][0]["fields"]] == [
        ("phone", "+15145550123", "+14385550199", False), ("city", "Montréal", "Laval", False)]

    approved = await lobby.review(change["id"], "approve")
    assert approved.status == 200, await approved.text()
    assert (await approved.json())["state"] == "approved"
    assert (await next_event(keeper))["type"] == "client.contact_change_reviewed"
    after = await lobby.record_of(record["id"])
    assert (after.phone, after.city) == ("+14385550199", "Laval")
    history = (await (await lobby.client.get(f"/api/clients/{record['id']}/history",
                                             headers=lobby.auth("clerk"))).json())["items"]
    latest = {item["field"]: item for item in history if item["source"] == "kiosk"}
    assert {f: (i["old_value"], i["new_value"], i["by_staff_id"]) for f, i in latest.items()} == {
        "phone": ("+15145550123", "+14385550199", lobby.world.staff_ids["clerk"]),
        "city": ("Montréal", "Laval", lobby.world.staff_ids["clerk"])}

    # Reviewed once, for good: a second verdict is a conflict and changes nothing.
    assert (await lobby.review(change["id"], "approve")).status == 409
    assert (await lobby.review(change["id"], "reject", reason="Oups")).status == 409
    assert (await lobby.review(999_999, "approve")).status == 404
    await keeper.close()


async def test_rejecting_changes_nothing_but_keeps_the_reason(lobby: Lobby):
    record = await lobby.client_record()
    change = await (await lobby.propose(client_token=await lobby.token(), email="", postal_code="h3z 2y7")).json()
    assert change["fields"] == ["email", "postal_code"]
    history_before = await lobby.count(ClientChange)

    empty = await lobby.review(change["id"], "reject", reason="   ")
    assert empty.status == 422 and (await empty.json())["errors"][0]["field"] == "reason"
    missing = await lobby.review(change["id"], "reject")
    assert missing.status == 422
    rejected = await lobby.review(change["id"], "reject", reason="Could not confirm by phone")
    assert rejected.status == 200, await rejected.text()
    assert ((await rejected.json())["state"], (await rejected.json())["reject_reason"]) == (
        "rejected", "Could not confirm by phone")
    after = await lobby.record_of(record["id"])
    assert (after.email, after.postal_code) == ("helene@example.org", "H2X 1Y4")
    assert await lobby.count(ClientChange) == history_before
    assert (await lobby.review(change["id"], "approve")).status == 409
    listed = await (await lobby.client.get("/api/clients/contact-changes?state=rejected",
                                           headers=lobby.auth("clerk"))).json()
    assert [i["id"] for i in listed["items"]] == [change["id"]]
    bad = await lobby.client.get("/api/clients/contact-changes?state=lost", headers=lobby.auth("clerk"))
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "state"


async def test_bad_change_requests_are_refused_and_store_nothing(lobby: Lobby):
    await lobby.client_record()
    token = await lobby.token()

    cases = [
        ({"client_token": token, "phone": "12", "email": "pas une adresse"},
         {"phone": "phone_invalid", "email": "email_invalid"}),
        ({"client_token": token, "city": "Montréal", "phone": "514 555 0123"}, {"body": "nothing_changes"}),
        ({"client_token": token}, {"body": "nothing_changes"}),
        ({"client_token": "acp_forged", "city": "Laval"}, {"client_token": "client_token_invalid"}),
        ({"client_token": token, "city": "x" * 121}, {"city": "string_too_long"}),
        ({"client_token": token, "shoe_size": "9"}, {"shoe_size": "field_unknown"}),
        ({"city": "Laval"}, {"client_token": "required"}),
    ]
    for body, fields in cases:
        response = await lobby.propose(**body)
        assert response.status == 422, body
        assert {p["field"]: p["code"] for p in (await response.json())["errors"]} == fields, body
    # Another kiosk's token is as good as unknown there.
    elsewhere = await lobby.propose("kiosk_b", client_token=token, city="Laval")
    assert (await elsewhere.json())["errors"][0]["code"] == "client_token_invalid"
    # Valid 15 minutes.
    lobby.clock.advance(minutes=15, seconds=1)
    late = await lobby.propose(client_token=token, city="Laval")
    assert late.status == 422 and (await late.json())["errors"][0]["code"] == "client_token_expired"
    assert await lobby.count(ContactChangeRequest) == 0


async def test_a_retried_change_is_stored_once_and_a_later_one_replaces_the_pending_one(lobby: Lobby):
    record = await lobby.client_record()
    token = await lobby.token()
    first = await lobby.propose(key="same-key", client_token=token, city="Laval")
    retry = await lobby.propose(key="same-key", client_token=token, city="Laval")
    assert first.status == retry.status == 201
    assert await first.json() == await retry.json() and retry.headers.get("Idempotent-Replayed") == "true"
    assert await lobby.count(ContactChangeRequest) == 1

    second = await (await lobby.propose(client_token=token, city="Longueuil")).json()
    queue = (await (await lobby.client.get("/api/clients/contact-changes?state=pending",
                                           headers=lobby.auth("clerk"))).json())["items"]
    assert [i["id"] for i in queue] == [second["id"]]

    # The record changed since the client looked: the review says so.
    await lobby.client.patch(f"/api/clients/{record['id']}", json={"city": "Québec"}, headers=lobby.auth("clerk"))
    queue = (await (await lobby.client.get("/api/clients/contact-changes?state=pending",
                                           headers=lobby.auth("clerk"))).json())["items"]
    assert [(f["seen"], f["on_file"], f["changed_since"]) for f in queue[0]["fields"]] == [
        ("Montréal", "Québec", True)]


@pytest.mark.parametrize("who, status", [("admin", 200), ("reception", 200), ("clerk", 200), ("billing", 403),
                                         ("paeds", 403), ("kiosk_a", 403), (None, 401)])
async def test_who_may_review_changes(lobby: Lobby, who: str | None, status: int):
    await lobby.client_record()
    change = await (await lobby.propose(client_token=await lobby.token(), city="Laval")).json()
    headers = lobby.auth(who) if who else {}
    listed = await lobby.client.get("/api/clients/contact-changes?state=pending", headers=headers)
    approved = await lobby.client.post(f"/api/clients/contact-changes/{change['id']}/approve", headers=headers)
    assert (listed.status, approved.status) == (status, status)
    # Staff cannot act as a kiosk.
    if who in ("clerk", "admin"):
        assert (await lobby.identify(who, number="P-1042", birth_date="1961-04-12")).status == 403


# --- check-ins and payments linked to the client ---------------------------------------------------

async def test_a_check_in_with_a_token_links_the_visit_to_the_client(lobby: Lobby):
    record = await lobby.client_record()
    token = await lobby.token()

    linked = await lobby.check_in(client_token=token)
    assert linked.status == 201, await linked.text()
    forged = await lobby.check_in(client_token="acp_not-a-real-one")
    assert forged.status == 422
    assert {p["field"]: p["code"] for p in (await forged.json())["errors"]} == {
        "client_token": "client_token_invalid"}
    elsewhere = await lobby.check_in("kiosk_b", client_token=token)
    assert elsewhere.status == 422

    # After 24 hours the genuine token links nothing, but the visitor is checked in all the same.
    lobby.clock.advance(hours=24, seconds=1)
    old = await lobby.check_in(client_token=token)
    assert old.status == 201, await old.text()
    plain = await lobby.check_in()
    async with lobby.database.read() as session:
        visits = dict((await session.execute(select(Visit.id, Visit.client_id))).tuples().all())
    assert visits == {(await linked.json())["id"]: record["id"], (await old.json())["id"]: None,
                      (await plain.json())["id"]: None}

    # A payment request for the linked visit goes to the client's file; so does one naming the client's number
    # (this backend takes no payments, so the service is called as the API would: the payment tests cover that).
    desk = StaffIdentity(lobby.world.staff_ids["reception"], "Reception", frozenset({Role.RECEPTIONIST}),
                         frozenset())
    lines = [("Copie", 1, 500, True)]
    async with lobby.database.write() as session:
        for_visit = await requests.create_for_staff(session, desk, lines=lines, visit_id=(await linked.json())["id"],
                                                    payer_name="", language=Language.FR, at=lobby.clock())
        for_number = await requests.create_for_staff(session, desk, lines=lines, visit_id=None, payer_name="",
                                                     language=Language.FR, at=lobby.clock(), client_number=" p-1042")
        unlinked = await requests.create_for_staff(session, desk, lines=lines, visit_id=(await old.json())["id"],
                                                   payer_name="", language=Language.FR, at=lobby.clock())
    assert (for_visit.client_id, for_number.client_id, unlinked.client_id) == (record["id"], record["id"], None)
    assert for_number.payer_name == "Hélène Côté"
    with pytest.raises(InvalidInput) as refused:
        async with lobby.database.write() as session:
            await requests.create_for_staff(session, desk, lines=lines, visit_id=None, payer_name="Zoé",
                                            language=Language.FR, at=lobby.clock(), client_number="P-404")
    assert [(p.field, p.code) for p in refused.value.errors] == [("client_number", "client_unknown")]
    assert await lobby.count(PaymentRequest) == 3

    # Passes are forgotten after 30 days: then the token is as unknown as a forged one.
    async with lobby.database.write() as session:
        assert await forget_old_passes(session, lobby.clock() + dt.timedelta(days=30)) == 1
    assert await lobby.count(ClientKioskPass) == 0


async def test_nobody_hears_of_a_change_that_was_refused(lobby: Lobby):
    await lobby.client_record()
    keeper = await lobby.live("clerk")
    assert (await lobby.propose(client_token=await lobby.token(), phone="0")).status == 422
    assert await nothing_arrives(keeper)
    await keeper.close()
