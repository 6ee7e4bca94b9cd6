"""A QR code drawn from its text: the qrcode library makes the matrix, a small texture scaled without smoothing
shows it. Always dark on white with a quiet zone, whatever the theme: phone cameras read nothing else well."""
from __future__ import annotations

import logging

import qrcode
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.widget import Widget

log = logging.getLogger(__name__)

QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def qr_matrix(data: str) -> list[list[bool]]:
    """The code's modules, top row first; True is dark."""
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def qr_texture(matrix: list[list[bool]]) -> Texture:
    """One texel per module, quiet zone included."""
    side = len(matrix) + 2 * QUIET_ZONE
    white, dark = b"\xff\xff\xff\xff", b"\x00\x00\x00\xff"
    rows = []
    for y in range(side):
        row_index = y - QUIET_ZONE
        row = matrix[row_index] if 0 <= row_index < len(matrix) else []
        rows.append(b"".join(dark if 0 <= x - QUIET_ZONE < len(row) and row[x - QUIET_ZONE] else white
                             for x in range(side)))
    texture = Texture.create(size=(side, side), colorfmt="rgba")
    texture.mag_filter = texture.min_filter = "nearest"  # crisp modules, never blurred edges
    # A texture's first row is its bottom one: the matrix's top row goes last.
    texture.blit_buffer(b"".join(reversed(rows)), colorfmt="rgba", bufferfmt="ubyte")
    return texture


class QrCode(Widget):
    """Square, as large as its size allows, centred; nothing drawn while `data` is empty."""

    data = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._texture: Texture | None = None
        self.bind(data=self._make, pos=self._draw, size=self._draw)
        self._make()

    def _make(self, *_args) -> None:
        self._texture = qr_texture(qr_matrix(self.data)) if self.data else None
        self._draw()

    def _draw(self, *_args) -> None:
        self.canvas.clear()
        if self._texture is None:
            return
        modules = self._texture.width
        # Whole pixels per module: every module the same size, which cameras read best.
        side = max(modules, int(min(self.width, self.height) // modules) * modules)
        # From x/y/width/height, not `center`: that alias may not be updated yet when size or pos fires.
        x, y = self.x + (self.width - side) / 2, self.y + (self.height - side) / 2
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(pos=(x, y), size=(side, side), texture=self._texture)
