"""Domain vocabularies shared by the kiosk and the backend."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RECEPTIONIST = "receptionist"
    DEPARTMENT_STAFF = "department_staff"
    CLERK = "clerk"


class VisitState(StrEnum):
    CHECKED_IN = "checked_in"
    ACKNOWLEDGED = "acknowledged"
    IN_MEETING = "in_meeting"
    CHECKED_OUT = "checked_out"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# The life of a visit. A state missing from the keys is final.
VISIT_TRANSITIONS: dict[VisitState, frozenset[VisitState]] = {
    VisitState.CHECKED_IN: frozenset(
        {VisitState.ACKNOWLEDGED, VisitState.IN_MEETING, VisitState.CHECKED_OUT,
         VisitState.CANCELLED, VisitState.NO_SHOW}
    ),
    VisitState.ACKNOWLEDGED: frozenset(
        {VisitState.IN_MEETING, VisitState.CHECKED_OUT, VisitState.CANCELLED, VisitState.NO_SHOW}
    ),
    VisitState.IN_MEETING: frozenset({VisitState.CHECKED_OUT}),
}

OPEN_VISIT_STATES = frozenset(VISIT_TRANSITIONS)


class FieldKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    YES_NO = "yes_no"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"


class TokenScope(StrEnum):
    """What a staff API token may do: read only, or everything its owner's roles allow."""

    READ = "read"
    WRITE = "write"


class Language(StrEnum):
    FR = "fr"
    EN = "en"
