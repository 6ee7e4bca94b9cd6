"""The printer setting string: what it may say, and how a wrong one is explained."""
from __future__ import annotations

import pytest

from kiosk.printing import PrinterAddress, parse_printer_setting, printer_from_setting
from kiosk.printing._library import escpos


@pytest.mark.parametrize(("setting", "address"), [
    ("tcp://10.0.0.9", PrinterAddress("tcp", host="10.0.0.9", port=9100)),
    (" tcp://printer.lobby.local:9101 ", PrinterAddress("tcp", host="printer.lobby.local", port=9101)),
    ("usb://0x04b8:0x0202", PrinterAddress("usb", vendor_id=0x04B8, product_id=0x0202)),
    ("usb://04b8:0e15", PrinterAddress("usb", vendor_id=0x04B8, product_id=0x0E15)),
    ("serial:///dev/ttyS0", PrinterAddress("serial", path="/dev/ttyS0")),
    ("serial:///dev/ttyUSB0?baudrate=38400", PrinterAddress("serial", path="/dev/ttyUSB0", baudrate=38400)),
    ("file:///dev/usb/lp0", PrinterAddress("file", path="/dev/usb/lp0")),
])
def test_settings_that_name_a_printer(setting: str, address: PrinterAddress):
    assert parse_printer_setting(setting) == address


@pytest.mark.parametrize(("setting", "problem"), [
    ("", "it is empty"),
    ("10.0.0.9:9100", "it has no scheme"),
    ("lpt://1", "unknown printer type 'lpt'"),
    ("http://10.0.0.9", "unknown printer type 'http'"),
    ("tcp://:9100", "the host is missing"),
    ("tcp://10.0.0.9:99999", "the port is not a number between 1 and 65535"),
    ("tcp://10.0.0.9:port", "the port is not a number between 1 and 65535"),
    ("tcp://10.0.0.9:9100/queue", "a network printer has no path"),
    ("tcp://10.0.0.9?timeout=3", "unknown option timeout"),
    ("usb://04b8", "a USB printer is written usb://VENDOR:PRODUCT in hexadecimal"),
    ("usb://epson:0202", "the USB vendor id 'epson' is not hexadecimal"),
    ("usb://04b8:10000", "the USB product id '10000' is out of range"),
    ("serial://dev/ttyS0", "a serial printer is written serial:///absolute/path (three slashes)"),
    ("file://", "a file printer is written file:///absolute/path (three slashes)"),
    ("serial:///dev/ttyS0?baudrate=fast", "baudrate 'fast' is not a positive number"),
])
def test_a_wrong_setting_says_what_is_wrong_and_what_is_expected(setting: str, problem: str):
    with pytest.raises(ValueError) as raised:
        parse_printer_setting(setting)
    message = str(raised.value)
    assert problem in message
    assert repr(setting) in message
    assert "tcp://host:9100" in message and "usb://0x04b8:0x0202" in message


def test_printer_from_setting_refuses_bad_settings_and_unknown_profiles():
    with pytest.raises(ValueError, match="unknown printer type 'lpt'"):
        printer_from_setting("lpt://1", "TM-T88III")
    with pytest.raises(ValueError, match=r"unknown printer profile 'TM-T99'.*TM-T88III"):
        printer_from_setting("tcp://10.0.0.9", "TM-T99")


def test_printer_from_setting_builds_the_python_escpos_printer_with_its_profile():
    printers = escpos()["printer"]
    network = printer_from_setting("tcp://10.0.0.9:9101", "TM-T88III")
    assert isinstance(network, printers.Network)
    assert (network.host, network.port) == ("10.0.0.9", 9101)
    assert network.profile.get_columns("a") == 42
    assert network.timeout <= 10  # an unplugged printer is reported in seconds, not python-escpos's minute
    wide = printer_from_setting("file:///dev/usb/lp0", "TM-T20II")
    assert isinstance(wide, printers.File) and wide.devfile == "/dev/usb/lp0"
    assert wide.profile.get_columns("a") == 48


@pytest.mark.parametrize(("setting", "kind"), [
    ("usb://0x04b8:0x0202", "Usb"), ("serial:///dev/ttyS0?baudrate=38400", "Serial"),
])
def test_usb_and_serial_printers(setting: str, kind: str):
    # pyusb and pyserial are dependencies: both kinds are usable on every installation.
    cls = getattr(escpos()["printer"], kind)
    assert cls.is_usable()
    assert isinstance(printer_from_setting(setting, "TM-T88III"), cls)
