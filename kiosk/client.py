"""The kiosk's one client of the backend: its HTTP calls, its live channel, and the outbox that keeps check-ins
made while the backend is unreachable until it answers again. Plain asyncio: it runs on Kivy's loop."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from kiosk.client_cheques import ChequeCalls
from kiosk.client_clients import ClientCalls
from kiosk.client_payments import PaymentCalls, ReceiptReprint
from kiosk.outbox import Outbox
from shared.api import (
    CheckInRequest, KioskConfig, KioskVisitMatch, KioskVisitMatches, PairOut, PaymentEvent, Problem, VisitEvent,
    VisitOut,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

CHECK_INS = "/api/kiosk/check-ins"
MAX_RETRY_SECONDS = 30.0
HEARTBEAT_SECONDS = 15.0


class BackendUnavailable(Exception):
    """The backend could not be reached or could not answer now (network, timeout, 5xx, 429): try again later.

    `problem` is set when the backend itself answered that a service behind it (Stripe) is unavailable.
    """

    def __init__(self, message: str, problem: Problem | None = None):
        super().__init__(message)
        self.problem = problem


class BackendRefused(Exception):
    """The backend answered with a 4xx: sending the same request again will not help."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.status} {problem.title}")
        self.problem = problem


@dataclass(frozen=True)
class CheckInResult:
    key: str
    visit: VisitOut | None
    queued: bool


def _encode(body: dict[str, Any]) -> bytes:
    # The backend recognises a replay by a hash of the raw body, so an outbox item must be sent again byte for
    # byte as first sent: one encoding for both, of a dict whose key order the outbox preserves.
    return json.dumps(body).encode()


