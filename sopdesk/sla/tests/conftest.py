"""A frozen clock for SLA scenarios, and helpers that read times in Beijing time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

SHANGHAI = ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


class FrozenClock:
    """The wall clock of a scenario: frozen, moved only by the test."""

    def __init__(self, traveller: time_machine.Coordinates) -> None:
        self._traveller = traveller

    def move_to(self, instant: datetime) -> datetime:
        self._traveller.move_to(instant)
        return instant


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with time_machine.travel(beijing(2026, 1, 5, 9), tick=False) as traveller:
        yield FrozenClock(traveller)
