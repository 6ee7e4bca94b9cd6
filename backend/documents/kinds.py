"""What a file is, read from its bytes: only documents a front office files (PDF, images, office files, plain
text) are accepted, whatever the name says.

The name is checked against the content afterwards: a PDF named .jpg is refused, not renamed, because a name
that lies is either a mistake (the clerk picked the wrong file, and should know) or a file dressed up to pass a
filter; renaming it silently would hide both. A name without an extension gets the detected one.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from shared.api import FieldProblem

OOXML = "application/vnd.openxmlformats-officedocument."
OPENDOCUMENT = "application/vnd.oasis.opendocument."


@dataclass(frozen=True)
class Kind:
    label: str
    media_type: str
    extensions: tuple[str, ...]  # the first is the one a name without an extension gets

    @property
    def previewable(self) -> bool:
        """Shown inline by a browser, with no script of its own: PDF and images."""
        return self.media_type == "application/pdf" or self.media_type.startswith("image/")


PDF = Kind("a PDF document", "application/pdf", (".pdf",))
PNG = Kind("a PNG image", "image/png", (".png",))
JPEG = Kind("a JPEG image", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"))
WEBP = Kind("a WebP image", "image/webp", (".webp",))
GIF = Kind("a GIF image", "image/gif", (".gif",))
TIFF = Kind("a TIFF image", "image/tiff", (".tif", ".tiff"))
DOCX = Kind("a Word document", OOXML + "wordprocessingml.document", (".docx",))
XLSX = Kind("an Excel workbook", OOXML + "spreadsheetml.sheet", (".xlsx",))
PPTX = Kind("a PowerPoint presentation", OOXML + "presentationml.presentation", (".pptx",))
ODT = Kind("an OpenDocument text", OPENDOCUMENT + "text", (".odt",))
ODS = Kind("an OpenDocument spreadsheet", OPENDOCUMENT + "spreadsheet", (".ods",))
ODP = Kind("an OpenDocument presentation", OPENDOCUMENT + "presentation", (".odp",))
DOC = Kind("a Word 97-2003 document", "application/msword", (".doc",))
XLS = Kind("an Excel 97-2003 workbook", "application/vnd.ms-excel", (".xls",))
TEXT_EXTENSIONS = (".txt", ".text", ".csv", ".md", ".log")

# The main part's content type in [Content_Types].xml names what an Office Open XML package is.
OOXML_MAIN = {
    b"wordprocessingml.document.main+xml": DOCX,
    b"spreadsheetml.sheet.main+xml": XLSX,
    b"presentationml.presentation.main+xml": PPTX,
}
OPENDOCUMENT_KINDS = {kind.media_type.encode(): kind for kind in (ODT, ODS, ODP)}
# Said plainly, because "not an accepted type" would leave the clerk wondering what the file was.
PROGRAMS = (
    (b"\x7fELF", "a Linux program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"\xfe\xed\xfa\xce", "a macOS program (Mach-O)"), (b"\xfe\xed\xfa\xcf", "a macOS program (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "a macOS program (Mach-O)"), (b"\xcf\xfa\xed\xfe", "a macOS program (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"#!", "a script"),
)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_ENTRY = 128  # a compound file's directory entries are 128 bytes, at multiples of 128 after its header
PART_LIMIT = 1024 * 1024  # [Content_Types].xml and mimetype are small; a bigger one is not an office file
# Text may hold tabs, line and page breaks; other control characters mean binary data.
TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


class Refused(ValueError):
    """The file is not one we keep; `problem` says why, for a 422."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.problem = FieldProblem(field="file", code=code, detail=detail)


def detect(data: bytes) -> Kind:
    """The kind of document these bytes are; Refused otherwise."""
    if not data:
        raise Refused("file_empty", "The file is empty.")
    for magic, what in PROGRAMS:
        if magic == b"MZ" and b"\x00" not in data[:64]:
            continue  # a DOS or Windows header is binary at once; text may happen to start with "MZ"
        if data.startswith(magic) or (magic == b"#!" and data.startswith(b"\xef\xbb\xbf#!")):
            raise Refused("file_type_refused", f"This file is {what}, not a document: it is not accepted.")
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if data.startswith(b"PK\x03\x04"):
        return _zipped(data)
    if data.startswith(OLE2):
        return _compound(data)
    text = _text(data)
    if text is not None:
        return text
    raise Refused("file_type_refused", "This kind of file is not accepted: send a PDF, an image (PNG, JPEG, "
                                       "WebP, GIF, TIFF), an office document or plain text.")


