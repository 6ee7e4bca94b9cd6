from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.screens.tiles import fill


class VisitorTypeScreen(Screen):
    """Visitor, patient, delivery, candidate… as the site configured them."""

    def on_kv_post(self, *_args) -> None:
        App.get_running_app().bind(language=self.populate)

    def on_pre_enter(self, *_args) -> None:
        self.populate()

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        if app.status.config is None:
            return
        fill(self.ids.types, [
            (getattr(t.name, app.language), "", lambda t=t: app.chose_visitor_type(t.id))
            for t in app.status.config.visitor_types
        ])
