"""Printing a receipt on a network printer: a real TCP listener on 127.0.0.1 receives what a printer would."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

import pytest

from kiosk.printing import PrinterUnavailable, print_receipt, printer_from_setting, render_receipt
from kiosk.printing.device import STATUS_TIMEOUT_SECONDS
from shared.receipt import Receipt
from tests.receipts.conftest import URL, make_receipt
from tests.receipts.escpos_stream import Command, Text, parse, qr_contents, text_of

PAPER_STATUS_REQUEST = b"\x10\x04\x04"  # DLE EOT 4


class FakeNetworkPrinter:
    """A port-9100 printer: keeps every byte of one connection; answers the paper status request if told how."""

    def __init__(self, paper_answer: bytes | None = None) -> None:
        self.paper_answer = paper_answer
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        answered = False
        with connection:
            while chunk := connection.recv(4096):
                self.received += chunk
                if self.paper_answer is not None and not answered and PAPER_STATUS_REQUEST in self.received:
                    connection.sendall(self.paper_answer)
                    answered = True

    def finish(self) -> bytes:
        self.thread.join(timeout=10)
        self.server.close()
        assert not self.thread.is_alive(), "the printer connection was never closed"
        return bytes(self.received)


def _print(receipt: Receipt, paper_answer: bytes | None = None, profile: str = "TM-T88III") -> tuple[bytes, float]:
    printer_socket = FakeNetworkPrinter(paper_answer)
    started = time.monotonic()
    print_receipt(printer_from_setting(f"tcp://127.0.0.1:{printer_socket.port}", profile), receipt)
    elapsed = time.monotonic() - started
    return printer_socket.finish(), elapsed


def _index(events: list, predicate) -> int:
    return next(i for i, event in enumerate(events) if predicate(event))


def test_a_french_receipt_reaches_the_printer_in_its_code_page(receipt: Receipt):
    received, _ = _print(receipt, paper_answer=b"\x12")  # paper present
    events = parse(received[len(PAPER_STATUS_REQUEST):])
    assert received.startswith(PAPER_STATUS_REQUEST)

    # A reset, then Windows-1252 (table 16) selected before any text; every line decodes in that table.
    assert events[0] == Command(b"\x1b@", b"")
    select = _index(events, lambda e: isinstance(e, Command) and e.code == b"\x1bt")
    assert events[select].argument == b"\x10"
    first_text = _index(events, lambda e: isinstance(e, Text) and e.text.strip())
    assert select < first_text
    assert {e.code_table for e in events if isinstance(e, Text)} == {16}
    for word in ("Reçu", "Sous-total", "Payé par Visa •••• 4242", "Hélène Côté", "57,49 $", "TVQ 9,975 %",
                 "N° d’inscription 1234567890 TQ0001", "15 janvier 2026, 12 h 30", "Commissaire à l’assermentation"):
        assert word.encode("cp1252") in received
    text = text_of(events)
    assert "Client : Hélène Côté" in text
    assert "Balayez pour obtenir votre copie numérique" in text

    # The printer's own QR command carries exactly the receipt's URL, and the paper is cut at the very end.
    assert qr_contents(events) == [URL.encode()]
    assert events[-1] == Command(b"\x1dV", b"\x00")
    assert received.endswith(b"\x1dV\x00")


def test_amounts_are_right_aligned_on_the_printer_width(receipt: Receipt):
    received, _ = _print(receipt, paper_answer=b"\x12")
    lines = text_of(parse(received[len(PAPER_STATUS_REQUEST):])).splitlines()
    subtotal = next(line for line in lines if line.startswith("Sous-total"))
    assert len(subtotal) == 42 and subtotal.endswith("50,00 $")  # TM-T88III, font A: 42 columns
    photocopies = lines.index(next(line for line in lines if line.startswith("Photocopies")))
    assert lines[photocopies].endswith("15,00 $")
    assert lines[photocopies + 1].strip() == "30 × 0,50 $"


def test_the_euro_sign_and_the_wider_paper_of_a_tm_t20ii():
    receipt = make_receipt(currency="EUR", locale="fr_FR", time_zone="Europe/Paris", refunded=1500)
    received, _ = _print(receipt, paper_answer=b"\x12", profile="TM-T20II")
    events = parse(received[len(PAPER_STATUS_REQUEST):])
    text = text_of(events)
    assert "57,49 €".encode("cp1252") in received and b"\x80" in received  # € is 0x80 in Windows-1252
    assert "Remboursé" in text and "15,00 €" in text
    total = next(line for line in text.splitlines() if line.startswith("Sous-total"))
    assert len(total) == 48  # TM-T20II, font A


def test_the_code_page_is_sent_again_after_every_reset_and_font_change(receipt: Receipt):
    # python-escpos 3.1 forgets that ESC @ and ESC M reset the code page (ESC ! too on some printers): accents
    # would print garbled.
    events = parse(render_receipt(receipt, printer_from_setting("tcp://127.0.0.1:9", "TM-T88III").profile))
    resets = [i for i, e in enumerate(events) if isinstance(e, Command) and e.code in (b"\x1b@", b"\x1bM", b"\x1b!")]
    assert len(resets) >= 3  # the reset, the text sizes, and the small font for the URL and back
    for index in resets:
        following = next(e for e in events[index + 1:] if isinstance(e, Text) or e.code == b"\x1bt")
        assert following == Command(b"\x1bt", b"\x10")


def test_a_profile_without_windows_1252_gets_cp858_and_stars_for_the_card():
    from kiosk.printing._library import escpos

    class Cp858Only(escpos()["capabilities"].get_profile_class("TM-T88III")):
        profile_data = {**escpos()["capabilities"].get_profile_class("TM-T88III").profile_data,
                        "codePages": {"0": "CP437", "19": "CP858"}}

    events = parse(render_receipt(make_receipt(currency="EUR", locale="fr_FR"), Cp858Only()))
    assert {e.code_table for e in events if isinstance(e, Text)} == {19}
    text = text_of(events)
    assert "Payé par Visa **** 4242" in text and "57,49 €" in text and "Hélène" in text


def test_a_printer_that_never_answers_its_status_is_printed_to_without_hanging(receipt: Receipt):
    received, elapsed = _print(receipt, paper_answer=None)
    assert "Hélène".encode("cp1252") in received and received.endswith(b"\x1dV\x00")
    assert elapsed < STATUS_TIMEOUT_SECONDS * 2 + 2


def test_a_printer_out_of_paper_gets_nothing_but_the_question(receipt: Receipt):
    printer_socket = FakeNetworkPrinter(paper_answer=b"\x72")  # roll end and near-end sensors
    printer = printer_from_setting(f"tcp://127.0.0.1:{printer_socket.port}", "TM-T88III")
    with pytest.raises(PrinterUnavailable) as raised:
        print_receipt(printer, receipt)
    assert raised.value.reason == "paper_out"
    assert printer_socket.finish() == PAPER_STATUS_REQUEST


@pytest.mark.parametrize("answer", [b"\x1e", b"\x00"], ids=["paper-near-end", "not-a-status-byte"])
def test_near_end_or_a_meaningless_answer_still_prints(receipt: Receipt, answer: bytes):
    received, _ = _print(receipt, paper_answer=answer)
    assert "Reçu".encode("cp1252") in received and received.endswith(b"\x1dV\x00")


def test_a_printer_nobody_listens_for_is_offline_at_once(receipt: Receipt):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    started = time.monotonic()
    with pytest.raises(PrinterUnavailable) as raised:
        print_receipt(printer_from_setting(f"tcp://127.0.0.1:{port}", "TM-T88III"), receipt)
    assert raised.value.reason == "offline"
    assert "127.0.0.1" in raised.value.detail
    assert time.monotonic() - started < 2


def test_the_same_printer_object_prints_twice(receipt: Receipt):
    first = FakeNetworkPrinter(b"\x12")
    printer = printer_from_setting(f"tcp://127.0.0.1:{first.port}", "TM-T88III")
    print_receipt(printer, receipt)
    assert first.finish().endswith(b"\x1dV\x00")
    second = FakeNetworkPrinter(b"\x12")
    printer.port = second.port  # the kiosk keeps one printer object; each receipt is a new connection
    print_receipt(printer, receipt)
    assert second.finish().endswith(b"\x1dV\x00")


def test_a_file_printer_receives_the_rendered_bytes(tmp_path: Path, receipt: Receipt):
    device = tmp_path / "lp0"
    printer = printer_from_setting(f"file://{device}", "TM-T88III")
    print_receipt(printer, receipt)
    assert device.read_bytes() == render_receipt(receipt, printer.profile)


def test_a_file_printer_whose_device_is_missing_is_offline(tmp_path: Path, receipt: Receipt):
    printer = printer_from_setting(f"file://{tmp_path}/no/such/lp0", "TM-T88III")
    with pytest.raises(PrinterUnavailable) as raised:
        print_receipt(printer, receipt)
    assert raised.value.reason == "offline"


def test_a_serial_printer_receives_the_rendered_bytes(receipt: Receipt):
    """A pseudo-terminal stands in for the serial port: pyserial opens its slave side, the test reads the master."""
    master, slave = os.openpty()
    try:
        tty.setraw(slave)  # a printer's line takes bytes as they are, no newline translation
        printer = printer_from_setting(f"serial://{os.ttyname(slave)}?baudrate=38400", "TM-T88III")
        received = bytearray()
        reader = threading.Thread(target=_drain, args=(master, received), daemon=True)
        reader.start()
        print_receipt(printer, receipt)
        expected = render_receipt(receipt, printer.profile)
        deadline = time.monotonic() + 5
        while len(received) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert bytes(received) == expected
    finally:
        os.close(slave)
        os.close(master)


def _drain(fd: int, into: bytearray) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        into.extend(chunk)


def test_the_printer_library_leaves_logging_to_the_application(tmp_path: Path):
    # In a fresh interpreter: python-escpos's import calls logging.basicConfig(), its drivers logging.info().
    code = (
        "import logging, sys\n"
        "from kiosk.printing import print_receipt, printer_from_setting\n"
        "from tests.receipts.conftest import make_receipt\n"
        "assert 'escpos' not in sys.modules\n"
        f"printer = printer_from_setting('file://{tmp_path}/lp0', 'TM-T88III')\n"
        "assert 'escpos' in sys.modules and logging.getLogger().handlers == []\n"
        "print_receipt(printer, make_receipt(language='en', locale='en_CA'))\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
    assert (tmp_path / "lp0").read_bytes().endswith(b"\x1dV\x00")
