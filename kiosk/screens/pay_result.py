from kivy.app import App

from kiosk.screens.base import ListScreen
from kiosk.widgets.qr import QrCode  # noqa: F401  (used in pay_result.kv)
from shared.receipt import present


class PayResultScreen(ListScreen):
    """Approved, with the receipt on screen and its QR code (the digital copy); or why not, and what next."""

    def on_kv_post(self, *_args) -> None:
        super().on_kv_post()
        App.get_running_app().pay.bind(receipt=self.populate)

    def populate(self, *_args) -> None:
        receipt = App.get_running_app().pay.receipt
        # The receipt is in the language it was issued in, as printed: the same words on paper and on screen.
        self.ids.paper.show(present(receipt) if receipt is not None else None)
