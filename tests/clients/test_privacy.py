"""Privacy through HTTP on both databases: everything held about a client as one ZIP, erasure on request that
leaves nothing of the person in any table or file, and erasure when retention ends (on a clock the test moves)."""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import os
import time
import zipfile

from aiohttp import web
from sqlalchemy import select, text

from backend.appkeys import CLOCK, DATABASE, SETTINGS
from backend.audit.models import AuditEvent
from backend.audit.service import record
from backend.calls.models import Call, CallEvent
from backend.clients import privacy
from backend.clients.models import Client, ClientChange
from backend.clients.privacy import run_retention
from backend.models import Base
from backend.notifications.models import Delivery
from backend.payments.models import Payment, PaymentRequest
from backend.receipts.models import ReceiptRecord
from backend.visits.models import Visit
from shared.enums import (CallOutcome, CallSource, ClientStatus, DeliveryChannel, DeliveryStatus, MessageState,
                          PaymentMethod, PaymentState)
from shared.fields import folded
from tests.clients.test_documents import (Office, create_client, image_bytes, office, pdf_bytes,  # noqa: F401
                                          upload, uploaded)

HELENE = {"given_name": "Hélène", "family_name": "Côté", "date_of_birth": "1961-04-12", "phone": "514 555 0123",
          "email": "helene.cote@example.org", "number": "P-1001", "address": "12 rue des Érables", "city": "Laval",
          "notes": "Allergique à la pénicilline.", "tags": ["VIP"]}
VISITOR = {"visitor_name": "Hélène C. Visiteuse", "visitor_phone": "514 555 0199",
           "visitor_email": "h.visiteuse@example.net"}
# Everything that would tell who she was, as stored (normalised) or typed.
PERSONAL = ["Hélène", "Côté", "helene cote", "+15145550123", "5145550123", "514 555 0123", "+15145550199",
            "helene.cote@example.org", "h.visiteuse@example.net", "P-1001", "1961-04-12", "Érables",
            "pénicilline", "Visiteuse", "vip"]


