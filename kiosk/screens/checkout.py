from kivy.app import App

from kiosk.screens.base import ListScreen
from kiosk.screens.tiles import fill
from kiosk.widgets.keyboard import apply_key


class CheckOutScreen(ListScreen):
    """Leaving: the code on the pass, or one's name among today's visitors."""

    def on_kv_post(self, *_args) -> None:
        super().on_kv_post()
        App.get_running_app().checkout.bind(matches=self.populate)

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        departments = {d.id: getattr(d.name, app.language) for d in (app.status.config.departments
                                                                      if app.status.config else [])}
        fill(self.ids.matches, [
            (m.display_name, f"{departments.get(m.department_id, '')} · {app.local_time(m.checked_in_at)}",
             lambda m=m: app.run(app.checkout.choose(app.client, m)))
            for m in app.checkout.matches
        ])

    def type_key(self, key: str) -> None:
        app = App.get_running_app()
        checkout = app.checkout
        if checkout.mode == "code":
            checkout.type_code(apply_key(checkout.code, key, 6))
        else:
            checkout.type_name(apply_key(checkout.name, key, 60))
            app.run(checkout.search(app.client))
