"""Who is calling: a staff member or a kiosk, resolved from a bearer token; and how tokens are made."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from aiohttp import web

from backend.core.errors import Unauthorized
from shared.enums import Role

STAFF_TOKEN_PREFIX = "acs_"
KIOSK_TOKEN_PREFIX = "ack_"


@dataclass(frozen=True)
class StaffIdentity:
    staff_id: int
    display_name: str
    roles: frozenset[Role]
    department_ids: frozenset[int]
    read_only: bool = False  # signed in with a read-scoped API token

    @property
    def sees_every_department(self) -> bool:
        return bool(self.roles & {Role.ADMIN, Role.RECEPTIONIST})

    @property
    def audit_actor(self) -> tuple[str, int]:
        return ("staff", self.staff_id)


@dataclass(frozen=True)
class KioskIdentity:
    kiosk_id: int
    site_id: int
    name: str

    @property
    def audit_actor(self) -> tuple[str, int]:
        return ("kiosk", self.kiosk_id)


def new_token(prefix: str) -> str:
    """A random bearer token; shown once, only its hash is stored."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send a token as 'Authorization: Bearer <token>'.")
    return token.strip()
