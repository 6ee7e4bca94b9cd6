"""The kiosk's calls for returning clients, part of BackendClient: identifying a client and proposing a change of
their contact details. Never queued in the outbox: both need an answer while the visitor stands there."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import TYPE_CHECKING, Any

import aiohttp

from shared.api_clients import ClientIdentified, ClientIdentifyRequest, ContactChangeOut, ContactUpdateRequest

log = logging.getLogger(__name__)

IDENTIFY = "/api/kiosk/clients/identify"
CONTACT_CHANGES = "/api/kiosk/clients/contact-changes"


class ClientCalls:
    """Mixed into BackendClient, whose _post, _http, _headers and _set_online these use."""

    if TYPE_CHECKING:  # BackendClient's own
        base_url: str

        @property
        def _http(self) -> aiohttp.ClientSession: ...
        def _headers(self) -> dict[str, str]: ...
        def _set_online(self, online: bool) -> None: ...
        async def _post(self, model: Any, path: str, **kwargs: Any) -> Any: ...

    async def identify_client(self, *, birth_date: dt.date, number: str | None = None,
                              phone: str | None = None) -> ClientIdentified:
        """The client with this file number or phone and this birth date. Raises BackendRefused: 404 when no
        client matches (whichever part is wrong), 422 on bad input, 429 once this kiosk tried too often."""
        from kiosk.client import BackendRefused, BackendUnavailable, _encode, _problem  # client.py imports this

        body = ClientIdentifyRequest(number=number, phone=phone, birth_date=birth_date).model_dump(mode="json")
        headers = {**self._headers(), "Content-Type": "application/json"}
        try:
            async with self._http.post(self.base_url + IDENTIFY, data=_encode(body), headers=headers) as response:
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            log.info("identify: backend unreachable (%s)", type(error).__name__)
            self._set_online(False)
            raise BackendUnavailable(f"{type(error).__name__}: {error}") from error
        # A 429 here answers the visitor (too many failed tries from this kiosk), it is not the backend being
        # busy: the kiosk stays online and the visitor is sent to the front desk. Other answers are read as
        # BackendClient reads them.
        if response.status >= 500:
            log.info("identify: backend answered %d", response.status)
            self._set_online(response.status == 503 and response.content_type == "application/problem+json")
            raise BackendUnavailable(f"HTTP {response.status}")
        self._set_online(True)
        if response.status >= 400:
            raise BackendRefused(_problem(raw, response))
        return ClientIdentified.model_validate_json(raw)

    async def propose_contact_change(self, change: ContactUpdateRequest, key: str | None = None) -> ContactChangeOut:
        """Send changed contact details for a clerk to review (nothing is applied yet); `key` makes a retry of the
        same proposal a replay rather than a second proposal."""
        return await self._post(ContactChangeOut, CONTACT_CHANGES, body=change.model_dump(mode="json"),
                                headers={"Idempotency-Key": key or str(uuid.uuid4())})

