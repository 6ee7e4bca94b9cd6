from kivy.app import App
from kivy.properties import OptionProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.widgets.keyboard import apply_key
from shared.i18n import N_


class StaffScreen(Screen):
    """Staff only, behind the PIN: the kiosk's state, full screen, refresh, quit."""

    stage = OptionProperty("pin", options=["pin", "panel"])
    pin = StringProperty("")
    error = StringProperty("")

    def on_pre_enter(self, *_args) -> None:
        self.stage, self.pin, self.error = "pin", "", ""

    def type_key(self, key: str) -> None:
        self.pin = apply_key(self.pin, key, 8)
        self.error = ""

    def submit(self) -> None:
        app = App.get_running_app()
        if app.staff_pin_matches(self.pin):
            self.stage = "panel"
            app.run(app.status.count_outbox(app.client))
        else:
            self.error = N_("Wrong PIN.")
        self.pin = ""
