"""Stripe's idempotent requests: a POST's `Idempotency-Key` replays the first answer to the same request.

What Stripe does and this keeps: the key is bound to the endpoint and parameters of its first use (another
use is an `idempotency_error`); a replay gives the saved status and body with `Idempotent-Replayed: true`;
answers from requests that failed validation are not saved, so fixing the request and retrying with the
same key works. Keys live as long as the emulator (Stripe keeps them 24 hours).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.stripe_emulator.errors import StripeError, invalid

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Saved:
    path: str
    params: dict[str, Any]
    status: int
    body: bytes
    request_id: str


def should_save(status: int) -> bool:
    # Successes, card declines and server errors ran the endpoint; 400/404s were refused before it did.
    return status < 400 or status == 402 or status >= 500


class IdempotencyStore:
    def __init__(self) -> None:
        self._saved: dict[str, Saved] = {}
        self._in_flight: set[str] = set()

    def check(self, key: str, path: str, params: dict[str, Any]) -> Saved | None:
        """The saved answer to replay, None to run the request, or Stripe's error for a reused key."""
        if len(key) > MAX_KEY_LENGTH:
            raise invalid(f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long; the one provided "
                          f"has {len(key)}.")
        if key in self._in_flight:
            raise StripeError(409, "There is currently another in-progress request using this Idempotent Key "
                              "(that probably means you submitted twice, and the other request is still going "
                              "through): " + key + ". Please try again later.", type="idempotency_error",
                              code="idempotency_key_in_use")
        saved = self._saved.get(key)
        if saved is None:
            return None
        if saved.path != path:
            raise StripeError(400, f"Keys for idempotent requests can only be used for the same endpoint they were "
                              f"first used for ('{saved.path}' vs '{path}'). Try using a key other than '{key}' if "
                              "you meant to execute a different request.", type="idempotency_error")
        if saved.params != params:
            raise StripeError(400, "Keys for idempotent requests can only be used with the same parameters they "
                              f"were first used with. Try using a key other than '{key}' if you meant to execute "
                              "a different request.", type="idempotency_error")
        return saved

    def begin(self, key: str) -> None:
        self._in_flight.add(key)

    def end(self, key: str, path: str, params: dict[str, Any], status: int, body: bytes, request_id: str) -> None:
        self._in_flight.discard(key)
        if should_save(status):
            self._saved[key] = Saved(path, params, status, body, request_id)

    def abandon(self, key: str) -> None:
        self._in_flight.discard(key)
