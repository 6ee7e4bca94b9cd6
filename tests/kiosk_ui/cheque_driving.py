"""Driving the kiosk's "Collect my cheque" screens by touch: typing on its keyboard, drawing a signature."""
from __future__ import annotations

import math

from kivy.tests.common import UnitTestTouch

from kiosk.widgets.keyboard import KeyButton
from tests.kiosk_ui.driving import next_frames, screen, settle, tap, wait_for


async def type_keys(app, text: str) -> None:
    """Taps each character's key on the screen's keyboard (letters and digits, as the layout shows them)."""
    await next_frames()
    keys = {key.key: key for key in screen(app).ids.keyboard.walk() if isinstance(key, KeyButton)}
    for char in text:
        await tap(keys[char])


async def identify(app, number: str, pin: str) -> None:
    """From Welcome: Collect my cheque, the number, Continue, the PIN, Continue (the answer is the test's)."""
    await tap(screen(app).ids.collect_cheque)
    await wait_for(lambda: app.root.current == "cheque_identify")
    await type_keys(app, number)
    await tap(screen(app).ids.go_on)
    await wait_for(lambda: app.cheques.stage == "pin")
    await type_keys(app, pin)
    await tap(screen(app).ids.go_on)
    await wait_for(lambda: not app.cheques.busy and app.cheques.pin == "", 10, "the backend's answer")
    await settle()


async def draw_signature(area) -> None:
    """A finger signs across the pad: two strokes, each a touch down, many moves, and up."""
    await next_frames()

    def at(fx: float, fy: float) -> tuple[float, float]:
        return area.to_window(area.x + fx * area.width, area.y + fy * area.height)

    first = UnitTestTouch(*at(0.12, 0.45))
    first.touch_down()
    for step in range(1, 41):
        fx = 0.12 + step * 0.016
        first.touch_move(*at(fx, 0.45 + 0.18 * math.sin(step / 2.2) * (1 - step / 60)))
        if step % 10 == 0:
            await next_frames(1)
    first.touch_up()
    second = UnitTestTouch(*at(0.55, 0.38))
    second.touch_down()
    for step in range(1, 16):
        second.touch_move(*at(0.55 + step * 0.02, 0.38 + step * 0.012))
    second.touch_up()
    await settle()
