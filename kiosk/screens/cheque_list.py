from kivy.app import App

from kiosk.screens.base import ListScreen
from kiosk.widgets.common import Tile


class ChequeListScreen(ListScreen):
    """The employee's cheques ready at the desk, all chosen at first; a tap leaves one for another day."""

    def on_kv_post(self, *_args) -> None:
        super().on_kv_post()
        App.get_running_app().cheques.bind(cheques=self.populate, chosen=self.populate)

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        cheques = app.cheques
        site_locale = app.status.config.site.locale if app.status.config else "fr_CA"
        grid = self.ids.cheques
        grid.clear_widgets()
        for cheque_id, company, details in cheques.cheque_rows(app.language, site_locale):
            chosen = cheque_id in cheques.chosen
            # Said in words, not only by the tile's colour: which ones the signature will be for.
            choice = app.t("Collecting it now") if chosen else app.t("Left for another day")
            tile = Tile(title=company, subtitle=f"{details}\n{choice}", selected=chosen)
            tile.bind(on_release=lambda _tile, chosen=cheque_id: cheques.toggle(chosen))
            grid.add_widget(tile)
