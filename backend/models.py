"""Every table, imported once so the metadata is complete (Alembic, tests)."""
from backend.audit.models import AuditEvent
from backend.core.db import Base
from backend.core.relay import LiveEvent
from backend.kiosks.models import IdempotentReply, KioskDevice
from backend.organisation.models import Department, Site
from backend.routing.models import Notification
from backend.staff.models import DepartmentMembership, StaffMember, StaffRole, StaffSession, StaffToken
from backend.visits.models import Visit, VisitorField, VisitorType, VisitTransition

__all__ = [
    "AuditEvent", "Base", "Department", "DepartmentMembership", "IdempotentReply", "KioskDevice",
    "LiveEvent", "Notification", "Site", "StaffMember", "StaffRole", "StaffSession", "StaffToken", "Visit", "VisitTransition",
    "VisitorField", "VisitorType",
]
