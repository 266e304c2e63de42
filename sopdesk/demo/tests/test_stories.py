"""Planning demo tickets: the status mix, the step times and determinism."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopdesk.demo.directory import create_directory
from sopdesk.demo.stories import HISTORY_DAYS, Step, _status_mix, _step_times, plan_tickets
from sopdesk.tickets.choices import Status

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 17:00 at the desk
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("count", [7, 8, 13, 20, 57, 200])
def test_the_status_mix_has_the_asked_size_and_every_status_once_there_is_room(count: int) -> None:
    statuses = _status_mix(count)
    assert len(statuses) == count
    assert set(statuses) == set(Status)


@pytest.mark.parametrize("count", [0, 1, 3, 6])
def test_the_status_mix_of_a_handful_of_tickets_has_the_asked_size(count: int) -> None:
    assert len(_status_mix(count)) == count


def test_closed_is_the_most_common_status_of_a_full_load() -> None:
    statuses = _status_mix(200)
    assert max(set(statuses), key=statuses.count) == Status.CLOSED


def test_step_times_increase_and_are_squeezed_to_fit_before_the_end() -> None:
    steps = [Step((600, 600), lambda ticket, now: None) for _ in range(10)]
    start = NOW - timedelta(hours=2)
    times = _step_times(steps, start=start, end=NOW, rng=random.Random(1))
    assert times == sorted(times)
    assert start < times[0]
    assert times[-1] < NOW


def test_step_times_keep_their_natural_gaps_when_there_is_room() -> None:
    steps = [Step((30, 30), lambda ticket, now: None) for _ in range(3)]
    times = _step_times(steps, start=NOW - timedelta(days=5), end=NOW, rng=random.Random(1))
    assert [later - earlier for earlier, later in itertools.pairwise(times)] == [timedelta(minutes=30)] * 2


def test_steps_wait_for_the_desk_to_open_in_the_morning() -> None:
    steps = [Step((30, 30), lambda ticket, now: None) for _ in range(2)]
    evening = datetime(2026, 3, 2, 19, 50, tzinfo=SHANGHAI)
    times = _step_times(steps, start=evening, end=evening + timedelta(days=3), rng=random.Random(1))
    assert times == [datetime(2026, 3, 3, 8, 20, tzinfo=SHANGHAI), datetime(2026, 3, 3, 8, 50, tzinfo=SHANGHAI)]


def test_a_ticket_from_last_night_gets_its_history_before_now_even_outside_desk_hours() -> None:
    steps = [Step((30, 60), lambda ticket, now: None) for _ in range(5)]
    night = datetime(2026, 3, 2, 22, 0, tzinfo=SHANGHAI)
    now = datetime(2026, 3, 3, 6, 0, tzinfo=SHANGHAI)
    times = _step_times(steps, start=night, end=now, rng=random.Random(1))
    assert times == sorted(times)
    assert night < times[0]
    assert times[-1] < now


@pytest.mark.django_db
def test_the_same_seed_and_time_plan_the_same_tickets_within_the_history_window() -> None:
    directory = create_directory(password_hash="!")

    def summary(seed: int) -> list[tuple[object, ...]]:
        plans = plan_tickets(directory, count=60, now=NOW, rng=random.Random(seed))
        return [(p.created_at, p.status, p.title, p.requester.username, p.channel) for p in plans]

    first = summary(7)
    assert first == summary(7)
    assert first != summary(8)
    arrivals = [row[0] for row in first]
    assert arrivals == sorted(arrivals)
    assert all(NOW - timedelta(days=HISTORY_DAYS) <= at < NOW for at in arrivals)  # type: ignore[operator]
