"""Colours and type size, with a large-text, high-contrast variant a visitor can switch on."""
from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty
from kivy.utils import get_color_from_hex as hex_color

CALM = {
    "bg": "#F5F2EC", "surface": "#FFFFFF", "primary": "#0B5563", "ink_primary": "#FFFFFF",
    "secondary": "#E4EEEF", "ink_secondary": "#0B3F48", "text": "#1D2730", "muted": "#56636D",
    "border": "#D6D0C4", "error": "#A4261D", "success": "#2C6E3F", "accent": "#C8612A",
}
HIGH_CONTRAST = {
    "bg": "#000000", "surface": "#101010", "primary": "#FFD400", "ink_primary": "#000000",
    "secondary": "#202020", "ink_secondary": "#FFFFFF", "text": "#FFFFFF", "muted": "#EDEDED",
    "border": "#FFFFFF", "error": "#FF8A80", "success": "#8CF58C", "accent": "#FFD400",
}


class Theme(EventDispatcher):
    high_contrast = BooleanProperty(False)
    scale = NumericProperty(1.0)  # multiplies every font size
    bg = ColorProperty()
    surface = ColorProperty()
    primary = ColorProperty()
    ink_primary = ColorProperty()
    secondary = ColorProperty()
    ink_secondary = ColorProperty()
    text = ColorProperty()
    muted = ColorProperty()
    border = ColorProperty()
    error = ColorProperty()
    success = ColorProperty()
    accent = ColorProperty()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._apply()

    def on_high_contrast(self, *_args) -> None:
        self._apply()

    def _apply(self) -> None:
        palette = HIGH_CONTRAST if self.high_contrast else CALM
        for name, value in palette.items():
            setattr(self, name, hex_color(value))
        self.scale = 1.3 if self.high_contrast else 1.0
