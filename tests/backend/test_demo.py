"""`accueil demo` (what `make run` starts): a ready backend, a seeded clinic, demo logins that work."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from backend import demo

ACCUEIL = str(Path(sys.executable).parent / "accueil")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_ready(session: aiohttp.ClientSession, base: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        assert process.poll() is None, process.stdout.read()
        try:
            async with session.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the demo backend never became ready")


async def _run_demo(data_dir: Path, check) -> str:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCUEIL_")}
    env.update(ACCUEIL_DATA_DIR=str(data_dir), DISPLAY="", ACCUEIL_STRIPE_EMULATOR_PORT=str(_free_port()))
    process = subprocess.Popen([ACCUEIL, "demo", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_ready(session, base, process)
            await check(session, base)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    return output


async def test_demo_is_ready_and_every_demo_login_works(tmp_path: Path):
    async def check(session: aiohttp.ClientSession, base: str) -> None:
        for login, _name, roles, _departments, _listed in demo.STAFF:
            async with session.post(f"{base}/api/auth/token",
                                    json={"username": login, "password": demo.DEMO_PASSWORD}) as response:
                assert response.status == 201, (login, await response.text())
                body = await response.json()
                assert set(body["roles"]) == {r.value for r in roles}
        token = (tmp_path / demo.KIOSK_TOKEN_FILE).read_text().strip()
        async with session.get(f"{base}/api/kiosk/config", headers={"Authorization": f"Bearer {token}"}) as r:
            config = await r.json()
        assert config["site"]["name"] == "Clinique médicale du Parc"
        assert "Pédiatrie" in {d["name"]["fr"] for d in config["departments"]}
        assert {t["key"] for t in config["visitor_types"]} == {"patient", "visitor", "delivery", "candidate"}

    output = await _run_demo(tmp_path, check)
    assert "local Stripe emulator" in output
    assert "accueil-demo" in output and "dr.tremblay" in output
    assert "no display here, so not started" in output
    assert oct((tmp_path / demo.KIOSK_TOKEN_FILE).stat().st_mode & 0o777) == "0o600"


async def test_second_demo_run_keeps_the_clinic_and_the_kiosk(tmp_path: Path):
    async def nothing(session, base):
        return None

    await _run_demo(tmp_path, nothing)
    token = (tmp_path / demo.KIOSK_TOKEN_FILE).read_text()
    output = await _run_demo(tmp_path, nothing)
    assert "already present" in output
    assert (tmp_path / demo.KIOSK_TOKEN_FILE).read_text() == token


async def test_the_demo_takes_a_card_payment_through_the_local_stripe_emulator(tmp_path: Path):
    async def check(session: aiohttp.ClientSession, base: str) -> None:
        async with session.post(f"{base}/api/auth/token",
                                json={"username": "accueil", "password": demo.DEMO_PASSWORD}) as response:
            staff = {"Authorization": f"Bearer {(await response.json())['token']}"}
        kiosk = {"Authorization": f"Bearer {(tmp_path / demo.KIOSK_TOKEN_FILE).read_text().strip()}"}
        async with session.get(f"{base}/api/kiosk/config", headers=kiosk) as response:
            payments = (await response.json())["payments"]
        assert payments["card"] and payments["phone"] and payments["test_mode"]
        assert "Copie de dossier médical" in {fee["name"]["fr"] for fee in payments["fees"]}
        async with session.post(f"{base}/api/payment-requests", headers=staff, json={
                "payer_name": "Hélène Côté", "lines": [{"description": "Consultation", "quantity": 1,
                                                        "unit_amount": 5000}]}) as response:
            request = await response.json()
        assert request["total"] == 5000 + 250 + 499  # TPS and TVQ
        async with session.post(f"{base}/api/kiosk/payment-requests/{request['id']}/card-payments",
                                headers=kiosk) as response:
            payment = await response.json()
        async with session.post(f"{base}/api/kiosk/payments/{payment['id']}/test-card", headers=kiosk,
                                json={"outcome": "approved"}) as response:
            assert response.status == 200
        for _ in range(100):  # the outcome arrives by the emulator's signed webhook
            async with session.get(f"{base}/api/kiosk/payments/{payment['id']}", headers=kiosk) as response:
                payment = await response.json()
            if payment["state"] != "waiting":
                break
            await asyncio.sleep(0.05)
        assert payment["state"] == "succeeded"
        async with session.get(payment["receipt_url"]) as response:
            assert response.status == 200 and "Hélène Côté" in await response.text()

    await _run_demo(tmp_path, check)