async def file_of_helene(office: Office) -> dict:
    """Hélène's record with everything that can hold her data: history, tags, a view, a visit (and the kiosk's
    reply to it), payment requests (one by her visit only), a payment with an emailed receipt, a call, a queued
    notification, documents (one shared with another client's file); and Marc, whose file must stay whole."""
    helene = await create_client(office, **HELENE)
    changed = await office.client.patch(f"/api/clients/{helene['id']}", json={"city": "Montréal"},
                                        headers=office.auth("reception"))
    assert changed.status == 200
    assert (await office.client.get(f"/api/clients/{helene['id']}", headers=office.auth("paeds"))).status == 200
    marc = await create_client(office, given_name="Marc", family_name="Roy", phone="418 555 0000")
    visits = {}
    for name, overrides in (("helene", VISITOR), ("marc", {
            "visitor_name": "Marc Roy", "visitor_phone": None, "visitor_email": None,
            "custom_fields": {"date_of_birth": "1970-01-02"}})):
        response = await office.check_in(**overrides)
        assert response.status == 201, await response.text()
        visits[name] = (await response.json())["id"]
    at = office.clock()
    async with office.database.write() as session:
        (await session.get(Visit, visits["helene"])).client_id = helene["id"]
        (await session.get(Visit, visits["marc"])).client_id = marc["id"]
        by_visit = PaymentRequest(site_id=office.world.site_id, code="PV1", visit_id=visits["helene"],
                                  payer_name=VISITOR["visitor_name"], currency="CAD", subtotal=2500, total=2875,
                                  created_at=at)
        direct = PaymentRequest(site_id=office.world.site_id, code="PC1", client_id=helene["id"],
                                payer_name="Hélène Côté", currency="CAD", subtotal=1000, total=1000, created_at=at)
        call = Call(source=CallSource.DESK, external_id=None, caller_name="Hélène Côté", caller_number="+15145550123",
                    client_name="Hélène Côté", client_id=helene["id"], reason="Rappeler Hélène pour son dossier",
                    outcome=CallOutcome.VOICEMAIL, recording_url="https://voice.example/rec/RE1",
                    received_at=at, message_state=MessageState.OPEN)
        session.add_all([by_visit, direct, call])
        await session.flush()
        payment = Payment(request_id=direct.id, method=PaymentMethod.CARD_PRESENT, state=PaymentState.SUCCEEDED,
                          amount=1000, currency="CAD", idempotency_key="pay-1", card_brand="visa",
                          card_last4="4242", created_at=at, settled_at=at)
        session.add(payment)
        await session.flush()
        session.add_all([
            ReceiptRecord(payment_id=payment.id, number="R-0001", token="tok-1", issued_at=at,
                          emailed_to=HELENE["email"]),
            CallEvent(call_id=call.id, at=at, event="ringing", detail="+15145550123"),
            Delivery(channel=DeliveryChannel.EMAIL, target="billing@example.org", subject="Hélène Côté is here",
                     body="Hélène C. Visiteuse (514 555 0199) checked in.", payload={"visitor": "Hélène Côté"},
                     about=f"visit:{visits['helene']}", recipient_staff_id=office.world.staff_ids["billing"],
                     status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at, last_error="", created_at=at)])
        record(session, ("staff", office.world.staff_ids["admin"]), "receipt.emailed", "receipt", "R-0001", at,
               to=HELENE["email"])
        ids = {"call": call.id, "payment": payment.id, "requests": [by_visit.id, direct.id]}
    report = await uploaded(office, helene["id"], pdf_bytes("Rapport de Hélène Côté"), "Rapport Côté.pdf",
                            title="Rapport médical Hélène")
    shared_png = image_bytes("PNG", "blue")
    card = await uploaded(office, helene["id"], shared_png, "carte.png", category="identity")
    theirs = await uploaded(office, marc["id"], shared_png, "carte-marc.png", category="identity")
    return {"helene": helene, "marc": marc, "visits": visits, "report": report, "card": card, "theirs": theirs,
            **ids}


async def every_row(office: Office) -> list[str]:
    """Every row of every table, as text."""
    rows = []
    async with office.database.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                rows.append(f"{table.name}: " + " | ".join(
                    json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v) for v in row))
    return rows


def mentions(rows: list[str], needles: list[str]) -> list[str]:
    return [row for row in rows if any(folded(n) in folded(row) for n in needles)]


