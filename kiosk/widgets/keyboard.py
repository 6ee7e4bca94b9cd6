"""An on-screen keyboard for a touchscreen with no physical keys: letters with French accents, digits, codes."""
from __future__ import annotations

from kivy.properties import BooleanProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

ACCENTS = "éèêàâçôîûëïù"
LAYOUTS: dict[str, list[str]] = {
    "text": ["1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-", ACCENTS],
    "email": ["1234567890", "qwertyuiop", "asdfghjkl_", "zxcvbnm-.@", ACCENTS],
    "code": ["1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"],
    # A client's file number, as staff write it: letters, digits and a dash (P-1042).
    "file_number": ["1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM"],
    "phone": ["123", "456", "789", "+0"],
    "digits": ["123", "456", "789", "0"],
}
SPECIAL = {"shift", "space", "backspace"}


class KeyButton(ButtonBehavior, Label):
    """One key; its look, and the words on the special keys, live in keyboard.kv."""

    key = StringProperty("")
    label = StringProperty("")
    special = BooleanProperty(False)
    active = BooleanProperty(False)


class OnScreenKeyboard(BoxLayout):
    """Emits on_key with a character, or 'backspace'. `shift` capitalises the next letter."""

    layout = OptionProperty("text", options=list(LAYOUTS))
    shift = BooleanProperty(False)

    __events__ = ("on_key",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(layout=self._build, shift=self._relabel)
        self._build()

    def _build(self, *_args) -> None:
        self.clear_widgets()
        rows = LAYOUTS[self.layout]
        for number, row in enumerate(rows):
            line = BoxLayout(spacing=self.spacing)
            keys = list(row)
            last = number == len(rows) - 1
            if self.layout in {"text", "email"} and number == 3:
                keys = ["shift", *keys, "backspace"]
            if self.layout in {"phone", "digits", "code", "file_number"} and last:
                keys = [*keys, "backspace"]
            for key in keys:
                line.add_widget(self._key(key))
            self.add_widget(line)
        if self.layout in {"text", "email"}:
            line = BoxLayout(spacing=self.spacing)
            line.add_widget(self._key("space"))
            self.add_widget(line)
        self._relabel()

    def _key(self, key: str) -> KeyButton:
        button = KeyButton(key=key, special=key in SPECIAL)
        button.size_hint_x = {"space": 6, "backspace": 1.6, "shift": 1.6}.get(key, 1)
        button.bind(on_release=lambda b: self.press(b.key))
        return button

    def _relabel(self, *_args) -> None:
        for line in self.children:
            for button in line.children:
                if not button.special:
                    button.label = button.key.upper() if self.shift else button.key
                button.active = button.key == "shift" and self.shift

    def press(self, key: str) -> None:
        if key == "shift":
            self.shift = not self.shift
            return
        if key == "space":
            key = " "
        elif key != "backspace" and self.shift:
            key = key.upper()
            self.shift = False
        self.dispatch("on_key", key)

    def on_key(self, key: str) -> None:
        """Default handler; screens bind their own."""


def apply_key(text: str, key: str, limit: int = 200) -> str:
    """The text after one key press."""
    if key == "backspace":
        return text[:-1]
    return (text + key)[:limit]
