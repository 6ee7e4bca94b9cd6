"""Collecting a cheque through its view-model, without a window: the signature's strokes and PNG, the blank pad
refused, the backend's answers turned into what the employee is told (against the real backend), and nothing of
the employee kept after reset."""
from __future__ import annotations

import os
import tempfile

# Before anything imports kivy: no argument parsing, no console log, and a throwaway home (no ~/.kivy).
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

import io  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from kiosk.client import BackendClient  # noqa: E402
from kiosk.outbox import Outbox  # noqa: E402
from kiosk.viewmodels import cheque_collection as words  # noqa: E402
from kiosk.viewmodels.cheque_collection import ChequeCollection, collect_problem, identify_problem  # noqa: E402
from kiosk.viewmodels.signature_strokes import SignatureStrokes  # noqa: E402
from shared.api import FieldProblem, Problem  # noqa: E402
from shared.api_cheques import SIGNATURE_MAX_BYTES  # noqa: E402
from shared.i18n import translate  # noqa: E402
from tests.backend.conftest import Backend  # noqa: E402
from tests.kiosk.cheque_setup import PIN, ready_cheques  # noqa: E402
from tests.kiosk.paying import free_port  # noqa: E402


def scribble(strokes: SignatureStrokes) -> None:
    """A signature-like zigzag across most of the pad, then a short second stroke."""
    strokes.aspect = 3.0
    strokes.begin(0.1, 0.4)
    for step in range(1, 30):
        strokes.extend(0.1 + step * 0.025, 0.4 + (0.15 if step % 2 else -0.05))
    strokes.begin(0.5, 0.7)
    strokes.extend(0.6, 0.72)


def dark_pixels(png: bytes) -> int:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return sum(image.convert("L").histogram()[:128])


# --- the signature -----------------------------------------------------------------------------------

def test_a_drawn_signature_renders_as_a_png_with_ink_where_it_was_drawn():
    strokes = SignatureStrokes()
    scribble(strokes)
    assert strokes.inked and strokes.ink > 0.5
    png = strokes.png()
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (900, 300)  # the pad's shape
    assert 1000 < dark_pixels(png) < 900 * 300 // 4 and len(png) < SIGNATURE_MAX_BYTES
    # Kivy counts y upwards, an image downwards: the short stroke high on the pad is high in the image, and
    # nothing was drawn in the pad's lowest third.
    assert image.crop((450, 70, 540, 110)).getextrema()[0] == 0
    assert image.crop((0, 210, 900, 300)).getextrema() == (255, 255)
    strokes.clear()
    assert not strokes.inked and dark_pixels(strokes.png()) == 0


def test_a_tap_or_a_tiny_tick_is_not_a_signature():
    strokes = SignatureStrokes()
    strokes.begin(0.5, 0.5)
    strokes.extend(0.5, 0.5)  # no movement: one point
    assert not strokes.inked and len(strokes.strokes[0]) == 1
    strokes.extend(0.52, 0.51)
    assert not strokes.inked
    strokes.extend(0.9, 0.2)
    assert strokes.inked


def test_points_off_the_pad_stay_on_its_edge():
    strokes = SignatureStrokes()
    strokes.begin(-0.2, 1.4)
    assert strokes.strokes == [[(0.0, 1.0)]]


async def test_a_blank_pad_is_refused_without_asking_the_backend(tmp_path: Path):
    flow = ChequeCollection()
    flow.step, flow.chosen = "sign", [1]
    box = Outbox(tmp_path / "outbox.sqlite3")
    await box.open()
    # A client for a closed port: if the flow asked, it would say "offline", not "blank".
    client = BackendClient(f"http://127.0.0.1:{free_port()}", "token", box, timeout=1)
    await client.start()
    try:
        await flow.collect(client)
        assert (flow.problem, flow.step) == ("blank", "sign")
        assert flow.message == words.BLANK
        assert translate("fr", flow.message) == "Veuillez d’abord signer dans le cadre avec votre doigt."
    finally:
        await client.close()
        await box.close()


# --- what the employee is told -----------------------------------------------------------------------

def test_refusals_are_mapped_to_what_the_employee_is_told():
    def problem(status: int, *fields: str) -> Problem:
        return Problem(title="x", status=status, errors=[FieldProblem(field=f, code="x", detail="x") for f in fields])

    assert [identify_problem(problem(s)) for s in (401, 422, 423, 429, 400)] == [
        "wrong", "malformed", "locked", "too_many", "refused"]
    assert collect_problem(problem(409)) == "taken"
    assert collect_problem(problem(422, "collection_token")) == "expired"
    assert collect_problem(problem(422, "signature_png")) == "blank"
    assert collect_problem(problem(422, "cheque_ids.0")) == "refused"
    assert collect_problem(problem(403)) == "refused"
    flow = ChequeCollection()
    flow.problem = "wrong"
    assert "3" in flow.message and not flow.blocked
    assert "limit" in flow.message.lower()
    for blocking in ("locked", "too_many", "offline", "expired", "taken"):
        flow.problem = blocking
        assert flow.blocked and translate("fr", flow.message) != flow.message


