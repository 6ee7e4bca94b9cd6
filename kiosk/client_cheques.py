"""The kiosk's "Collect my cheque" calls, part of BackendClient. Never queued in the outbox: an employee identifies
and signs while the backend answers, or not at all."""
from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any

from shared.api import Problem
from shared.api_cheques import ChequeCollectOut, EmployeeCheques

IDENTIFY = "/api/kiosk/cheques/identify"
COLLECT = "/api/kiosk/cheques/collect"


class TooManyTries(Exception):
    """The backend answered 429: this kiosk made too many failed identifications lately. It is up, and refusing."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.status} {problem.title}")
        self.problem = problem


class ChequeCalls:
    """Mixed into BackendClient, whose _post and _set_online these use."""

    if TYPE_CHECKING:  # BackendClient's own
        async def _post(self, model: Any, path: str, **kwargs: Any) -> Any: ...
        def _set_online(self, online: bool) -> None: ...

    async def identify_employee(self, number: str, pin: str) -> EmployeeCheques:
        """The employee's cheques ready at the desk and a short-lived token to collect them.

        Raises BackendRefused (401 wrong number or PIN, 423 locked, 422 malformed), TooManyTries (429) or
        BackendUnavailable.
        """
        from kiosk.client import BackendUnavailable

        try:
            return await self._post(EmployeeCheques, IDENTIFY, body={"employee_number": number, "pin": pin})
        except BackendUnavailable as error:
            # BackendClient counts a 429 as "try later" and the kiosk as offline; here the backend did answer,
            # and guessing PINs from this kiosk is what it refuses, so the employee is told so instead.
            if str(error) != "HTTP 429":
                raise
            self._set_online(True)
            raise TooManyTries(Problem(title="Too many attempts", status=429)) from error

    async def collect_cheques(self, token: str, ids: list[int], png: bytes,
                              key: str | None = None) -> ChequeCollectOut:
        """Ask the desk to hand these cheques over, with the signature drawn on screen as proof. Sending again
        with the same `key` (after a timeout, say) is answered like the first time."""
        body = {"collection_token": token, "cheque_ids": list(ids),
                "signature_png": base64.b64encode(png).decode("ascii")}
        return await self._post(ChequeCollectOut, COLLECT, body=body,
                                headers={"Idempotency-Key": key or str(uuid.uuid4())})
