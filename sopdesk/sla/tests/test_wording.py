"""Clocks in words for the admin and notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sopdesk.sla.choices import ClockState, Metric
from sopdesk.sla.clocks import MetricView
from sopdesk.sla.wording import clock_words, duration_words

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = datetime(2026, 10, 13, 2, 30, tzinfo=UTC)  # Tue 10:30 in Beijing


def view(state: ClockState, *, remaining: timedelta | None = None, met: bool = False, late: bool = False) -> MetricView:
    return MetricView(
        metric=Metric.FIRST_RESPONSE,
        state=state,
        target_minutes=240,
        due_at=DUE,
        met_at=DUE - timedelta(minutes=5) if met else None,
        breached_at=DUE if late else None,
        remaining=remaining,
    )


def test_duration_words_use_days_hours_and_minutes() -> None:
    assert duration_words(timedelta(hours=1, minutes=12, seconds=59)) == "1 h 12 min"
    assert duration_words(timedelta(days=2, hours=3)) == "2 d 3 h"
    assert duration_words(timedelta(seconds=20)) == "0 min"
    assert duration_words(-timedelta(minutes=45)) == "45 min"


def test_a_running_clock_says_by_when_and_how_much_business_time_is_left() -> None:
    text = clock_words(view(ClockState.OK, remaining=timedelta(hours=1, minutes=12)), zone=SHANGHAI)
    assert text == "First response: responds by Tue 10-13 10:30, 1 h 12 min of business time left"


def test_an_overdue_clock_says_how_late_it_is() -> None:
    text = clock_words(view(ClockState.BREACHED, remaining=-timedelta(minutes=45)), zone=SHANGHAI)
    assert text.endswith("45 min of business time overdue")


def test_met_paused_and_missing_clocks_read_naturally() -> None:
    assert clock_words(view(ClockState.MET, met=True), zone=SHANGHAI) == "First response: met Tue 10-13 10:25"
    assert clock_words(view(ClockState.MET, met=True, late=True), zone=SHANGHAI).endswith("(late)")
    paused = clock_words(view(ClockState.PAUSED, remaining=timedelta(hours=3)), zone=SHANGHAI)
    assert paused == "First response: paused, 3 h of business time left"
    assert clock_words(view(ClockState.NONE), zone=SHANGHAI) == "First response: no target"


def test_service_hours_put_days_with_the_same_hours_together() -> None:
    from django.utils import translation

    from sopdesk.lib.businesstime import BusinessCalendar, WorkingInterval
    from sopdesk.sla.wording import service_hours_lines

    week = [WorkingInterval(weekday=day, start_minute=9 * 60, end_minute=18 * 60) for day in range(4)]
    friday = [WorkingInterval(weekday=4, start_minute=9 * 60, end_minute=15 * 60)]
    sunday = [WorkingInterval(weekday=6, start_minute=0, end_minute=24 * 60)]
    calendar = BusinessCalendar(zone=SHANGHAI, intervals=(*sunday, *friday, *week))

    with translation.override("en"):
        assert service_hours_lines(calendar) == [
            "Monday – Thursday: 09:00–18:00",
            "Friday: 09:00–15:00",
            "Sunday: 00:00–24:00",
            "Times in Asia/Shanghai; public holidays excepted.",
        ]
        assert service_hours_lines(BusinessCalendar(zone=SHANGHAI, always_open=True)) == [
            "Around the clock, every day (24×7)"
        ]
    with translation.override("zh-hans"):
        assert service_hours_lines(calendar)[0] == "星期一 – 星期四: 09:00–18:00"
