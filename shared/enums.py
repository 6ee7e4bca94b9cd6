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


class PaymentMethod(StrEnum):
    """How a visitor pays: a card on the kiosk's reader (Stripe Terminal), or their phone (Stripe Checkout)."""

    CARD_PRESENT = "card_present"
    CHECKOUT = "checkout"


class PaymentState(StrEnum):
    """The life of one attempt to pay. Every state but CREATED and WAITING is final — except that money taken
    always wins: an attempt cancelled or timed out here but approved at Stripe becomes SUCCEEDED."""

    CREATED = "created"  # recorded, Stripe not yet asked (or its answer not yet recorded)
    WAITING = "waiting"  # the reader waits for a card / the QR code waits for the phone
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined, or the reader refused
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"  # no card presented in time
    EXPIRED = "expired"  # the QR code's checkout expired


FINAL_PAYMENT_STATES = frozenset(PaymentState) - {PaymentState.CREATED, PaymentState.WAITING}


class PaymentRequestState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"


class PaymentProblem(StrEnum):
    """Why a payment did not go through, in words the kiosk can translate for the visitor."""

    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    LOST_OR_STOLEN = "lost_or_stolen"
    INCORRECT_CODE = "incorrect_code"  # CVC or PIN
    PROCESSING_ERROR = "processing_error"
    READER_UNAVAILABLE = "reader_unavailable"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PrintProblem(StrEnum):
    OFFLINE = "offline"
    PAPER_OUT = "paper_out"
    ERROR = "error"


class DeliveryChannel(StrEnum):
    """Where an outgoing notification goes: an email address, or a chat tool's incoming webhook."""

    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"


class DeliveryStatus(StrEnum):
    """The life of one outgoing notification: PENDING and RETRYING are still to be sent; the others are final."""

    PENDING = "pending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"


class CallSource(StrEnum):
    """How a call came to be recorded: logged at the desk, told by Twilio, or by another phone system."""

    DESK = "desk"
    TWILIO = "twilio"
    PHONE_SYSTEM = "phone_system"


class CallOutcome(StrEnum):
    """Where a call is or ended: the first two while it lasts; the message outcomes leave a slip to deal with."""

    RINGING = "ringing"
    ANSWERED = "answered"
    TRANSFERRED = "transferred"
    MESSAGE_TAKEN = "message_taken"
    CALLBACK_REQUESTED = "callback_requested"
    VOICEMAIL = "voicemail"
    MISSED = "missed"


# Outcomes that leave somebody something to do: a message slip, open until marked done.
MESSAGE_OUTCOMES = frozenset({CallOutcome.MESSAGE_TAKEN, CallOutcome.CALLBACK_REQUESTED, CallOutcome.VOICEMAIL,
                              CallOutcome.MISSED})


class MessageState(StrEnum):
    """A call's message slip: none, open (nobody has answered), acknowledged (somebody has it), done."""

    NONE = "none"
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"


class EscalationState(StrEnum):
    OPEN = "open"  # waiting for somebody to answer; the next step is due at next_at
    ACKNOWLEDGED = "acknowledged"
    EXHAUSTED = "exhausted"  # every step taken, nobody answered


class ClientKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class ClientStatus(StrEnum):
    """ACTIVE and INACTIVE are a clerk's choice; MERGED points at the record that absorbed it; ERASED keeps an
    empty shell so links from visits and payments stay valid without telling who it was."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    MERGED = "merged"
    ERASED = "erased"


class DocumentCategory(StrEnum):
    """What a document in a client's file is, as a clerk files it."""

    IDENTITY = "identity"
    INSURANCE = "insurance"
    CONTRACT = "contract"
    REPORT = "report"
    CORRESPONDENCE = "correspondence"
    OTHER = "other"
