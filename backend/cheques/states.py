"""The life of a payroll run and of each of its cheques, and the moves allowed between states: the one place
that says what may happen next (like shared/enums.VISIT_TRANSITIONS for visits)."""
from __future__ import annotations

from enum import StrEnum

from shared.enums import Role
from shared.i18n import N_


class RunState(StrEnum):
    AWAITING_PICKUP = "awaiting_pickup"  # the payroll company has (or will have) the cheques
    COLLECTED = "collected"  # fetched: the cheques are at the desk
    CLOSED = "closed"  # every cheque has reached a final state


RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.AWAITING_PICKUP: frozenset({RunState.COLLECTED}),
    RunState.COLLECTED: frozenset({RunState.CLOSED}),
    # A cheque reissued after the run closed opens it again until the replacement is handed out.
    RunState.CLOSED: frozenset({RunState.COLLECTED}),
}


class ChequeStatus(StrEnum):
    EXPECTED = "expected"  # on the payroll company's list; the run is not collected yet
    MISSING = "missing"  # the run was collected without this cheque
    AT_DESK = "at_desk"  # in the front office, ready to hand out
    HELD = "held"  # the employee is away: kept aside until a follow-up date
    REQUESTED = "requested"  # the employee signed for it at the kiosk; the desk is to hand it over
    HANDED_OVER = "handed_over"  # to the employee
    DELEGATED = "delegated"  # to a named person the employee authorised
    VOIDED = "voided"  # lost or damaged: cancelled, a replacement reissued
    RETURNED = "returned"  # sent back to the payroll company


# The life of a cheque. A status missing from the keys is final.
CHEQUE_TRANSITIONS: dict[ChequeStatus, frozenset[ChequeStatus]] = {
    ChequeStatus.EXPECTED: frozenset({ChequeStatus.AT_DESK, ChequeStatus.MISSING, ChequeStatus.VOIDED}),
    ChequeStatus.MISSING: frozenset({ChequeStatus.AT_DESK, ChequeStatus.VOIDED}),
    ChequeStatus.AT_DESK: frozenset({ChequeStatus.REQUESTED, ChequeStatus.HANDED_OVER, ChequeStatus.DELEGATED,
                                     ChequeStatus.HELD, ChequeStatus.VOIDED, ChequeStatus.RETURNED}),
    # Holding a held cheque again moves its follow-up date.
    ChequeStatus.HELD: frozenset({ChequeStatus.HELD, ChequeStatus.REQUESTED, ChequeStatus.HANDED_OVER,
                                  ChequeStatus.DELEGATED, ChequeStatus.VOIDED, ChequeStatus.RETURNED}),
    # A kiosk request is confirmed by handing the cheque over, or set aside (the employee walked away).
    ChequeStatus.REQUESTED: frozenset({ChequeStatus.HANDED_OVER, ChequeStatus.AT_DESK, ChequeStatus.HELD}),
}

FINAL_STATUSES = frozenset(ChequeStatus) - frozenset(CHEQUE_TRANSITIONS)
# Cheques the employee may come and take: what the kiosk lists, what reminders are about.
COLLECTABLE = frozenset({ChequeStatus.AT_DESK, ChequeStatus.HELD})
# Not in the employee's hands and not in the normal flow: what the dashboard counts as exceptions.
EXCEPTIONS = frozenset({ChequeStatus.MISSING, ChequeStatus.HELD, ChequeStatus.DELEGATED, ChequeStatus.VOIDED,
                        ChequeStatus.RETURNED})


class ProofKind(StrEnum):
    """What shows the cheque reached the right hands."""

    SIGNATURE = "signature"  # drawn in the panel (or on the kiosk's screen)
    PIN = "pin"  # the employee typed their PIN
    PIN_SIGNATURE = "pin_signature"  # at the kiosk: PIN to identify, then a signature


def can_move(status: ChequeStatus, to: ChequeStatus) -> bool:
    return to in CHEQUE_TRANSITIONS.get(status, frozenset())


# Who manages runs and hands cheques out; amounts are for admins only.
PAYROLL_KEEPERS = frozenset({Role.ADMIN, Role.RECEPTIONIST})
AMOUNT_READERS = frozenset({Role.ADMIN})

# Labels for people (panel, distribution sheet, emails); marked here so the catalogs carry them.
STATUS_LABELS: dict[ChequeStatus, str] = {
    ChequeStatus.EXPECTED: N_("Expected"),
    ChequeStatus.MISSING: N_("Missing"),
    ChequeStatus.AT_DESK: N_("At the desk"),
    ChequeStatus.HELD: N_("Held"),
    ChequeStatus.REQUESTED: N_("Requested at the kiosk"),
    ChequeStatus.HANDED_OVER: N_("Handed over"),
    ChequeStatus.DELEGATED: N_("Handed to a delegate"),
    ChequeStatus.VOIDED: N_("Voided"),
    ChequeStatus.RETURNED: N_("Returned to the payroll company"),
}
RUN_STATE_LABELS: dict[RunState, str] = {
    RunState.AWAITING_PICKUP: N_("Awaiting pick-up"),
    RunState.COLLECTED: N_("Collected"),
    RunState.CLOSED: N_("Closed"),
}
PROOF_LABELS: dict[ProofKind, str] = {
    ProofKind.SIGNATURE: N_("Signature"),
    ProofKind.PIN: N_("PIN"),
    ProofKind.PIN_SIGNATURE: N_("PIN and signature"),
}
