"""The ticket status transition table (MISSION §3). Pure logic over `Status`."""

from __future__ import annotations

from collections.abc import Mapping

from sopdesk.tickets.choices import Status

TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED}),
    Status.IN_PROGRESS: frozenset({Status.PENDING_CUSTOMER, Status.PENDING_CONFIRMATION, Status.RESOLVED}),
    Status.PENDING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.PENDING_CONFIRMATION, Status.RESOLVED}),
    Status.PENDING_CONFIRMATION: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    # Going back to in_progress from here is a reopen.
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}

REOPEN_FROM = frozenset({Status.RESOLVED, Status.CLOSED})

# What a requester may do on their own ticket: confirm or reject a fix, close, reopen.
REQUESTER_TRANSITIONS: frozenset[tuple[Status, Status]] = frozenset(
    {
        (Status.PENDING_CONFIRMATION, Status.RESOLVED),
        (Status.PENDING_CONFIRMATION, Status.IN_PROGRESS),
        (Status.RESOLVED, Status.CLOSED),
        (Status.RESOLVED, Status.IN_PROGRESS),
        (Status.CLOSED, Status.IN_PROGRESS),
    }
)


def is_allowed(from_status: Status | str, to_status: Status | str) -> bool:
    """Return True when the table allows moving from `from_status` to `to_status`."""
    return Status(to_status) in TRANSITIONS.get(Status(from_status), frozenset())


def is_reopen(from_status: Status | str, to_status: Status | str) -> bool:
    return Status(from_status) in REOPEN_FROM and Status(to_status) == Status.IN_PROGRESS


def allowed_targets(from_status: Status | str) -> list[Status]:
    """Return the statuses reachable from `from_status`, in lifecycle order."""
    targets = TRANSITIONS.get(Status(from_status), frozenset())
    return [status for status in Status if status in targets]
