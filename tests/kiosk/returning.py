"""Client records for the returning-client tests, seeded through the clients service as a clerk's entry would."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backend.appkeys import utc_now
from backend.clients import service as clients
from backend.clients.kiosk_models import ContactChangeRequest
from backend.clients.models import Client
from backend.clients.schemas import ClientIn
from backend.organisation.models import Site
from tests.backend.conftest import Backend

HELENE = {"given_name": "Hélène", "family_name": "Côté", "number": "P-1042", "date_of_birth": "1961-04-12",
          "phone": "514 555 0123", "email": "helene.cote@example.org", "address": "1234 rue Saint-Denis",
          "city": "Montréal", "postal_code": "H2X 3K8"}
MARC = {"given_name": "Marc-André", "family_name": "Bélanger", "number": "P-2001", "date_of_birth": "1984-09-03",
        "phone": "438 555 0199", "email": "", "address": "", "city": "Laval", "postal_code": ""}


async def seed_client(backend: Backend, **fields: Any) -> int:
    """A client of the test site; HELENE unless told otherwise."""
    at = utc_now()
    async with backend.database.write() as session:
        site = await session.get(Site, backend.world.site_id)
        values = await clients.checked_values(session, site, ClientIn(**(fields or HELENE)), at.date())
        return (await clients.create_client(session, site, values, None, "api", at)).id


async def client_record(backend: Backend, client_id: int) -> Client:
    async with backend.database.read() as session:
        return await session.get(Client, client_id)


async def contact_changes(backend: Backend, client_id: int) -> list[ContactChangeRequest]:
    async with backend.database.read() as session:
        return list(await session.scalars(select(ContactChangeRequest).where(
            ContactChangeRequest.client_id == client_id).order_by(ContactChangeRequest.id)))
