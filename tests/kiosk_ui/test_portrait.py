"""The kiosk in a portrait screen (800×1280): driven in a process of its own, against this test's backend."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy import select

from backend.visits.models import Visit

SCRIPT = Path(__file__).with_name("portrait_checkin.py")


async def test_check_in_in_english_for_a_person_found_by_name_in_portrait(backend, tmp_path: Path):
    base_url = str(backend.client.make_url("")).rstrip("/")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), base_url, backend.world.tokens["kiosk_a"], str(tmp_path / "kiosk"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        if process.returncode is None:  # timed out: leave no kiosk window behind
            process.kill()
            await process.wait()
    assert process.returncode == 0, output.decode()[-4000:]

    async with backend.database.read() as session:
        visit = (await session.scalars(select(Visit))).one()
    assert (visit.visitor_name, visit.host_id, visit.language, visit.visitor_phone) == (
        "John O'Neil", backend.world.staff_ids["paeds"], "en", None)
