"""The kiosk keeps working when the backend is down: none of the check-ins is lost, none doubled."""
from __future__ import annotations

import socket
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select

from backend.app import create_app
from backend.appkeys import DATABASE, HUB
from backend.kiosks import service as kiosks
from backend.appkeys import utc_now
from backend.visits.models import Visit
from tests.backend.conftest import build_world
from tests.kiosk_ui.driving import running_kiosk, screen, screenshot, settle, tap, wait_for


class StoppableBackend:
    """The real backend on a fixed port, which the test can stop and start again on the same database."""

    def __init__(self, settings):
        self.settings = settings
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> web.Application:
        app = create_app(self.settings)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return app

    async def stop(self) -> None:
        await self.runner.cleanup()
        self.runner = None


async def visit_count(app: web.Application) -> int:
    async with app[DATABASE].read() as session:
        return await session.scalar(select(func.count()).select_from(Visit))


async def test_twenty_check_ins_while_the_backend_is_down_arrive_once_it_is_back(settings, tmp_path: Path):
    backend = StoppableBackend(settings)
    app = await backend.start()
    world = await build_world(app[DATABASE])
    try:
        async for kiosk in running_kiosk(backend.url, world.tokens["kiosk_a"], tmp_path / "kiosk"):
            await wait_for(lambda: kiosk.status.online, 10, "the kiosk to be online")
            await backend.stop()
            await wait_for(lambda: not kiosk.status.online, 10, "the kiosk to notice")

            # The first visitor goes through the screens and is told what to do.
            await tap(screen(kiosk).ids.check_in)
            await wait_for(lambda: kiosk.root.current == "whom")
            await tap(screen(kiosk).ids.departments.children[-1])
            await tap(next(t for t in screen(kiosk).ids.types.children if t.title == "Visiteur"))
            await wait_for(lambda: kiosk.root.current == "question")
            for char in "Visiteur 1":
                screen(kiosk).type_key(char)
            for _ in range(3):
                await tap(screen(kiosk).ids.next_inline)
            await wait_for(lambda: kiosk.root.current == "review")
            await tap(screen(kiosk).ids.confirm)
            await wait_for(lambda: kiosk.root.current == "confirmation", 10)
            await settle()
            screenshot("70-confirmation-offline-fr")
            message = screen(kiosk).ids.message.text
            assert "injoignable" in message and "réception" in message
            await tap(screen(kiosk).ids.done)

            # Nineteen more, through the same flow the screens drive.
            for number in range(2, 21):
                kiosk.begin_check_in()
                kiosk.chose_department(world.departments["billing"])
                kiosk.chose_visitor_type(world.visitor_types["visitor"])
                kiosk.flow.answer("visitor_name", f"Visiteur {number}")
                await kiosk.flow.submit(kiosk.client)
                assert kiosk.flow.outcome == "queued"
                kiosk.start_over()
            await wait_for(lambda: kiosk.status.pending == 20, 5, "20 check-ins in the outbox")
            await settle()
            screenshot("71-welcome-offline-fr")

            app = await backend.start()
            await wait_for(lambda: kiosk.status.online and kiosk.status.pending == 0, 30, "the outbox to drain")
            assert await visit_count(app) == 20
            await settle(1.0)
            assert await visit_count(app) == 20  # and nothing sent twice afterwards
            screenshot("72-welcome-back-online-fr")
    finally:
        if backend.runner is not None:
            await app[HUB].close_all()
            await backend.stop()


async def test_a_new_kiosk_pairs_with_a_code_and_a_staff_pin(settings, tmp_path: Path):
    backend = StoppableBackend(settings)
    app = await backend.start()
    world = await build_world(app[DATABASE])
    async with app[DATABASE].write() as session:
        code = await kiosks.issue_pairing_code(session, world.kiosk_ids["kiosk_b"], at=utc_now())
    try:
        async for kiosk in running_kiosk(backend.url, None, tmp_path / "kiosk"):
            assert kiosk.root.current == "pairing"
            pairing = screen(kiosk)
            for digit in code:
                pairing.ids.keypad.press(digit)
            await settle()
            screenshot("80-pairing-code-fr")
            await tap(pairing.ids.submit)
            for digit in "975310":
                pairing.ids.keypad.press(digit)
            await settle()
            screenshot("81-pairing-pin-fr")
            await tap(pairing.ids.submit)
            await wait_for(lambda: kiosk.root.current == "welcome" and kiosk.status.config is not None, 10,
                           "the paired kiosk's welcome")
            assert kiosk.staff_pin_matches("975310") and not kiosk.staff_pin_matches("2468")
            assert kiosk.store.pairing().kiosk_name == "kiosk_b"
    finally:
        await app[HUB].close_all()
        await backend.stop()
