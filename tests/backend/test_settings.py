"""Settings: ACCUEIL_* variables, an optional TOML file, secrets that never print."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import Settings

ACCUEIL = str(Path(sys.executable).parent / "accueil")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("ACCUEIL_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_defaults(clean_env):
    settings = Settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.is_sqlite
    assert settings.sqlalchemy_url == f"sqlite+aiosqlite:///{Path('var').resolve() / 'accueil.db'}"


def test_environment_overrides_toml_file(clean_env, tmp_path: Path):
    config = tmp_path / "accueil.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\ndata_dir = "/srv/accueil"\n')
    clean_env.setenv("ACCUEIL_CONFIG_FILE", str(config))
    clean_env.setenv("ACCUEIL_PORT", "9100")
    settings = Settings()
    assert settings.port == 9100  # the environment wins
    assert settings.host == "0.0.0.0"
    assert settings.data_dir == Path("/srv/accueil")


def test_database_password_never_prints(clean_env):
    clean_env.setenv("ACCUEIL_DATABASE_URL", "postgresql+asyncpg://accueil:s3cret-pw@db.example:5432/accueil")
    settings = Settings()
    assert not settings.is_sqlite
    assert "s3cret-pw" not in repr(settings) and "s3cret-pw" not in str(settings.model_dump())
    assert "s3cret-pw" not in settings.database_label
    assert settings.sqlalchemy_url.endswith("s3cret-pw@db.example:5432/accueil")


def test_bad_setting_is_a_clear_error_from_the_command(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCUEIL_")}
    env.update(ACCUEIL_DATA_DIR=str(tmp_path), ACCUEIL_PORT="eighty")
    result = subprocess.run([ACCUEIL, "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "invalid settings" in result.stderr and "port" in result.stderr
    assert not (tmp_path / "accueil.db").exists()


def test_missing_config_file_is_a_clear_error(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCUEIL_")}
    env.update(ACCUEIL_DATA_DIR=str(tmp_path), ACCUEIL_CONFIG_FILE=str(tmp_path / "missing.toml"))
    result = subprocess.run([ACCUEIL, "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "missing.toml does not exist" in result.stderr
