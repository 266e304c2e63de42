"""Business-time arithmetic for SLA clocks: working intervals, holidays, make-up days. Pure logic.

A `BusinessCalendar` names an IANA zone and a weekly schedule of local wall-clock intervals, plus
whole local dates off (holidays) and make-up working days that follow another weekday's schedule.
All arithmetic is exact to the microsecond and counts real (UTC) time:

- A local interval boundary is mapped to the earliest instant whose wall-clock time is at or after
  it: a boundary in a spring-forward gap becomes the first instant after the gap, an ambiguous
  boundary in a fall-back hour its first occurrence (fold=0). So 00:00–24:00 on a 23-hour DST day
  gives 23 real hours, on a 25-hour day 25, and 01:00–03:00 on a fall-back night three.
- Internally instants are integer microseconds since the epoch. Whole weeks without holidays,
  make-up days or UTC-offset changes are skipped with the nominal weekly working time; other
  weeks are laid out day by day, converting each boundary only near an offset change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

__all__ = [
    "SEARCH_HORIZON",
    "BusinessCalendar",
    "WorkingInterval",
    "add",
    "add_working_days",
    "elapsed",
    "is_working_day",
    "is_working_instant",
    "next_off_hours",
    "next_working_instant",
    "subtract",
    "working_seconds_per_week",
]

# `add`, `subtract` and `next_working_instant` give up after this much time without working time.
SEARCH_HORIZON = timedelta(days=3653)  # ten years

_SECOND = 1_000_000  # microseconds
_MINUTE = 60 * _SECOND
_DAY = 86_400 * _SECOND
_WEEK = 7 * _DAY
_HORIZON = SEARCH_HORIZON // timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
_ONE_DAY = timedelta(days=1)
_ONE_WEEK = timedelta(days=7)
_OUT_OF_RANGE = "the computation leaves the range of datetimes (years 1 to 9999)"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Offset changes are found by sampling the zone every 6 hours and bisecting to the second; tzdata
# has no zone that changes its offset and back within 6 hours.
_SAMPLE_STEP = 6 * 3600 * _SECOND
_BLOCK = 128 * _DAY  # offset changes are cached per zone in blocks of this length
_MIN_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1) + 2 * _DAY
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1) - 2 * _DAY

_Interval = tuple[int, int]  # [start, end) in microseconds: minutes of a day, or UTC instants


@dataclass(frozen=True)
class WorkingInterval:
    """One weekly working interval, in local wall-clock minutes after midnight, half-open."""

    weekday: int  # 0 = Monday … 6 = Sunday
    start_minute: int  # minutes after local midnight, 0 <= start_minute < end_minute
    end_minute: int  # <= 1440 (1440 = until midnight)

    def __post_init__(self) -> None:
        for name in ("weekday", "start_minute", "end_minute"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"working interval {name} must be an integer, not {value!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"working interval weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if not 0 <= self.start_minute < self.end_minute <= 1440:
            raise ValueError(
                f"working interval {self} must satisfy 0 <= start_minute < end_minute <= 1440"
                f" (got {self.start_minute}–{self.end_minute})"
            )

    def __str__(self) -> str:
        return f"{_WEEKDAYS[self.weekday]} {_clock(self.start_minute)}–{_clock(self.end_minute)}"


class _FrozenMapping(Mapping[date, int]):
    """An immutable, hashable mapping (the calendar's make-up working days)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[date, int]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: date) -> int:
        return self._items[key]

    def __iter__(self) -> Iterator[date]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return repr(self._items)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time in `zone`: weekly intervals minus holidays plus make-up days, or always open."""

    zone: ZoneInfo  # IANA zone; working intervals are local wall-clock times in it
    intervals: tuple[WorkingInterval, ...] = ()
    holidays: frozenset[date] = frozenset()  # whole local dates off
    # date -> weekday whose intervals apply that day (China's make-up working days, e.g. a Saturday
    # that works like a Monday)
    extra_working_days: Mapping[date, int] = field(default_factory=dict)
    always_open: bool = False  # 24×7: every instant is working time; intervals/holidays ignored

    # Derived in __post_init__: intervals per weekday as microseconds after midnight, the nominal
    # week as microseconds after Monday 00:00, and the sorted dates that break the weekly pattern.
    _day_patterns: tuple[tuple[_Interval, ...], ...] = field(init=False, repr=False, compare=False, hash=False)
    _week_pattern: tuple[_Interval, ...] = field(init=False, repr=False, compare=False, hash=False)
    _week_total: int = field(init=False, repr=False, compare=False, hash=False)
    _special_dates: tuple[date, ...] = field(init=False, repr=False, compare=False, hash=False)
    # Layouts of weeks with holidays or make-up days (at most one per such date), filled on use.
    _special_weeks: dict[date, tuple[int, tuple[_Interval, ...]]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    # Weeks laid out so far, by Monday, and the last few found by instant, filled on use: the
    # thresholds of many clocks (an SLA sweep) fall into the same few weeks.
    _weeks: dict[date, _Week] = field(init=False, repr=False, compare=False, hash=False)
    _recent_weeks: list[_Week] = field(init=False, repr=False, compare=False, hash=False)
    # Results of add and subtract by (instant, amount), filled on use: clocks of tickets opened
    # outside working hours share their due instants, and their thresholds with them.
    _added: dict[tuple[int, int], int] = field(init=False, repr=False, compare=False, hash=False)
    _subtracted: dict[tuple[int, int], int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.zone, ZoneInfo):
            raise ValueError(f"calendar zone must be a zoneinfo.ZoneInfo, not {self.zone!r}")
        for interval in self.intervals:
            if not isinstance(interval, WorkingInterval):
                raise ValueError(f"calendar intervals must be WorkingInterval objects, not {interval!r}")
        # In weekday and time order, so that equal schedules make equal (and equally hashed) calendars.
        intervals = tuple(sorted(self.intervals, key=lambda interval: (interval.weekday, interval.start_minute)))
        holidays = frozenset(self.holidays)
        extra = _FrozenMapping(self.extra_working_days)
        for day in (*holidays, *extra):
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"holidays and extra working days must be dates, not {day!r}")
        for day, weekday in extra.items():
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(f"extra working day {day} must map to a weekday 0 (Monday) to 6, not {weekday!r}")
        both = sorted(holidays & extra.keys())
        if both:
            raise ValueError(f"{both[0]} is both a holiday and an extra working day")
        if not intervals and not self.always_open:
            raise ValueError("a calendar that is not always open needs at least one working interval")

        per_day: list[list[WorkingInterval]] = [[] for _ in range(7)]
        for interval in intervals:
            per_day[interval.weekday].append(interval)
        for day_intervals in per_day:
            for earlier, later in pairwise(day_intervals):
                if later.start_minute < earlier.end_minute:
                    raise ValueError(f"working intervals {earlier} and {later} overlap")
        day_patterns = tuple(
            tuple((interval.start_minute * _MINUTE, interval.end_minute * _MINUTE) for interval in day_intervals)
            for day_intervals in per_day
        )
        week_pattern = tuple(
            (weekday * _DAY + start, weekday * _DAY + end)
            for weekday, pattern in enumerate(day_patterns)
            for start, end in pattern
        )
        object.__setattr__(self, "intervals", intervals)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "extra_working_days", extra)
        object.__setattr__(self, "_day_patterns", day_patterns)
        object.__setattr__(self, "_week_pattern", week_pattern)
        object.__setattr__(self, "_week_total", sum(end - start for start, end in week_pattern))
        object.__setattr__(self, "_special_dates", tuple(sorted(holidays | extra.keys())))
        object.__setattr__(self, "_special_weeks", {})
        object.__setattr__(self, "_weeks", {})
        object.__setattr__(self, "_recent_weeks", [])
        object.__setattr__(self, "_added", {})
        object.__setattr__(self, "_subtracted", {})

    def _special_week(self, monday: date) -> tuple[int, tuple[_Interval, ...]]:
        """Return the working time and intervals (microseconds after Monday 00:00) of a week
        with holidays or make-up days, for a week without an offset change."""
        layout = self._special_weeks.get(monday)
        if layout is None:
            pattern = tuple(
                (weekday * _DAY + a, weekday * _DAY + b)
                for weekday in range(7)
                for a, b in self._pattern_for(monday + timedelta(days=weekday))
            )
            layout = self._special_weeks[monday] = (sum(b - a for a, b in pattern), pattern)
        return layout

    def _pattern_for(self, day: date) -> tuple[_Interval, ...]:
        """Return the working intervals of local date `day` in microseconds after midnight."""
        if day in self.holidays:
            return ()
        weekday = self.extra_working_days.get(day)
        return self._day_patterns[day.weekday() if weekday is None else weekday]


# --- public functions ----------------------------------------------------------------------


def add(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """Return the earliest instant t >= start with elapsed(calendar, start, t) == duration.

    duration must be >= 0; 0 returns `start` itself (as UTC), even outside working time.
    """
    begin, amount = _to_us(start), _duration_us(duration)
    try:
        return _from_us(_add_us(calendar, begin, amount))
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


def subtract(calendar: BusinessCalendar, end: datetime, duration: timedelta) -> datetime:
    """Return the latest instant t <= end with elapsed(calendar, t, end) == duration.

    duration must be >= 0; 0 returns `end` itself (as UTC), even outside working time.
    """
    finish, amount = _to_us(end), _duration_us(duration)
    try:
        return _from_us(_subtract_us(calendar, finish, amount))
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


def elapsed(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Return the business time inside [start, end); negative (-elapsed(end, start)) when end < start."""
    begin, finish = _to_us(start), _to_us(end)
    try:
        if finish < begin:
            return -timedelta(microseconds=_elapsed_us(calendar, finish, begin))
        return timedelta(microseconds=_elapsed_us(calendar, begin, finish))
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


def is_working_day(calendar: BusinessCalendar, day: date) -> bool:
    """Return True when local date `day` has working time (a make-up day does, a holiday does not)."""
    return calendar.always_open or bool(calendar._pattern_for(day))


def add_working_days(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """Return the wall-clock time of `start` (in the calendar's zone) on the `days`-th working day after its date.

    Days, not hours: a ticket resolved on Friday at 15:00 with three working days to go is due on
    Wednesday at 15:00 (Thursday when Monday is a holiday), whatever the working hours of those days.
    A wall-clock time that does not exist on that date (a DST gap) is read as zoneinfo does (fold 0).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = start.astimezone(calendar.zone)
    day = local.date()
    for _ in range(days):
        day += _ONE_DAY
        searched = 0
        while not is_working_day(calendar, day):
            day += _ONE_DAY
            searched += 1
            if searched > SEARCH_HORIZON.days:
                raise ValueError("no working day within the search horizon")
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=calendar.zone).astimezone(UTC)


def is_working_instant(calendar: BusinessCalendar, at: datetime) -> bool:
    """Return True when `at` lies inside a working interval (half-open [start, end))."""
    instant = _to_us(at)
    if calendar.always_open:
        return True
    try:
        week = _week_containing(calendar, instant)
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None
    return any(start <= instant < end for start, end in week.intervals)


def next_working_instant(calendar: BusinessCalendar, at: datetime) -> datetime:
    """Return `at` (as UTC) when it is working time, else the start of the next working interval."""
    instant = _to_us(at)
    try:
        return _from_us(_next_working_us(calendar, instant))
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


def next_off_hours(calendar: BusinessCalendar, at: datetime, *, min_length: timedelta) -> datetime | None:
    """Return the start (as UTC) of the first time outside working hours, at or after `at`, that lasts
    at least `min_length` (`at` itself when it lies in such a stretch); None for an always-open calendar
    or when none starts within SEARCH_HORIZON."""
    if calendar.always_open:
        return None
    instant = _to_us(at)
    wanted = _duration_us(min_length)
    free_from = instant  # the start of the stretch outside working hours being measured
    try:
        for week in _weeks_forward(calendar, instant):
            for start, end in week.intervals:
                if end <= free_from:
                    continue
                if start - free_from >= max(wanted, 1):
                    return _from_us(free_from)
                free_from = max(free_from, end)
            if week.end - instant > _HORIZON:
                return None
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None
    raise AssertionError("unreachable")  # pragma: no cover


def working_seconds_per_week(calendar: BusinessCalendar) -> int:
    """Return the nominal working seconds of a week without holidays, make-up days or DST change."""
    if calendar.always_open:
        return 7 * 86_400
    return calendar._week_total // _SECOND


# --- weeks -----------------------------------------------------------------------------------


class _Week:
    """One local week (Monday 00:00 to the next Monday 00:00) of a calendar, in UTC microseconds."""

    __slots__ = ("_intervals", "end", "monday", "pattern", "start", "total")

    def __init__(
        self,
        monday: date,
        start: int,
        end: int,
        total: int,
        *,
        pattern: tuple[_Interval, ...] = (),
        intervals: tuple[_Interval, ...] | None = None,
    ) -> None:
        self.monday = monday
        self.start = start
        self.end = end
        self.total = total
        self.pattern = pattern  # microseconds after `start`, when `intervals` is None
        self._intervals = intervals

    @property
    def intervals(self) -> tuple[_Interval, ...]:
        """Return the week's working intervals as sorted, disjoint, non-empty UTC [start, end)."""
        if self._intervals is None:
            start = self.start
            self._intervals = tuple((start + a, start + b) for a, b in self.pattern)
        return self._intervals


_WEEKS_CACHED = 512  # per calendar: ten years of weeks
_RECENT_WEEKS = 4


def _remember(calendar: BusinessCalendar, week: _Week) -> _Week:
    weeks = calendar._weeks
    if len(weeks) >= _WEEKS_CACHED:
        weeks.clear()
    weeks[week.monday] = week
    return week


def _week_from_start(calendar: BusinessCalendar, monday: date, start: int) -> _Week:
    """Return the week of `monday`, which starts at UTC instant `start`."""
    week = calendar._weeks.get(monday)
    if week is not None and week.start == start:
        return week
    changes = _offset_changes_between(calendar.zone, start - _DAY, start + 8 * _DAY)
    end = _local_us(calendar.zone, monday + _ONE_WEEK, 0) if changes else start + _WEEK
    return _remember(calendar, _lay_out_week(calendar, monday, start, end, changes))


def _week_from_end(calendar: BusinessCalendar, monday: date, end: int) -> _Week:
    """Return the week of `monday`, which ends at UTC instant `end`."""
    week = calendar._weeks.get(monday)
    if week is not None and week.end == end:
        return week
    changes = _offset_changes_between(calendar.zone, end - 8 * _DAY, end + _DAY)
    start = _local_us(calendar.zone, monday, 0) if changes else end - _WEEK
    return _remember(calendar, _lay_out_week(calendar, monday, start, end, changes))


def _lay_out_week(calendar: BusinessCalendar, monday: date, start: int, end: int, changes: tuple[int, ...]) -> _Week:
    """Return the week of `monday` from `start` to `end`.

    `changes` are the zone's offset changes from a day before the week to a day after it. Without
    any, local times are a plain shift of UTC instants: the nominal week, unless holidays or
    make-up days fall in it.
    """
    specials = calendar._special_dates
    index = bisect_left(specials, monday)
    has_special = index < len(specials) and specials[index] < monday + _ONE_WEEK
    if not changes:
        if not has_special:
            return _Week(monday, start, end, calendar._week_total, pattern=calendar._week_pattern)
        total, pattern = calendar._special_week(monday)
        return _Week(monday, start, end, total, pattern=pattern)
    intervals: list[_Interval] = []
    day = monday
    for weekday in range(7):
        pattern = calendar._pattern_for(day) if has_special else calendar._day_patterns[weekday]
        # A day (with a day of margin) wholly before the first offset change is a shift of the
        # week's start, one wholly after the last change a shift of its end; only a day near a
        # change has its boundaries converted one by one.
        if start + (weekday + 2) * _DAY < changes[0]:
            midnight: int | None = start + weekday * _DAY
        elif end - (8 - weekday) * _DAY > changes[-1]:
            midnight = end - (7 - weekday) * _DAY
        else:
            midnight = None
        if midnight is not None:
            intervals.extend((midnight + a, midnight + b) for a, b in pattern)
        else:
            for a, b in pattern:
                interval_start = _local_us(calendar.zone, day, a)
                interval_end = _local_us(calendar.zone, day, b)
                if interval_start < interval_end:  # an interval inside a DST gap is empty
                    intervals.append((interval_start, interval_end))
        day += _ONE_DAY
    return _Week(monday, start, end, sum(b - a for a, b in intervals), intervals=tuple(intervals))


def _week_containing(calendar: BusinessCalendar, instant: int) -> _Week:
    """Return the week with week.start <= instant < week.end."""
    recent = calendar._recent_weeks
    for week in recent:
        if week.start <= instant < week.end:
            return week
    week = _find_week_containing(calendar, instant)
    recent.insert(0, week)
    del recent[_RECENT_WEEKS:]
    return week


def _find_week_containing(calendar: BusinessCalendar, instant: int) -> _Week:
    zone = calendar.zone
    offset = _offset_us(zone, instant)
    local_day = _EPOCH_DATE + timedelta(days=(instant + offset) // _DAY)
    monday = local_day - timedelta(days=local_day.weekday())
    if _offset_changes_between(zone, instant - 9 * _DAY, instant + 9 * _DAY):
        start = _local_us(zone, monday, 0)
    else:  # the offset at `instant` holds back to Monday 00:00
        start = (monday - _EPOCH_DATE).days * _DAY - offset
    week = _week_from_start(calendar, monday, start)
    # Normally already right; the loops cover zones whose offset change crosses local midnight.
    while instant < week.start:
        week = _week_from_end(calendar, week.monday - _ONE_WEEK, week.start)
    while instant >= week.end:
        week = _week_from_start(calendar, week.monday + _ONE_WEEK, week.end)
    return week


def _weeks_forward(calendar: BusinessCalendar, instant: int) -> Iterator[_Week]:
    """Yield the week containing `instant`, then every following week."""
    week = _week_containing(calendar, instant)
    while True:
        yield week
        week = _week_from_start(calendar, week.monday + _ONE_WEEK, week.end)


def _weeks_backward(calendar: BusinessCalendar, instant: int) -> Iterator[_Week]:
    """Yield the week containing `instant`, then every preceding week."""
    week = _week_containing(calendar, instant)
    while True:
        yield week
        week = _week_from_end(calendar, week.monday - _ONE_WEEK, week.start)


_RESULTS_CACHED = 50_000  # per calendar and direction


def _memo(results: dict[tuple[int, int], int], key: tuple[int, int], value: int) -> int:
    if len(results) >= _RESULTS_CACHED:
        results.clear()
    results[key] = value
    return value


def _add_us(calendar: BusinessCalendar, begin: int, amount: int) -> int:
    if amount == 0 or calendar.always_open:
        return begin + amount
    found = calendar._added.get((begin, amount))
    if found is None:
        found = _memo(calendar._added, (begin, amount), _walk_forward(calendar, begin, amount))
    return found


def _walk_forward(calendar: BusinessCalendar, begin: int, amount: int) -> int:
    remaining = amount
    last_work = begin
    for week in _weeks_forward(calendar, begin):
        if week.start >= begin and week.total < remaining:
            remaining -= week.total
            if week.total:
                last_work = week.end
        else:
            for interval_start, interval_end in week.intervals:
                if interval_end <= begin:
                    continue
                available_from = max(interval_start, begin)
                available = interval_end - available_from
                if available >= remaining:
                    return available_from + remaining
                remaining -= available
                last_work = interval_end
        if week.end - last_work > _HORIZON:
            raise ValueError(f"no working time within {SEARCH_HORIZON.days} days after {_from_us(last_work)}")
    raise AssertionError("unreachable")  # pragma: no cover


def _subtract_us(calendar: BusinessCalendar, finish: int, amount: int) -> int:
    if amount == 0 or calendar.always_open:
        return finish - amount
    found = calendar._subtracted.get((finish, amount))
    if found is None:
        found = _memo(calendar._subtracted, (finish, amount), _walk_backward(calendar, finish, amount))
    return found


def _walk_backward(calendar: BusinessCalendar, finish: int, amount: int) -> int:
    remaining = amount
    last_work = finish
    for week in _weeks_backward(calendar, finish):
        if week.end <= finish and week.total < remaining:
            remaining -= week.total
            if week.total:
                last_work = week.start
        else:
            for interval_start, interval_end in reversed(week.intervals):
                if interval_start >= finish:
                    continue
                available_until = min(interval_end, finish)
                available = available_until - interval_start
                if available >= remaining:
                    return available_until - remaining
                remaining -= available
                last_work = interval_start
        if last_work - week.start > _HORIZON:
            raise ValueError(f"no working time within {SEARCH_HORIZON.days} days before {_from_us(last_work)}")
    raise AssertionError("unreachable")  # pragma: no cover


def _elapsed_us(calendar: BusinessCalendar, begin: int, finish: int) -> int:
    """Return the working microseconds in [begin, finish), begin <= finish."""
    if calendar.always_open or begin == finish:
        return finish - begin
    total = 0
    for week in _weeks_forward(calendar, begin):
        if week.start >= begin and week.end <= finish:
            total += week.total
        else:
            for start, end in week.intervals:
                total += max(0, min(end, finish) - max(start, begin))
        if week.end >= finish:
            return total
    raise AssertionError("unreachable")  # pragma: no cover


def _next_working_us(calendar: BusinessCalendar, instant: int) -> int:
    if calendar.always_open:
        return instant
    for week in _weeks_forward(calendar, instant):
        for start, end in week.intervals:
            if end > instant:
                return max(start, instant)
        if week.end - instant > _HORIZON:
            raise ValueError(f"no working time within {SEARCH_HORIZON.days} days after {_from_us(instant)}")
    raise AssertionError("unreachable")  # pragma: no cover


# --- instants and zones ----------------------------------------------------------------------


def _to_us(value: datetime) -> int:
    """Return aware `value` as microseconds since the epoch."""
    if not isinstance(value, datetime):
        raise ValueError(f"expected a datetime, not {value!r}")
    if value.utcoffset() is None:
        raise ValueError(f"datetime {value} is naive; business time needs aware datetimes")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _SECOND + delta.microseconds


def _from_us(instant: int) -> datetime:
    """Return microseconds since the epoch as an aware UTC datetime."""
    try:
        return _EPOCH + timedelta(microseconds=instant)
    except OverflowError:
        raise ValueError("the result is outside the supported range of datetimes") from None


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise ValueError(f"expected a timedelta duration, not {duration!r}")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    return (duration.days * 86_400 + duration.seconds) * _SECOND + duration.microseconds


def _offset_us(zone: tzinfo, instant: int) -> int:
    """Return the UTC offset of `zone` at `instant`, in microseconds."""
    return _utcoffset_us(_from_us(instant).astimezone(zone))


def _utcoffset_us(value: datetime) -> int:
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"datetime {value} is naive; business time needs aware datetimes")
    return (offset.days * 86_400 + offset.seconds) * _SECOND + offset.microseconds


def _local_us(zone: tzinfo, day: date, microseconds: int) -> int:
    """Return the earliest instant whose wall-clock time in `zone` is at or after `day` + `microseconds`.

    That is the wall-clock time itself, its first occurrence when ambiguous (fold=0), or the
    first instant after a spring-forward gap that contains it.
    """
    try:
        local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(microseconds=microseconds)
    except OverflowError:
        raise ValueError("the date is outside the supported range of datetimes") from None
    instant = _to_us(local)  # fold=0: the offset before the transition, also inside a gap
    offset = _offset_us(zone, instant)
    local_offset = _utcoffset_us(local)
    if offset == local_offset:
        return instant
    # In a gap: the offset before the change placed `instant` after the gap; the change itself
    # lies after `instant - (offset after - offset before)` and at or before `instant`.
    low = (instant - (offset - local_offset)) // _SECOND
    high = instant // _SECOND
    return _first_second_with_offset(zone, low, high, offset) * _SECOND


def _first_second_with_offset(zone: tzinfo, low: int, high: int, offset: int) -> int:
    """Return the first second in (low, high] at which `zone` has `offset` (it has not at low)."""
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_us(zone, middle * _SECOND) == offset:
            high = middle
        else:
            low = middle
    return high


@lru_cache(maxsize=4096)
def _offset_changes(zone: tzinfo, block: int) -> tuple[int, ...]:
    """Return the instants (UTC microseconds) in (start, end] of block `block` at which `zone` changes its offset."""
    changes: list[int] = []
    first = max(block * _BLOCK, _MIN_US)
    last = min((block + 1) * _BLOCK, _MAX_US)
    previous_at, previous = first, _offset_us(zone, first)
    for step_at in range(first + _SAMPLE_STEP, last + _SAMPLE_STEP, _SAMPLE_STEP):
        sample_at = min(step_at, last)
        offset = _offset_us(zone, sample_at)
        if offset != previous:
            second = _first_second_with_offset(zone, previous_at // _SECOND, -(-sample_at // _SECOND), offset)
            changes.append(second * _SECOND)
        previous_at, previous = sample_at, offset
    return tuple(changes)


def _offset_changes_between(zone: tzinfo, low: int, high: int) -> tuple[int, ...]:
    """Return the instants in [low, high] at which `zone` changes its UTC offset, in order."""
    found: tuple[int, ...] = ()
    # A change exactly at a block's first instant is recorded in the block before.
    for block in range((low - 1) // _BLOCK, high // _BLOCK + 1):
        changes = _offset_changes(zone, block)
        if changes:
            found += changes[bisect_left(changes, low) : bisect_right(changes, high)]
    return found


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
