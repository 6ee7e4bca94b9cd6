"""Check-in throughput: the real backend on SQLite against a bare aiohttp + one-INSERT server.

Starts `accueil demo` on a fresh data dir and bench/bare_server.py on a copy of its database, each in its own
process, then drives both with the same simulated kiosks at 1, 10 and 100 at a time. Run from the repository
root: `make bench`, or `.venv/bin/python bench/checkin.py`. Exits 1 when any request was not answered 201.

The load generator runs on the same machine as the servers and takes CPU from them: the numbers compare the
two servers with each other on this machine, they are not the capacity of a dedicated host.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import math
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

HOST = "127.0.0.1"
# (simulated kiosks, requests at that level): enough requests for a steady p99, few enough for a short run.
LEVELS = [(1, 300), (10, 1000), (100, 1000)]
WARM_UP = (10, 100)  # kiosks, requests: opens connections, fills SQLAlchemy's statement cache and SQLite's pages
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
KIOSK_TOKEN_FILE = "demo-kiosk.token"


@dataclasses.dataclass
class Run:
    """One concurrency level against one server."""

    kiosks: int
    seconds: float
    latencies: list[float]  # of the 201 answers, in seconds
    failures: collections.Counter[str]  # HTTP status or exception name -> count
    samples: dict[str, str]  # the first body seen for each failing status

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, p: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000  # nearest rank


@dataclasses.dataclass(frozen=True)
class Target:
    """Where to send check-ins, and how."""

    url: str
    token: str
    visitor_type_id: int
    department_id: int


async def load(target: Target, kiosks: int, requests: int) -> Run:
    """`kiosks` clients, each on its own connection, post check-ins one after the other until `requests` are sent."""
    # One iterator shared by every kiosk: each takes the next request number, so the level sends exactly
    # `requests` in all however the work spreads over the kiosks (no await between two next() calls).
    numbers = iter(range(requests))
    latencies: list[float] = []
    failures: collections.Counter[str] = collections.Counter()
    samples: dict[str, str] = {}

    async def kiosk(session: aiohttp.ClientSession) -> None:
        for number in numbers:
            payload = {"visitor_name": f"Visiteur {number}", "visitor_type_id": target.visitor_type_id,
                       "department_id": target.department_id, "custom_fields": {}, "language": "fr"}
            headers = {"Authorization": f"Bearer {target.token}", "Idempotency-Key": str(uuid.uuid4())}
            started = time.perf_counter()
            try:
                async with session.post(target.url, json=payload, headers=headers) as response:
                    body = await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                failures[type(error).__name__] += 1
                continue
            if response.status == 201:
                latencies.append(time.perf_counter() - started)
            else:
                failures[str(response.status)] += 1
                samples.setdefault(str(response.status), body[:500].decode(errors="replace"))

    timeout = aiohttp.ClientTimeout(total=60)
    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(aiohttp.ClientSession(timeout=timeout)) for _ in range(kiosks)]
        started = time.perf_counter()
        await asyncio.gather(*(kiosk(session) for session in sessions))
        seconds = time.perf_counter() - started
    return Run(kiosks, seconds, latencies, failures, samples)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running(argv: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, its stderr (where its log goes) in `log`; terminated and waited for on the way out."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server for {base} exited with status {process.returncode} before it was ready")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{base}/readyz did not answer 200 within {READY_TIMEOUT:.0f} s")
            await asyncio.sleep(0.1)


async def kiosk_config(base: str, token: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/api/kiosk/config", headers={"Authorization": f"Bearer {token}"}) as response:
            response.raise_for_status()
            return await response.json()


def copy_database(source: Path, target: Path) -> None:
    # SQLite's backup API copies a consistent snapshot even while the backend holds the file open in WAL mode.
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


async def bench(data_dir: Path, logs: dict[str, Path]) -> list[tuple[Run, Run]]:
    """Start both servers, drive them level by level, and return (Accueil, bare) runs; stops both on any exit."""
    env = {**os.environ, "ACCUEIL_DATA_DIR": str(data_dir), "ACCUEIL_LOG_LEVEL": "WARNING"}
    # The benchmark is of the SQLite set-up: no database URL or config file from the caller's environment.
    env.pop("ACCUEIL_DATABASE_URL", None)
    env.pop("ACCUEIL_CONFIG_FILE", None)
    accueil_port = free_port()
    accueil_base = f"http://{HOST}:{accueil_port}"
    with contextlib.ExitStack() as servers:
        accueil = servers.enter_context(running(
            [sys.executable, "-m", "backend", "demo", "--host", HOST, "--port", str(accueil_port)],
            logs["Accueil"], env))
        await wait_ready(accueil_base, accueil)
        token = (data_dir / KIOSK_TOKEN_FILE).read_text().strip()
        config = await kiosk_config(accueil_base, token)
        visitor_type_id = next(t["id"] for t in config["visitor_types"] if t["key"] == "visitor")
        department_id = config["departments"][0]["id"]

        # The baseline writes to a copy taken before any load, so the two servers never share a file lock.
        bare_database = data_dir / "bare.db"
        copy_database(data_dir / "accueil.db", bare_database)
        bare_port = free_port()
        bare = servers.enter_context(running(
            [sys.executable, str(Path(__file__).with_name("bare_server.py")), "--database", str(bare_database),
             "--port", str(bare_port), "--site-id", str(config["site"]["id"])],
            logs["bare"]))
        bare_base = f"http://{HOST}:{bare_port}"
        await wait_ready(bare_base, bare)

        # The very same requests to both; the bare server ignores the token.
        accueil_target = Target(f"{accueil_base}/api/kiosk/check-ins", token, visitor_type_id, department_id)
        bare_target = Target(f"{bare_base}/check-ins", token, visitor_type_id, department_id)
        await load(accueil_target, *WARM_UP)
        await load(bare_target, *WARM_UP)
        # Level by level, the two servers one after the other, so both see the same state of the machine.
        results = []
        for kiosks, requests in LEVELS:
            results.append((await load(accueil_target, kiosks, requests), await load(bare_target, kiosks, requests)))
        return results


def report(results: list[tuple[Run, Run]]) -> None:
    print(f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()} on {platform.platform()}")
    print("Accueil: POST /api/kiosk/check-ins, `accueil demo` on SQLite. "
          "Bare: aiohttp + one SQLAlchemy INSERT into `visit` per request.")
    print()
    header = (f"{'kiosks':>6} | {'Accueil/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
              f"{'bare/s':>8} {'p50 ms':>7} {'p99 ms':>7} | {'bare/Accueil':>12}")
    print(header)
    print("-" * len(header))
    for accueil, bare in results:
        print(f"{accueil.kiosks:>6} | {accueil.rate:>9.0f} {accueil.percentile_ms(50):>7.1f} "
              f"{accueil.percentile_ms(99):>7.1f} | {bare.rate:>8.0f} {bare.percentile_ms(50):>7.1f} "
              f"{bare.percentile_ms(99):>7.1f} | {bare.rate / accueil.rate:>11.1f}x")
    print()
    for accueil, bare in results:
        for name, run in (("Accueil", accueil), ("bare", bare)):
            answered = len(run.latencies) + run.failures.total()
            if run.failures:
                counts = ", ".join(f"{reason}: {count}" for reason, count in sorted(run.failures.items()))
                print(f"{name}, {run.kiosks} kiosks: {run.failures.total()} of {answered} not answered 201 ({counts})")
                for status, body in run.samples.items():
                    print(f"  first {status} body: {body}")
            else:
                print(f"{name}, {run.kiosks} kiosks: all {answered} answered 201")


def show_log(name: str, log: Path) -> None:
    text = log.read_text(errors="replace").strip() if log.exists() else ""
    if text:
        print(f"\n{name} server log (WARNING and above):\n{text}", file=sys.stderr)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="accueil-bench-") as tmp:
        data_dir = Path(tmp)
        logs = {"Accueil": data_dir / "accueil.log", "bare": data_dir / "bare.log"}
        try:
            results = asyncio.run(bench(data_dir, logs))
        finally:
            for name, log in logs.items():
                show_log(name, log)
    report(results)
    return 1 if any(run.failures for pair in results for run in pair) else 0


if __name__ == "__main__":
    sys.exit(main())
