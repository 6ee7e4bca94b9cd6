"""A signature drawn with a finger: the strokes as points, whether there is enough ink to count, and the PNG the
backend keeps as proof. No widget here: the pad widget feeds the points, tests feed them by hand."""
from __future__ import annotations

import io
import math

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty
from PIL import Image, ImageDraw

# Less ink than this (a tenth of the pad's width) is a tap or a slip of the finger, not a signature.
MIN_INK = 0.10
PNG_WIDTH = 900
INK_WIDTH = 5  # pixels of the PNG: as thick as the line the pad draws, so what is kept is what was seen


class SignatureStrokes(EventDispatcher):
    """Strokes as lists of (x, y) from 0 to 1 across the pad, y up (Kivy's way); `aspect` is its width / height.

    `changes` counts every change, so the pad can draw again what it shows.
    """

    aspect = NumericProperty(3.0)
    changes = NumericProperty(0)
    inked = BooleanProperty(False)  # enough ink to count as a signature

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.strokes: list[list[tuple[float, float]]] = []

    def begin(self, x: float, y: float) -> None:
        """A finger touched the pad."""
        self.strokes.append([(_unit(x), _unit(y))])
        self._changed()

    def extend(self, x: float, y: float) -> None:
        """The finger moved; a point where it already was adds nothing."""
        if not self.strokes:
            self.begin(x, y)
            return
        point = (_unit(x), _unit(y))
        if point != self.strokes[-1][-1]:
            self.strokes[-1].append(point)
            self._changed()

    def clear(self) -> None:
        self.strokes = []
        self._changed()

    @property
    def ink(self) -> float:
        """How far the finger travelled while touching, in widths of the pad."""
        total = 0.0
        for stroke in self.strokes:
            for (x1, y1), (x2, y2) in zip(stroke, stroke[1:]):
                total += math.hypot(x2 - x1, (y2 - y1) / self.aspect)
        return total

    def png(self, width: int = PNG_WIDTH) -> bytes:
        """Black ink on white, as the pad showed it (top up), small enough for the backend's 300 KB ceiling."""
        height = max(1, round(width / self.aspect))
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        radius = INK_WIDTH / 2
        for stroke in self.strokes:
            points = [(x * (width - 1), (1 - y) * (height - 1)) for x, y in stroke]
            if len(points) > 1:
                draw.line(points, fill=0, width=INK_WIDTH, joint="curve")
            for px, py in (points[0], points[-1]):  # round ends, as the pad's Line caps them
                draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=0)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()

    def _changed(self) -> None:
        self.inked = self.ink >= MIN_INK
        self.changes += 1


def _unit(value: float) -> float:
    """A coordinate kept on the pad: a finger sliding off its edge draws along the edge."""
    return min(1.0, max(0.0, float(value)))
