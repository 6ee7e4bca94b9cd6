"""Printing receipts at the kiosk: on the configured printer, in a thread (printing blocks), and keeping every receipt
that could not print in a small SQLite queue, so it is printed once the printer is back or staff ask again."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.client import BackendClient, BackendRefused, BackendUnavailable
from kiosk.local_file import LocalFile
from kiosk.printing import PrinterUnavailable, print_receipt, printer_from_setting
from shared.receipt import Receipt

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reprints (
    payment_id INTEGER PRIMARY KEY,
    receipt TEXT NOT NULL,
    problem TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass(frozen=True)
class Queued:
    payment_id: int
    receipt: Receipt
    problem: str
    attempts: int


class ReprintQueue(LocalFile):
    """Receipts waiting for the printer, oldest first; one per payment."""

    SCHEMA = _SCHEMA
    WHAT = "reprint queue"

    async def keep(self, payment_id: int, receipt: Receipt, problem: str) -> None:
        await self._conn.execute(
            "INSERT INTO reprints (payment_id, receipt, problem, queued_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (payment_id) DO UPDATE SET receipt = excluded.receipt, problem = excluded.problem, "
            "attempts = attempts + 1",
            (payment_id, receipt.model_dump_json(), problem, dt.datetime.now(dt.UTC).isoformat()))
        await self._conn.commit()

    async def remove(self, payment_id: int) -> None:
        await self._conn.execute("DELETE FROM reprints WHERE payment_id = ?", (payment_id,))
        await self._conn.commit()

    async def items(self) -> list[Queued]:
        async with self._conn.execute(
                "SELECT payment_id, receipt, problem, attempts FROM reprints ORDER BY queued_at, payment_id") as cur:
            rows = await cur.fetchall()
        return [Queued(payment_id, Receipt.model_validate_json(receipt), problem, attempts)
                for payment_id, receipt, problem, attempts in rows]

    async def count(self) -> int:
        async with self._conn.execute("SELECT count(*) FROM reprints") as cursor:
            row = await cursor.fetchone()
        return row[0] if row else 0


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    problem: str | None = None  # offline | paper_out | error; None when printed or when there is no printer


class ReceiptPrinter:
    """The kiosk's receipt printer, if it has one. `print_function` is python-escpos's, replaceable in tests."""

    def __init__(self, setting: str | None, profile: str, queue: ReprintQueue, *,
                 print_function: Callable[[Any, Receipt], None] = print_receipt):
        self.setting = setting
        self.profile = profile
        self.queue = queue
        self._print = print_function
        self._lock = asyncio.Lock()  # one receipt at a time: a printer interleaves nothing well
        self.on_queue_change: list[Callable[[int], None]] = []

    @property
    def configured(self) -> bool:
        return bool(self.setting)

    async def print(self, client: BackendClient, payment_id: int, receipt: Receipt) -> PrintResult:
        """Print the receipt and tell the backend; on failure keep it for later (the backend alerts the desk)."""
        if not self.configured:
            return PrintResult(printed=False)
        result = await self._attempt(receipt)
        if result.printed:
            await self.queue.remove(payment_id)
        else:
            await self.queue.keep(payment_id, receipt, result.problem or "error")
        await self._changed()
        await _report(client, payment_id, result)
        return result

    async def retry(self, client: BackendClient) -> int:
        """Print the waiting receipts, oldest first, until one fails; how many printed."""
        printed = 0
        if not self.configured:
            return printed
        for item in await self.queue.items():
            result = await self._attempt(item.receipt)
            if not result.printed:
                await self.queue.keep(item.payment_id, item.receipt, result.problem or "error")
                break  # the printer is still not back: the next ones would fail the same way
            await self.queue.remove(item.payment_id)
            await _report(client, item.payment_id, result)
            printed += 1
        await self._changed()
        return printed

    async def reprint(self, client: BackendClient, payment_id: int, receipt: Receipt) -> PrintResult:
        """Staff asked for this receipt again: print it, then whatever else waits if the printer is back."""
        result = await self.print(client, payment_id, receipt)
        if result.printed:
            await self.retry(client)
        return result

    async def keep_retrying(self, client: BackendClient, every: float) -> None:
        """Until cancelled: try the waiting receipts again every so often."""
        while True:
            await asyncio.sleep(every)
            try:
                if await self.queue.count():
                    await self.retry(client)
            except Exception:  # a broken retry must not end the loop that retries
                log.exception("retrying waiting receipts failed")

    async def _attempt(self, receipt: Receipt) -> PrintResult:
        async with self._lock:
            try:
                printer = printer_from_setting(self.setting, self.profile)
                # Blocking socket / USB I/O: off the loop, so the screen keeps drawing while the printer works.
                await asyncio.to_thread(self._print, printer, receipt)
            except PrinterUnavailable as error:
                log.warning("receipt %s not printed: %s", receipt.number, error.reason)
                return PrintResult(printed=False, problem=error.reason)
            except ValueError as error:  # a profile python-escpos does not know
                log.error("receipt %s not printed: %s", receipt.number, error)
                return PrintResult(printed=False, problem="error")
        return PrintResult(printed=True)

    async def _changed(self) -> None:
        count = await self.queue.count()
        for callback in self.on_queue_change:
            callback(count)


async def _report(client: BackendClient, payment_id: int, result: PrintResult) -> None:
    try:
        await client.report_print(payment_id, result.printed, None if result.printed else result.problem)
    except (BackendUnavailable, BackendRefused) as error:
        # The receipt itself is safe (printed, or queued); only the desk's alert is lost.
        log.warning("print outcome of payment %s not reported: %s", payment_id, type(error).__name__)
