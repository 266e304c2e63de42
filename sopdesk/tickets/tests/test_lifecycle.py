"""The status transition table (pure logic)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopdesk.tickets.choices import OPEN_STATUSES, Status
from sopdesk.tickets.lifecycle import (
    REQUESTER_TRANSITIONS,
    TRANSITIONS,
    allowed_targets,
    is_allowed,
    is_reopen,
)

S = Status
# The published table, written out edge by edge so that any change to lifecycle.py shows up here.
ALLOWED = {
    (S.NEW, S.ASSIGNED),
    (S.NEW, S.IN_PROGRESS),
    (S.NEW, S.PENDING_CUSTOMER),
    (S.NEW, S.RESOLVED),
    (S.ASSIGNED, S.IN_PROGRESS),
    (S.ASSIGNED, S.PENDING_CUSTOMER),
    (S.ASSIGNED, S.RESOLVED),
    (S.IN_PROGRESS, S.PENDING_CUSTOMER),
    (S.IN_PROGRESS, S.PENDING_CONFIRMATION),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.PENDING_CUSTOMER, S.IN_PROGRESS),
    (S.PENDING_CUSTOMER, S.PENDING_CONFIRMATION),
    (S.PENDING_CUSTOMER, S.RESOLVED),
    (S.PENDING_CONFIRMATION, S.IN_PROGRESS),
    (S.PENDING_CONFIRMATION, S.RESOLVED),
    (S.RESOLVED, S.CLOSED),
    (S.RESOLVED, S.IN_PROGRESS),
    (S.CLOSED, S.IN_PROGRESS),
}
ALL_PAIRS = set(itertools.product(Status, Status))


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_every_transition_of_the_table_is_allowed(from_status: Status, to_status: Status) -> None:
    assert is_allowed(from_status, to_status)


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALL_PAIRS - ALLOWED))
def test_every_other_transition_is_refused(from_status: Status, to_status: Status) -> None:
    assert not is_allowed(from_status, to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("closed", "resolved"),
        ("closed", "new"),
        ("resolved", "pending_customer"),
        ("in_progress", "new"),
        ("in_progress", "assigned"),
        ("new", "closed"),
        ("new", "pending_confirmation"),
        ("pending_confirmation", "closed"),
    ],
)
def test_notable_shortcuts_are_refused(from_status: str, to_status: str) -> None:
    assert not is_allowed(from_status, to_status)


def test_no_status_may_move_to_itself() -> None:
    assert not any(is_allowed(status, status) for status in Status)


def test_every_status_has_a_row_and_every_status_except_new_can_be_reached() -> None:
    assert set(TRANSITIONS) == set(Status)
    reachable = set().union(*TRANSITIONS.values())
    assert reachable == set(Status) - {Status.NEW}


def test_nothing_goes_back_to_new_or_skips_resolution_on_the_way_to_closed() -> None:
    assert [src for src, targets in TRANSITIONS.items() if Status.CLOSED in targets] == [Status.RESOLVED]
    assert all(Status.NEW not in targets for targets in TRANSITIONS.values())


def test_the_table_accepts_plain_string_values() -> None:
    assert is_allowed("new", "assigned")
    assert not is_allowed("closed", "new")


def test_an_unknown_status_value_raises() -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (the enum's own message)
        is_allowed("archived", "new")
    with pytest.raises(ValueError):  # noqa: PT011
        is_allowed("new", "archived")


@pytest.mark.parametrize(
    ("from_status", "to_status", "expected"),
    [
        (S.RESOLVED, S.IN_PROGRESS, True),
        (S.CLOSED, S.IN_PROGRESS, True),
        (S.PENDING_CONFIRMATION, S.IN_PROGRESS, False),  # the fix was rejected before it counted as resolved
        (S.PENDING_CUSTOMER, S.IN_PROGRESS, False),
        (S.NEW, S.IN_PROGRESS, False),
        (S.RESOLVED, S.CLOSED, False),
    ],
)
def test_reopen_is_going_back_to_work_from_resolved_or_closed(
    from_status: Status, to_status: Status, expected: bool
) -> None:
    assert is_reopen(from_status, to_status) is expected


def test_every_reopen_is_an_allowed_transition() -> None:
    reopens = {(a, b) for a, b in ALL_PAIRS if is_reopen(a, b)}
    assert reopens == {(S.RESOLVED, S.IN_PROGRESS), (S.CLOSED, S.IN_PROGRESS)}
    assert reopens <= ALLOWED


def test_requesters_may_confirm_reject_close_and_reopen_only() -> None:
    assert {
        (S.PENDING_CONFIRMATION, S.RESOLVED),
        (S.PENDING_CONFIRMATION, S.IN_PROGRESS),
        (S.RESOLVED, S.CLOSED),
        (S.RESOLVED, S.IN_PROGRESS),
        (S.CLOSED, S.IN_PROGRESS),
    } == REQUESTER_TRANSITIONS


def test_every_requester_transition_is_allowed_by_the_table() -> None:
    assert all(is_allowed(a, b) for a, b in REQUESTER_TRANSITIONS)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(S.NEW, S.RESOLVED), (S.IN_PROGRESS, S.RESOLVED), (S.IN_PROGRESS, S.PENDING_CUSTOMER), (S.NEW, S.ASSIGNED)],
)
def test_requesters_cannot_resolve_or_route_their_own_ticket(from_status: Status, to_status: Status) -> None:
    assert (from_status, to_status) not in REQUESTER_TRANSITIONS


@pytest.mark.parametrize("status", list(Status))
def test_allowed_targets_lists_the_table_row_in_lifecycle_order(status: Status) -> None:
    targets = allowed_targets(status)
    assert set(targets) == TRANSITIONS[status]
    assert targets == sorted(targets, key=list(Status).index)


def test_open_statuses_are_those_before_resolution() -> None:
    assert {S.RESOLVED, S.CLOSED}.isdisjoint(OPEN_STATUSES)
    assert set(OPEN_STATUSES) | {S.RESOLVED, S.CLOSED} == set(Status)


@given(st.lists(st.integers(min_value=0, max_value=10), max_size=40))
def test_any_walk_along_allowed_transitions_stays_inside_the_table(choices: list[int]) -> None:
    status = Status.NEW
    for choice in choices:
        targets = allowed_targets(status)
        assert targets, f"{status} is a dead end"
        status = targets[choice % len(targets)]
        assert status in Status
    # From anywhere a ticket can still reach closed by allowed steps.
    seen, frontier = {status}, [status]
    while frontier:
        for target in allowed_targets(frontier.pop()):
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert Status.CLOSED in seen
