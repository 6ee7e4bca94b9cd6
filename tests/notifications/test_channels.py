"""One send at a time, straight through the channels: how each kind of failure is told apart, and the signature."""
from __future__ import annotations

import datetime as dt
import socket

import aiohttp
import pytest
from pydantic import SecretStr

from backend.notifications.channels import NO_ANSWER, NO_CONNECTION, Channels, Job, signature
from backend.settings import Settings
from shared.enums import DeliveryChannel
from tests.notifications.conftest import Hooks

AT = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


def job(target: str, channel: DeliveryChannel = DeliveryChannel.SLACK) -> Job:
    return Job(id=1, channel=channel, target=target, subject="Visite", body="Quelqu'un attend.", payload={},
               attempt=1)


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def channels(http: aiohttp.ClientSession, secret: str | None = None, timeout: float = 10) -> Channels:
    settings = Settings(webhook_signing_secret=SecretStr(secret) if secret else None)
    return Channels(settings, http, lambda: AT, timeout=timeout)


async def test_no_answer_in_time_is_tried_again(hooks: Hooks, http):
    hooks.script["slow"] = ["hang"]
    outcome = await channels(http, timeout=0.2).send(job(hooks.url("slow")))
    assert (outcome.delivered, outcome.retry, outcome.error) == (False, True, NO_ANSWER)


async def test_nobody_listening_is_tried_again_and_the_address_is_not_told(http):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = await channels(http).send(job(f"http://127.0.0.1:{port}/services/T000/B000/XXXX"))
    assert (outcome.delivered, outcome.retry, outcome.error) == (False, True, NO_CONNECTION)
    assert "XXXX" not in outcome.error and str(port) not in outcome.error


async def test_a_redirect_is_not_followed_and_fails(hooks: Hooks, http):
    outcome = await channels(http, secret="s").send(job(f"{hooks.base_url}/moved"))
    assert (outcome.delivered, outcome.retry) == (False, False)
    assert outcome.error.startswith("HTTP 301")
    assert hooks.received["moved-to"] == []


async def test_unsigned_without_a_secret(hooks: Hooks, http):
    sender = channels(http)
    assert not sender.signing
    assert (await sender.send(job(hooks.url("plain"), DeliveryChannel.TEAMS))).delivered
    headers = hooks.received["plain"][0].headers
    assert "X-Accueil-Signature" not in headers and "X-Accueil-Timestamp" not in headers


async def test_signed_with_the_clock_s_time(hooks: Hooks, http):
    assert (await channels(http, secret="s3cret").send(job(hooks.url("signed")))).delivered
    got = hooks.received["signed"][0]
    assert got.headers["X-Accueil-Timestamp"] == str(int(AT.timestamp()))
    assert got.headers["X-Accueil-Signature"] == signature("s3cret", int(AT.timestamp()), got.raw)


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    # printf '1700000000.{"text":"hi"}' | openssl dgst -sha256 -hmac secret
    assert signature("secret", 1700000000, b'{"text":"hi"}') == \
        "v1=3ad1ab8e3e2036926574b48bb349a6926291abb28309d44d18066d4f51de2112"
