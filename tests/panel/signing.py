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
