"""A backend taking the telephone system's webhooks: Twilio's auto-attendant and signed call events, on the
notifications' fixtures (a real SMTP server, the test's clock). Billing and Paediatrics have phone numbers;
the "billing" member is told by email too."""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse
from pydantic import SecretStr
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from backend.calls.models import Call, CallEvent
from backend.notifications.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from backend.organisation.models import Department, Site
from backend.routing.models import ContactChannel, Notification, OpeningHours
from shared.enums import DeliveryChannel
from tests.notifications.conftest import Post, StartPost, hooks, mailbox, start_post  # noqa: F401

TOKEN = "twilio-auth-token-for-tests"
SECRET = "call-events-secret-for-tests"
PUBLIC = "http://testserver.example"  # what Twilio is told to call; signatures are made for it
BILLING_PHONE = "+15145550111"
PAEDS_PHONE = "+15145550122"
BILLING_EMAIL = "billing@example.org"
# A Wednesday, 14:00 in Toronto (EDT): within the working hours the tests give, and a fixed weekday for them.
WEDNESDAY_AFTERNOON = dt.datetime(2025, 3, 12, 18, 0, tzinfo=dt.UTC)
CALL = {"CallSid": "CA" + "0123456789abcdef" * 2, "AccountSid": "AC" + "f" * 32, "From": "+15145550123",
        "To": "+15145550100", "CallerName": "Hélène Côté", "CallStatus": "ringing", "Direction": "inbound"}


@dataclass
class Phone:
    post: Post

    async def twilio(self, path: str, params: dict[str, str], *, token: str = TOKEN,
                     signed_url: str | None = None, signature_header: str | None = None) -> ClientResponse:
        """POST the form as Twilio does, signed with `token` for the public URL (or `signed_url`)."""
        sent = signature_header if signature_header is not None else \
            RequestValidator(token).compute_signature(signed_url or PUBLIC + path, params)
        headers = {"X-Twilio-Signature": sent} if sent else {}
        return await self.post.client.post(path, data=params, headers=headers)

    async def twiml(self, path: str, **params: str) -> ET.Element:
        response = await self.twilio(path, {**CALL, **params})
        assert response.status == 200, await response.text()
        assert response.content_type == "text/xml"
        root = ET.fromstring(await response.read())
        assert root.tag == "Response"
        return root

    async def event(self, body: dict[str, Any] | bytes, *, secret: str = SECRET, timestamp: int | None = None,
                    headers: dict[str, str] | None = None) -> ClientResponse:
        """POST a call event signed as the phone system does (`headers` replace the signature's)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        at = int(self.post.clock().timestamp()) if timestamp is None else timestamp
        signed = {TIMESTAMP_HEADER: str(at), SIGNATURE_HEADER: signature(secret, at, raw)}
        return await self.post.client.post("/hooks/call-events", data=raw, headers={
            "Content-Type": "application/json", **(signed if headers is None else headers)})

    async def calls(self) -> list[Call]:
        async with self.post.database.read() as session:
            return list((await session.scalars(select(Call).order_by(Call.id))).all())

    async def only_call(self) -> Call:
        found = await self.calls()
        assert len(found) == 1, found
        return found[0]

    async def events(self, call_id: int) -> list[str]:
        async with self.post.database.read() as session:
            return list(await session.scalars(select(CallEvent.event).where(CallEvent.call_id == call_id)
                                              .order_by(CallEvent.id)))

    async def notified(self, call_id: int) -> list[tuple[str, int]]:
        """(kind, recipient) of each panel notification about the call, in order."""
        async with self.post.database.read() as session:
            rows = await session.execute(select(Notification.kind, Notification.recipient_id)
                                         .where(Notification.call_id == call_id).order_by(Notification.id))
            return [tuple(row) for row in rows]

    async def count(self, model: type) -> int:
        async with self.post.database.read() as session:
            return await session.scalar(select(func.count()).select_from(model))

    async def set_hours(self, department: str, *spans: tuple[int, dt.time, dt.time]) -> None:
        async with self.post.database.write() as session:
            for weekday, opens, closes in spans:
                session.add(OpeningHours(department_id=self.post.world.departments[department], weekday=weekday,
                                         opens=opens, closes=closes))

    async def set_site_phone(self, number: str) -> None:
        async with self.post.database.write() as session:
            site = await session.get(Site, self.post.world.site_id)
            site.phone = number

    def ids(self, *logins: str) -> set[int]:
        return {self.post.world.staff_ids[login] for login in logins}


async def start_phone(start_post: StartPost, **overrides: Any) -> Phone:
    post = await start_post(**{"twilio_auth_token": SecretStr(TOKEN), "call_events_secret": SecretStr(SECRET),
                               "public_url": PUBLIC, **overrides})
    post.clock.now = WEDNESDAY_AFTERNOON
    async with post.database.write() as session:
        for name, number in (("billing", BILLING_PHONE), ("paediatrics", PAEDS_PHONE)):
            (await session.get(Department, post.world.departments[name])).phone = number
        session.add(ContactChannel(staff_member_id=post.world.staff_ids["billing"], channel=DeliveryChannel.EMAIL,
                                   target=BILLING_EMAIL))
    return Phone(post)


@pytest.fixture
async def phone(start_post: StartPost) -> Phone:
    return await start_phone(start_post)
