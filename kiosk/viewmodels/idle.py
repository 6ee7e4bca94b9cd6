"""Idle: a visitor who walks away is asked if they are still there, then everything they typed is wiped."""
from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty


class IdleWatch(EventDispatcher):
    """Fed with `touch(now)` on every touch and `tick(now)` every second; fires on_timeout once per session."""

    idle_seconds = NumericProperty(90)
    warning_seconds = NumericProperty(15)
    watching = BooleanProperty(False)  # only while a visitor's session is in progress
    warning = BooleanProperty(False)
    remaining = NumericProperty(0)  # whole seconds left once warning

    __events__ = ("on_timeout",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._last_touch = 0.0

    def touch(self, now: float) -> None:
        self._last_touch = now
        self.warning = False

    def start(self, now: float) -> None:
        self.watching = True
        self.touch(now)

    def stop(self) -> None:
        self.watching = False
        self.warning = False

    def tick(self, now: float) -> None:
        if not self.watching:
            return
        idle = now - self._last_touch
        if idle >= self.idle_seconds + self.warning_seconds:
            self.stop()
            self.dispatch("on_timeout")
        elif idle >= self.idle_seconds:
            self.warning = True
            self.remaining = int(self.idle_seconds + self.warning_seconds - idle + 0.999)

    def on_timeout(self) -> None:
        """Default handler; the app binds what starting over means."""
