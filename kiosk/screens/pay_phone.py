from kivy.uix.screenmanager import Screen

from kiosk.widgets.qr import QrCode  # noqa: F401  (used in pay_phone.kv)


class PayPhoneScreen(Screen):
    """The checkout page as a QR code, big and centred, the amount, the time left, Cancel."""
