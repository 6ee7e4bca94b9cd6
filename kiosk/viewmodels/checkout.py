"""Checking out: by the code on the visitor's pass, or by finding one's name among today's visits."""
from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import ListProperty, OptionProperty, StringProperty

from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from shared.api import KioskVisitMatch

CODE_LENGTH = 6


class CheckOutFlow(EventDispatcher):
    mode = OptionProperty("code", options=["code", "name"])
    code = StringProperty("")
    name = StringProperty("")
    matches: list[KioskVisitMatch] = ListProperty([])
    # none → working → done | not_found | offline
    outcome = OptionProperty("none", options=["none", "working", "done", "not_found", "offline"])
    visitor = StringProperty("")  # the name to say goodbye to

    def type_code(self, text: str) -> None:
        self.code = "".join(ch for ch in text.upper() if ch.isalnum())[:CODE_LENGTH]
        self.outcome = "none"

    async def check_out_by_code(self, client: BackendClient) -> None:
        await self._run(lambda: client.check_out_by_code(self.code))

    def type_name(self, text: str) -> None:
        self.name = text
        self.outcome = "none"

    async def search(self, client: BackendClient) -> None:
        """Today's visits matching what is typed; an answer overtaken by more typing is dropped."""
        name = self.name.strip()
        if len(name) < 2:
            self.matches = []
            return
        try:
            matches = await client.find_visits(name)
        except BackendUnavailable:
            self.outcome = "offline"
            return
        if name != self.name.strip():
            return
        self.matches = matches
        self.outcome = "none" if matches else "not_found"

    async def choose(self, client: BackendClient, match: KioskVisitMatch) -> None:
        await self._run(lambda: client.check_out(match.id))

    async def _run(self, call) -> None:
        if self.outcome == "working":
            return
        self.outcome = "working"
        try:
            visit = await call()
        except BackendUnavailable:
            self.outcome = "offline"
        except BackendRefused:
            self.outcome = "not_found"
        else:
            words = visit.visitor_name.split()
            self.visitor = words[0] if words else ""
            self.outcome = "done"

    def reset(self) -> None:
        self.mode = "code"
        self.code = self.name = self.visitor = ""
        self.matches = []
        self.outcome = "none"
