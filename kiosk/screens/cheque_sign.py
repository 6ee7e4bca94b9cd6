from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.widgets.signature import SignaturePad  # noqa: F401  (used in cheque_sign.kv)


class ChequeSignScreen(Screen):
    """The signature that the cheques are received, drawn with a finger; Sign tells the desk."""

    def on_pre_enter(self, *_args) -> None:
        self.ids.pad.refused = False

    def sign(self) -> None:
        app = App.get_running_app()
        app.run(app.cheques.collect(app.client))
