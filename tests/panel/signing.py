"""Signing staff in, for the panel's tests: passwords for the test world's accounts, and a page's CSRF token."""
from __future__ import annotations

import re

from backend.staff.models import StaffMember
from backend.staff.service import _hasher
from tests.backend.conftest import PASSWORD, Backend


async def give_password(backend: Backend, *logins: str) -> None:
    """Only the reception account has a password in the test world (hashing is slow): give others one."""
    async with backend.database.write() as session:
        for login in logins:
            (await session.get(StaffMember, backend.world.staff_ids[login])).password_hash = _hasher.hash(PASSWORD)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def sign_in(backend: Backend, login: str = "reception", *, page: str = "/panel/", language: str = "en") -> str:
    """Signs the backend's test client in as `login` (in English by default, so assertions do not hang on the
    catalogs; any earlier session is dropped) and returns the CSRF token of `page` — any panel page carries it,
    the 403 page too."""
    if login != "reception":
        await give_password(backend, login)
    backend.client.session.cookie_jar.clear()
    backend.client.session.cookie_jar.update_cookies({"accueil_lang": language})
    signed = await backend.client.post("/panel/sign-in", data={"login": login, "password": PASSWORD},
                                       allow_redirects=False)
    assert signed.status == 303, await signed.text()
    return csrf_of(await (await backend.client.get(page)).text())
