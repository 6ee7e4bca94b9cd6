"""The `accueil` command an installer uses, run for real as a console script against a SQLite data dir."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.app import create_app
from backend.core.db import Database
from backend.organisation.models import Department, Site
from backend.settings import Settings
from backend.staff.models import StaffMember

ACCUEIL = Path(sys.executable).parent / "accueil"
PASSWORD = "tres-secret-mot-de-passe"


def accueil(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `accueil ARGS` on the SQLite database of `data_dir`, with no other ACCUEIL_* setting."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ACCUEIL_")}
    env["ACCUEIL_DATA_DIR"] = str(data_dir)
    return subprocess.run([str(ACCUEIL), *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def failed(result: subprocess.CompletedProcess[str]) -> str:
    """The error message of a command that should have failed cleanly: non-zero exit, no traceback."""
    assert result.returncode != 0, f"unexpected success\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    assert "error: " in result.stderr, result.stderr
    return result.stderr


def _sqlite(data_dir: Path) -> Database:
    return Database(f"sqlite+aiosqlite:///{data_dir / 'accueil.db'}")


async def _seed_site(data_dir: Path) -> None:
    database = _sqlite(data_dir)
    try:
        async with database.write() as session:
            site = Site(name="Clinique CLI", address="2 rue Test", time_zone="America/Toronto", locale="fr_CA",
                        country="CA", currency="CAD")
            session.add(site)
            await session.flush()
            session.add(Department(site_id=site.id, name_fr="Facturation", name_en="Billing"))
    finally:
        await database.dispose()


async def _staff_logins(data_dir: Path) -> list[str]:
    database = _sqlite(data_dir)
    try:
        async with database.read() as session:
            return list(await session.scalars(select(StaffMember.login).order_by(StaffMember.id)))
    finally:
        await database.dispose()


def staff_logins(data_dir: Path) -> list[str]:
    return asyncio.run(_staff_logins(data_dir))


def _copy(template: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    return data_dir


# Each command takes a few seconds to start, so each starting point is made once and copied per test.

@pytest.fixture(scope="module")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-empty")
    succeeded(accueil(folder, "migrate"))
    return folder


@pytest.fixture(scope="module")
def site_template(empty_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _copy(empty_template, tmp_path_factory.mktemp("cli-site"))
    asyncio.run(_seed_site(folder))
    return folder


@pytest.fixture(scope="module")
def marie_template(site_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _copy(site_template, tmp_path_factory.mktemp("cli-marie"))
    succeeded(accueil(folder, "create-user", "marie", "--role", "receptionist", "--password-stdin",
                      stdin=PASSWORD + "\n"))
    return folder


@pytest.fixture
def empty_dir(empty_template: Path, tmp_path: Path) -> Path:
    """A database migrated by `accueil migrate`, with no site yet."""
    return _copy(empty_template, tmp_path)


@pytest.fixture
def site_dir(site_template: Path, tmp_path: Path) -> Path:
    """A migrated database with one site and its Billing department."""
    return _copy(site_template, tmp_path)


@pytest.fixture
def marie_dir(marie_template: Path, tmp_path: Path) -> Path:
    """Also a receptionist, marie, created by `accueil create-user` with PASSWORD."""
    return _copy(marie_template, tmp_path)


def the_token(out: str, prefix: str) -> str:
    """The one token with `prefix` the command printed (it may print other lines around it)."""
    tokens = re.findall(rf"(?<![A-Za-z0-9_-]){prefix}[A-Za-z0-9_-]{{20,}}", out)
    assert len(tokens) == 1, out
    return tokens[0]


def settings_for(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, database_url=None)


# --- migrate ------------------------------------------------------------------------------------

def test_migrate_creates_the_database_in_the_data_dir(tmp_path: Path):
    data_dir = tmp_path / "new"
    out = succeeded(accueil(data_dir, "migrate"))
    assert "up to date" in out
    assert (data_dir / "accueil.db").is_file()


def test_migrate_twice_is_harmless(empty_dir: Path):
    assert "up to date" in succeeded(accueil(empty_dir, "migrate"))


# --- create-kiosk -------------------------------------------------------------------------------

def test_create_kiosk_without_a_site_fails_clearly(empty_dir: Path):
    message = failed(accueil(empty_dir, "create-kiosk", "Hall"))
    assert "no site" in message.lower()


def test_a_command_on_a_database_never_migrated_says_to_migrate(tmp_path: Path):
    result = accueil(tmp_path / "never-migrated", "create-kiosk", "Hall")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "accueil migrate" in result.stderr


async def test_create_kiosk_prints_a_token_that_works_for_the_kiosk(site_dir: Path, aiohttp_client):
    result = accueil(site_dir, "create-kiosk", "Hall")
    token = the_token(succeeded(result), "ack_")
    assert token not in result.stderr
    client = await aiohttp_client(create_app(settings_for(site_dir)))
    response = await client.get("/api/kiosk/config", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200, await response.text()
    config = await response.json()
    assert config["kiosk"]["name"] == "Hall"
    assert config["site"]["name"] == "Clinique CLI"


def test_create_kiosk_for_a_site_that_does_not_exist_fails_clearly(site_dir: Path):
    message = failed(accueil(site_dir, "create-kiosk", "Hall", "--site", "99"))
    assert "99" in message


# --- create-user --------------------------------------------------------------------------------

def test_create_user_with_a_password_on_stdin_prints_its_id(site_dir: Path):
    result = accueil(site_dir, "create-user", "marie", "--role", "receptionist", "--password-stdin",
                     stdin=PASSWORD + "\n")
    out = succeeded(result)
    assert re.search(r"\bmarie\b.*\bid \d+", out)
    assert PASSWORD not in result.stdout + result.stderr
    assert staff_logins(site_dir) == ["marie"]


def test_create_user_of_a_department_by_its_english_name(site_dir: Path):
    succeeded(accueil(site_dir, "create-user", "roy", "--role", "department_staff", "--department", "Billing",
                      "--listed", "--password-stdin", stdin=PASSWORD + "\n"))
    assert staff_logins(site_dir) == ["roy"]


@pytest.mark.parametrize(("args", "password", "expected"), [
    pytest.param(["nadia", "--role", "department_staff", "--department", "Radiologie"], PASSWORD,
                 "Radiologie", id="unknown-department"),
    pytest.param(["nadia", "--role", "department_staff"], PASSWORD, "department", id="staff-without-department"),
    pytest.param(["nadia", "--role", "receptionist"], "court", "at least 10", id="password-too-short"),
    pytest.param(["nadia", "--role", "receptionist"], "", "at least 10", id="no-password-given"),
    pytest.param(["marie", "--role", "admin"], PASSWORD, "exists already", id="login-taken"),
    pytest.param(["marie dupont", "--role", "admin"], PASSWORD, "login", id="login-with-a-space"),
])
def test_create_user_that_cannot_be_created_fails_clearly_and_stores_nothing(
        marie_dir: Path, args: list[str], password: str, expected: str):
    before = staff_logins(marie_dir)
    result = accueil(marie_dir, "create-user", *args, "--password-stdin", stdin=password + "\n")
    assert expected in failed(result)
    if password:
        assert password not in result.stdout + result.stderr
    assert staff_logins(marie_dir) == before


def test_create_user_with_an_unknown_role_is_refused_by_the_command_line(site_dir: Path):
    result = accueil(site_dir, "create-user", "nadia", "--role", "boss", "--password-stdin", stdin=PASSWORD)
    assert result.returncode == 2
    assert "boss" in result.stderr
    assert staff_logins(site_dir) == []


async def test_a_user_created_by_the_command_can_sign_in(marie_dir: Path, aiohttp_client):
    client = await aiohttp_client(create_app(settings_for(marie_dir)))
    response = await client.post("/api/auth/token", json={"username": "marie", "password": PASSWORD})
    assert response.status == 201, await response.text()


# --- create-token -------------------------------------------------------------------------------

async def test_create_token_prints_a_staff_token_once_that_works(marie_dir: Path, aiohttp_client):
    result = accueil(marie_dir, "create-token", "marie")
    token = the_token(succeeded(result), "acs_")
    assert token not in result.stderr
    client = await aiohttp_client(create_app(settings_for(marie_dir)))
    response = await client.get("/api/visits", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200, await response.text()


def test_each_create_token_prints_a_new_token(marie_dir: Path):
    first = the_token(succeeded(accueil(marie_dir, "create-token", "marie")), "acs_")
    second = the_token(succeeded(accueil(marie_dir, "create-token", "marie", "--label", "scanner")), "acs_")
    assert first != second


def test_create_token_for_an_unknown_login_fails_clearly(site_dir: Path):
    result = accueil(site_dir, "create-token", "nobody")
    assert "nobody" in failed(result)
    assert "acs_" not in result.stdout + result.stderr


# --- what the command never shows ---------------------------------------------------------------

def test_no_command_output_shows_the_password_or_a_token_outside_stdout(site_dir: Path):
    runs = [
        accueil(site_dir, "create-user", "marie", "--role", "receptionist", "--password-stdin",
                stdin=PASSWORD + "\n"),
        accueil(site_dir, "create-user", "marie", "--role", "receptionist", "--password-stdin",
                stdin=PASSWORD + "\n"),  # fails: login taken
        accueil(site_dir, "create-token", "marie"),
        accueil(site_dir, "create-kiosk", "Hall"),
    ]
    for run in runs:
        assert PASSWORD not in run.stdout + run.stderr
        assert "acs_" not in run.stderr and "ack_" not in run.stderr
    for stored in site_dir.glob("accueil.db*"):
        assert PASSWORD.encode() not in stored.read_bytes()  # only its hash is stored
