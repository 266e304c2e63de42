"""Nudge: how many delivery jobs a burst of commits starts (a clock the test moves)."""

from __future__ import annotations

import pytest

from sopdesk.core.nudge import Nudge


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lone_commit_starts_a_job_at_once() -> None:
    nudge = Nudge(window=0.5, clock=Clock())
    assert nudge.delay() == 0.0


def test_a_burst_within_the_window_shares_one_more_job_at_the_windows_end() -> None:
    clock = Clock()
    nudge = Nudge(window=0.5, clock=clock)
    assert nudge.delay() == 0.0
    clock.now += 0.1
    assert nudge.delay() == pytest.approx(0.4)  # runs when the window ends, after every commit in it
    for _ in range(50):
        clock.now += 0.007
        assert nudge.delay() is None


def test_the_first_commit_after_the_window_starts_a_new_one() -> None:
    clock = Clock()
    nudge = Nudge(window=0.5, clock=clock)
    nudge.delay()
    clock.now += 0.2
    nudge.delay()
    clock.now += 0.3
    assert nudge.delay() == 0.0
    clock.now += 0.25
    assert nudge.delay() == pytest.approx(0.25)


def test_a_commit_at_the_very_end_of_a_window_is_never_left_without_a_job() -> None:
    clock = Clock()
    nudge = Nudge(window=0.5, clock=clock)
    nudge.delay()
    clock.now += 0.499
    assert nudge.delay() == pytest.approx(0.001)
