from kivy.app import App

from kiosk.screens.base import ListScreen
from kiosk.screens.tiles import fill


class VisitorTypeScreen(ListScreen):
    """Visitor, patient, delivery, candidate… as the site configured them."""

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        if app.status.config is None:
            return
        fill(self.ids.types, [
            (getattr(t.name, app.language), "", lambda t=t: app.chose_visitor_type(t.id))
            for t in app.status.config.visitor_types
        ])
