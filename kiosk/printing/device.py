"""Sending a receipt to the printer, and telling the kiosk plainly when it cannot be printed."""
from __future__ import annotations

import logging
import socket
import time
from typing import Any, Literal

from kiosk.printing._library import escpos, root_logging_untouched
from kiosk.printing.escpos_receipt import render_receipt
from shared.receipt import Receipt

logger = logging.getLogger(__name__)

# How long a printer may take to answer a status request. Some network printers (or a socat relay in front of a USB
# one) never answer DLE EOT: after this they are taken as "status unknown" and printed to anyway.
STATUS_TIMEOUT_SECONDS = 1.0

Reason = Literal["offline", "paper_out", "error"]


class PrinterUnavailable(Exception):
    """The receipt was not printed: the printer is offline, out of paper, or failed."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: Reason = reason
        self.detail = detail


def _paper_status(printer: Any) -> int | None:
    """2 paper, 1 near its end, 0 none; None when the transport cannot ask or the printer does not say.

    Only a network printer is asked: its socket takes a read timeout. python-escpos's own paper_status() would
    wait for the connection's whole timeout, and reads any answer, even a malformed one, as "no paper".
    """
    sock = getattr(printer, "_device", None)
    if not isinstance(sock, socket.socket):
        return None
    previous = sock.gettimeout()
    sock.settimeout(STATUS_TIMEOUT_SECONDS)
    try:
        answer = printer.query_status(escpos()["constants"].RT_STATUS_PAPER)  # DLE EOT 4
    except TimeoutError:
        logger.info("the printer did not answer the paper status request; printing anyway")
        return None
    finally:
        sock.settimeout(previous)
    if len(answer) != 1 or answer[0] & 0x93 != 0x12:  # the status byte's fixed bits: 0xx1xx10
        logger.info("the printer's paper status answer %r is not an ESC/POS status byte; ignored", answer)
        return None
    if answer[0] & 0x60:  # roll end sensor
        return 0
    if answer[0] & 0x0C:  # roll near-end sensor
        return 1
    return 2


def _finish(printer: Any) -> None:
    """Close, letting a network printer take every byte first.

    Closing a socket that still holds unread bytes (a late status answer) resets the connection, which can drop
    the end of the receipt: say we are done writing, then read until the printer hangs up, briefly.
    """
    sock = getattr(printer, "_device", None)
    if isinstance(sock, socket.socket):
        deadline = time.monotonic() + STATUS_TIMEOUT_SECONDS
        try:
            sock.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                if not sock.recv(256):
                    break
        except OSError:
            pass
    try:
        printer.close()
    except OSError:
        logger.debug("closing the printer failed", exc_info=True)


def print_receipt(printer: Any, receipt: Receipt) -> None:
    """Print the receipt and cut; blocking (the kiosk runs it in asyncio.to_thread). Raises PrinterUnavailable."""
    # Everything is rendered before the printer is touched: a rendering bug cannot leave half a receipt.
    data = render_receipt(receipt, printer.profile)
    with root_logging_untouched():  # the drivers log through logging.info(), see _library
        _send(printer, data)
    logger.info("receipt %s printed", receipt.number)


def _send(printer: Any, data: bytes) -> None:
    errors = escpos()["exceptions"]
    try:
        printer.open()
    except errors.DeviceNotFoundError as error:
        logger.warning("receipt printer unreachable")
        raise PrinterUnavailable("offline", " ".join(str(error).split())) from error
    except OSError as error:
        raise PrinterUnavailable("offline", str(error)) from error
    except RuntimeError as error:  # python-escpos: a transport's library is missing
        raise PrinterUnavailable("error", str(error)) from error
    try:
        if _paper_status(printer) == 0:
            logger.warning("receipt printer out of paper")
            raise PrinterUnavailable("paper_out", "the printer reports no paper")
        printer._raw(data)  # the drivers' one way to send bytes: Network sendall, File write, Usb bulk write
        if hasattr(printer, "flush"):
            printer.flush()
    except TimeoutError as error:
        raise PrinterUnavailable("offline", "the printer stopped taking data") from error
    except OSError as error:
        raise PrinterUnavailable("error", str(error) or type(error).__name__) from error
    except errors.Error as error:
        raise PrinterUnavailable("error", str(error)) from error
    finally:
        _finish(printer)