async def test_after_erasure_nothing_of_the_client_remains_in_the_database_or_the_files(office: Office) -> None:
    made = await file_of_helene(office)
    helene_id = made["helene"]["id"]
    assert mentions(await every_row(office), PERSONAL)  # the scan does find her before
    report_sha = made["report"]["sha256"]
    assert report_sha in office.stored()

    response = await office.client.post(f"/api/clients/{helene_id}/erase",
                                        json={"reason": "Her written request of 2026-11-02"},
                                        headers=office.auth("admin"))
    assert response.status == 200, await response.text()
    out = await response.json()
    assert (out["client_id"], out["display_name"], out["documents"]) == (
        helene_id, f"Erased client #{helene_id}", 2)

    rows = await every_row(office)
    assert mentions(rows, PERSONAL) == []
    assert mentions(rows, ["Marc Roy", "+14185550000"])  # another client's file is untouched
    # Her own document's file is gone from disk; the card shared with Marc's file stays for him.
    stored = office.stored()
    assert report_sha not in stored
    assert pdf_bytes("Rapport de Hélène Côté") not in stored.values()
    assert list(stored) == [made["theirs"]["sha256"]]
    download = await office.client.get(made["theirs"]["content_url"], headers=office.auth("clerk"))
    assert download.status == 200 and await download.read() == image_bytes("PNG", "blue")
    assert (await office.client.get(made["card"]["content_url"], headers=office.auth("clerk"))).status == 404

    async with office.database.read() as session:
        client = await session.get(Client, helene_id)
        assert client.status == ClientStatus.ERASED
        # The facts stay: amounts, dates, which fields changed and when.
        totals = list(await session.scalars(select(PaymentRequest.total).where(
            PaymentRequest.id.in_(made["requests"])).order_by(PaymentRequest.id)))
        assert totals == [2875, 1000]
        assert (await session.get(Payment, made["payment"])).amount == 1000
        assert (await session.get(Visit, made["visits"]["helene"])).client_id == helene_id
        lines = list(await session.scalars(select(ClientChange).where(ClientChange.client_id == helene_id)))
        assert {"given_name", "city", "tags", "status"} <= {line.field for line in lines}
        assert (await session.get(Delivery, 1)).status == DeliveryStatus.FAILED  # never sent with a blank body
        erased = await session.scalar(select(AuditEvent).where(AuditEvent.action == "client.erased"))
    assert (erased.actor_type, erased.actor_id, erased.object_id) == (
        "staff", office.world.staff_ids["admin"], str(helene_id))
    assert erased.details == {"automatic": False, "visits": 1, "payment_requests": 2, "calls": 1, "documents": 2,
                              "reason": "Her written request of 2026-11-02"}
    shown = await office.client.get(f"/api/clients/{helene_id}", headers=office.auth("clerk"))
    assert (await shown.json())["display_name"] == f"Erased client #{helene_id}"
    if office.database.is_sqlite:
        # Not even in the database file's free space, its write-ahead log, or the search index's segments.
        raw = b"".join(p.read_bytes() for p in office.folder.parent.glob("accueil.db*"))
        assert [n for n in ("Hélène", "Côté", "helene cote", "helene.cote@example.org", "Visiteuse", "P-1001")
                if n.encode() in raw] == []
        async with office.database.read() as session:
            segments = b"".join(bytes(r[0]) for r in (await session.execute(text("SELECT block FROM client_fts_data"))))
        assert [trigram for trigram in (b"hel", b"cot", b"vip", b"p-1") if trigram in segments] == []


async def test_erasure_is_for_administrators_once_with_a_reason_that_names_nobody(office: Office) -> None:
    made = await file_of_helene(office)
    path = f"/api/clients/{made['helene']['id']}/erase"
    body = {"reason": "Request by letter"}
    assert (await office.client.post(path, json=body)).status == 401
    for who in ("kiosk_a", "reception", "clerk", "billing", "paeds"):
        assert (await office.client.post(path, json=body, headers=office.auth(who))).status == 403, who
    before = await every_row(office)
    for bad in ({}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": "Mme Côté asked"},
                {"reason": "asked from helene.cote@example.org"}, {"reason": "ok", "now": True}):
        response = await office.client.post(path, json=bad, headers=office.auth("admin"))
        assert response.status == 422, bad
    assert await every_row(office) == before and len(office.stored()) == 2
    assert (await office.client.post("/api/clients/999999/erase", json=body,
                                     headers=office.auth("admin"))).status == 404
    assert (await office.client.post(path, json=body, headers=office.auth("admin"))).status == 200
    again = await office.client.post(path, json=body, headers=office.auth("admin"))
    assert again.status == 409
    # An erased record takes no new documents.
    refused = await upload(office, made["helene"]["id"], pdf_bytes("After"))
    assert refused.status == 409
    assert len(office.stored()) == 1  # only the card Marc's file shares


