"""An import of a spreadsheet of clients started from the panel: the file kept between the steps, who started it,
and, once applied in the background, how far it got and what it did."""
from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, enum_column


class ImportState(StrEnum):
    WAITING = "waiting"  # uploaded; the clerk is mapping the columns or reading the preview
    RUNNING = "running"  # being applied by a background task
    DONE = "done"  # every row stored
    REFUSED = "refused"  # rows had problems when applied: nothing stored
    FAILED = "failed"  # stopped by an error or a restart: nothing stored (one transaction)
    ABANDONED = "abandoned"  # never applied; its file removed


FINISHED_IMPORT_STATES = frozenset({ImportState.DONE, ImportState.REFUSED, ImportState.FAILED,
                                    ImportState.ABANDONED})


class ClientImport(Base):
    __tablename__ = "client_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for people to recognise it
    # The kept file's name under the data dir's imports folder; "" once removed.
    upload: Mapped[str] = mapped_column(String(80))
    state: Mapped[ImportState] = mapped_column(enum_column(ImportState), index=True)
    mapping: Mapped[str] = mapped_column(Text)  # JSON: column → field or null, as last chosen
    # Rows that are only copies of a client on file or of an earlier row are left out (and listed), not refused.
    skip_duplicates: Mapped[bool] = mapped_column(Boolean)
    phase: Mapped[str] = mapped_column(String(20))  # checking or storing, while running
    rows_done: Mapped[int]
    rows_total: Mapped[int]
    report: Mapped[str] = mapped_column(Text)  # JSON ImportOutcome: the preview while waiting, then what it did
    error: Mapped[str] = mapped_column(Text)  # why it failed, for people
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
