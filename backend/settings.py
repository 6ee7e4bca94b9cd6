"""Typed settings from ACCUEIL_* environment variables and an optional TOML file (ACCUEIL_CONFIG_FILE)."""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url


class Settings(BaseSettings):
    """Everything an installation can change. Secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="ACCUEIL_", extra="forbid")

    data_dir: Path = Field(Path("var"), description="Where the SQLite database and files live.")
    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL; postgresql+asyncpg://… for PostgreSQL. Default: SQLite in data_dir."
    )
    host: str = Field("127.0.0.1", description="Address the backend listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the backend listens on.")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest JSON request body accepted.")
    ws_queue_size: int = Field(
        256, ge=1, description="Events a live-channel client may have waiting before it is dropped as too slow."
    )
    ws_heartbeat_seconds: float = Field(20.0, gt=0, description="Ping interval on live channels.")
    token_hours: int = Field(12, ge=1, description="Lifetime of a token obtained by signing in.")
    login_max_failures: int = Field(5, ge=1, description="Wrong passwords in a row before an account locks.")
    login_lock_minutes: int = Field(15, ge=1, description="How long a locked account stays locked.")
    session_idle_minutes: int = Field(30, ge=1, description="A panel session left idle this long ends.")
    behind_https: bool = Field(False, description="Behind an HTTPS proxy: session cookies are marked Secure.")
    log_level: str = Field("INFO", description="Python logging level.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments, then the environment, then the TOML file.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("ACCUEIL_CONFIG_FILE")
        if config_file:
            if not Path(config_file).is_file():
                raise FileNotFoundError(f"ACCUEIL_CONFIG_FILE={config_file} does not exist")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'accueil.db').resolve()}"

    @property
    def database_label(self) -> str:
        """The database URL with any password hidden, for logs and messages."""
        return make_url(self.sqlalchemy_url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.sqlalchemy_url).get_backend_name() == "sqlite"
