"""The kiosk's settings, from ACCUEIL_KIOSK_* environment variables (the command line may override)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kiosk.printing.setting import parse_printer_setting


class KioskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCUEIL_KIOSK_", extra="forbid")

    data_dir: Path = Field(Path("var/kiosk"), description="Pairing, cached configuration and the outbox.")
    backend_url: str | None = Field(None, description="The backend, e.g. http://10.0.0.5:8080; kept after pairing.")
    idle_seconds: float = Field(90, ge=10, description="Seconds without a touch before the visitor is asked.")
    idle_warning_seconds: float = Field(15, ge=3, description="How long that question waits before starting over.")
    fullscreen: bool = Field(True, description="Take the whole screen (leaving it needs the staff PIN).")
    config_refresh_seconds: float = Field(60, ge=5, description="How often the configuration is fetched again.")
    printer: str | None = Field(
        None, description="The receipt printer: tcp://192.168.1.50:9100, usb://0x04b8:0x0202, serial:///dev/ttyS0 or "
                          "file:///dev/usb/lp0; none: receipts are shown on screen with their QR code only.")
    printer_profile: str = Field("TM-T88III", description="The printer's python-escpos profile (paper width, "
                                                          "code pages), e.g. TM-T88III, TM-T20II.")
    printer_retry_seconds: float = Field(60, ge=5, description="How often receipts that could not print are tried "
                                                               "again.")

    @field_validator("printer")
    @classmethod
    def _printer_address(cls, value: str | None) -> str | None:
        # A mistyped address is refused at start, not discovered at the first visitor's receipt.
        if value is None or not value.strip():
            return None
        parse_printer_setting(value)
        return value.strip()
