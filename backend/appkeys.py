"""Typed keys of everything the application holds; the one place they are declared."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from aiohttp import web

from backend.core.db import Database
from backend.core.events import EventHub
from backend.core.ratelimit import FailureLimiter
from backend.settings import Settings

Clock = Callable[[], dt.datetime]

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
HUB = web.AppKey("hub", EventHub)
CLOCK = web.AppKey("clock", Clock)
PAIRING_LIMITER = web.AppKey("pairing_limiter", FailureLimiter)
SIGN_IN_LIMITER = web.AppKey("sign_in_limiter", FailureLimiter)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
