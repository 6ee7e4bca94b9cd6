"""The kiosk in a portrait screen (800×1280): driven in a process of its own, against this test's backend."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from backend.visits.models import Visit
from tests.kiosk_ui.driving import run_portrait

SCRIPT = Path(__file__).with_name("portrait_checkin.py")


async def test_check_in_in_english_for_a_person_found_by_name_in_portrait(backend, tmp_path: Path):
    await run_portrait(SCRIPT, backend, tmp_path / "kiosk")

    async with backend.database.read() as session:
        visit = (await session.scalars(select(Visit))).one()
    assert (visit.visitor_name, visit.host_id, visit.language, visit.visitor_phone) == (
        "John O'Neil", backend.world.staff_ids["paeds"], "en", None)
