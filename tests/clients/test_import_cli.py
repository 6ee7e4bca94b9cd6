"""`accueil import-clients FILE`, run for real as a console script on the configured database (SQLite and
PostgreSQL): a progress bar while it works, every bad row reported, exit 1 and nothing stored on refusal."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from backend.clients.models import Client, ClientChange
from backend.core.db import Database
from backend.organisation.models import Site
from backend.settings import Settings
from tests.clients.test_import import spreadsheet

ACCUEIL = Path(sys.executable).parent / "accueil"


def accueil(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`accueil ARGS` with the test's database, as an installer would configure it."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ACCUEIL_")}
    env["ACCUEIL_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url is not None:
        env["ACCUEIL_DATABASE_URL"] = settings.database_url.get_secret_value()
    # Bytes, decoded here: text mode would turn the progress bar's carriage returns into line breaks.
    result = subprocess.run([str(ACCUEIL), *args], capture_output=True, env=env, timeout=300, check=False)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(),
                                       result.stderr.decode())


async def seeded(settings: Settings) -> Database:
    database = Database(settings.sqlalchemy_url)
    async with database.write() as session:
        session.add(Site(name="Clinique CLI", address="2 rue Test", time_zone="America/Toronto", locale="fr_CA",
                         country="CA", currency="CAD"))
    return database


async def counts(database: Database) -> tuple[int, int]:
    async with database.read() as session:
        return (await session.scalar(select(func.count()).select_from(Client)),
                await session.scalar(select(func.count()).select_from(ClientChange)))


async def test_a_hostile_file_is_refused_with_every_bad_row_and_nothing_stored(settings: Settings, tmp_path: Path):
    database = await seeded(settings)
    raw, wrong = spreadsheet(1_500, hostile=True)
    path = tmp_path / "clients.csv"
    path.write_bytes(raw)

    result = accueil(settings, "import-clients", str(path))

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: {len(wrong)} of 1,500 rows have problems; nothing was imported." in result.stderr
    assert "\rchecking [##############################] 1,500/1,500\n" in result.stderr
    assert "storing" not in result.stderr
    shown = [line for line in result.stdout.splitlines() if line.startswith("  row ")]
    assert [int(line.split()[1].rstrip(":")) for line in shown] == sorted(wrong)[:200]
    assert f"  … and {len(wrong) - 200} more rows with problems" in result.stdout
    assert "  row 39: Date de naissance: Expected YYYY-MM-DD or DD/MM/YYYY." in result.stdout
    assert "cp1252, separator ';'; 1,500 rows, 2 blank rows skipped" in result.stdout
    assert await counts(database) == (0, 0)
    await database.dispose()


async def test_a_clean_file_is_imported_whole(settings: Settings, tmp_path: Path):
    database = await seeded(settings)
    raw, _ = spreadsheet(1_500, hostile=False)
    path = tmp_path / "clients.csv"
    path.write_bytes(raw)

    dry = accueil(settings, "import-clients", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: all 1,500 rows would be imported; nothing was stored." in dry.stdout
    assert await counts(database) == (0, 0)

    result = accueil(settings, "import-clients", str(path), "--mapping", '{"Notes": null}')

    assert result.returncode == 0, result.stderr
    assert "imported 1,500 clients." in result.stdout
    assert "Notes → (ignored)" in result.stdout
    assert "1,500/1,500\n" in result.stderr.split("storing")[-1]
    clients, changes = await counts(database)
    assert clients == 1_500 and changes > 1_500 * 5
    async with database.read() as session:
        assert not await session.scalar(select(func.count()).select_from(Client).where(Client.notes != ""))
    # Once more: every number is taken now, so all of it is refused and nothing is added.
    again = accueil(settings, "import-clients", str(path))
    assert again.returncode == 1 and "error: 1,500 of 1,500 rows have problems" in again.stderr
    assert await counts(database) == (clients, changes)
    await database.dispose()


async def test_what_cannot_be_read_is_an_error_not_a_traceback(settings: Settings, tmp_path: Path):
    database = await seeded(settings)
    path = tmp_path / "clients.csv"
    path.write_bytes("Nom;Prénom\r\nCôté;Hélène\r\n".encode())
    for args, message in (((str(tmp_path / "missing.csv"),), "cannot read"),
                          ((str(path), "--mapping", "{nope"), "--mapping is not JSON"),
                          ((str(path), "--mapping", '{"Âge": "number"}'), "a column the file does not have"),
                          ((str(path), "--mapping", '["Nom"]'), "--mapping must be a JSON object")):
        result = accueil(settings, "import-clients", *args)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert message in result.stderr, result.stderr
    assert await counts(database) == (0, 0)
    await database.dispose()
