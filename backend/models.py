"""Every table, imported once so the metadata is complete (Alembic, tests)."""
from backend.audit.models import AuditEvent
from backend.calls.models import Call, CallEvent
from backend.cheques.models import Cheque, ChequeEvent, Employee, Handover, PayrollRun
from backend.clients.import_job_model import ClientImport
from backend.clients.kiosk_models import ClientKioskPass, ContactChangeRequest
from backend.clients.models import Client, ClientChange, ClientTag
from backend.core.db import Base
from backend.core.relay import LiveEvent
from backend.documents.models import ClientDocument
from backend.kiosks.models import IdempotentReply, KioskDevice
from backend.notifications.models import Delivery
from backend.organisation.models import Department, Site
from backend.payments.models import Fee, Payment, PaymentLine, PaymentRequest, Refund, SiteTax, StripeEvent
from backend.receipts.models import ReceiptRecord
from backend.routing.models import ContactChannel, DutySlot, Escalation, Notification, OpeningHours
from backend.staff.models import DepartmentMembership, StaffMember, StaffRole, StaffSession, StaffToken
from backend.visits.models import Visit, VisitorField, VisitorType, VisitTransition

__all__ = [
    "AuditEvent", "Fee", "Payment", "PaymentLine", "PaymentRequest", "ReceiptRecord", "Refund", "SiteTax",
    "StripeEvent", "Base", "Department", "DepartmentMembership", "IdempotentReply", "KioskDevice",
    "LiveEvent", "Notification", "Site", "StaffMember", "StaffRole", "StaffSession", "StaffToken", "Visit", "VisitTransition",
    "VisitorField", "VisitorType", "Delivery", "Call", "CallEvent", "ContactChannel", "DutySlot", "Escalation",
    "OpeningHours", "Client", "ClientChange", "ClientTag",
    "ClientDocument",
    "Cheque", "ChequeEvent", "Employee", "Handover", "PayrollRun",
    "ClientImport",
    "ClientKioskPass", "ContactChangeRequest",
]
