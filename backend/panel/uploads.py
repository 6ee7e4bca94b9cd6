"""Panel forms that carry a file: read as a stream, never whole into memory (request.post() caps every form at a
few kilobytes), the CSRF token checked before the file is read, the file cut off at its limit.

A form posted without a file (urlencoded) is read like any other small form: the page then says "choose a file".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from backend.core.errors import PayloadTooLarge
from backend.core.identity import StaffIdentity
from backend.panel.routes import staff_with_role
from backend.web import check_csrf
from shared.enums import Role

FIELD_BYTES = 4096
CHUNK_BYTES = 256 * 1024
# Past its limit, a file is still read (and dropped) this far, so the browser gets the page that says it is too
# large rather than a connection cut mid-upload; beyond, the connection is cut.
DRAIN_BYTES = 64 * 1024 * 1024


@dataclass
class PostedForm:
    fields: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None  # None when no file was chosen
    filename: str = ""
    too_large: bool = False


async def upload_form(request: web.Request, roles: frozenset[Role], limit: int,
                      names: tuple[str, ...]) -> tuple[StaffIdentity, PostedForm]:
    """Someone with one of `roles`, and the form they posted: the fields in `names` and the part named 'file'."""
    who = await staff_with_role(request, roles)
    posted = PostedForm()
    if not request.content_type.startswith("multipart/"):
        form = await request.post()
        check_csrf(request, str(form.get("csrf_token", "")))
        posted.fields = {name: str(form.get(name, ""))[:FIELD_BYTES] for name in names}
        return who, posted
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue  # a form nested in the form: nothing a panel page sends
            if part.name == "file":
                # The token comes first in every panel form: a forged post never gets its file read.
                check_csrf(request, posted.fields.get("csrf_token"))
                await _read_file(part, limit, posted)
            elif part.name in (*names, "csrf_token"):
                posted.fields[part.name] = (await _small(part)).decode("utf-8", errors="replace")
            else:
                await part.release()
    except ValueError:
        posted.fields.pop("csrf_token", None)  # a malformed form counts as unsigned
    check_csrf(request, posted.fields.get("csrf_token"))
    return who, posted


async def _small(part: BodyPartReader) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(FIELD_BYTES):
        if len(data) < FIELD_BYTES:
            data += chunk[:FIELD_BYTES - len(data)]
    return bytes(data)


async def _read_file(part: BodyPartReader, limit: int, posted: PostedForm) -> None:
    data, size = bytearray(), 0
    while chunk := await part.read_chunk(CHUNK_BYTES):
        size += len(chunk)
        if size > limit + DRAIN_BYTES:
            raise PayloadTooLarge(f"The file may be at most {limit // (1024 * 1024)} MB.")
        if size <= limit:
            data += chunk
    posted.filename = part.filename or ""
    posted.too_large = size > limit
    # A form sent with no file chosen still has its part: empty, with no name.
    posted.data = None if posted.too_large or (size == 0 and not posted.filename) else bytes(data)
