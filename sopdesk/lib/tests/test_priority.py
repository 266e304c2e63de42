"""The impact × urgency priority matrix and the customer-level boost (pure logic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopdesk.lib.priority import (
    DEFAULT_MATRIX,
    IMPACTS,
    PRIORITIES,
    URGENCIES,
    compute_priority,
    raise_priority,
)

# The published default rule, written out cell by cell so a change to the table shows up here.
EXPECTED_DEFAULT = [
    ("single_user", "low", "P4"),
    ("single_user", "medium", "P4"),
    ("single_user", "high", "P3"),
    ("single_user", "critical", "P2"),
    ("multiple_users", "low", "P4"),
    ("multiple_users", "medium", "P3"),
    ("multiple_users", "high", "P2"),
    ("multiple_users", "critical", "P1"),
    ("department", "low", "P3"),
    ("department", "medium", "P3"),
    ("department", "high", "P2"),
    ("department", "critical", "P1"),
    ("organization", "low", "P3"),
    ("organization", "medium", "P2"),
    ("organization", "high", "P1"),
    ("organization", "critical", "P1"),
]


@pytest.mark.parametrize(("impact", "urgency", "priority"), EXPECTED_DEFAULT)
def test_default_matrix_gives_the_published_priority_for_every_cell(impact: str, urgency: str, priority: str) -> None:
    assert compute_priority(impact=impact, urgency=urgency) == priority


def test_default_matrix_covers_every_impact_and_urgency_exactly_once() -> None:
    assert set(DEFAULT_MATRIX) == {(impact, urgency) for impact in IMPACTS for urgency in URGENCIES}
    assert len(EXPECTED_DEFAULT) == len(DEFAULT_MATRIX)


@pytest.mark.parametrize(("impact", "urgency", "priority"), EXPECTED_DEFAULT)
def test_a_one_step_boost_raises_every_cell_by_one_level_and_caps_at_p1(
    impact: str, urgency: str, priority: str
) -> None:
    expected = PRIORITIES[max(PRIORITIES.index(priority) - 1, 0)]
    assert compute_priority(impact=impact, urgency=urgency, boost=1) == expected


def test_a_vip_boost_on_a_p1_cell_stays_p1() -> None:
    assert compute_priority(impact="organization", urgency="critical", boost=1) == "P1"
    assert compute_priority(impact="organization", urgency="critical", boost=5) == "P1"


def test_a_large_boost_lifts_the_lowest_cell_to_p1_and_no_further() -> None:
    assert compute_priority(impact="single_user", urgency="low", boost=3) == "P1"
    assert compute_priority(impact="single_user", urgency="low", boost=99) == "P1"


def test_a_negative_boost_is_ignored_rather_than_lowering_the_priority() -> None:
    assert compute_priority(impact="department", urgency="high", boost=-2) == "P2"


def test_an_admin_edited_cell_replaces_the_default() -> None:
    matrix = {("single_user", "low"): "P1"}
    assert compute_priority(impact="single_user", urgency="low", matrix=matrix) == "P1"


def test_cells_missing_from_the_admin_matrix_fall_back_to_the_default() -> None:
    matrix = {("single_user", "low"): "P1"}
    assert compute_priority(impact="organization", urgency="medium", matrix=matrix) == "P2"


def test_the_boost_applies_on_top_of_an_admin_edited_cell() -> None:
    matrix = {("department", "low"): "P2"}
    assert compute_priority(impact="department", urgency="low", boost=1, matrix=matrix) == "P1"


@pytest.mark.parametrize("impact", ["", "everyone", "SINGLE_USER", "single_user ", "P1"])
def test_an_unknown_impact_raises(impact: str) -> None:
    with pytest.raises(ValueError, match="impact"):
        compute_priority(impact=impact, urgency="low")


@pytest.mark.parametrize("urgency", ["", "urgent", "LOW", "blocker", "1"])
def test_an_unknown_urgency_raises(urgency: str) -> None:
    with pytest.raises(ValueError, match="urgency"):
        compute_priority(impact="single_user", urgency=urgency)


@pytest.mark.parametrize(
    ("priority", "steps", "expected"),
    [
        ("P4", 0, "P4"),
        ("P4", 1, "P3"),
        ("P3", 2, "P1"),
        ("P2", 3, "P1"),
        ("P1", 1, "P1"),
        ("P2", -1, "P3"),
        ("P4", -3, "P4"),
    ],
)
def test_raise_priority_moves_by_steps_within_p1_to_p4(priority: str, steps: int, expected: str) -> None:
    assert raise_priority(priority, steps) == expected


def test_raise_priority_refuses_an_unknown_priority() -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (tuple.index names no value worth matching)
        raise_priority("P5", 1)


@given(
    impact=st.sampled_from(IMPACTS),
    urgency=st.sampled_from(URGENCIES),
    boost=st.integers(min_value=-10, max_value=10),
    overrides=st.dictionaries(
        st.tuples(st.sampled_from(IMPACTS), st.sampled_from(URGENCIES)), st.sampled_from(PRIORITIES)
    ),
)
def test_the_result_is_always_a_priority_and_never_below_the_unboosted_one(
    impact: str, urgency: str, boost: int, overrides: dict[tuple[str, str], str]
) -> None:
    base = compute_priority(impact=impact, urgency=urgency, matrix=overrides)
    boosted = compute_priority(impact=impact, urgency=urgency, boost=boost, matrix=overrides)
    assert boosted in PRIORITIES
    assert PRIORITIES.index(boosted) <= PRIORITIES.index(base)
    assert PRIORITIES.index(base) - PRIORITIES.index(boosted) <= max(boost, 0)


@pytest.mark.parametrize("impact", IMPACTS)
def test_higher_urgency_never_gives_a_lower_priority_in_the_default(impact: str) -> None:
    ranks = [PRIORITIES.index(compute_priority(impact=impact, urgency=urgency)) for urgency in URGENCIES]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize("urgency", URGENCIES)
def test_wider_impact_never_gives_a_lower_priority_in_the_default(urgency: str) -> None:
    ranks = [PRIORITIES.index(compute_priority(impact=impact, urgency=urgency)) for impact in IMPACTS]
    assert ranks == sorted(ranks, reverse=True)