def _zipped(data: bytes) -> Kind:
    """An office document is a ZIP package that says what it is inside; any other ZIP is refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise Refused("file_has_macros", "This office document contains macros (programs): save it "
                                                 "without them (as .docx, .xlsx or .pptx) and send it again.")
            if "mimetype" in names:
                kind = OPENDOCUMENT_KINDS.get(_member(package, "mimetype").strip())
                if kind is not None:
                    return kind
            if "[Content_Types].xml" in names:
                types = _member(package, "[Content_Types].xml")
                if b"macroEnabled" in types:
                    raise Refused("file_has_macros", "This office document is macro-enabled: save it without "
                                                     "macros and send it again.")
                for main, kind in OOXML_MAIN.items():
                    if b"ContentType=\"" + OOXML.encode() + main + b"\"" in types:
                        return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile cannot read.
        raise Refused("file_damaged", "This file looks like an office document but cannot be read.") from None
    raise Refused("file_type_refused", "This ZIP archive is not an office document: file its documents one by "
                                       "one.")


def _member(package: zipfile.ZipFile, name: str) -> bytes:
    if package.getinfo(name).file_size > PART_LIMIT:
        raise Refused("file_damaged", "This file looks like an office document but is not a valid one.")
    with package.open(name) as member:
        return member.read(PART_LIMIT)


def _compound(data: bytes) -> Kind:
    """A legacy Office file (OLE2 compound file): Word keeps a WordDocument stream, Excel a Workbook (or Book);
    an installer (.msi) or anything else in that container has neither and is refused."""
    streams = _ole_names(data)
    if streams & {"macros", "_vba_project_cur", "vba"}:
        raise Refused("file_has_macros", "This office document contains macros (programs): save it without them "
                                         "and send it again.")
    if "worddocument" in streams:
        return DOC
    if streams & {"workbook", "book"}:
        return XLS
    raise Refused("file_type_refused", "This older Office file is neither a Word document nor an Excel workbook: "
                                       "it is not accepted.")


def _ole_names(data: bytes) -> set[str]:
    """The names of a compound file's streams and storages, folded. Directory entries sit at multiples of 128
    bytes after the header (512 or 4096 bytes): an entry is a UTF-16 name of up to 31 characters, then at byte
    64 its length in bytes with the final NUL. Only entries of that exact form count, so text that merely
    contains such a word elsewhere in the file does not."""
    names = set()
    for offset in range(512, len(data) - OLE_ENTRY + 1, OLE_ENTRY):
        length = int.from_bytes(data[offset + 64:offset + 66], "little")
        kind = data[offset + 66]
        if not 2 <= length <= 64 or length % 2 or kind not in (1, 2, 5):  # storage, stream, root
            continue
        raw = data[offset:offset + length - 2]
        if data[offset + length - 2:offset + length] != b"\x00\x00":
            continue
        try:
            name = raw.decode("utf-16-le")
        except UnicodeDecodeError:
            continue
        if name.isprintable():
            names.add(name.casefold())
    return names


def _text(data: bytes) -> Kind | None:
    """Plain text: UTF-8 (with or without a BOM), UTF-16 with a BOM (Windows' "Unicode"), or Windows-1252 (what
    French Windows writes); with no control characters but line breaks and tabs."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = [("utf-16", "utf-16")]
    else:
        encodings = [("utf-8-sig", "utf-8"), ("cp1252", "windows-1252")]
    for codec, charset in encodings:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if TEXT_CONTROLS.search(text):
            return None
        if text.lstrip("\ufeff").startswith("#!"):
            raise Refused("file_type_refused", "This file is a script, not a document: it is not accepted.")
        return Kind("a text file", f"text/plain; charset={charset}", TEXT_EXTENSIONS)
    return None


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f".{ext.casefold()}" if dot and stem and ext and " " not in ext else ""


def agreeing_name(raw: str, kind: Kind, fallback: str = "document") -> str:
    """The uploaded name made safe to keep and to send back: no folders, no control characters or characters
    Windows refuses, at most 150 characters; with the detected extension when it had none. Refused when its
    extension names another kind of file than the content is."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*')
    name = " ".join(name.split()).strip(" .") or fallback
    ext = extension(name)
    if not ext:
        name, ext = name + kind.extensions[0], kind.extensions[0]
    elif ext not in kind.extensions:
        raise Refused("file_name_mismatch", f"This file is {kind.label}, but its name ends in {ext}: check that it "
                                            f"is the file you meant, and name it {kind.extensions[0]}.")
    stem = name[:-len(ext)][:150 - len(ext)].rstrip(" .") or fallback
    return stem + ext
