from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.widgets.keyboard import apply_key
from shared.i18n import N_

PROMPTS = {"phone": N_("Your phone number"), "email": N_("Your email address"),
           "address": N_("Your street address"), "city": N_("Your city"), "postal_code": N_("Your postal code")}
KEYBOARDS = {"phone": "phone", "email": "email"}


class ReturningEditScreen(Screen):
    """One contact detail typed anew, with the keyboard it needs."""

    def on_pre_enter(self, *_args) -> None:
        self._offer_capital()

    def _offer_capital(self) -> None:
        # Street and city names start with a capital, each word of them too: offer it, as a phone keyboard would.
        returning = App.get_running_app().returning
        draft = returning.draft
        self.ids.keyboard.shift = returning.editing in ("address", "city") and (not draft or draft[-1] in " -")

    @staticmethod
    def prompt(field: str) -> str:
        return PROMPTS.get(field, "")

    @staticmethod
    def keyboard_layout(field: str) -> str:
        return KEYBOARDS.get(field, "text")

    def type_key(self, key: str) -> None:
        returning = App.get_running_app().returning
        returning.type_draft(apply_key(returning.draft, key, 254))
        self._offer_capital()
