from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.viewmodels.cheque_collection import NUMBER_LIMIT, PIN_MAX
from kiosk.widgets.keyboard import apply_key


class ChequeIdentifyScreen(Screen):
    """Collecting a cheque, first: the employee number on the keyboard, then the PIN on a pad, masked."""

    def type_key(self, key: str) -> None:
        cheques = App.get_running_app().cheques
        if cheques.stage == "pin":
            cheques.type_pin(apply_key(cheques.pin, key, PIN_MAX))
        else:
            cheques.type_number(apply_key(cheques.number, key, NUMBER_LIMIT))

    def go_on(self) -> None:
        app = App.get_running_app()
        if app.cheques.stage == "pin":
            app.run(app.cheques.identify(app.client))
        else:
            app.cheques.confirm_number()

    def back(self) -> None:
        app = App.get_running_app()
        if app.cheques.stage == "pin" and not app.cheques.blocked:
            app.cheques.change_number()
        else:
            app.start_over()
