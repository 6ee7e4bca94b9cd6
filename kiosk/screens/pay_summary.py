from kivy.app import App

from kiosk.screens.base import ListScreen
from kiosk.widgets.receipt import MoneyRow


class PaySummaryScreen(ListScreen):
    """What is owed, line by line with its taxes, and how to pay it."""

    def on_kv_post(self, *_args) -> None:
        super().on_kv_post()
        App.get_running_app().pay.bind(request=self.populate)

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        rows = self.ids.rows
        rows.clear_widgets()
        for label, amount, kind in app.pay.summary_rows(app.language):
            rows.add_widget(MoneyRow(label=label, amount=amount, kind=kind))
