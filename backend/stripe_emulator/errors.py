"""Stripe's error answers: one exception carrying the HTTP status and the `error` object Stripe would send.

stripe-python picks its exception class from the status and `error.type` (400/404 → InvalidRequestError, or
IdempotencyError when the type says so; 401 → AuthenticationError; 402 → CardError), so both must match.
"""
from __future__ import annotations

from typing import Any


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"type": type, "message": message}
        # Stripe leaves out `code` and `param` when it has none rather than sending null.
        if code is not None:
            self.error["code"] = code
            self.error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            self.error["param"] = param
        self.error.update({key: value for key, value in extra.items() if value is not None})

    def body(self) -> dict[str, Any]:
        return {"error": dict(self.error)}


def invalid(message: str, *, code: str | None = None, param: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param)


def missing_param(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", code="parameter_missing", param=param)


def unknown_param(param: str) -> StripeError:
    return invalid(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unexpected_state(message: str, code: str = "payment_intent_unexpected_state") -> StripeError:
    return invalid(message, code=code)
