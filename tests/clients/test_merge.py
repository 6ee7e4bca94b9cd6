"""Merging two records of one client: everything of both ends up on the kept one, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.appkeys import utc_now
from backend.audit.models import AuditEvent
from backend.calls.models import Call
from backend.clients.models import Client, ClientChange
from backend.clients.search import search_clients
from backend.documents.models import ClientDocument
from backend.organisation.models import Site
from backend.payments.models import PaymentRequest
from backend.visits.models import Visit
from shared.enums import CallOutcome, CallSource, ClientKind, ClientStatus, DocumentCategory, MessageState
from tests.backend.conftest import Backend, backend  # noqa: F401  (the fixture)


async def create(backend: Backend, **fields) -> dict:
    response = await backend.client.post("/api/clients", json=fields, headers=backend.auth("clerk"))
    assert response.status == 201, await response.text()
    return await response.json()


async def merge(backend: Backend, keep_id: int, absorb_id, who: str = "clerk"):
    return await backend.client.post(f"/api/clients/{keep_id}/merge", json={"absorb_id": absorb_id},
                                     headers=backend.auth(who))


async def history(backend: Backend, client_id: int) -> list[dict]:
    response = await backend.client.get(f"/api/clients/{client_id}/history", headers=backend.auth("clerk"))
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def link_everything(backend: Backend, client_id: int, tag: str) -> dict[str, int]:
    """A visit, a payment request, a call and a document of this client; their ids."""
    response = await backend.check_in()
    assert response.status == 201, await response.text()
    visit_id = (await response.json())["id"]
    at = utc_now()
    async with backend.database.write() as session:
        (await session.get(Visit, visit_id)).client_id = client_id
        request = PaymentRequest(site_id=backend.world.site_id, code=f"T{tag}", client_id=client_id, currency="CAD",
                                 subtotal=1000, total=1000, created_at=at)
        call = Call(source=CallSource.DESK, external_id=None, caller_name="Hélène", caller_number="+15145550123",
                    client_name="Hélène Côté", client_id=client_id, reason="", outcome=CallOutcome.MESSAGE_TAKEN,
                    recording_url="", received_at=at, message_state=MessageState.OPEN)
        # The row only: the file itself is the documents' business, and a merge does not touch it.
        document = ClientDocument(client_id=client_id, category=DocumentCategory.IDENTITY, title="Carte",
                                  document_date=None, retain_until=None, filename="carte.pdf",
                                  media_type="application/pdf", size=4, sha256=tag * 64, stored_at=f"x/{tag}",
                                  uploaded_by_id=None, uploaded_at=at)
        session.add_all([request, call, document])
        await session.flush()
        return {"visit": visit_id, "payment_request": request.id, "call": call.id, "document": document.id}


async def test_a_merge_moves_everything(backend: Backend) -> None:
    kept = await create(backend, given_name="Hélène", family_name="Côté", phone="514 555 0123", tags=["VIP"],
                        notes="Allergic to penicillin.")
    absorbed = await create(backend, given_name="Helene", family_name="Cote", phone="438 555 0199",
                            email="helene@example.org", date_of_birth="1961-04-12", number="P-77",
                            address="12 rue des Érables", city="Montréal", postal_code="H2X 1Y4",
                            tags=["insured"], notes="Prefers mornings.")
    changed = await backend.client.patch(f"/api/clients/{absorbed['id']}", json={"city": "Laval"},
                                         headers=backend.auth("reception"))
    assert changed.status == 200
    # An earlier merge into the absorbed record: after this one it leads straight to the kept record.
    older = await create(backend, given_name="H.", family_name="Côté")
    assert (await merge(backend, absorbed["id"], older["id"])).status == 200
    absorbed_lines = await history(backend, absorbed["id"])
    kept_links = await link_everything(backend, kept["id"], "K")
    absorbed_links = await link_everything(backend, absorbed["id"], "A")

    response = await merge(backend, kept["id"], absorbed["id"])
    assert response.status == 200, await response.text()
    out = await response.json()
    assert (out["id"], out["given_name"], out["family_name"], out["phone"]) == (
        kept["id"], "Hélène", "Côté", "+15145550123")
    assert (out["phone_alt"], out["email"], out["date_of_birth"], out["number"]) == (
        "+14385550199", "helene@example.org", "1961-04-12", "P-77")
    assert (out["address"], out["city"], out["postal_code"]) == ("12 rue des Érables", "Laval", "H2X 1Y4")
    assert out["tags"] == ["insured", "vip"]
    assert out["notes"] == "Allergic to penicillin.\n\nPrefers mornings."

    async with backend.database.read() as session:
        for links in (kept_links, absorbed_links):
            assert (await session.get(Visit, links["visit"])).client_id == kept["id"]
            assert (await session.get(PaymentRequest, links["payment_request"])).client_id == kept["id"]
            assert (await session.get(Call, links["call"])).client_id == kept["id"]
            assert (await session.get(ClientDocument, links["document"])).client_id == kept["id"]
        gone = await session.get(Client, absorbed["id"])
        assert (gone.status, gone.merged_into_id, gone.number, gone.search_text) == (
            ClientStatus.MERGED, kept["id"], None, "")
        assert (await session.get(Client, older["id"])).merged_into_id == kept["id"]
        event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "client.merged",
                                                             AuditEvent.object_id == str(kept["id"])))
        assert event.actor_id == backend.world.staff_ids["clerk"] and event.details["absorbed_id"] == absorbed["id"]
        assert event.details["moved"] == {"visit": 1, "payment_request": 1, "call": 1, "client_document": 1,
                                         "client": 1, "client_kiosk_pass": 0, "contact_change_request": 0}
        assert len(event.details["history_lines"]) == len(absorbed_lines)

    # The kept record's history holds both stories, and says where the merge came in.
    lines = await history(backend, kept["id"])
    shown = {(line["field"], line["old_value"], line["new_value"], line["source"]) for line in lines}
    assert ("city", "Montréal", "Laval", "api") in shown  # a change made to the absorbed record
    assert ("family_name", "", "Cote", "api") in shown  # the absorbed record's creation
    assert ("family_name", "", "Côté", "api") in shown  # the kept record's creation
    assert ("merged_from", "", f"client {absorbed['id']}: Helene Cote", "merge") in shown
    assert ("email", "", "helene@example.org", "merge") in shown
    assert ("tags", "vip", "insured, vip", "merge") in shown
    assert all(line in lines for line in absorbed_lines)  # every line of the absorbed record, as it was
    # The absorbed record tells what became of it, and may no longer be changed, merged or offered as a duplicate.
    assert sorted((line["field"], line["new_value"], line["source"]) for line in await history(
        backend, absorbed["id"])) == [("number", "", "merge"), ("status", "merged", "merge")]
    patched = await backend.client.patch(f"/api/clients/{absorbed['id']}", json={"city": "Québec"},
                                         headers=backend.auth("clerk"))
    assert patched.status == 409
    assert (await merge(backend, kept["id"], absorbed["id"])).status == 409
    assert (await merge(backend, absorbed["id"], kept["id"])).status == 409
    check = await backend.client.post("/api/clients/duplicates-check", headers=backend.auth("clerk"), json={
        "given_name": "Helene", "family_name": "Cote", "phone": "438 555 0199", "email": "helene@example.org"})
    assert [item["client"]["id"] for item in (await check.json())["items"]] == [kept["id"]]
    async with backend.database.read() as session:
        for query in ("helene cote", "cote", "438 555 0199"):
            found = await search_clients(session, backend.world.site_id, query, include_inactive=True)
            assert [client.id for client, _ in found] == [kept["id"]], query


async def test_the_kept_record_keeps_what_it_has(backend: Backend) -> None:
    kept = await create(backend, given_name="Marie", family_name="Roy", email="marie@example.org",
                        address="1 rue A", status="inactive")
    absorbed = await create(backend, given_name="Marie-Ève", family_name="Roy", email="mer@example.org",
                            city="Québec", phone="418 555 0000", notes="Same note.")
    response = await merge(backend, kept["id"], absorbed["id"], who="admin")
    assert response.status == 200, await response.text()
    out = await response.json()
    assert (out["given_name"], out["email"], out["address"], out["city"]) == ("Marie", "marie@example.org",
                                                                            "1 rue A", "")
    assert (out["phone"], out["notes"], out["status"]) == ("+14185550000", "Same note.", "active")


async def test_refused_merges_change_nothing(backend: Backend) -> None:
    a = await create(backend, family_name="Côté", number="N-1")
    b = await create(backend, family_name="Cote")
    merged = await create(backend, family_name="Merged")
    erased = await create(backend, family_name="Erased")
    assert (await merge(backend, a["id"], merged["id"])).status == 200
    async with backend.database.write() as session:
        (await session.get(Client, erased["id"])).status = ClientStatus.ERASED
        site = Site(name="Autre", address="", time_zone="America/Toronto", locale="fr_CA", country="CA",
                    currency="CAD")
        session.add(site)
        await session.flush()
        elsewhere = Client(site_id=site.id, kind=ClientKind.PERSON, given_name="", family_name="Cote",
                           organisation_name="", number=None, date_of_birth=None, phone="", phone_alt="", email="",
                           address="", city="", region="", postal_code="", country="CA", notes="",
                           status=ClientStatus.ACTIVE, merged_into_id=None, search_text="cote", retain_until=None,
                           created_at=utc_now(), updated_at=utc_now())
        session.add(elsewhere)
        await session.flush()
        elsewhere_id = elsewhere.id
    before = await backend.row_counts()
    cases = [
        (a["id"], a["id"], 422), (a["id"], 99999, 422), (99999, a["id"], 404),
        (a["id"], merged["id"], 409), (merged["id"], b["id"], 409), (a["id"], erased["id"], 409),
        (erased["id"], b["id"], 409), (a["id"], elsewhere_id, 409), (elsewhere_id, b["id"], 409),
    ]
    for keep_id, absorb_id, status in cases:
        assert (await merge(backend, keep_id, absorb_id)).status == status, (keep_id, absorb_id)
    for body in ({}, {"absorb_id": str(b["id"])}, {"absorb_id": b["id"], "extra": 1}, {"absorb_id": None}):
        response = await backend.client.post(f"/api/clients/{a['id']}/merge", json=body,
                                             headers=backend.auth("clerk"))
        assert response.status == 422, body
    assert (await backend.client.post("/api/clients/x/merge", json={"absorb_id": b["id"]},
                                      headers=backend.auth("clerk"))).status == 404
    assert await backend.row_counts() == before
    async with backend.database.read() as session:
        assert (await session.get(Client, b["id"])).status == ClientStatus.ACTIVE
        assert await session.scalar(select(ClientChange.client_id).where(ClientChange.client_id == b["id"])
                                    .limit(1)) == b["id"]


@pytest.mark.parametrize("who, status", [("kiosk_a", 403), ("billing", 403), ("paeds", 403), ("admin", 200),
                                         ("reception", 200), ("clerk", 200)])
async def test_who_may_merge(backend: Backend, who: str, status: int) -> None:
    a = await create(backend, family_name="Côté")
    b = await create(backend, family_name="Cote")
    before = await backend.row_counts()
    assert (await merge(backend, a["id"], b["id"], who=who)).status == status
    if status != 200:
        assert await backend.row_counts() == before
    no_token = await backend.client.post(f"/api/clients/{a['id']}/merge", json={"absorb_id": b["id"]})
    assert no_token.status == 401