async def test_everything_held_about_a_client_as_one_zip(office: Office) -> None:
    made = await file_of_helene(office)
    helene_id = made["helene"]["id"]
    identified = await office.client.post("/api/kiosk/clients/identify", headers=office.auth("kiosk_a"),
                                          json={"number": "P-1001", "birth_date": "1961-04-12"})
    assert identified.status == 200, await identified.text()
    proposed = await office.client.post("/api/kiosk/clients/contact-changes", json={
        "client_token": (await identified.json())["client_token"], "email": "h.cote@example.net"},
        headers={**office.auth("kiosk_a"), "Idempotency-Key": "change-1"})
    assert proposed.status == 201, await proposed.text()
    response = await office.client.get(f"/api/clients/{helene_id}/everything", headers=office.auth("clerk"))
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == f'attachment; filename="client-{helene_id}-everything.zip"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    package = zipfile.ZipFile(io.BytesIO(await response.read()))
    report, card = made["report"], made["card"]
    assert sorted(package.namelist()) == sorted([
        "README.txt", "client.json", "tags.json", "history.json", "visits.json", "payment_requests.json",
        "calls.json", "contact_changes.json", "access.json", "documents.json",
        f"documents/{report['id']}-Rapport Côté.pdf",
        f"documents/{card['id']}-carte.png"])

    def part(name: str):
        return json.loads(package.read(name))
    client = part("client.json")
    assert (client["given_name"], client["family_name"], client["phone"], client["email"], client["number"]) == (
        "Hélène", "Côté", "+15145550123", "helene.cote@example.org", "P-1001")
    assert part("tags.json") == ["vip"]
    assert {(line["field"], line["new_value"]) for line in part("history.json")} >= {
        ("city", "Montréal"), ("given_name", "Hélène")}
    assert [(v["id"], v["visitor_name"], v["visitor_email"]) for v in part("visits.json")] == [
        (made["visits"]["helene"], "Hélène C. Visiteuse", "h.visiteuse@example.net")]
    requests = part("payment_requests.json")
    assert [(r["code"], r["payer_name"], r["total"]) for r in requests] == [
        ("PV1", "Hélène C. Visiteuse", 2875), ("PC1", "Hélène Côté", 1000)]
    assert requests[1]["payments"][0]["receipt"]["emailed_to"] == "helene.cote@example.org"
    assert [(c["caller_name"], c["caller_number"], c["reason"]) for c in part("calls.json")] == [
        ("Hélène Côté", "+15145550123", "Rappeler Hélène pour son dossier")]
    assert [(c["state"], c["fields"]["email"]) for c in part("contact_changes.json")] == [
        ("pending", {"seen": "helene.cote@example.org", "proposed": "h.cote@example.net"})]
    access = part("access.json")
    assert ("client.viewed", "Paeds") in {(a["action"], a["staff_name"]) for a in access}
    assert ("document.uploaded", "Clerk") in {(a["action"], a["staff_name"]) for a in access}
    assert [d["title"] for d in part("documents.json")] == ["carte", "Rapport médical Hélène"]  # newest first
    assert package.read(f"documents/{report['id']}-Rapport Côté.pdf") == pdf_bytes("Rapport de Hélène Côté")
    assert package.read(f"documents/{card['id']}-carte.png") == image_bytes("PNG", "blue")
    assert "client #" in package.read("README.txt").decode()
    async with office.database.read() as session:
        exported = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "client.exported_whole")))
    assert [(e.actor_id, e.object_id, e.details) for e in exported] == [
        (office.world.staff_ids["clerk"], str(helene_id), {"documents": 2})]

    path = f"/api/clients/{helene_id}/everything"
    assert (await office.client.get(path)).status == 401
    for who, status in (("kiosk_a", 403), ("billing", 403), ("paeds", 403), ("admin", 200), ("reception", 200)):
        assert (await office.client.get(path, headers=office.auth(who))).status == status, who
    assert (await office.client.get("/api/clients/999999/everything", headers=office.auth("clerk"))).status == 404


