from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens.tiles import fill
from kiosk.viewmodels.questions import format_date_digits
from kiosk.widgets.keyboard import apply_key
from shared.enums import FieldKind

KEYBOARDS = {FieldKind.TEXT: "text", FieldKind.EMAIL: "email", FieldKind.PHONE: "phone", FieldKind.DATE: "digits"}
LIMITS = {FieldKind.DATE: 8, FieldKind.PHONE: 20}


class QuestionScreen(Screen):
    """One question at a time, large, with the keyboard or the choices it needs."""

    label = StringProperty("")
    hint = StringProperty("")
    progress = StringProperty("")
    shown = StringProperty("")
    placeholder = StringProperty("")
    error = StringProperty("")
    keyboard_layout = StringProperty("text")
    uses_keyboard = BooleanProperty(True)
    answered = BooleanProperty(False)

    def on_kv_post(self, *_args) -> None:
        app = App.get_running_app()
        app.bind(language=self.refresh)
        app.flow.bind(index=self.refresh, answers=self.refresh, errors=self.refresh)

    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        app = App.get_running_app()
        flow, language = app.flow, app.language
        question = flow.question
        if question is None:
            return
        self.label = question.label[language]
        self.hint = question.hint.get(language, "")
        self.progress = app.t("Question {number} of {total}", language).format(
            number=flow.index + 1, total=len(flow.questions))
        raw = flow.answers.get(question.key)
        self.answered = raw not in (None, "")
        self.error = app.t(flow.errors[question.key], language) if question.key in flow.errors else ""
        self.uses_keyboard = question.kind in KEYBOARDS
        if self.uses_keyboard:
            self.keyboard_layout = KEYBOARDS[question.kind]
            text = raw or ""
            self.shown = format_date_digits(text) if question.kind is FieldKind.DATE else text
            self.placeholder = app.t("DD / MM / YYYY", language) if question.kind is FieldKind.DATE else ""
            # Names start with a capital: offer it, as a phone keyboard would.
            self.ids.keyboard.shift = question.key == "visitor_name" and (not text or text[-1] in " -")
        else:
            choices = question.choices or ((True, {"fr": app.t("Yes"), "en": app.t("Yes")}),
                                           (False, {"fr": app.t("No"), "en": app.t("No")}))
            selected = next((label[language] for value, label in choices if value == raw), None)
            fill(self.ids.choices, [(label[language], "", lambda v=value: self.choose(v)) for value, label in choices],
                 selected=selected)

    def type_key(self, key: str) -> None:
        app = App.get_running_app()
        question = app.flow.question
        text = apply_key(app.flow.answers.get(question.key) or "", key, LIMITS.get(question.kind, 200))
        if question.kind is FieldKind.DATE:
            text = "".join(ch for ch in text if ch.isdigit())
        app.flow.answer(question.key, text)

    def choose(self, value) -> None:
        app = App.get_running_app()
        app.flow.answer(app.flow.question.key, value)
        app.next_question()