class BackendClient(ChequeCalls, ClientCalls, PaymentCalls):
    """Talks to the backend for one kiosk; `token` may be set later, once the kiosk is paired."""

    def __init__(self, base_url: str, token: str | None, outbox: Outbox, *, timeout: float = 5.0,
                 retry_seconds: float = 3.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.outbox = outbox
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self.online = False
        self.on_online_change: list[Callable[[bool], None]] = []
        self.on_outbox_change: list[Callable[[int], None]] = []
        self.on_visit_event: list[Callable[[VisitEvent], None]] = []
        self.on_payment_event: list[Callable[[PaymentEvent], None]] = []
        self.on_receipt_reprint: list[Callable[[ReceiptReprint], None]] = []
        self._session: aiohttp.ClientSession | None = None
        self._background: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._back_online = asyncio.Event()

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self, *, background: bool = False) -> None:
        """Open the HTTP session; with `background`, also keep the live channel and drain the outbox."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        if background:
            self._background = asyncio.create_task(self.run_background())

    async def close(self) -> None:
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background
            self._background = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- requests ----------------------------------------------------------------------------------

    @property
    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("call start() first")
        return self._session

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def _request(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                       params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> bytes:
        """The body of a 2xx answer; raises BackendUnavailable or BackendRefused otherwise."""
        all_headers = {**self._headers(), **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            async with self._http.request(method, self.base_url + path, params=params, headers=all_headers,
                                          data=None if body is None else _encode(body)) as response:
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            # The path only: a query may hold a visitor's name.
            log.info("%s %s: backend unreachable (%s)", method, path, type(error).__name__)
            self._set_online(False)
            raise BackendUnavailable(f"{type(error).__name__}: {error}") from error
        if response.status == 503 and response.content_type == "application/problem+json":
            # The backend answered: it is up, a service behind it (Stripe) is not. The kiosk stays online.
            log.info("%s %s: backend answered 503", method, path)
            self._set_online(True)
            raise BackendUnavailable("HTTP 503", _problem(raw, response))
        if response.status >= 500 or response.status == 429:
            log.info("%s %s: backend answered %d", method, path, response.status)
            self._set_online(False)
            raise BackendUnavailable(f"HTTP {response.status}")
        self._set_online(True)
        if response.status >= 400:
            raise BackendRefused(_problem(raw, response))
        return raw

    async def _get(self, model: type[M], path: str, **kwargs: Any) -> M:
        return model.model_validate_json(await self._request("GET", path, **kwargs))

    async def _post(self, model: type[M], path: str, **kwargs: Any) -> M:
        return model.model_validate_json(await self._request("POST", path, **kwargs))

    async def pair(self, code: str) -> PairOut:
        """Exchange a pairing code for this kiosk's token, and use it from now on."""
        paired = await self._post(PairOut, "/api/kiosk/pair", body={"code": code})
        self.token = paired.token
        return paired

    async def config(self) -> KioskConfig:
        return await self._get(KioskConfig, "/api/kiosk/config")

    async def visit(self, visit_id: int) -> VisitOut:
        return await self._get(VisitOut, f"/api/kiosk/visits/{visit_id}")

    async def check_out(self, visit_id: int) -> VisitOut:
        return await self._post(VisitOut, f"/api/kiosk/visits/{visit_id}/check-out")

    async def check_out_by_code(self, code: str) -> VisitOut:
        return await self._post(VisitOut, "/api/kiosk/check-outs", body={"code": code})

    async def find_visits(self, name: str) -> list[KioskVisitMatch]:
        """Today's open visits whose visitor's name matches a few letters."""
        return (await self._get(KioskVisitMatches, "/api/kiosk/visits", params={"name": name})).items

    # --- check-ins and the outbox ------------------------------------------------------------------

    async def check_in(self, body: CheckInRequest) -> CheckInResult:
        """Check a visitor in, or queue the check-in when the backend cannot be reached.

        Raises BackendRefused when the visitor must change something; nothing is queued then.
        """
        key = str(uuid.uuid4())
        payload = body.model_dump(mode="json")
        # Older queued check-ins go first: a visitor who arrived earlier must not be announced later.
        if await self.outbox.count():
            await self.flush_outbox()
        if not await self.outbox.count():
            try:
                visit = await self._post(VisitOut, CHECK_INS, body=payload, headers={"Idempotency-Key": key})
            except BackendUnavailable:
                pass
            else:
                return CheckInResult(key=key, visit=visit, queued=False)
        await self.outbox.add(key, payload)
        log.info("check-in %s queued in the outbox", key)
        self._notify(self.on_outbox_change, await self.outbox.count())
        return CheckInResult(key=key, visit=None, queued=True)

    async def flush_outbox(self) -> int:
        """Send queued check-ins oldest first, each with its original key; returns how many were accepted."""
        async with self._flush_lock:  # never send one item twice in parallel
            accepted = changed = 0
            for item in await self.outbox.pending():
                try:
                    await self._request("POST", CHECK_INS, body=item.body, headers={"Idempotency-Key": item.key})
                except BackendUnavailable as error:
                    await self.outbox.record_attempt(item.key, str(error))
                    break
                except BackendRefused as error:
                    problem = error.problem
                    if problem.status in (401, 403):
                        # The kiosk's token, not the check-in, is refused: keep it for after pairing again.
                        await self.outbox.record_attempt(item.key, str(error))
                        break
                    log.warning("check-in %s refused by the backend: %s", item.key, error)
                    await self.outbox.reject(item.key, problem.model_dump_json())
                else:
                    await self.outbox.remove(item.key)
                    accepted += 1
                changed += 1
            if changed:
                self._notify(self.on_outbox_change, await self.outbox.count())
            return accepted

    # --- background: live channel and outbox -------------------------------------------------------

    async def run_background(self) -> None:
        """Until cancelled: keep the live channel open, and drain the outbox whenever the backend answers."""
        flusher = asyncio.create_task(self._drain_outbox())
        try:
            await self._keep_live_channel()
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher

    async def _keep_live_channel(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen()
                failures = 0
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
                log.info("live channel failed: %s", type(error).__name__)
                failures += 1
            self._set_online(False)
            await asyncio.sleep(min(MAX_RETRY_SECONDS, self.retry_seconds * 2 ** min(failures, 10)))

    async def _listen(self) -> None:
        """One connection of the live channel, until the backend closes it."""
        async with self._http.ws_connect(self.base_url + "/api/kiosk/ws", headers=self._headers(),
                                         heartbeat=HEARTBEAT_SECONDS) as ws:
            first = await ws.receive(timeout=self.timeout)
            if first.type is not aiohttp.WSMsgType.TEXT or json.loads(first.data) != {"type": "ready"}:
                raise ConnectionError("the live channel did not start with 'ready'")
            self._set_online(True)
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._dispatch_live(message.data)

    def _dispatch_live(self, data: str) -> None:
        """Hand one live message to the listeners of its type; unknown types and shapes are ignored."""
        try:
            payload = json.loads(data)
        except ValueError:
            payload = None
        kind = payload.get("type") if isinstance(payload, dict) and isinstance(payload.get("type"), str) else None
        model, listeners = {
            "payment.updated": (PaymentEvent, self.on_payment_event),
            "receipt.reprint": (ReceiptReprint, self.on_receipt_reprint),
        }.get(kind, (VisitEvent, self.on_visit_event))
        try:
            event = model.model_validate_json(data)
        except ValidationError:
            log.warning("ignoring a live message of an unknown shape")
            return
        self._notify(listeners, event)

    async def _drain_outbox(self) -> None:
        """Flush when the backend comes back, and every retry_seconds while anything is pending."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._back_online.wait(), self.retry_seconds)
            self._back_online.clear()
            try:
                if await self.outbox.count():
                    await self.flush_outbox()
            except Exception:  # a broken flush must not end the loop that retries it
                log.exception("flushing the outbox failed")

    # --- state -------------------------------------------------------------------------------------

    def _set_online(self, online: bool) -> None:
        if online == self.online:
            return
        self.online = online
        log.info("backend %s", "online" if online else "offline")
        if online:
            self._back_online.set()
        self._notify(self.on_online_change, online)

    @staticmethod
    def _notify(callbacks: list[Callable[[T], None]], value: T) -> None:
        for callback in callbacks:
            try:
                callback(value)
            except Exception:  # one broken listener must not break the client or the other listeners
                log.exception("a client listener failed")


def _problem(raw: bytes, response: aiohttp.ClientResponse) -> Problem:
    try:
        return Problem.model_validate_json(raw)
    except ValidationError:  # not problem+json: a proxy's page, say
        return Problem(title=response.reason or "Refused", status=response.status)
