"""A running backend with a small clinic: two departments, staff of every role, two kiosks."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.appkeys import DATABASE, utc_now
from backend.core.db import Database
from backend.kiosks import service as kiosks
from backend.models import Base
from backend.organisation.models import Department, Site
from backend.staff import service as staff
from backend.visits.models import VisitorField, VisitorType
from shared.enums import FieldKind, Role

# Hashing is slow on purpose (argon2), so only the account the sign-in tests use has a password.
PASSWORD = "correct horse battery"


@dataclass
class World:
    site_id: int = 0
    departments: dict[str, int] = field(default_factory=dict)
    visitor_types: dict[str, int] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    kiosk_ids: dict[str, int] = field(default_factory=dict)


# login -> roles, departments
STAFF = {
    "reception": ({Role.RECEPTIONIST}, []),
    "admin": ({Role.ADMIN}, []),
    "billing": ({Role.DEPARTMENT_STAFF}, ["Facturation"]),
    "billing2": ({Role.DEPARTMENT_STAFF}, ["Facturation"]),
    "paeds": ({Role.DEPARTMENT_STAFF}, ["Pédiatrie"]),
    "clerk": ({Role.CLERK}, []),
}


async def build_world(database: Database) -> World:
    world = World()
    at = utc_now()
    async with database.write() as session:
        site = Site(name="Clinique Test", address="1 rue Test", time_zone="America/Toronto", locale="fr_CA",
                    country="CA", currency="CAD")
        session.add(site)
        await session.flush()
        world.site_id = site.id
        for fr, en in (("Facturation", "Billing"), ("Pédiatrie", "Paediatrics")):
            department = Department(site_id=site.id, name_fr=fr, name_en=en)
            session.add(department)
            await session.flush()
            world.departments[en.lower()] = department.id
        patient = VisitorType(site_id=site.id, key="patient", name_fr="Patient·e", name_en="Patient", fields=[
            VisitorField(key="date_of_birth", kind=FieldKind.DATE, label_fr="Date de naissance",
                         label_en="Date of birth", required=True, position=1),
            VisitorField(key="phone", kind=FieldKind.PHONE, label_fr="Téléphone", label_en="Phone", position=2),
            VisitorField(key="email", kind=FieldKind.EMAIL, label_fr="Courriel", label_en="Email", position=3),
            VisitorField(key="first_visit", kind=FieldKind.YES_NO, label_fr="Première visite ?",
                         label_en="First visit?", position=4),
            VisitorField(key="reason", kind=FieldKind.CHOICE, label_fr="Motif", label_en="Reason", position=5,
                         choices=[{"value": "appointment", "fr": "Rendez-vous", "en": "Appointment"},
                                  {"value": "walk_in", "fr": "Sans rendez-vous", "en": "Walk-in"}]),
            VisitorField(key="note", kind=FieldKind.TEXT, label_fr="Note", label_en="Note", position=6),
        ])
        visitor = VisitorType(site_id=site.id, key="visitor", name_fr="Visiteur", name_en="Visitor", fields=[])
        session.add_all([patient, visitor])
        await session.flush()
        world.visitor_types = {"patient": patient.id, "visitor": visitor.id}
        for login, (roles, departments) in STAFF.items():
            member = await staff.create_staff(
                session, login=login, display_name=login.title(), roles=roles, department_names=departments,
                password=PASSWORD if login == "reception" else None, listed_at_kiosk=Role.DEPARTMENT_STAFF in roles, at=at)
            world.staff_ids[login] = member.id
            world.tokens[login] = await staff.create_token(session, login, label="test", at=at)
        for name in ("kiosk_a", "kiosk_b"):
            kiosk, token = await kiosks.create_kiosk(session, name, at=at)
            world.kiosk_ids[name] = kiosk.id
            world.tokens[name] = token
    return world


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Backend:
    client: TestClient
    database: Database
    world: World

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.tokens[who]}"}

    def check_in_body(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "visitor_name": "Hélène Côté",
            "visitor_phone": "514 555 0123",
            "visitor_email": "helene@example.org",
            "visitor_type_id": self.world.visitor_types["patient"],
            "department_id": self.world.departments["billing"],
            "custom_fields": {"date_of_birth": "1961-04-12", "first_visit": True, "reason": "appointment"},
            "language": "fr",
        }
        body.update(overrides)
        return body

    async def check_in(self, kiosk: str = "kiosk_a", key: str | None = None, **overrides: Any):
        headers = {**self.auth(kiosk), "Idempotency-Key": key or str(uuid.uuid4())}
        return await self.client.post("/api/kiosk/check-ins", json=self.check_in_body(**overrides),
                                      headers=headers)

    async def live(self, who: str) -> ClientWebSocketResponse:
        """A live channel for a staff member or kiosk, once the hub has registered it."""
        path = "/api/kiosk/ws" if who.startswith("kiosk") else "/api/ws"
        ws = await self.client.ws_connect(path, headers=self.auth(who))
        assert (await ws.receive_json(timeout=2)) == {"type": "ready"}
        return ws

    async def row_counts(self) -> dict[str, int]:
        async with self.database.read() as session:
            return {table.name: await session.scalar(select(func.count()).select_from(table))
                    for table in Base.metadata.sorted_tables}


async def next_event(ws: ClientWebSocketResponse, timeout: float = 1.0) -> dict[str, Any]:
    message = await ws.receive(timeout=timeout)
    return json.loads(message.data)


async def nothing_arrives(ws: ClientWebSocketResponse, within: float = 0.3) -> bool:
    try:
        message = await ws.receive(timeout=within)
    except asyncio.TimeoutError:
        return True
    raise AssertionError(f"unexpected live message: {message.data!r}")


@pytest.fixture
async def backend(settings, aiohttp_client) -> Backend:
    app = create_app(settings)
    client = await aiohttp_client(app)
    database = app[DATABASE]
    return Backend(client=client, database=database, world=await build_world(database))
