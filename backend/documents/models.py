"""Documents filed in a client's file. The bytes live on disk, named by their SHA-256 (backend.documents.storage);
a row is one filing of them, so the same file filed twice is stored once and removed with its last row."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column
from shared.enums import DocumentCategory


class ClientDocument(Base):
    __tablename__ = "client_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    category: Mapped[DocumentCategory] = mapped_column(enum_column(DocumentCategory))
    title: Mapped[str] = mapped_column(String(200))
    document_date: Mapped[dt.date | None]  # the date the document bears (a letter's, a report's), not the upload's
    retain_until: Mapped[dt.date | None]  # removed automatically after this day, even if the client stays
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, made safe; its extension agrees with the type
    media_type: Mapped[str] = mapped_column(String(100))  # detected from the content, never taken from the upload
    size: Mapped[int]
    # Names the file on disk, and is checked again on every read.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    stored_at: Mapped[str] = mapped_column(String(80))  # the file's path under the documents folder
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime]
