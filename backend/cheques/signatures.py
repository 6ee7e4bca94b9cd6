"""Signature images and authorisation letters: checked, then kept content-addressed under the data dir with the
same store as client documents (backend.documents.storage), in a folder of their own so the documents' sweep of
unwanted files never sees them."""
from __future__ import annotations

import base64
import binascii
import io

from PIL import Image, ImageChops, UnidentifiedImageError

from backend.core.errors import InvalidInput
from backend.documents.storage import DocumentStore, digest
from backend.settings import Settings
from shared.api import FieldProblem
from shared.api_cheques import SIGNATURE_MAX_BYTES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS = 4000 * 4000
# Fewer inked pixels than this is a tap or a speck of dust on the screen, not a signature.
MIN_INK_PIXELS = 30
AUTHORISATION_TYPES = {b"%PDF-": "application/pdf", PNG_MAGIC: "image/png", b"\xff\xd8\xff": "image/jpeg"}


def store(settings: Settings) -> DocumentStore:
    return DocumentStore(settings.data_dir / "cheque-signatures")


def _problem(field: str, code: str, detail: str) -> InvalidInput:
    return InvalidInput("Some fields are not valid.", [FieldProblem(field=field, code=code, detail=detail)])


def decoded(raw: str, field: str) -> bytes:
    try:
        return base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise _problem(field, "base64_invalid", "Send the file as base64.") from None


def checked_signature(raw: str, field: str = "signature_png") -> bytes:
    """The PNG's bytes, if it is a PNG of reasonable size with a signature drawn on it; 422 otherwise."""
    data = decoded(raw, field)
    if len(data) > SIGNATURE_MAX_BYTES:
        raise _problem(field, "signature_too_large", "The signature image may be at most 300 KB.")
    if not data.startswith(PNG_MAGIC):
        raise _problem(field, "signature_not_png", "The signature must be a PNG image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _problem(field, "signature_too_large", "The signature image is too large.")
            image.load()
            inked = _ink(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _problem(field, "signature_not_png", "The signature image cannot be read as a PNG.") from None
    if inked < MIN_INK_PIXELS:
        raise _problem(field, "signature_blank", "The signature is blank: sign in the box first.")
    return data


def _ink(image: Image.Image) -> int:
    """How many pixels differ from the background (the top-left corner's colour, or transparency)."""
    rgba = image.convert("RGBA")
    background = rgba.getpixel((0, 0))
    opaque = rgba.getchannel("A").point(lambda a: 255 if a >= 32 else 0)
    if background[3] < 32:
        inked = opaque  # drawn on a transparent sheet: whatever is not transparent is ink
    else:
        paper = Image.new("RGB", rgba.size, background[:3])
        differs = ImageChops.difference(rgba.convert("RGB"), paper).convert("L").point(lambda v: 255 if v > 40 else 0)
        inked = ImageChops.multiply(differs, opaque)
    return inked.histogram()[255]


def checked_authorisation(raw: str, field: str = "authorisation_document") -> tuple[bytes, str]:
    """A scanned authorisation's bytes and media type (told by its content): PDF, PNG or JPEG."""
    data = decoded(raw, field)
    for magic, media_type in AUTHORISATION_TYPES.items():
        if data.startswith(magic):
            return data, media_type
    raise _problem(field, "document_type", "The authorisation must be a PDF, PNG or JPEG file.")


async def keep(store: DocumentStore, data: bytes) -> str:
    """Keep the bytes; their SHA-256, which names them."""
    sha256 = digest(data)
    await store.put(data, sha256)
    return sha256
