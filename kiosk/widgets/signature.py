"""A signature pad: a finger draws on it, "Clear" starts again, "Sign" sends — unless the pad is blank.

The strokes live in a SignatureStrokes view-model (which also makes the PNG); the pad draws them as Line
instructions and feeds them the touches, in units of the pad so a rotated screen keeps the signature's shape.
"""
from __future__ import annotations

from kivy.graphics import Color, InstructionGroup, Line
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.viewmodels.signature_strokes import SignatureStrokes

INK_DP = dp(2.2)  # half the line's width: about the PNG's ink on a kiosk-sized pad


class SignatureArea(Widget):
    """Where the finger draws; its look (paper, the line, "Sign here") is in signature.kv."""

    strokes: SignatureStrokes | None = ObjectProperty(None, allownone=True)
    ink = ObjectProperty((0.1, 0.12, 0.2, 1))

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lines: list[Line] = []
        # The ink goes over the paper, the line and the hint (children draw into `canvas`, so not there).
        self._ink = InstructionGroup()
        self.canvas.after.add(self._ink)
        self.bind(pos=self._redraw, size=self._redraw, ink=self._redraw)

    def on_strokes(self, _area: SignatureArea, strokes: SignatureStrokes | None) -> None:
        if strokes is not None:
            strokes.bind(changes=self._follow)
        self._redraw()

    # --- touches -----------------------------------------------------------------------------------------

    def _local(self, touch) -> tuple[float, float]:
        return ((touch.x - self.x) / max(1.0, self.width), (touch.y - self.y) / max(1.0, self.height))

    def on_touch_down(self, touch):
        if self.strokes is None or self.disabled or not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        touch.grab(self)  # the stroke is ours until the finger lifts, even off the pad
        self.strokes.aspect = self.width / max(1.0, self.height)
        self.strokes.begin(*self._local(touch))
        return True

    def on_touch_move(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_move(touch)
        self.strokes.extend(*self._local(touch))
        return True

    def on_touch_up(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_up(touch)
        touch.ungrab(self)
        return True

    # --- drawing -----------------------------------------------------------------------------------------

    def _points(self, stroke: list[tuple[float, float]]) -> list[float]:
        points = []
        for x, y in stroke:
            points += [self.x + x * self.width, self.y + y * self.height]
        return points

    def _follow(self, *_args) -> None:
        """Draw what changed: only the stroke being drawn grows, so only it is redrawn."""
        strokes = self.strokes.strokes if self.strokes is not None else []
        if len(strokes) < len(self._lines) or len(strokes) > len(self._lines) + 1:
            self._redraw()
            return
        if len(strokes) > len(self._lines):
            line = Line(points=[], width=INK_DP, cap="round", joint="round")
            self._ink.add(Color(*self.ink))
            self._ink.add(line)
            self._lines.append(line)
        if strokes:
            self._lines[-1].points = self._points(strokes[-1])

    def _redraw(self, *_args) -> None:
        self._ink.clear()
        self._lines = []
        if self.strokes is None:
            return
        self._ink.add(Color(*self.ink))
        for stroke in self.strokes.strokes:
            line = Line(points=self._points(stroke), width=INK_DP, cap="round", joint="round")
            self._ink.add(line)
            self._lines.append(line)


class SignaturePad(BoxLayout):
    """The drawing area with its "Clear" and "Sign" buttons. Emits on_sign only with ink on the pad; a blank
    pad sets `refused` (the screen says why) instead."""

    strokes: SignatureStrokes | None = ObjectProperty(None, allownone=True)
    refused = BooleanProperty(False)
    busy = BooleanProperty(False)  # the signature is being sent: Sign waits
    room = NumericProperty(dp(480))  # the height the screen can give the pad, its buttons included

    __events__ = ("on_sign",)

    def on_strokes(self, _pad: SignaturePad, strokes: SignatureStrokes | None) -> None:
        if strokes is not None:
            # Once there is ink, "sign first" no longer applies.
            strokes.bind(inked=lambda _s, inked: setattr(self, "refused", self.refused and not inked))

    def clear(self) -> None:
        if self.strokes is not None:
            self.strokes.clear()
        self.refused = False

    def sign(self) -> None:
        if self.busy:
            return
        if self.strokes is None or not self.strokes.inked:
            self.refused = True
            return
        self.refused = False
        self.dispatch("on_sign")

    def on_sign(self) -> None:
        """Default handler; the screen binds what signing means."""
