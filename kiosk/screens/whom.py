from kivy.app import App
from kivy.properties import BooleanProperty

from kiosk.screens.base import ListScreen
from kiosk.screens.tiles import fill
from kiosk.widgets.keyboard import apply_key


class WhomScreen(ListScreen):
    """Departments as large tiles, or a person found by typing a few letters of their name."""

    searching = BooleanProperty(False)

    def on_kv_post(self, *_args) -> None:
        super().on_kv_post()
        App.get_running_app().flow.bind(people=self.populate)

    def on_pre_enter(self, *_args) -> None:
        self.searching = False
        super().on_pre_enter()

    def populate(self, *_args) -> None:
        app = App.get_running_app()
        config = app.status.config
        if config is None:
            return
        fill(self.ids.departments, [
            (getattr(d.name, app.language), "", lambda d=d: app.chose_department(d.id)) for d in config.departments
        ])
        names = {d.id: getattr(d.name, app.language) for d in config.departments}
        fill(self.ids.people, [
            (p.display_name, ", ".join(names.get(i, "") for i in p.department_ids),
             lambda p=p: app.chose_person(p)) for p in app.flow.people
        ])

    def type_key(self, app, key: str) -> None:
        app.flow.search_people(apply_key(app.flow.person_query, key, 60))
