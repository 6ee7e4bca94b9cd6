"""Spreadsheets kept between the steps of an import started in the panel (upload, mapping, preview, apply).

They hold personal data, so they live under the data dir (never in a cookie or a temporary folder others read),
readable by the server's user only, named by a random token that the import's row holds: a name from the upload
never becomes a path. They are removed when the import ends or is abandoned; `stale` finds what a crash left.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path

from backend.settings import Settings

SUFFIX = ".upload"
TOKEN_CHARS = frozenset("0123456789abcdef")


class KeptUploads:
    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def of(cls, settings: Settings) -> KeptUploads:
        return cls(settings.data_dir / "imports")

    def path(self, token: str) -> Path:
        if len(token) != 32 or not set(token) <= TOKEN_CHARS:
            raise ValueError("not an upload token")  # never a path built from anything else
        return self.root / f"{token}{SUFFIX}"

    async def keep(self, data: bytes) -> str:
        """Write the file (whole or not at all); its token."""
        return await asyncio.to_thread(self._keep, data)

    async def read(self, token: str) -> bytes | None:
        """The kept bytes, or None when the file is gone (removed by a sweep, or the data dir was cleared)."""
        try:
            return await asyncio.to_thread(self.path(token).read_bytes)
        except (FileNotFoundError, ValueError):
            return None

    async def remove(self, token: str) -> None:
        if token:
            await asyncio.to_thread(self._remove, token)

    def stale(self, older_than_seconds: float) -> list[str]:
        """Tokens of kept files (and half-written ones) untouched for this long, for the sweep to weigh."""
        if not self.root.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        found = []
        for file in self.root.iterdir():
            if file.is_file() and file.stat().st_mtime < cutoff:
                if file.name.endswith(SUFFIX):
                    found.append(file.name.removesuffix(SUFFIX))
                elif file.name.startswith("writing-"):
                    file.unlink(missing_ok=True)  # a write that died half-way: nobody can want it
        return found

    def _keep(self, data: bytes) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        token = secrets.token_hex(16)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix="writing-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path(token))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return token

    def _remove(self, token: str) -> None:
        try:
            self.path(token).unlink(missing_ok=True)
        except ValueError:
            pass