@pytest.fixture
async def client(backend: Backend, outbox: Outbox) -> AsyncIterator[BackendClient]:
    kiosk = BackendClient(str(backend.client.make_url("")), backend.world.tokens["kiosk_a"], outbox, timeout=10.0)
    await kiosk.start()
    yield kiosk
    await kiosk.close()


async def test_the_backend_s_answers_through_the_flow(backend: Backend, client: BackendClient):
    employee = await ready_cheques(backend, number="E-1042", given_name="Mélanie")
    flow = ChequeCollection()

    flow.type_number("e-10 42")  # typed loosely: kept as the stub prints it
    assert flow.number == "E-1042"
    flow.confirm_number()
    assert flow.stage == "pin"
    flow.type_pin("12")
    await flow.identify(client)
    assert flow.problem == "malformed" and flow.step == "identify"  # too short: not even sent

    flow.type_pin("0000")
    await flow.identify(client)
    assert (flow.problem, flow.pin, flow.step) == ("wrong", "", "identify")  # the PIN is never kept

    flow.type_pin(PIN)
    await flow.identify(client)
    assert (flow.problem, flow.step, flow.given_name) == ("none", "cheques", "Mélanie")
    assert flow.pin == "" and flow._token
    assert [c.cheque_number for c in flow.cheques] == employee["cheque_numbers"]
    assert flow.chosen == [c.id for c in flow.cheques]
    [(cheque_id, company, details)] = flow.cheque_rows("fr", "fr_CA")[:1]
    assert company == "Paie Laurentides inc." and details.startswith("Paie du ") and "chèque nº" in details
    assert flow.cheque_rows("en", "fr_CA")[0][2].startswith("Pay date ")

    flow.toggle(cheque_id)
    assert cheque_id not in flow.chosen
    flow.toggle(cheque_id)
    assert flow.chosen == [c.id for c in flow.cheques]  # in the list's order again

    flow.to_signature()
    scribble(flow.signature)
    await flow.collect(client)
    assert (flow.problem, flow.step, flow.desk_notified) == ("none", "done", True)
    assert flow._token == ""

    flow.reset()
    assert (flow.number, flow.pin, flow.given_name, flow._token, list(flow.cheques)) == ("", "", "", "", [])
    assert flow.signature.strokes == [] and (flow.step, flow.stage) == ("identify", "number")


async def test_three_wrong_pins_lock_and_the_right_one_then_does_not_open(backend: Backend, client: BackendClient):
    await ready_cheques(backend, number="E2001", given_name="Jean")
    flow = ChequeCollection()
    flow.type_number("E2001")
    flow.confirm_number()
    seen = []
    for _ in range(3):
        flow.type_pin("9999")
        await flow.identify(client)
        seen.append(flow.problem)
    assert seen == ["wrong", "wrong", "locked"]
    assert flow.blocked and flow.message == words.LOCKED
    flow.type_pin(PIN)
    assert flow.pin == ""  # nothing can be typed over the locked message
    flow.reset()
    flow.type_number("E2001")
    flow.confirm_number()
    flow.type_pin(PIN)
    await flow.identify(client)
    assert flow.problem == "locked" and flow.step == "identify"


async def test_without_the_backend_the_flow_says_so(tmp_path: Path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    await box.open()
    client = BackendClient(f"http://127.0.0.1:{free_port()}", "token", box, timeout=1)
    await client.start()
    try:
        flow = ChequeCollection()
        flow.type_number("E1")
        flow.confirm_number()
        flow.type_pin(PIN)
        await flow.identify(client)
        assert (flow.problem, flow.blocked, flow.pin) == ("offline", True, "")
        assert translate("fr", flow.message).startswith("Pour récupérer un chèque")
        flow.retry()
        assert (flow.problem, flow.stage) == ("none", "pin")
    finally:
        await client.close()
        await box.close()


async def test_too_many_failures_at_one_kiosk_are_told_as_such_not_as_offline(backend: Backend,
                                                                             client: BackendClient):
    flow = ChequeCollection()
    for attempt in range(10):
        flow.reset()
        flow.type_number(f"X{attempt}")  # nobody has these numbers
        flow.confirm_number()
        flow.type_pin("1234")
        await flow.identify(client)
        assert flow.problem == "wrong"
    flow.reset()
    flow.type_number("X99")
    flow.confirm_number()
    flow.type_pin("1234")
    await flow.identify(client)
    assert (flow.problem, flow.blocked, flow.message) == ("too_many", True, words.TOO_MANY)
    assert client.online  # the backend answered: the kiosk is not offline
