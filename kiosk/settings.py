"""The kiosk's settings, from ACCUEIL_KIOSK_* environment variables (the command line may override)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KioskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCUEIL_KIOSK_", extra="forbid")

    data_dir: Path = Field(Path("var/kiosk"), description="Pairing, cached configuration and the outbox.")
    backend_url: str | None = Field(None, description="The backend, e.g. http://10.0.0.5:8080; kept after pairing.")
    idle_seconds: float = Field(90, ge=10, description="Seconds without a touch before the visitor is asked.")
    idle_warning_seconds: float = Field(15, ge=3, description="How long that question waits before starting over.")
    fullscreen: bool = Field(True, description="Take the whole screen (leaving it needs the staff PIN).")
    config_refresh_seconds: float = Field(60, ge=5, description="How often the configuration is fetched again.")
