"""The kiosk app's part in collecting a pay cheque: its screens, where each step leads, and the return to Welcome
once the desk has been told (or nothing was ready)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.properties import ObjectProperty

from kiosk.screens.cheque_done import ChequeDoneScreen
from kiosk.screens.cheque_identify import ChequeIdentifyScreen
from kiosk.screens.cheque_list import ChequeListScreen
from kiosk.screens.cheque_sign import ChequeSignScreen
from kiosk.viewmodels.cheque_collection import ChequeCollection

if TYPE_CHECKING:
    from kiosk.app import KioskApp

CHEQUE_SCREENS = {"cheque_identify": ChequeIdentifyScreen, "cheque_list": ChequeListScreen,
                  "cheque_sign": ChequeSignScreen, "cheque_done": ChequeDoneScreen}
STEP_SCREENS = {"identify": "cheque_identify", "cheques": "cheque_list", "sign": "cheque_sign",
                "done": "cheque_done"}
# Long enough to read where to go; short, because the screen names the employee.
DONE_SECONDS = 12
NOTHING_READY_SECONDS = 15


class ChequeScreens:
    """Mixed into KioskApp (its idle watch, navigation and start_over, which calls cheques.reset())."""

    cheques: ChequeCollection = ObjectProperty(None)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cheques = ChequeCollection()
        self.cheques.bind(step=self._on_cheque_step)

    def begin_cheque_collection(self: KioskApp) -> None:
        self.cheques.reset()
        self.idle.start(self.monotonic())
        self.go("cheque_identify")

    def _on_cheque_step(self: KioskApp, cheques: ChequeCollection, step: str) -> None:
        if self.root is None or not self.root.current.startswith("cheque_"):
            return  # not collecting, or starting over: where to go is decided elsewhere
        self.go(STEP_SCREENS[step])
        finished = step == "done" or (step == "cheques" and not cheques.cheques)
        if finished:
            self.idle.stop()
            if self._return_later is None:
                self._return_later = Clock.schedule_once(
                    lambda _dt: self.start_over(), DONE_SECONDS if step == "done" else NOTHING_READY_SECONDS)
