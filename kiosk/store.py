"""What a kiosk keeps on its own disk: its pairing (backend, token, staff PIN) and the last configuration."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import ValidationError

from shared.api import KioskConfig

log = logging.getLogger(__name__)

PIN_ITERATIONS = 200_000


@dataclass
class Pairing:
    backend_url: str
    token: str
    kiosk_name: str = ""
    pin_salt: str = ""
    pin_hash: str = ""


class KioskStore:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._pairing = data_dir / "kiosk.json"
        self._config = data_dir / "config.json"

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite3"

    @property
    def reprints_path(self) -> Path:
        """Receipts that could not print yet (kiosk.receipts.ReprintQueue)."""
        return self.data_dir / "reprints.sqlite3"

    def pairing(self) -> Pairing | None:
        if not self._pairing.exists():
            return None
        try:
            return Pairing(**json.loads(self._pairing.read_text()))
        except (ValueError, TypeError):
            log.error("kiosk.json is unreadable; the kiosk must be paired again")
            return None

    def save_pairing(self, pairing: Pairing) -> None:
        _write_private(self._pairing, json.dumps(asdict(pairing), indent=2))

    def cached_config(self) -> KioskConfig | None:
        if not self._config.exists():
            return None
        try:
            return KioskConfig.model_validate_json(self._config.read_bytes())
        except ValidationError:
            log.warning("the cached configuration is unreadable; waiting for the backend")
            return None

    def cache_config(self, config: KioskConfig) -> None:
        _write_private(self._config, config.model_dump_json())


def hash_pin(pin: str, salt: str | None = None) -> tuple[str, str]:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), PIN_ITERATIONS).hex()
    return salt, digest


def pin_matches(pairing: Pairing, pin: str) -> bool:
    if not pairing.pin_hash:
        return False
    return hmac.compare_digest(hash_pin(pin, pairing.pin_salt)[1], pairing.pin_hash)


def _write_private(path: Path, text: str) -> None:
    """Write atomically (a power cut leaves the old file or the new one), readable by this user only."""
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
