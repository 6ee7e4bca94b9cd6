"""The emulator's memory: every Stripe object by id, the events made from them, and its background tasks.

Objects are plain dicts shaped like Stripe's JSON and changed in place; keys starting with "_" are the
emulator's own bookkeeping and never leave it (`render` drops them). Events carry a copy taken when they
happen, as Stripe's do.
"""
from __future__ import annotations

import asyncio
import copy
import logging
import secrets
import string
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.stripe_emulator.errors import invalid, no_such

logger = logging.getLogger(__name__)

API_VERSION = "2026-10-28.endive"  # what stripe-python 16 sends; events say which version shaped them
_ALPHABET = string.ascii_letters + string.digits
StripeObject = dict[str, Any]


@dataclass(frozen=True)
class Origin:
    """The API request an event comes from (`event.request`); both None for what happens on its own."""
    request_id: str | None = None
    idempotency_key: str | None = None


AUTOMATIC = Origin()


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def render(value: Any) -> Any:
    """A deep copy without the emulator's private keys: what goes on the wire."""
    if isinstance(value, dict):
        return {key: render(item) for key, item in value.items() if not key.startswith("_")}
    if isinstance(value, list):
        return [render(item) for item in value]
    return copy.copy(value)


class State:
    def __init__(self, clock: Callable[[], datetime], on_event: Callable[[StripeObject], None]) -> None:
        self.clock = clock
        self.objects: dict[str, StripeObject] = {}
        self.events: list[StripeObject] = []
        self._on_event = on_event
        self._tasks: set[asyncio.Task[Any]] = set()

    def now(self) -> int:
        return int(self.clock().timestamp())

    def add(self, obj: StripeObject) -> StripeObject:
        self.objects[obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str | None, param: str = "id") -> StripeObject:
        """The live object of that Stripe type (`payment_intent`, `terminal.reader`…), or Stripe's 404."""
        obj = self.objects.get(object_id or "")
        if obj is None or obj["object"] != kind:
            raise no_such(kind, object_id or "", param)
        return obj

    def of_kind(self, kind: str) -> list[StripeObject]:
        return [obj for obj in self.objects.values() if obj["object"] == kind]

    def emit(self, event_type: str, obj: StripeObject, origin: Origin) -> StripeObject:
        event = {
            "id": new_id("evt_"), "object": "event", "api_version": API_VERSION, "created": self.now(),
            "data": {"object": render(obj)}, "livemode": False, "pending_webhooks": 0,
            "request": {"id": origin.request_id, "idempotency_key": origin.idempotency_key}, "type": event_type,
        }
        self.events.append(event)
        logger.info("event %s %s for %s", event["id"], event_type, obj["id"])
        self._on_event(event)
        return event

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run work after the API has answered, as Stripe does; `settle` waits for it."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def settle(self) -> None:
        # Finished work can start more (a card's outcome sends webhooks), so wait until nothing is left.
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def expand(self, obj: Any, paths: list[str]) -> Any:
        """Stripe's `expand[]`: dotted paths whose last ids become the objects they name (rendered copies)."""
        for path in paths:
            obj = self._expand_path(obj, path.split("."))
        return obj

    def _expand_path(self, obj: Any, parts: list[str]) -> Any:
        if not parts or obj is None:
            return obj
        if isinstance(obj, dict) and obj.get("object") == "list" and parts[0] == "data":
            obj["data"] = [self._expand_path(item, parts[1:]) for item in obj["data"]]
            return obj
        key = parts[0]
        # Some expandables appear only when asked for (a Checkout Session's line_items): kept as "_key".
        hidden = self.objects.get(obj.get("id", ""), {}).get(f"_{key}") if isinstance(obj, dict) else None
        if not isinstance(obj, dict) or key not in obj and hidden is None:
            raise invalid(f"This property cannot be expanded ({key}).", param="expand")
        value = obj.get(key)
        if key not in obj:
            value = render(hidden)
        elif isinstance(value, str):
            if value not in self.objects:
                raise invalid(f"This property cannot be expanded ({key}).", param="expand")
            value = render(self.objects[value])
        obj[key] = self._expand_path(value, parts[1:])
        return obj