async def test_retention_erases_clients_and_documents_when_their_time_is_up(office: Office) -> None:
    today = office.clock().date()
    leaving = await create_client(office, given_name="Hélène", family_name="Côté", phone="514 555 0123",
                                  retain_until=(today + dt.timedelta(days=10)).isoformat())
    staying = await create_client(office, given_name="Marc", family_name="Roy")
    short = await uploaded(office, staying["id"], pdf_bytes("Temporary"), "temp.pdf",
                           retain_until=(today + dt.timedelta(days=3)).isoformat())
    kept = await uploaded(office, staying["id"], pdf_bytes("Kept"), "kept.pdf")
    own = await uploaded(office, leaving["id"], pdf_bytes("Hélène's"), "h.pdf")

    office.clock.advance(days=3)  # the last day of the document's retention: kept
    assert (await run_retention(office.app)).documents == 0
    office.clock.advance(days=1)
    done = await run_retention(office.app)
    assert (done.client_ids, done.documents) == ([], 1)
    assert short["sha256"] not in office.stored() and kept["sha256"] in office.stored()

    office.clock.advance(days=7)
    done = await run_retention(office.app)
    assert (done.client_ids, done.documents) == ([leaving["id"]], 1)
    assert sorted(office.stored()) == [kept["sha256"]]
    assert own["sha256"] not in office.stored()
    assert mentions(await every_row(office), ["Hélène", "Côté", "+15145550123", "temp.pdf"]) == []
    async with office.database.read() as session:
        assert (await session.get(Client, leaving["id"])).status == ClientStatus.ERASED
        assert (await session.get(Client, staying["id"])).status == ClientStatus.ACTIVE
        events = [(e.action, e.actor_type, e.details) for e in await session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(("client.erased", "document.expired")))
            .order_by(AuditEvent.id))]
    assert events == [
        ("document.expired", "system", {"document_id": short["id"]}),
        ("client.erased", "system", {"automatic": True, "visits": 0, "payment_requests": 0, "calls": 0,
                                     "documents": 1})]
    assert (await run_retention(office.app)).client_ids == []  # nothing twice


async def test_files_no_filing_wants_are_swept_by_the_retention_run(office: Office) -> None:
    client = await create_client(office)
    kept = await uploaded(office, client["id"], pdf_bytes("Kept"))
    # Left by a crash between a removal's commit and the file's removal, and by an upload that died mid-write.
    orphan = hashlib.sha256(b"orphan").hexdigest()
    (office.folder / orphan[:2] / orphan[2:4]).mkdir(parents=True, exist_ok=True)
    (office.folder / orphan[:2] / orphan[2:4] / orphan).write_bytes(b"orphan")
    stale, fresh = office.folder / "tmp" / "upload-stale", office.folder / "tmp" / "upload-fresh"
    stale.parent.mkdir(exist_ok=True)
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    await run_retention(office.app)
    assert list(office.stored()) == [kept["sha256"]]
    assert (stale.exists(), fresh.exists()) == (False, True)


async def test_the_daily_task_runs_retention(office: Office, monkeypatch) -> None:
    leaving = await create_client(office, given_name="Hélène", family_name="Côté",
                                  retain_until=(office.clock().date() - dt.timedelta(days=1)).isoformat())
    monkeypatch.setattr(privacy, "RETENTION_FIRST_DELAY", 0)
    app = web.Application()  # the task on its own, on the office's database, settings and clock
    app[DATABASE], app[SETTINGS], app[CLOCK] = office.database, office.app[SETTINGS], office.clock
    task = privacy.retention_context(app)
    await anext(task)
    try:
        for _ in range(100):
            async with office.database.read() as session:
                if (await session.get(Client, leaving["id"])).status == ClientStatus.ERASED:
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the retention task did not erase the expired client")
    finally:
        await task.aclose()


async def test_erasing_a_client_erases_the_records_merged_into_it(office: Office) -> None:
    kept = await create_client(office, given_name="Hélène", family_name="Côté", phone="514 555 0123")
    absorbed = await create_client(office, given_name="Helene", family_name="Cote", phone="514 555 0123",
                                   email="vieille.adresse@example.org", city="Sherbrooke")
    merged = await office.client.post(f"/api/clients/{kept['id']}/merge", json={"absorb_id": absorbed["id"]},
                                      headers=office.auth("clerk"))
    assert merged.status == 200, await merged.text()

    erased = await office.client.post(f"/api/clients/{kept['id']}/erase", json={"reason": "Request by letter"},
                                      headers=office.auth("admin"))

    assert erased.status == 200
    assert mentions(await every_row(office), ["vieille.adresse@example.org", "Sherbrooke", "+15145550123"]) == []
    async with office.database.read() as session:
        assert (await session.get(Client, absorbed["id"])).status == ClientStatus.ERASED
