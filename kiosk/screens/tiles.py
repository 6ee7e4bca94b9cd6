"""Filling a grid with tiles, for the lists that come from the site's configuration."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from kivy.uix.gridlayout import GridLayout

from kiosk.widgets.common import Tile


def fill(grid: GridLayout, tiles: Iterable[tuple[str, str, Callable[[], None]]], selected: str | None = None) -> None:
    """Replace the grid's tiles: (title, subtitle, what a tap does)."""
    grid.clear_widgets()
    for title, subtitle, action in tiles:
        tile = Tile(title=title, subtitle=subtitle, selected=title == selected)
        tile.bind(on_release=lambda _tile, act=action: act())
        grid.add_widget(tile)
