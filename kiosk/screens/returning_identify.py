from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.viewmodels.questions import format_date_digits
from kiosk.widgets.keyboard import apply_key


class FileField(ButtonBehavior, BoxLayout):
    """One of the two things the visitor types, with its caption; tapping it sends the keyboard to it."""

    caption = StringProperty("")
    text = StringProperty("")
    placeholder = StringProperty("")
    active = BooleanProperty(False)
    error = BooleanProperty(False)


class ReturningIdentifyScreen(Screen):
    """Finding one's file: by file number or by phone (a clear choice), and always the date of birth."""

    def on_pre_enter(self, *_args) -> None:
        App.get_running_app().returning.focus = "key"

    @staticmethod
    def shown_birth(digits: str) -> str:
        return format_date_digits(digits) if digits else ""

    @staticmethod
    def keyboard_layout(focus: str, mode: str) -> str:
        if focus == "birth":
            return "digits"
        return "file_number" if mode == "number" else "phone"

    def type_key(self, key: str) -> None:
        returning = App.get_running_app().returning
        if returning.focus == "birth":
            returning.type_birth(apply_key(returning.birth_digits, key, 8))
            return
        returning.type_key(apply_key(returning.key, key, 20))

    def next_or_find(self) -> None:
        """The button beside the fields: to the date of birth first, then look the file up."""
        app = App.get_running_app()
        returning = app.returning
        if returning.focus == "key" and len(returning.birth_digits) < 8:
            returning.focus = "birth"
        else:
            app.look_up_file()
