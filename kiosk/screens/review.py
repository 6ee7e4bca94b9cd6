from kivy.app import App

from kiosk.screens.base import ListScreen
from kiosk.widgets.review import ReviewRow


class ReviewScreen(ListScreen):
    """Everything the visitor said, each with a way to change it, before it is sent."""

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        rows = self.ids.rows
        rows.clear_widgets()
        flow = app.flow
        whom = flow.host_name or flow.department_name()
        if flow.host_name:
            whom = f"{flow.host_name} — {flow.department_name()}"
        rows.add_widget(ReviewRow(label=app.t("Visiting", app.language), value=whom, key=""))
        if flow.visitor_type_id is not None:
            rows.add_widget(ReviewRow(label=app.t("You are", app.language), value=flow.visitor_type_name(), key=""))
        for key, label, value in flow.summary():
            rows.add_widget(ReviewRow(label=label, value=value, key=key))
