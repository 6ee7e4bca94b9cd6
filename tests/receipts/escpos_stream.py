"""Reading back the ESC/POS bytes a printer receives: commands, and text decoded in the code table then selected.

Strict on purpose: a byte sequence it does not know fails the test instead of passing as text.
"""
from __future__ import annotations

from dataclasses import dataclass

ESC, GS, DLE = 0x1B, 0x1D, 0x10
# Epson's code table numbers (ESC t n) and the Python codec of each.
CODE_TABLES = {0: "cp437", 2: "cp850", 4: "cp863", 16: "cp1252", 19: "cp858", 40: "iso8859_15"}
ESC_ONE_ARGUMENT = set(b"!-EGMadt{3J")  # ESC x n
GS_ONE_ARGUMENT = set(b"!Bb")


@dataclass(frozen=True)
class Command:
    code: bytes  # e.g. b"\x1bt", b"\x1d(k"
    argument: bytes


@dataclass(frozen=True)
class Text:
    text: str
    raw: bytes
    code_table: int


def parse(data: bytes) -> list[Command | Text]:
    events: list[Command | Text] = []
    table = 0  # a printer starts, and restarts after ESC @, in table 0
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == ESC:
            code = data[i + 1]
            if code == ord("@"):
                events.append(Command(b"\x1b@", b""))
                table = 0
                i += 2
            elif code in ESC_ONE_ARGUMENT:
                events.append(Command(bytes([ESC, code]), data[i + 2:i + 3]))
                if code == ord("t"):
                    table = data[i + 2]
                i += 3
            else:
                raise AssertionError(f"unknown command ESC {chr(code)!r} at byte {i}")
        elif byte == GS:
            code = data[i + 1]
            if code == ord("("):  # GS ( fn pL pH data
                length = data[i + 3] + 256 * data[i + 4]
                events.append(Command(bytes([GS, code, data[i + 2]]), data[i + 5:i + 5 + length]))
                i += 5 + length
            elif code == ord("V"):
                size = 4 if data[i + 2] in (65, 66, 97, 98) else 3  # GS V m [n]
                events.append(Command(b"\x1dV", data[i + 2:i + size]))
                i += size
            elif code in GS_ONE_ARGUMENT:
                events.append(Command(bytes([GS, code]), data[i + 2:i + 3]))
                i += 3
            else:
                raise AssertionError(f"unknown command GS {chr(code)!r} at byte {i}")
        elif byte == DLE:
            events.append(Command(data[i:i + 2], data[i + 2:i + 3]))  # DLE EOT n, a status request
            i += 3
        elif byte < 0x20 and byte != 0x0A:
            raise AssertionError(f"unknown control byte {byte:#04x} at byte {i}")
        else:
            end = i
            while end < len(data) and (data[end] >= 0x20 or data[end] == 0x0A):
                end += 1
            raw = data[i:end]
            events.append(Text(raw.decode(CODE_TABLES[table]), raw, table))
            i = end
    return events


def text_of(events: list[Command | Text]) -> str:
    return "".join(event.text for event in events if isinstance(event, Text))


def qr_contents(events: list[Command | Text]) -> list[bytes]:
    """The data of every native QR code: GS ( k with cn '1' (QR) and fn 'P' (store data), m '0'."""
    return [event.argument[3:] for event in events
            if isinstance(event, Command) and event.code == b"\x1d(k" and event.argument[:3] == b"1P0"]
