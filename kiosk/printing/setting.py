"""Which receipt printer: one URL-like setting string, e.g. tcp://10.0.0.9:9100, usb://0x04b8:0x0202."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from kiosk.printing._library import escpos

EXPECTED = "tcp://host:9100, usb://0x04b8:0x0202, serial:///dev/ttyS0 or file:///dev/usb/lp0"
DEFAULT_PORT = 9100
# Long enough for a printer waking up, short enough that a visitor is told soon that nothing will print.
CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class PrinterAddress:
    kind: Literal["tcp", "usb", "serial", "file"]
    host: str = ""
    port: int = DEFAULT_PORT
    vendor_id: int = 0
    product_id: int = 0
    path: str = ""
    baudrate: int = 0  # serial only; 0 leaves python-escpos's default


def _fail(setting: str, problem: str) -> ValueError:
    return ValueError(f"printer setting {setting!r}: {problem} (expected {EXPECTED})")


def _usb_id(setting: str, text: str, which: str) -> int:
    try:
        value = int(text, 16)  # lsusb writes 04b8:0202; 0x04b8 is accepted too
    except ValueError:
        raise _fail(setting, f"the USB {which} id {text!r} is not hexadecimal") from None
    if not 0 < value <= 0xFFFF:
        raise _fail(setting, f"the USB {which} id {text!r} is out of range")
    return value


def parse_printer_setting(setting: str) -> PrinterAddress:
    """The printer's address from its setting string; ValueError saying what is wrong with it."""
    text = setting.strip()
    if not text:
        raise _fail(setting, "it is empty")
    if "://" not in text:
        raise _fail(setting, "it has no scheme")
    parts = urlsplit(text)
    kind = parts.scheme.lower()
    query = parse_qs(parts.query, keep_blank_values=True)
    allowed_options = {"serial": {"baudrate"}}.get(kind, set())
    if unknown := sorted(set(query) - allowed_options):
        raise _fail(setting, f"unknown option {', '.join(unknown)}")
    if kind == "tcp":
        if not parts.hostname:
            raise _fail(setting, "the host is missing")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise _fail(setting, "the port is not a number between 1 and 65535") from None
        if parts.path not in ("", "/"):
            raise _fail(setting, "a network printer has no path")
        return PrinterAddress("tcp", host=parts.hostname, port=port)
    if kind == "usb":
        vendor, _, product = parts.netloc.partition(":")
        if not vendor or not product or parts.path not in ("", "/"):
            raise _fail(setting, "a USB printer is written usb://VENDOR:PRODUCT in hexadecimal")
        return PrinterAddress("usb", vendor_id=_usb_id(setting, vendor, "vendor"),
                              product_id=_usb_id(setting, product, "product"))
    if kind in ("serial", "file"):
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise _fail(setting, f"a {kind} printer is written {kind}:///absolute/path (three slashes)")
        baudrate = 0
        if "baudrate" in query:
            raw = query["baudrate"][-1]
            if not raw.isdigit() or int(raw) <= 0:
                raise _fail(setting, f"baudrate {raw!r} is not a positive number")
            baudrate = int(raw)
        return PrinterAddress(kind, path=parts.path, baudrate=baudrate)
    raise _fail(setting, f"unknown printer type {parts.scheme!r}")


def check_profile(profile: str) -> str:
    """The profile name, if python-escpos knows it; ValueError listing some it knows otherwise."""
    known = escpos()["capabilities"].CAPABILITIES["profiles"]
    if profile not in known:
        examples = ", ".join(name for name in ("TM-T88III", "TM-T88V", "TM-T20II", "default") if name in known)
        raise ValueError(f"unknown printer profile {profile!r} (python-escpos knows e.g. {examples})")
    return profile


def printer_from_setting(setting: str, profile: str) -> Any:
    """An unopened python-escpos printer for the setting; it connects when printing (see print_receipt)."""
    address = parse_printer_setting(setting)
    check_profile(profile)
    printers = escpos()["printer"]
    if address.kind == "tcp":
        return printers.Network(address.host, address.port, timeout=CONNECT_TIMEOUT_SECONDS, profile=profile)
    if address.kind == "file":
        return printers.File(address.path, profile=profile)
    cls = printers.Usb if address.kind == "usb" else printers.Serial
    if not cls.is_usable():
        # Raised now, at configuration time, rather than as a puzzling failure at the first receipt.
        package = "pyusb" if address.kind == "usb" else "pyserial"
        raise ValueError(f"printer setting {setting!r}: {address.kind} printers need the {package} package, "
                         "which is not installed")
    if address.kind == "usb":
        return printers.Usb(address.vendor_id, address.product_id, profile=profile)
    options: dict[str, Any] = {"baudrate": address.baudrate} if address.baudrate else {}
    return printers.Serial(address.path, profile=profile, **options)
