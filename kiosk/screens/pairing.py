from kivy.app import App
from kivy.properties import OptionProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.widgets.keyboard import apply_key


class PairingScreen(Screen):
    """A new kiosk: the installer types the pairing code, then chooses the staff PIN."""

    stage = OptionProperty("code", options=["code", "pin", "working"])
    code = StringProperty("")
    pin = StringProperty("")
    error = StringProperty("")

    def type_key(self, key: str) -> None:
        if self.stage == "code":
            self.code = apply_key(self.code, key, 8)
        else:
            self.pin = apply_key(self.pin, key, 8)
        self.error = ""

    def shown(self, stage: str, code: str, pin: str) -> str:
        if stage == "code":
            return f"{code[:4]} {code[4:]}".strip()
        return "•" * len(pin)

    def submit(self) -> None:
        if self.stage == "code":
            self.stage = "pin"
            return
        App.get_running_app().run(self._pair())

    async def _pair(self) -> None:
        self.stage = "working"
        self.error = await App.get_running_app().pair(self.code, self.pin)
        if self.error:
            self.stage, self.code, self.pin = "code", "", ""
