"""A backend sending outgoing notifications to real listeners on the loopback: an SMTP server (aiosmtpd) and an
HTTP server standing for Slack and Teams, whose answers each test scripts. The clock is the test's."""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from backend.app import create_app
from backend.appkeys import DATABASE, SETTINGS
from backend.core.db import Database
from backend.notifications import service
from backend.notifications.dispatcher import run_due
from backend.notifications.models import Delivery
from backend.settings import Settings
from shared.enums import DeliveryChannel
from tests.backend.conftest import FakeClock, World, build_world
from tests.panel.conftest import Mailbox, mailbox  # noqa: F401  (the SMTP server fixture)

SECRET = "test-signing-secret"
RETRY_SECONDS = (10, 30, 120)  # so four attempts in all


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes
    answered: int | None = None  # the status it got, once answered

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class Hooks:
    """The chat tools' side: POST /hook/{name}. `script[name]` lists the answers to give in turn (a status, or
    "hang" to wait for `release`); once it runs out, 200."""

    def __init__(self) -> None:
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.script: dict[str, list[int | str]] = {}
        self.release = asyncio.Event()
        self.base_url = ""
        self.app = web.Application()
        self.app.router.add_post("/hook/{name}", self._handle)
        self.app.router.add_post("/moved", self._moved)

    def url(self, name: str) -> str:
        return f"{self.base_url}/hook/{name}"

    def delivered(self, name: str) -> list[Received]:
        """What this hook accepted (answered with a 2xx)."""
        return [r for r in self.received[name] if r.answered is not None and 200 <= r.answered < 300]

    async def _moved(self, request: web.Request) -> web.Response:
        self.received["moved"].append(Received(headers=dict(request.headers), raw=await request.read(), answered=301))
        raise web.HTTPMovedPermanently(location=self.url("moved-to"))

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        got = Received(headers=dict(request.headers), raw=await request.read())
        self.received[name].append(got)
        answers = self.script.get(name, [])
        answer = answers.pop(0) if answers else 200
        if answer == "hang":
            await self.release.wait()
            answer = 200
        got.answered = int(answer)
        headers = {"Retry-After": "60"} if answer == 429 else None
        return web.Response(status=got.answered, text="ok" if got.answered < 400 else "boom", headers=headers)


@pytest.fixture
async def hooks(aiohttp_server) -> Hooks:
    found = Hooks()
    server = await aiohttp_server(found.app, host="127.0.0.1")
    found.base_url = str(server.make_url("")).rstrip("/")
    yield found
    found.release.set()  # nothing left hanging at teardown


@dataclass
class Post:
    """The backend under test, its clock and the listeners it sends to."""

    client: TestClient
    settings: Settings
    clock: FakeClock
    hooks: Hooks
    mailbox: Mailbox
    world: World = field(default_factory=World)

    @property
    def app(self) -> web.Application:
        return self.client.server.app

    @property
    def database(self) -> Database:
        return self.app[DATABASE]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.tokens[who]}"}

    async def enqueue(self, channel: DeliveryChannel, target: str, *, subject: str = "Une visite vous attend",
                      body: str = "Hélène Côté est à l'accueil.", payload: dict | None = None,
                      about: str = "visit:1") -> int:
        async with self.database.write() as session:
            delivery = await service.enqueue(session, channel, target, subject, body, payload, about, None,
                                             self.clock())
            return delivery.id

    async def run(self) -> int:
        return await run_due(self.app)

    async def delivery(self, delivery_id: int) -> Delivery:
        async with self.database.read() as session:
            return await session.get(Delivery, delivery_id)


def post_settings(settings: Settings, mailbox: Mailbox, **overrides: Any) -> Settings:
    return settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_starttls": False,
        "webhook_signing_secret": SecretStr(SECRET), "delivery_retry_seconds": RETRY_SECONDS,
        # The loop would race the test's own rounds; tests call run_due after moving the clock.
        "delivery_poll_seconds": 3600, **overrides})


StartPost = Callable[..., Awaitable[Post]]


@pytest.fixture
def start_post(settings, aiohttp_client, hooks, mailbox) -> StartPost:
    """Starts a backend on the test's database; again on the same database for a restart."""
    clock = FakeClock()

    async def start(*, world: World | None = None, **overrides: Any) -> Post:
        app = create_app(post_settings(settings, mailbox, **overrides), clock=clock)
        post = Post(client=await aiohttp_client(app), settings=app[SETTINGS], clock=clock, hooks=hooks,
                    mailbox=mailbox)
        post.world = world or await build_world(post.database)
        return post

    return start


@pytest.fixture
async def post(start_post) -> Post:
    return await start_post()


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 5.0) -> Any:
    """`check()` once it is truthy, looked at every few milliseconds (for what another task finishes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (result := await check()):
        assert loop.time() < deadline, "still not so"
        await asyncio.sleep(0.01)
    return result
