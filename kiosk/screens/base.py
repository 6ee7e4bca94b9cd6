"""Screens whose lists come from the configuration and are drawn again when the language changes."""
from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen


class ListScreen(Screen):
    """Calls `populate` on entering and whenever the visitor switches language."""

    def on_kv_post(self, *_args) -> None:
        App.get_running_app().bind(language=self.populate)

    def on_pre_enter(self, *_args) -> None:
        self.populate()

    def populate(self, *_args) -> None:
        """Fill the screen's lists; each list screen says what it lists."""
