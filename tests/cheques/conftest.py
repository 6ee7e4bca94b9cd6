"""A backend with the small clinic, a fast clock, a real SMTP server, and helpers for payroll runs: the payroll
company's CSV, signatures drawn as PNG, and the reminders' round."""
from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image, ImageDraw

from backend.app import create_app
from backend.appkeys import DATABASE, SETTINGS
from backend.cheques.reminders import run_cheque_reminders
from backend.core.db import Database
from backend.notifications.dispatcher import run_due
from backend.settings import Settings
from tests.backend.conftest import Backend, FakeClock, World, build_world
from tests.panel.conftest import Mailbox, mailbox  # noqa: F401  (the SMTP server fixture)

# 08:00 in Toronto on a Tuesday: the site's morning, so "today" is the same day in UTC and on site.
MORNING = dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.UTC)
PAY_DATE = "2026-12-04"


def signature_png(variant: int = 0, *, width: int = 400, height: int = 150, ink: bool = True,
                  transparent: bool = False) -> bytes:
    """A signature as a touchscreen or the panel's canvas would send it: strokes on a white or clear sheet."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0) if transparent else (255, 255, 255, 255))
    if ink:
        draw = ImageDraw.Draw(image)
        # Each variant a little different, as no two signatures are the same.
        draw.line([(20, 110 - variant), (70, 30 + variant), (120, 120), (190, 40 + 2 * variant), (260, 115),
                   (330, 50 - variant), (380, 90)],
                  fill=(20, 20, 90, 255), width=5, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Payroll(Backend):
    """The backend under test, with its clock and mailbox."""

    clock: FakeClock = None
    mailbox: Mailbox = None
    settings: Settings = None
    replies: list = field(default_factory=list)

    @property
    def app(self):
        return self.client.server.app

    async def call(self, method: str, path: str, who: str, expected: int, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, headers={**self.auth(who), **kwargs.pop("headers", {})},
                                             **kwargs)
        raw = await response.read()
        assert response.status == expected, (method, path, who, response.status, raw[:2000])
        return await response.json() if response.content_type.endswith("json") else await response.read()

    async def post(self, path: str, who: str, body: Any = None, expected: int = 200, **kwargs: Any) -> Any:
        return await self.call("POST", path, who, expected, json=body, **kwargs)

    async def get(self, path: str, who: str, expected: int = 200) -> Any:
        return await self.call("GET", path, who, expected)

    async def collect(self, kiosk: str, body: dict, expected: int = 201, key: str | None = None) -> Any:
        return await self.post("/api/kiosk/cheques/collect", kiosk, body, expected,
                               headers={"Idempotency-Key": key or str(uuid.uuid4())})

    async def reminders(self) -> int:
        """One round of reminders at the clock's time, and the emails it queued sent."""
        count = await run_cheque_reminders(self.app)
        await run_due(self.app)
        return count

    async def send_mail(self) -> None:
        await run_due(self.app)


@pytest.fixture
async def payroll(settings: Settings, aiohttp_client, mailbox: Mailbox) -> Payroll:
    clock = FakeClock()
    clock.now = MORNING
    app = create_app(settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_starttls": False,
        # The loops would race the test's own rounds; the test runs them after moving the clock.
        "delivery_poll_seconds": 3600}), clock=clock)
    client: TestClient = await aiohttp_client(app)
    database: Database = app[DATABASE]
    world: World = await build_world(database)
    return Payroll(client=client, database=database, world=world, clock=clock, mailbox=mailbox,
                   settings=app[SETTINGS])


def payroll_csv(rows: list[tuple[str, str, str, str, str]], *, encoding: str = "utf-8-sig",
                separator: str = ";") -> bytes:
    """The payroll company's export: a French header, ';' separated, as Excel saves it in Québec."""
    lines = [separator.join(("Matricule", "Nom", "No de chèque", "Montant net", "Date de paie"))]
    lines += [separator.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
