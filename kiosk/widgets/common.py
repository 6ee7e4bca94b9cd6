"""Building blocks with one look across the kiosk (their style is in common.kv)."""
from __future__ import annotations

from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label


class Heading(Label):
    pass


class Body(Label):
    pass


class BigButton(ButtonBehavior, Label):
    kind = OptionProperty("primary", options=["primary", "secondary", "quiet"])
    enabled = BooleanProperty(True)
    wraps = BooleanProperty(True)  # long words wrap to the button's width; False: the button fits its words
    min_height = NumericProperty(dp(88))  # a comfortable target for a finger, even a shaky one

    def on_touch_down(self, touch):
        # A disabled-looking button must not act: visitors take grey for "not yet".
        return super().on_touch_down(touch) if self.enabled else False


class Tile(ButtonBehavior, BoxLayout):
    title = StringProperty("")
    subtitle = StringProperty("")
    selected = BooleanProperty(False)


class TopBar(BoxLayout):
    """Back, the site's name, the clock, the language switch, the large-text switch, and a quiet online dot."""

    show_back = BooleanProperty(True)

    __events__ = ("on_back",)

    def on_back(self) -> None:
        pass


class Section(BoxLayout):
    """A part of a screen shown or hidden with its state. Hidden, it passes no touch to its children,
    which may still overlap visible widgets (a disabled widget swallows the touches that land on it)."""

    shown = BooleanProperty(True)

    def on_touch_down(self, touch):
        return super().on_touch_down(touch) if self.shown else False

    def on_touch_move(self, touch):
        return super().on_touch_move(touch) if self.shown else False

    def on_touch_up(self, touch):
        return super().on_touch_up(touch) if self.shown else False
