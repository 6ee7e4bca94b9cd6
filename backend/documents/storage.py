"""Document files on disk, content-addressed: a file is named by the SHA-256 of its bytes, under two levels of
folders taken from the start of that name (documents/ab/cd/abcd…), so no folder grows past a few hundred
entries and the same content is kept once however often it is filed.

A file is written to a temporary file in the same file system, synced, then renamed into place, so a reader
never sees half a file; every read hashes it again, so a damaged file is never served as if it were whole.
Which files are still wanted is the database's business (backend.documents.service): this module only keeps
bytes.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from backend.core.errors import ApiError
from backend.settings import Settings

log = logging.getLogger(__name__)

TEMPORARY = "tmp"
# A temporary file older than this belongs to a write that died (the process stopped mid-upload).
STALE_SECONDS = 3600


class DamagedFile(ApiError):
    status, title = 500, "Stored file damaged"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_of(sha256: str) -> str:
    """Where a file lives under the documents folder (stored in its rows as `stored_at`)."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class DocumentStore:
    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def of(cls, settings: Settings) -> DocumentStore:
        return cls(settings.data_dir / "documents")

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(ch in "0123456789abcdef" for ch in sha256):
            raise ValueError("not a SHA-256 in hex")  # never a path built from anything else
        return self.root / key_of(sha256)

    async def put(self, data: bytes, sha256: str) -> str:
        """Keep these bytes (whose SHA-256 the caller computed); their key. Writes nothing when an intact copy
        is already there; a damaged copy is replaced."""
        return await asyncio.to_thread(self._put, data, sha256)

    async def read(self, sha256: str) -> bytes:
        """The file's bytes, checked against its name; DamagedFile (500) if it is missing or altered."""
        return await asyncio.to_thread(self.read_blocking, sha256)

    async def remove(self, sha256: str) -> None:
        await asyncio.to_thread(self._remove, sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def stored(self) -> Iterator[str]:
        """The SHA-256 of every file kept (for the sweep of files no row wants)."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if first.name == TEMPORARY or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                for file in sorted(second.iterdir()) if second.is_dir() else ():
                    if len(file.name) == 64 and file.name.startswith(first.name + second.name):
                        yield file.name

    def forget_stale_temporaries(self) -> int:
        folder, removed = self.root / TEMPORARY, 0
        if not folder.is_dir():
            return 0
        for file in folder.iterdir():
            if time.time() - file.stat().st_mtime > STALE_SECONDS:
                file.unlink(missing_ok=True)
                removed += 1
        return removed

    def _put(self, data: bytes, sha256: str) -> str:
        final = self.path(sha256)
        if final.is_file():
            try:
                self.read_blocking(sha256)
                return key_of(sha256)
            except DamagedFile:
                log.warning("document %s was damaged; writing it again from an upload of the same content",
                            sha256[:12])
        final.parent.mkdir(parents=True, exist_ok=True)
        (self.root / TEMPORARY).mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root / TEMPORARY, prefix="upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o640)  # personal data: not for other users of the machine
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_folder(final.parent)
        return key_of(sha256)

    def read_blocking(self, sha256: str) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            log.error("document file %s is missing", sha256[:12])
            raise DamagedFile("This document's file is missing from the server; restore it from a backup.") from None
        if digest(data) != sha256:
            log.error("document file %s does not match its checksum", sha256[:12])
            raise DamagedFile("This document's file is damaged on the server (its checksum does not match); "
                              "restore it from a backup.")
        return data

    def _remove(self, sha256: str) -> None:
        path = self.path(sha256)
        path.unlink(missing_ok=True)
        # The fan-out folders stay: another file may be about to be renamed into one.
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename or removal in `folder` durable (the folder's entry list is data too)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(handle)
