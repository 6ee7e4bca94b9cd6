"""Typed settings from ACCUEIL_* environment variables and an optional TOML file (ACCUEIL_CONFIG_FILE)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

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
    document_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest document accepted in a client's file (an upload past it "
                                               "is refused with 413).")
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
    public_url: str | None = Field(
        None, description="The backend's address as visitors' phones reach it, for receipt links and QR codes; "
                          "default http://HOST:PORT.")
    stripe_secret_key: SecretStr | None = Field(
        None, description="Stripe secret key (sk_live_… or sk_test_…). Without one, the site takes no payments, "
                          "except in the demo, which runs a local Stripe emulator.")
    stripe_webhook_secret: SecretStr | None = Field(
        None, description="Signing secret of the Stripe webhook endpoint /hooks/stripe (whsec_…).")
    stripe_api_base: str | None = Field(
        None, description="Another address for Stripe's API: only for the local Stripe emulator.")
    stripe_emulator: bool = Field(
        False, description="Run the local Stripe emulator in this process (the demo does); refused with a live key.")
    stripe_emulator_port: int = Field(12111, ge=1, le=65535, description="Port of the local Stripe emulator.")
    card_reader_timeout_seconds: float = Field(
        90, ge=5, description="How long the card reader waits for a card before the payment is called off.")
    qr_payment_minutes: float = Field(
        5, ge=1, le=30, description="How long the kiosk shows a pay-by-phone QR code before it expires.")
    payments_sweep_seconds: float = Field(
        5, gt=0, description="How often payments left waiting are checked with Stripe (timeouts, lost webhooks).")
    smtp_host: str | None = Field(None, description="SMTP server for email (receipts, notifications).")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP user, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    mail_from: str = Field("accueil@localhost", description="The From address of email the backend sends.")
    webhook_signing_secret: SecretStr | None = Field(
        None, description="Signs outgoing chat webhooks: headers X-Accueil-Timestamp (unix seconds) and "
                          "X-Accueil-Signature: v1=<hex HMAC-SHA256 of \"{timestamp}.{body}\">. Unset: they go "
                          "unsigned (Slack and Teams do not check; a relay of yours can).")
    delivery_poll_seconds: float = Field(
        1.0, gt=0, description="How often outgoing notifications that are due are looked for and sent.")
    delivery_retry_seconds: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        (10, 30, 120, 600, 1800, 3600), description="Waits before each new try of a notification that could not "
        "be sent (a JSON list); after the last, it is marked failed.")
    twilio_auth_token: SecretStr | None = Field(
        None, description="Twilio's auth token: checks X-Twilio-Signature on /hooks/voice. Unset: the voice "
                          "webhook answers 503.")
    cheque_reminder_days: int = Field(
        3, ge=1, le=365, description="Payroll cheques not collected this many days after their employee was told "
                                     "are reminded to them, and again every as many days.")
    call_events_secret: SecretStr | None = Field(
        None, description="Shared secret of /hooks/call-events (other phone systems): X-Accueil-Timestamp and "
                          "X-Accueil-Signature: v1=<hex HMAC-SHA256 of \"{timestamp}.{body}\">. Unset: 503.")

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
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def stripe_live(self) -> bool:
        return self.stripe_secret_key is not None and self.stripe_secret_key.get_secret_value().startswith(
            ("sk_live_", "rk_live_"))

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.sqlalchemy_url).get_backend_name() == "sqlite"
