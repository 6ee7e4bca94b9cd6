"""Sending one delivery: email through the site's SMTP server, or a chat webhook in the format of Slack's or
Microsoft Teams' incoming webhooks, signed when a secret is set. A send never raises for the target's failures:
it answers an Outcome that says whether trying again can help.

Signature (when ACCUEIL_WEBHOOK_SIGNING_SECRET is set), for a relay or bot of the site's own to check:
    X-Accueil-Timestamp: <unix seconds>
    X-Accueil-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
Slack and Teams ignore these headers; without a secret they are not sent.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiohttp

from backend.core import mail
from backend.settings import Settings
from shared.enums import DeliveryChannel

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0
TIMESTAMP_HEADER = "X-Accueil-Timestamp"
SIGNATURE_HEADER = "X-Accueil-Signature"
# Worth another try: the target was busy, rate-limited us, or broke; any other 4xx will not change by itself.
RETRYABLE_STATUSES = frozenset({408, 429})
# Errors in fixed words, so the panel can show them translated (backend/panel/deliveries.py marks them).
EMAIL_NOT_SET_UP = "Email is not set up on this server (ACCUEIL_SMTP_HOST)."
MAIL_REFUSED = "The mail server did not accept the message."
NO_ANSWER = "The webhook did not answer in time."
NO_CONNECTION = "Could not connect to the webhook."
SLACK_HEADER_MAX = 150  # Slack refuses longer plain-text headers
SLACK_TEXT_MAX = 3000


@dataclass(frozen=True)
class Job:
    """What a sender needs of a delivery, copied out of the database session that claimed it."""

    id: int
    channel: DeliveryChannel
    target: str
    subject: str
    body: str
    payload: dict[str, Any]
    attempt: int  # this attempt's number, from 1: the claim's fencing token


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    retry: bool = False  # worth trying again later
    error: str = ""  # short, for staff; never a secret nor a webhook URL
    retry_after: float | None = None  # what the target asked for (Retry-After), in seconds


DELIVERED = Outcome(delivered=True)


def signature(secret: str, timestamp: int, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def _fields(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(f.get("title", "")), str(f.get("value", ""))) for f in payload.get("fields", [])
            if isinstance(f, dict)]


def _link(payload: dict[str, Any]) -> tuple[str, str] | None:
    link = payload.get("link")
    if not isinstance(link, dict) or not str(link.get("url", "")).startswith(("https://", "http://")):
        return None
    return str(link["url"]), str(link.get("label") or "Accueil")


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn gives &, < and > a meaning: a visitor's name must not become a mention or a link.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(subject: str, body: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` for notifications and old clients, `blocks` for the layout."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": subject[:SLACK_HEADER_MAX] or "Accueil"}}]
    if body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(body)[:SLACK_TEXT_MAX]}})
    fields = _fields(payload)
    if fields:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{_slack_escape(title)}*\n{_slack_escape(value)}"}
            for title, value in fields[:10]]})  # Slack takes ten fields a section
    link = _link(payload)
    if link:
        url, label = link
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": f"<{url.replace('|', '%7C').replace('>', '%3E')}|{_slack_escape(label)}>"}})
    return {"text": _slack_escape(f"{subject}\n{body}".strip()), "blocks": blocks}


def teams_message(subject: str, body: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook (or Workflows) message carrying one Adaptive Card."""
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
        "body": [{"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True}]}
    if body:
        card["body"].append({"type": "TextBlock", "text": body, "wrap": True})
    fields = _fields(payload)
    if fields:
        card["body"].append({"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in fields]})
    link = _link(payload)
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": link[1], "url": link[0]}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    raw = response.headers.get("Retry-After", "")
    return float(raw) if raw.isdigit() else None  # the HTTP-date form is rare from chat tools


async def _short_reason(response: aiohttp.ClientResponse) -> str:
    """The start of the target's answer (Slack says e.g. `invalid_payload`), on one line."""
    try:
        raw = await response.content.read(300)
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return ""
    return " ".join(raw.decode("utf-8", "replace").split())[:120]


class Channels:
    """Sends jobs; one per process, sharing one HTTP client session."""

    def __init__(self, settings: Settings, http: aiohttp.ClientSession, clock: Callable[[], dt.datetime], *,
                 timeout: float = WEBHOOK_TIMEOUT):
        self.settings = settings
        self.http = http
        self.clock = clock
        self.timeout = timeout
        secret = settings.webhook_signing_secret
        self._secret = secret.get_secret_value() if secret is not None and secret.get_secret_value() else None

    @property
    def signing(self) -> bool:
        return self._secret is not None

    async def send(self, job: Job) -> Outcome:
        if job.channel == DeliveryChannel.EMAIL:
            return await self._email(job)
        shape = slack_message if job.channel == DeliveryChannel.SLACK else teams_message
        return await self._webhook(job, shape(job.subject, job.body, job.payload))

    async def _email(self, job: Job) -> Outcome:
        if not self.settings.smtp_host:
            return Outcome(delivered=False, error=EMAIL_NOT_SET_UP)
        message = EmailMessage()
        message["To"] = job.target
        message["Subject"] = job.subject
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
        facts = "".join(f"\n{title}: {value}" for title, value in _fields(job.payload))
        link = _link(job.payload)
        message.set_content(job.body + (f"\n{facts}" if facts else "") + (f"\n\n{link[1]}: {link[0]}" if link else "")
                            + "\n")
        try:
            await mail.send(self.settings, message)
        except mail.MailUnavailable:
            # mail.send has logged the cause; the server may accept it later.
            return Outcome(delivered=False, retry=True, error=MAIL_REFUSED)
        return DELIVERED

    async def _webhook(self, job: Job, message: dict[str, Any]) -> Outcome:
        raw = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self._secret is not None:
            timestamp = int(self.clock().timestamp())
            headers[TIMESTAMP_HEADER] = str(timestamp)
            headers[SIGNATURE_HEADER] = signature(self._secret, timestamp, raw)
        try:
            # No redirects: the signed message goes to the address given, or nowhere.
            async with self.http.post(job.target, data=raw, headers=headers, allow_redirects=False,
                                      timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if 200 <= response.status < 300:
                    return DELIVERED
                reason = await _short_reason(response)
                error = f"HTTP {response.status}" + (f": {reason}" if reason else "")
                if response.status in RETRYABLE_STATUSES or response.status >= 500:
                    return Outcome(delivered=False, retry=True, error=error, retry_after=_retry_after(response))
                if 300 <= response.status < 400:
                    error += " (redirected; check the webhook address)"
                return Outcome(delivered=False, error=error)
        except asyncio.TimeoutError:
            return Outcome(delivered=False, retry=True, error=NO_ANSWER)
        except (aiohttp.ClientError, OSError) as error:
            # The type only: the message of a connection error names the host, part of the secret URL.
            log.info("webhook delivery %d: %s", job.id, type(error).__name__)
            return Outcome(delivered=False, retry=True, error=NO_CONNECTION)
