from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.screens.base import ListScreen


class ContactRow(BoxLayout):
    """One contact detail: its label, its value (marked when changed), and Change while updating."""

    field = StringProperty("")
    label = StringProperty("")
    value = StringProperty("")
    changed = BooleanProperty(False)
    editable = BooleanProperty(False)


class ReturningContactScreen(ListScreen):
    """ "Is this still right?": the phone, email and address on file; confirm, or update them for the front desk
    to review."""

    def on_kv_post(self, *_args) -> None:
        super().on_kv_post()
        App.get_running_app().returning.bind(identified=self.populate, changes=self.populate, updating=self.populate,
                                             proposal=self.populate)

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        returning = app.returning
        rows = self.ids.rows
        rows.clear_widgets()
        if returning.identified is None:
            return
        editable = returning.updating and returning.proposal != "sent"
        if returning.updating:
            shown = [(field, app.t(label), value, changed) for field, label, value, changed in returning.rows()]
        else:  # at a glance: the address as on an envelope
            by_field = {field: (label, value) for field, label, value, _changed in returning.rows()}
            shown = [(field, app.t(by_field[field][0]), by_field[field][1], False) for field in ("phone", "email")]
            shown.append(("address", app.t("Address"), returning.address_lines(), False))
        for field, label, value, changed in shown:
            rows.add_widget(ContactRow(field=field, label=label, value=value or app.t("Not on file"), changed=changed,
                                       editable=editable))

    def title(self, language: str, identified, updating: bool, proposal: str) -> str:
        """The heading; kv passes what it depends on, so it is drawn again when any of it changes."""
        app = App.get_running_app()
        name = identified.given_name if identified else ""
        if proposal == "sent":
            return app.t("Thank you, {name}.").format(name=name)
        if updating:
            return app.t("Update your details")
        return app.t("Hello, {name}! Is this still right?").format(name=name)

    def note(self, language: str, identified, updating: bool, proposal: str) -> str:
        app = App.get_running_app()
        if proposal == "sent":
            return app.t("The front desk will review your change before it is saved in your file.")
        if updating:
            return app.t("Tap Change beside a detail. The front desk will review your change before it is saved.")
        if identified is not None and identified.change_pending:
            return app.t("A change you sent earlier is waiting for the front desk.")
        return ""
