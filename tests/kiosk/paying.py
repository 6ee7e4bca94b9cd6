"""Helpers for the payment tests: a network receipt printer on 127.0.0.1, a flow on kiosk_a, what a visitor owes,
and what the backend stored."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from sqlalchemy import select

from backend.payments.models import Payment
from backend.receipts.models import ReceiptRecord
from kiosk.client import BackendClient
from kiosk.receipts import ReceiptPrinter
from kiosk.viewmodels.payment import PaymentFlow
from tests.payments.conftest import Till

PAPER_STATUS_REQUEST = b"\x10\x04\x04"
PAPER_PRESENT = b"\x12"  # the status byte of a printer with paper


async def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def plain(rows) -> list:
    """Babel's no-break spaces as plain ones, for readable expectations."""
    return [tuple(part.replace("\xa0", " ").replace("\u202f", " ") for part in row) for row in rows]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NetworkPrinter:
    """A port-9100 receipt printer on 127.0.0.1: answers the paper status request, keeps each connection's bytes."""

    def __init__(self, paper_answer: bytes = PAPER_PRESENT) -> None:
        self.paper_answer = paper_answer
        self.jobs: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received = bytearray()
        answered = False
        while chunk := await reader.read(4096):
            received += chunk
            if not answered and PAPER_STATUS_REQUEST in received:
                writer.write(self.paper_answer)
                await writer.drain()
                answered = True
        writer.close()
        self.jobs.append(bytes(received))

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


async def make_flow(till: Till, client: BackendClient, printer: ReceiptPrinter | None = None, *,
                    poll_seconds: float = 0.1) -> PaymentFlow:
    flow = PaymentFlow(printer, poll_seconds=poll_seconds, now=till.clock)
    flow.config = await client.config()
    client.on_payment_event.append(flow.on_payment_event)
    return flow


async def owed(till: Till, flow: PaymentFlow, client: BackendClient) -> dict:
    """Staff ask for 57,49 $ (two lines and Québec's taxes); the visitor types the code on the slip."""
    request = await till.request(("Commissaire à l’assermentation", 1, 3500), ("Photocopies", 30, 50))
    flow.type_code(request["code"].lower())
    await flow.look_up(client)
    assert flow.step == "summary", flow.message
    return request


async def stored_payment(till: Till, payment_id: int) -> Payment:
    async with till.database.read() as session:
        return await session.get(Payment, payment_id)


async def receipt_record(till: Till, payment_id: int) -> ReceiptRecord:
    async with till.database.read() as session:
        return await session.scalar(select(ReceiptRecord).where(ReceiptRecord.payment_id == payment_id))


async def pay_by_card(till: Till, client: BackendClient, flow: PaymentFlow) -> int:
    await owed(till, flow, client)
    await flow.pay(client, "card")
    await flow.tap_test_card(client, "approved")
    await till.emulator.settle()
    await wait_until(lambda: flow.phase == "approved")
    await flow.wait_for_receipts()
    return flow.payment.id
